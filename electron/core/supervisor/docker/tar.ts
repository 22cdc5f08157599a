import { createReadStream, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

export interface TarEntry {
  /** Relative path inside the archive, with `/`. */
  name: string;
  content: Buffer;
  mode: number;
}

/** A small archive made in memory (the resume file, a few memory files). */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, mode: e.mode, mtime: new Date() }, e.content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * Files of `root` (relative paths, `/`-separated) as a tar stream, read one at a time: a worktree of any
 * size is streamed, not held in memory. Symlinks stay links; paths that are not files or links are skipped.
 */
export function packFiles(root: string, files: Iterable<string>): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for (const rel of files) {
        const abs = path.join(root, rel);
        let st: Stats;
        try {
          st = lstatSync(abs);
        } catch {
          continue; // Deleted meanwhile.
        }
        if (st.isSymbolicLink()) {
          pack.entry({ name: rel, type: 'symlink', linkname: readlinkSync(abs), mode: 0o777, mtime: st.mtime });
        } else if (st.isFile()) {
          const entry = pack.entry({ name: rel, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime });
          await pipeline(createReadStream(abs), entry);
        } else if (st.isDirectory()) {
          pack.entry({ name: rel, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime });
        }
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return pack as unknown as Readable;
}

/** Where `name` lands under `dir`, or null when it would land outside (absolute paths, `..`). */
export function safeTarget(dir: string, name: string): string | null {
  const clean = name.replace(/^\.\//, '');
  if (clean === '' || path.isAbsolute(clean) || clean.includes('\0')) return null;
  const target = path.resolve(dir, clean);
  const rel = path.relative(dir, target);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? null : target;
}

/**
 * Extracts a tar stream into `dir`, dropping `strip` leading path components (Docker's archive of
 * `/workspace` starts with `workspace/`). Files, directories and symlinks only; an entry that would land
 * outside `dir`, or under a symlink the archive made, is refused, so a hostile archive cannot write elsewhere.
 */
export async function extractTo(stream: Readable, dir: string, strip = 0): Promise<{ files: number; bytes: number }> {
  const ex = tar.extract();
  let files = 0;
  let bytes = 0;
  const links = new Set<string>();
  const underLink = (target: string): boolean => {
    for (let p = path.dirname(target); p.length > dir.length; p = path.dirname(p)) if (links.has(p)) return true;
    return false;
  };
  const done = pipeline(stream, ex);
  for await (const entry of ex) {
    const h = entry.header;
    const name = h.name.split('/').slice(strip).join('/');
    const target = name ? safeTarget(dir, name) : null;
    if (!target || underLink(target)) {
      entry.resume();
      continue;
    }
    if (h.type === 'directory') {
      mkdirSync(target, { recursive: true });
      entry.resume();
    } else if (h.type === 'symlink' && h.linkname) {
      mkdirSync(path.dirname(target), { recursive: true });
      rmSync(target, { force: true, recursive: true });
      symlinkSync(h.linkname, target);
      links.add(target);
      entry.resume();
    } else if (h.type === 'file' || h.type === 'contiguous-file') {
      mkdirSync(path.dirname(target), { recursive: true });
      const chunks: Buffer[] = [];
      for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
      const body = Buffer.concat(chunks);
      rmSync(target, { force: true });
      writeFileSync(target, body, { mode: (h.mode ?? 0o644) & 0o777 });
      files++;
      bytes += body.length;
    } else {
      entry.resume();
    }
  }
  await done;
  return { files, bytes };
}
