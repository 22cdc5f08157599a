import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { MemoryFile, SnapshotContents, SnapshotMeta } from '../../../../shared/contract/snapshots.js';
import { diffSnapshots, lineDiff } from '../../../../electron/core/snapshots/snapshot-diff.js';

function file(p: string, text: string): MemoryFile {
  const b = Buffer.from(text);
  return { path: p, contentBase64: b.toString('base64'), sha256: createHash('sha256').update(b).digest('hex') };
}

function side(id: string, over: Partial<SnapshotContents>): { meta: SnapshotMeta; contents: SnapshotContents } {
  return {
    meta: { id, agent: 'ada', type: 'sleep', createdAt: '2026-01-01T00:00:00.000Z', sha256: id.repeat(8), bytes: 1, note: null },
    contents: {
      version: 1,
      agent: 'ada',
      type: 'sleep',
      createdAt: '2026-01-01T00:00:00.000Z',
      task: 'task',
      role: '',
      outputTail: '',
      memoryFiles: [],
      git: null,
      sessionId: null,
      workingMemory: {},
      pendingMessages: [],
      notes: '',
      ...over,
    },
  };
}

describe('lineDiff', () => {
  it('marks kept, removed and added lines like a unified diff', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).toEqual([' a', '-b', '+x', ' c', '+d']);
    expect(lineDiff('same', 'same')).toEqual([' same']);
    expect(lineDiff('', 'new')).toEqual(['-', '+new']);
  });
  it('falls back to replace-all beyond 2,000 lines a side', () => {
    const big = Array.from({ length: 2001 }, (_, i) => `l${i}`).join('\n');
    const out = lineDiff(big, 'x');
    expect(out).toHaveLength(2002);
    expect(out.at(-1)).toBe('+x');
  });
});

describe('diffSnapshots', () => {
  it('shows task, session, git, memory files added/removed/changed and working memory', () => {
    const a = side('aaaa', {
      task: 'old task',
      memoryFiles: [file('.hive/memory/notes.md', 'one\ntwo\n'), file('CLAUDE.md', 'gone\n')],
      git: { branch: 'hive/ada', head: '1'.repeat(40), status: '## hive/ada', patch: '' },
      workingMemory: { plan: 'a' },
    });
    const b = side('bbbb', {
      task: 'new task',
      sessionId: 'sess-1',
      memoryFiles: [file('.hive/memory/notes.md', 'one\nTWO\n'), file('.hive/memory/added.md', 'hello\n')],
      git: { branch: 'hive/ada', head: '2'.repeat(40), status: '## hive/ada', patch: '' },
      workingMemory: { plan: 'b' },
    });
    const d = diffSnapshots(a, b);
    const lines = d.split('\n');
    expect(lines[0]).toBe('--- aaaa (sleep, 2026-01-01T00:00:00.000Z)');
    expect(lines[1]).toBe('+++ bbbb (sleep, 2026-01-01T00:00:00.000Z)');
    expect(d).toContain('@@ task @@\n-old task\n+new task');
    expect(d).toContain('@@ session @@\n-\n+sess-1');
    expect(d).toContain(`-head ${'1'.repeat(40)}\n+head ${'2'.repeat(40)}`);
    expect(d).toContain('@@ memory .hive/memory/notes.md (changed) @@\n one\n-two\n+TWO');
    expect(d).toContain('@@ memory .hive/memory/added.md (added) @@');
    expect(d).toContain('@@ memory CLAUDE.md (removed) @@\n-gone');
    expect(d).toContain('@@ working memory @@');
    expect(d).toContain('- "plan": "a"\n+ "plan": "b"'); // JSON.stringify(…, null, 1) indents by one space
  });

  it('says so when nothing differs', () => {
    const f = [file('.hive/memory/x', 'same')];
    const d = diffSnapshots(side('a', { memoryFiles: f }), side('b', { memoryFiles: f }));
    expect(d.split('\n')).toHaveLength(3);
    expect(d).toMatch(/no differences/);
  });
});
