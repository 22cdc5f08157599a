import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where scripts/build-native-electron.mjs puts better-sqlite3 built for Electron's ABI (relative to the package root). */
export const ELECTRON_NATIVE_DIR = path.join('build', 'electron-native');
export const ELECTRON_BINDING_REL = path.join(ELECTRON_NATIVE_DIR, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
/** Inside a packaged app: copied next to the app and unpacked from the asar (electron-builder.yml). */
export const PACKAGED_BINDING_REL = path.join('app.asar.unpacked', 'electron-native', 'better_sqlite3.node');

/**
 * The better-sqlite3 binary for this Electron, or null (then node_modules' own build is tried, which works
 * only if it happens to match Electron's ABI). node_modules keeps Node's build so `npm test` works.
 */
export function electronSqliteBinding(opts: { packaged: boolean; resourcesPath: string; packageRoot: string }): string | null {
  const candidates = opts.packaged
    ? [path.join(opts.resourcesPath, PACKAGED_BINDING_REL)]
    : [path.join(opts.packageRoot, ELECTRON_BINDING_REL)];
  return candidates.find((p) => existsSync(p)) ?? null;
}
