import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Builds the app, the sandboxed preload bundle and better-sqlite3 for Electron's ABI (build/electron-native/). */
export default function globalSetup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  try {
    const bin = createRequire(path.join(root, 'package.json'))('electron') as unknown;
    if (typeof bin !== 'string' || !existsSync(bin)) throw new Error('no binary');
  } catch {
    console.warn('\n!!!! The Electron binary is not installed: the desktop tests are skipped (npm install electron@38 with internet access). !!!!\n');
    return;
  }
  for (const [cmd, args] of [
    ['npm', ['run', 'build']],
    [process.execPath, [path.join(root, 'scripts', 'build-native-electron.mjs')]],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}).`);
  }
}
