import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../../../electron/core/conflicts/cat-file-batch.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes blobs with `git hash-object -w` and returns their ids. */
function blobs(dir: string, contents: Buffer[]): string[] {
  return contents.map((c) => execFileSync('git', ['-C', dir, 'hash-object', '-w', '--stdin'], { input: c }).toString().trim());
}

describe('CatFileBatch against a real git cat-file --batch', () => {
  it('returns every blob byte for byte — empty, small, several MB arriving in many chunks, binary — and null for a missing one, with many reads in flight', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-cat-file-'));
    dirs.push(dir);
    execFileSync('git', ['init', '-q', dir]);
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff;
    const contents = [Buffer.alloc(0), Buffer.from('hello\n'), big, Buffer.from([0, 10, 255, 10, 10]), Buffer.from('line\n'.repeat(40_000))];
    const ids = blobs(dir, contents);
    const cat = new CatFileBatch(dir, { ...process.env, GIT_CONFIG_NOSYSTEM: '1' });
    try {
      const specs = [...ids, '0000000000000000000000000000000000000001', ...ids.slice().reverse()];
      const got = await Promise.all(specs.map((s) => cat.read(s)));
      const want = [...contents, null, ...contents.slice().reverse()];
      expect(got.map((b) => (b === null ? null : b.length))).toEqual(want.map((b) => (b === null ? null : b.length)));
      for (const [i, b] of got.entries()) if (b !== null) expect(b.equals(want[i]!), `read ${i}`).toBe(true);
      expect(await cat.readText(ids[1]!)).toBe('hello\n');
    } finally {
      cat.dispose();
    }
  });
});
