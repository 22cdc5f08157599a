import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SnapshotContents } from '../../../../shared/contract/snapshots.js';
import { decodeSnapshot, encodeSnapshot } from '../../../../electron/core/snapshots/snapshot-codec.js';

function file(path: string, data: Buffer) {
  return { path, contentBase64: data.toString('base64'), sha256: createHash('sha256').update(data).digest('hex') };
}

const base: SnapshotContents = {
  version: 1,
  agent: 'a',
  type: 'sleep',
  createdAt: '2026-01-01T00:00:00.000Z',
  task: 'täsk "quoted" ; rm -rf ~ $(x)',
  role: 'r',
  outputTail: '\u001b[31mred\u001b[0m ✓ 日本語 \u0000 end\n',
  memoryFiles: [file('.hive/memory/bin.dat', Buffer.from([0, 255, 1, 254, 10, 13])), file('CLAUDE.md', Buffer.from('# memo\n'))],
  git: { branch: 'hive/a', head: 'f'.repeat(40), status: '', patch: 'diff --git a b\n' },
  sessionId: 'abc',
  workingMemory: { k: 'v' },
  pendingMessages: [{ id: 'm1' }],
  notes: 'n',
};

describe('snapshot codec (sections after a JSON header)', () => {
  it('round-trips unicode, escape codes, NUL bytes and binary memory files exactly', () => {
    expect(decodeSnapshot(encodeSnapshot(base))).toEqual(base);
  });

  it('round-trips an empty tail and no memory files', () => {
    const c = { ...base, outputTail: '', memoryFiles: [] };
    expect(decodeSnapshot(encodeSnapshot(c))).toEqual(c);
  });

  it('still reads a blob written as one JSON document (the first format)', () => {
    expect(decodeSnapshot(Buffer.from(JSON.stringify(base)))).toEqual(base);
  });

  it('refuses a truncated blob instead of returning partial context', () => {
    const buf = encodeSnapshot(base);
    expect(() => decodeSnapshot(buf.subarray(0, buf.length - 3))).toThrow();
  });
});
