import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completeUtf8Length, OutputTailer, type OutputChunk } from '../../../../electron/core/output/output-tailer.js';
import { systemClock } from '../../../../electron/core/ports/clock.js';
import { tempDir } from '../../../support/git-repo.js';

describe('OutputTailer (real files, inotify)', () => {
  let dir: string;
  let tailer: OutputTailer;
  let chunks: OutputChunk[];
  beforeEach(() => {
    dir = tempDir('hive-tail-');
    mkdirSync(path.join(dir, 'logs'));
    tailer = new OutputTailer(path.join(dir, 'logs'), systemClock);
    chunks = [];
    tailer.onDidOutput((c) => chunks.push(c));
    tailer.start();
  });
  afterEach(() => {
    tailer.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitForBytes = async (n: number) => {
    const t0 = Date.now();
    while (chunks.reduce((s, c) => s + Buffer.byteLength(c.data), 0) < n) {
      if (Date.now() - t0 > 5000) throw new Error(`only ${JSON.stringify(chunks)} after 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('follows from the current end and gives each chunk its end offset in the log', async () => {
    const log = path.join(dir, 'logs', 'alpha.log');
    writeFileSync(log, 'history\n'); // 8 bytes, not announced
    tailer.follow('alpha');
    appendFileSync(log, 'one\n');
    await waitForBytes(4);
    appendFileSync(log, 'twé\n'); // 5 bytes
    await waitForBytes(9);
    expect(chunks.map((c) => c.data).join('')).toBe('one\ntwé\n');
    expect(chunks.every((c) => c.name === 'alpha')).toBe(true);
    // Each chunk ends where the log had grown to: the last one at 8 + 4 + 5.
    expect(chunks.at(-1)!.end).toBe(17);
    let at = 8;
    for (const c of chunks) {
      at += Buffer.byteLength(c.data);
      expect(c.end).toBe(at);
    }
  });

  it('never splits a UTF-8 character across chunks', async () => {
    const log = path.join(dir, 'logs', 'beta.log');
    writeFileSync(log, '');
    tailer.follow('beta');
    const euro = Buffer.from('€'); // 3 bytes
    appendFileSync(log, euro.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(log, euro.subarray(1));
    await waitForBytes(3);
    expect(chunks.map((c) => c.data).join('')).toBe('€');
    expect(chunks.every((c) => !c.data.includes('\ufffd'))).toBe(true);
  });

  it('completeUtf8Length holds back only an unfinished trailing character', () => {
    const b = (...x: number[]) => Buffer.from(x);
    expect(completeUtf8Length(Buffer.from('abc'))).toBe(3);
    expect(completeUtf8Length(Buffer.from('a€'))).toBe(4);
    expect(completeUtf8Length(b(0x61, 0xe2, 0x82))).toBe(1); // '€' missing its last byte
    expect(completeUtf8Length(b(0xe2))).toBe(0);
    expect(completeUtf8Length(b(0xf0, 0x9f, 0x98))).toBe(0); // 4-byte emoji, 3 present
    expect(completeUtf8Length(b(0xf0, 0x9f, 0x98, 0x80))).toBe(4);
    expect(completeUtf8Length(b(0x61, 0x80, 0x80))).toBe(3); // stray continuations pass through
  });
});
