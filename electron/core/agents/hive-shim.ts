import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The package root: the nearest folder above `from` with bin/hive.js. The core runs from source under
 * vitest (electron/core) and compiled (dist/electron/core), so a fixed number of `..` is wrong in one of them.
 */
export function findPackageRoot(from: string): string | null {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bin', 'hive.js'))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Writes `<dataDir>/bin/hive`, a tiny launcher agents find first on their PATH, so `hive heartbeat` and
 * `hive memory save` work inside an agent without a global install. It runs this very Node binary (the
 * agent's PATH may have none; under Electron, ELECTRON_RUN_AS_NODE makes the app binary act as Node).
 * Only our install paths are written into it, never a user string.
 */
export function writeHiveShim(dataDir: string, packageRoot: string | null): string | null {
  if (!packageRoot) return null;
  const dir = path.join(dataDir, 'bin');
  const file = path.join(dir, 'hive');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    '#!/bin/sh',
    '# Written by the Agent Hive host: the `hive` command for agents (their PATH starts with this folder).',
    'export ELECTRON_RUN_AS_NODE=1',
    `exec ${q(process.execPath)} ${q(path.join(packageRoot, 'bin', 'hive.js'))} "$@"`,
    '',
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(file) || readFileSync(file, 'utf8') !== script) writeFileSync(file, script);
  chmodSync(file, 0o755);
  return dir;
}
