#!/usr/bin/env node
/**
 * Runs Doyensec's Electronegativity over electron/ (the Electron main process, its preload and the hosts)
 * and fails on any finding above informational. Its own CLI cannot start here: it imports `commander`
 * without declaring it and gets this project's commander 14, whose API differs; its runner is the same
 * scan without that CLI. Its translation download is cut short (no network needed).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import run from '@doyensec/electronegativity';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  const input = path.join(root, 'electron');
  // The Electron version the app is built with (it cannot read it from electron/; unknown, it assumes 0.1).
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const electronVersion = String(pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? pkg.dependencies?.electron ?? '').replace(/^[^\d]*/, '');
  const result = await run({ input, isRelative: true, isVerbose: true, parserPlugins: ['typescript'], electronVersionOverride: electronVersion || undefined }, false);
  const issues = (result.issues ?? []).filter((i) => i.severity.value > 0);
  const all = result.issues ?? [];
  for (const i of all) {
    const line = `${i.severity.name.padEnd(13)} ${i.id} ${i.file}:${i.location.line}:${i.location.column} ${i.description ?? ''}`;
    (i.severity.value > 0 ? console.error : console.log)(line);
  }
  if (result.errors?.length) for (const e of result.errors) console.error(`electronegativity: could not parse ${e.file}: ${e.message ?? e.error ?? ''}`);
  console.log(`electronegativity: ${all.length} finding(s), ${issues.length} above informational, over ${input}`);
  if (issues.length > 0 || result.errors?.length) process.exit(1);
}
main().catch((err) => {
  console.error(err.stack ?? String(err));
  process.exit(1);
});
