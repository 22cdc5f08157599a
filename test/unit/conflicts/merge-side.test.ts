import { describe, expect, it } from 'vitest';
import { choiceOf, sideOfMerge, sideText } from '../../../electron/core/conflicts/merge-side.js';
import type { Segment } from '../../../electron/core/conflicts/merge-file.js';

describe('the side of a merge', () => {
  const f = { ours: 'a\nO\nc\nx\n', theirs: 'a\nT\nc\ny\n' };
  it('names what an answer did: a whole side, one side in every hunk, or something else', () => {
    expect(choiceOf(f, f.ours)).toBe('ours-file');
    // The whole ours file that is also ours in every hunk (theirs changed nothing else): ours in every hunk.
    expect(choiceOf({ ours: 'a\nO\n', theirs: 'a\nT\n' }, 'a\nO\n', [{ ours: 'O\n', theirs: 'T\n' }], ['O\n'])).toBe('ours-hunks');
    expect(choiceOf(f, f.theirs)).toBe('theirs-file');
    expect(choiceOf(f, 'a\nO\nc\ny\n', [{ ours: 'O\n', theirs: 'T\n' }], ['O\n'])).toBe('ours-hunks');
    expect(choiceOf(f, 'a\nT\nc\nx\n', [{ ours: 'O\n', theirs: 'T\n' }], ['T\n'])).toBe('theirs-hunks');
    expect(choiceOf(f, 'a\nOT\nc\ny\n', [{ ours: 'O\n', theirs: 'T\n' }], ['OT\n'])).toBe('other');
    expect(choiceOf(f, null)).toBe('other');
  });

  it('offers a side only after two answers and when at least 80 % of them agree', () => {
    expect(sideOfMerge(['ours-file'])).toBeNull();
    expect(sideOfMerge(['ours-file', 'ours-hunks'])).toMatchObject({ side: 'ours', agreeing: 2, answered: 2 });
    expect(sideOfMerge(['ours-file', 'theirs-file'])).toBeNull();
    expect(sideOfMerge(['theirs-file', 'theirs-file', 'theirs-file', 'theirs-hunks', 'other'])).toMatchObject({ side: 'theirs', whole: true, agreeing: 4, answered: 5 });
    expect(sideOfMerge(['ours-hunks', 'ours-hunks', 'ours-file'])).toMatchObject({ whole: false });
    expect(sideOfMerge(['ours-hunks', 'ours-file'])).toMatchObject({ whole: false });
    expect(sideOfMerge(['ours-file', 'ours-file', 'ours-hunks'])).toMatchObject({ whole: true });
  });

  it('builds the side’s text: the whole file, or the side in every hunk with both sides’ clean changes', () => {
    const segs: Segment[] = [{ kind: 'stable', lines: ['a\n'] }, { kind: 'conflict', base: ['B\n'], ours: ['O\n'], theirs: ['T\n'] }, { kind: 'stable', lines: ['c\n', 'y\n'] }];
    expect(sideText({ side: 'ours', whole: true, agreeing: 2, answered: 2 }, f, segs, true)).toBe(f.ours);
    expect(sideText({ side: 'ours', whole: false, agreeing: 2, answered: 2 }, f, segs, true)).toBe('a\nO\nc\ny\n');
    expect(sideText({ side: 'theirs', whole: false, agreeing: 2, answered: 2 }, f, segs, false)).toBe('a\nT\nc\ny');
  });

  it('offers nothing where both sides inserted at the same place (people kept both there)', () => {
    const segs: Segment[] = [{ kind: 'stable', lines: ['a\n'] }, { kind: 'conflict', base: [], ours: ['O\n'], theirs: ['T\n'] }];
    expect(sideText({ side: 'ours', whole: true, agreeing: 2, answered: 2 }, f, segs, true)).toBeNull();
    expect(sideText({ side: 'ours', whole: false, agreeing: 2, answered: 2 }, f, segs, true)).toBeNull();
  });
});
