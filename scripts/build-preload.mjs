#!/usr/bin/env node
// Bundles electron/main/preload.ts (and the contract it imports) into one CommonJS file,
// dist/electron/main/preload.cjs. A sandboxed preload cannot load ES modules or other files of ours,
// so tsc's output of preload.ts is not usable as is. esbuild comes with vite.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'electron', 'main', 'preload.cjs');

await build({
  entryPoints: [path.join(root, 'electron', 'main', 'preload.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  sourcemap: false,
  logLevel: 'warning',
});
console.log(`preload bundled: ${path.relative(root, outfile)}`);
