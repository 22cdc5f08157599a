#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI in a separate folder, build/electron-native/, so node_modules keeps
// Node's build and `npm test` keeps working. The Electron main process loads this copy through better-sqlite3's
// `nativeBinding` option (HIVE_SQLITE_NATIVE_BINDING, see electron/main/native-binding.ts), and
// electron-builder.yml packs it (unpacked from the asar). Needs internet the first time: @electron/rebuild
// downloads a prebuilt binary or Electron's headers to compile one (then a C++ toolchain is needed).
// Also bundles the sandboxed preload (scripts/build-preload.mjs).
//
//   node scripts/build-native-electron.mjs [--electron-version 38.8.6] [--force]
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const outDir = path.join(root, 'build', 'electron-native');
const moduleDir = path.join(outDir, 'node_modules', 'better-sqlite3');
export const bindingPath = path.join(moduleDir, 'build', 'Release', 'better_sqlite3.node');
const stampFile = path.join(outDir, 'stamp.json');

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Electron's version: the installed package, else electron-builder.yml's electronVersion. */
export function electronVersion() {
  const fromArg = arg('--electron-version');
  if (fromArg) return fromArg;
  try {
    return JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  } catch {}
  const yml = readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
  const m = /^electronVersion:\s*['"]?([\d.]+)/m.exec(yml);
  if (!m) throw new Error('Cannot tell which Electron to build for: electron is not installed and electron-builder.yml has no electronVersion.');
  return m[1];
}

async function main() {
  await import('./build-preload.mjs');
  const version = electronVersion();
  const sqliteVersion = JSON.parse(readFileSync(path.join(root, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version;
  const stamp = { electron: version, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch };
  if (!process.argv.includes('--force') && existsSync(bindingPath) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === JSON.stringify(stamp)) {
    console.log(`better-sqlite3 ${sqliteVersion} for Electron ${version} is up to date: ${path.relative(root, bindingPath)}`);
    return;
  }
  console.log(`Building better-sqlite3 ${sqliteVersion} for Electron ${version} (${process.platform}-${process.arch}) in ${path.relative(root, outDir)}/ …`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.dirname(moduleDir), { recursive: true });
  // A private copy of the package (without Node's build) is what gets rebuilt; node_modules is not touched.
  cpSync(path.join(root, 'node_modules', 'better-sqlite3'), moduleDir, {
    recursive: true,
    filter: (src) => !src.startsWith(path.join(root, 'node_modules', 'better-sqlite3', 'build')),
  });
  writeFileSync(
    path.join(outDir, 'package.json'),
    JSON.stringify({ name: 'agent-hive-electron-native', private: true, version: '0.0.0', dependencies: { 'better-sqlite3': sqliteVersion } }, null, 2),
  );
  let rebuild;
  try {
    ({ rebuild } = await import('@electron/rebuild'));
  } catch {
    throw new Error('@electron/rebuild is missing (it comes with electron-builder). Run `npm install` first.');
  }
  await rebuild({ buildPath: outDir, electronVersion: version, onlyModules: ['better-sqlite3'], force: true });
  if (!existsSync(bindingPath)) throw new Error(`The rebuild finished but ${bindingPath} is missing.`);
  writeFileSync(stampFile, JSON.stringify(stamp));
  console.log(`Built ${path.relative(root, bindingPath)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`\nCould not build better-sqlite3 for Electron: ${err.message}`);
    console.error('This step needs internet access (a prebuilt binary or Electron headers are downloaded) and, without a prebuilt, a C++ toolchain (python3, make, g++ / Xcode / Visual Studio Build Tools).');
    process.exit(1);
  });
}
