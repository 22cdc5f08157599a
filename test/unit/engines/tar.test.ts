import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import { extractTo, safeTarget } from '../../../electron/core/supervisor/docker/tar.js';

async function archive(entries: { name: string; type?: 'file' | 'symlink' | 'directory'; body?: string; linkname?: string }[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Readable.from([Buffer.concat(chunks)]);
}

describe('extracting a workspace archive', () => {
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'hive-tar-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('strips the leading folder and writes files, folders and links', async () => {
    const dir = temp();
    const r = await extractTo(await archive([{ name: 'workspace/', type: 'directory' }, { name: 'workspace/src/a.txt', body: 'a' }, { name: 'workspace/l', type: 'symlink', linkname: 'src/a.txt' }]), dir, 1);
    expect(r).toEqual({ files: 1, bytes: 1 });
    expect(readFileSync(path.join(dir, 'src/a.txt'), 'utf8')).toBe('a');
    expect(readlinkSync(path.join(dir, 'l'))).toBe('src/a.txt');
  });

  it('writes nothing outside the folder: no .., no absolute path, nothing through a link the archive made', async () => {
    const dir = temp();
    const outside = temp();
    await extractTo(
      await archive([
        { name: 'w/../../escaped', body: 'x' },
        { name: 'w/link', type: 'symlink', linkname: outside },
        { name: 'w/link/through', body: 'x' },
        { name: 'w/ok', body: 'fine' },
      ]),
      dir,
      1,
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['link', 'ok']);
    expect(safeTarget(dir, '/etc/passwd')).toBeNull();
    expect(safeTarget(dir, 'a/../../b')).toBeNull();
    expect(safeTarget(dir, './a/b')).toBe(path.join(dir, 'a/b'));
  });
});
