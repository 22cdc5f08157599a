import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';

export interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
}

export interface BackupResult {
  dir: string;
  /** Where the copy of the `.claude` tree is (inside `dir`). */
  copy: string;
  files: number;
  bytes: number;
  manifest: ManifestEntry[];
  skipped: string[];
}

/**
 * Copies the source tree file by file (regular files only; symlinks and special files are listed, not
 * followed, so a link cannot pull in the rest of the disk), then checksums both sides and refuses to go on
 * unless every file matches. The copy is private to the user (0700 dirs, 0600 files) whatever the source's
 * modes were, so a read-only source still gives a backup that can be deleted.
 */
export function copyTreeVerified(source: string, dest: string): Omit<BackupResult, 'dir'> {
  const skipped: string[] = [];
  const files = walk(source, '', skipped);
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  for (const rel of files) {
    const to = path.join(dest, rel);
    mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    copyFileSync(path.join(source, rel), to);
    chmodSync(to, 0o600);
  }
  const manifest = files.map((rel) => entry(source, rel));
  const mismatches = manifest.filter((m) => {
    const copied = path.join(dest, m.path);
    return !existsSync(copied) || hashFile(copied) !== m.sha256;
  });
  if (mismatches.length > 0) {
    throw new HiveError(
      'MIGRATION_FAILED',
      `The backup copy in ${dest} does not match the source (${mismatches.map((m) => m.path).join(', ')}). Nothing was imported. Check the disk and run the migration again.`,
    );
  }
  return { copy: dest, files: manifest.length, bytes: manifest.reduce((n, m) => n + m.bytes, 0), manifest, skipped };
}

/** `<dataDir>/backups/migrate-<timestamp>/claude` plus a `manifest.json` of sha256 per file. */
export function backupSource(source: string, dataDir: string, at: string): BackupResult {
  const base = path.join(dataDir, 'backups', `migrate-${at.replace(/[:.]/g, '-')}`);
  let dir = base;
  for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const copy = copyTreeVerified(source, path.join(dir, 'claude'));
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ source, createdAt: at, files: copy.manifest, skipped: copy.skipped }, null, 2) + '\n',
    { mode: 0o600 },
  );
  return { dir, ...copy };
}

// One list for the whole walk (a spread of a subtree's list throws past ~120,000 paths).
function walk(root: string, rel: string, skipped: string[], out: string[] = []): string[] {
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? path.join(rel, name) : name;
    const st = lstatSync(path.join(root, r));
    if (st.isDirectory()) walk(root, r, skipped, out);
    else if (st.isFile()) out.push(r);
    else skipped.push(r);
  }
  return out;
}

function entry(root: string, rel: string): ManifestEntry {
  const bytes = readFileSync(path.join(root, rel));
  return { path: rel, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function hashFile(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
