import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

describe('a log that grows while its agent runs (real writer appending, real files)', () => {
  it('is moved aside to .log.1 and emptied in place past the limit: the writer goes on at the new end, no hole, no line cut', async () => {
    const dir = tempDir('hive-tail-rotate-');
    const logs = path.join(dir, 'logs');
    mkdirSync(logs);
    const limit = 64 * 1024;
    const tailer = new OutputTailer(logs, systemClock, limit);
    const log = path.join(logs, 'chatty.log');
    writeFileSync(log, '');
    tailer.start();
    tailer.follow('chatty');
    // An agent printing without end, appending as every backend's writer does (`>>`: O_APPEND).
    const writer = spawn('sh', ['-c', `i=0; while :; do i=$((i+1)); echo "line $i"; if [ $((i % 200)) -eq 0 ]; then sleep 0.01; fi; done >> '${log}'`], { stdio: 'ignore' });
    try {
      await waitUntil(() => existsSync(`${log}.1`) && statSync(log).size < limit, 15_000);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      writer.kill('SIGKILL');
      tailer.dispose();
    }
    const aside = readFileSync(`${log}.1`, 'utf8');
    const live = readFileSync(log, 'utf8');
    expect(aside.length).toBeGreaterThan(limit);
    for (const text of [aside, live]) {
      expect(text.includes('\0')).toBe(false);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.split('\n').slice(0, -1).every((l) => /^line \d+$/.test(l))).toBe(true);
    }
    // The live log goes on where the copy ends (a line written in the microseconds between the last read
    // and the truncate could be lost: a few at most).
    const num = (l: string) => Number(l.slice(5));
    const lastAside = num(aside.trimEnd().split('\n').at(-1)!);
    const firstLive = num(live.split('\n')[0]!);
    expect(firstLive).toBeGreaterThan(lastAside);
    expect(firstLive - lastAside).toBeLessThanOrEqual(5);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});

async function waitUntil(ok: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
