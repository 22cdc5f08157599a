import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync, existsSync, openSync, readSync, closeSync, fstatSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { MemoryFile } from '../../../shared/contract/snapshots.js';
import { HiveError } from '../../../shared/errors.js';
import { linkOnTheWay, lstatOrNull } from '../ports/links.js';

export const MEMORY_DIR = path.join('.hive', 'memory');
const TOP_LEVEL_MEMORY = ['CLAUDE.md', 'AGENTS.md'];
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

/** The agent's memory files: `.hive/memory/**` plus CLAUDE.md / AGENTS.md at the top of its worktree. */
export function collectMemoryFiles(worktree: string): MemoryFile[] {
  const files: MemoryFile[] = [];
  let total = 0;
  const add = (rel: string) => {
    const buf = readIfThere(path.join(worktree, rel));
    // Gone between the listing and the read: an agent writing a file atomically (a temporary file renamed
    // over it) does that all the time. Reading it was an error that failed the whole sleep.
    if (buf === null) return;
    total += buf.length;
    if (total > MAX_MEMORY_BYTES) {
      throw new HiveError('INVALID_INPUT', `The memory files of ${worktree} exceed ${MAX_MEMORY_BYTES / 1024 / 1024} MB; trim ${MEMORY_DIR}.`);
    }
    files.push({ path: rel, contentBase64: buf.toString('base64'), sha256: createHash('sha256').update(buf).digest('hex') });
  };
  // Never through a symbolic link: a CLAUDE.md linked to ~/.aws/credentials, or `.hive/memory` linked to a
  // folder of the host, put the host's files into a snapshot (which `snapshots show` returns).
  for (const name of TOP_LEVEL_MEMORY) {
    const p = path.join(worktree, name);
    if (lstatOrNull(p)?.isFile()) add(name);
  }
  const walk = (relDir: string) => {
    const abs = path.join(worktree, relDir);
    if (lstatOrNull(abs)?.isSymbolicLink() || lstatOrNull(path.dirname(abs))?.isSymbolicLink()) return;
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(relDir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile()) add(rel);
    }
  };
  walk(MEMORY_DIR);
  return files;
}

function gone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function readIfThere(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (err) {
    if (gone(err)) return null;
    throw err;
  }
}

/**
 * Writes memory files back byte-for-byte (atomic per file), every checksum checked before the first write.
 * Paths must stay inside the worktree, also past symbolic links (see writeInside).
 */
export function restoreMemoryFiles(worktree: string, files: MemoryFile[]): number {
  const checked = files.map((f) => {
    const buf = Buffer.from(f.contentBase64, 'base64');
    if (createHash('sha256').update(buf).digest('hex') !== f.sha256) {
      throw new HiveError('SNAPSHOT_CORRUPT', `Memory file ${f.path} in the snapshot does not match its checksum; nothing was restored from it.`);
    }
    return { target: safeJoin(worktree, f.path), buf };
  });
  for (const { target, buf } of checked) writeInside(worktree, target, buf);
  return files.length;
}

/**
 * Writes `buf` to `target` (inside `root`) atomically, never through a symbolic link: a folder on the way
 * that is a link is refused, a link at the target is replaced (rename replaces the entry, it does not follow
 * it), and the temporary file is created exclusively. An agent could otherwise point `.hive/memory` (or a
 * planted `notes.md.hive-tmp`) at a folder of the host, and the next restore wrote there — for a Docker
 * agent, a way out of its container.
 */
export function writeInside(root: string, target: string, buf: Buffer): void {
  refuseLinksOnTheWay(root, path.dirname(target));
  mkdirSync(path.dirname(target), { recursive: true });
  refuseLinksOnTheWay(root, path.dirname(target));
  const tmp = `${target}.hive-tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, buf, { flag: 'wx' });
  renameSync(tmp, target);
}

function refuseLinksOnTheWay(root: string, dir: string): void {
  const link = linkOnTheWay(root, dir);
  if (link) throw new HiveError('INVALID_INPUT', `${path.relative(path.resolve(root), link)} in ${path.resolve(root)} is a symbolic link; memory files are never written through one. Replace it with a folder.`);
}

export function safeJoin(root: string, rel: string): string {
  // An empty or relative root would resolve against the host's own working directory.
  if (!root || !path.isAbsolute(root)) {
    throw new HiveError('INVALID_INPUT', `The agent has no worktree (${JSON.stringify(root)}); nothing is written outside a worktree.`);
  }
  const target = path.resolve(root, rel);
  const rootAbs = path.resolve(root);
  if (target !== rootAbs && !target.startsWith(rootAbs + path.sep)) {
    throw new HiveError('INVALID_INPUT', `The path ${JSON.stringify(rel)} points outside the agent's worktree.`);
  }
  return target;
}

/** The last `maxLines` lines of a log, reading only the end of the file. */
export function tailLines(file: string, maxLines: number, maxBytes = 8 * 1024 * 1024): string {
  if (!existsSync(file)) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const text = buf.toString('utf8');
    const lines = text.split('\n');
    return lines.slice(Math.max(0, lines.length - maxLines - 1)).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** The last bytes of a log (for the output view's scrollback). */
export function tailBytes(file: string, maxBytes: number): { text: string; bytes: number } {
  if (!existsSync(file)) return { text: '', bytes: 0 };
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return { text: buf.toString('utf8'), bytes: size };
  } finally {
    closeSync(fd);
  }
}
