#!/usr/bin/env node
// `npm start`: builds the app, makes sure better-sqlite3 exists for Electron's ABI (build/electron-native/,
// node_modules keeps Node's build for `npm test`), then launches Electron. Arguments after `--` go to the app,
// e.g. `npm start -- --data-dir /tmp/hive`. `--no-build` skips `npm run build`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const args = process.argv.slice(2);
const skipBuild = args.includes('--no-build');
const appArgs = args.filter((a) => a !== '--no-build');

function electronBinary() {
  try {
    require.resolve('electron/package.json');
  } catch {
    return { error: 'the `electron` package is not installed' };
  }
  try {
    // The package's main export is the path of the downloaded binary; it throws when the download failed.
    const bin = require('electron');
    if (typeof bin === 'string' && existsSync(bin)) return { bin };
    return { error: `the Electron binary is missing (${bin})` };
  } catch (err) {
    return { error: `the Electron binary is missing (${err.message.split('\n')[0]})` };
  }
}

const found = electronBinary();
if (found.error) {
  console.error(`
Agent Hive cannot start the desktop app: ${found.error}.

Electron is an optional dependency. Its install step downloads the Electron binary for your platform; on a
machine without internet access (or behind a proxy) that download fails and npm leaves Electron out, while
everything else installs.

  To get it:   npm install electron@38 --save-optional      (with internet access; set ELECTRON_MIRROR
                                                            to use a mirror, see Electron's install docs)
  Meanwhile:   npx hive serve    and open the printed http://127.0.0.1:<port>/?token=… URL in a browser:
               it is the same UI and the same core.
`);
  process.exit(1);
}

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!skipBuild) run('npm', ['run', 'build']);
run(process.execPath, [path.join(root, 'scripts', 'build-native-electron.mjs')]);

const child = spawn(found.bin, [root, ...appArgs], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
