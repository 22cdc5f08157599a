import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diff3Merge } from '../../../electron/core/conflicts/diff3.js';
import { MergeFile } from '../../../electron/core/conflicts/merge-file.js';

const git = new MergeFile('git');
afterAll(() => git.dispose());
const root = path.resolve(__dirname, '../../fixtures/conflicts');
const read = (d: string, s: string) => (existsSync(path.join(d, s)) ? readFileSync(path.join(d, s), 'utf8') : '');

describe('the in-process diff3 finds the same hunks as git merge-file --diff3', () => {
  it('on every hand-written case', async () => {
    for (const c of readdirSync(root)) {
      const d = path.join(root, c);
      const [b, o, t] = [read(d, 'base'), read(d, 'ours'), read(d, 'theirs')];
      expect(diff3Merge(b, o, t)!.segments, c).toEqual((await git.mergeWithGit(b, o, t)).segments);
    }
  });

  it('on repeated lines near the end, where several alignments are equally short (trimming the shared end picked another one than git)', async () => {
    const cases = [
      { b: '});\nb\na\nx\nc\n});\n', o: '});\nb\na\nx\nx\nc\n});\n', t: 'b\na\n\nx\nc\n});\n' },
      { b: 'c\nc\n\nc\n', o: 'c\nc\n', t: 'c\n\n\nc\n' },
      { b: 'x\na\na\nx\nc\n', o: 'x\na\nx\nc\n', t: 'a\nx\nc\n' },
    ];
    for (const c of cases) expect(diff3Merge(c.b, c.o, c.t)!.segments, JSON.stringify(c)).toEqual((await git.mergeWithGit(c.b, c.o, c.t)).segments);
  });

  it('on random small edits of a file: ≥ 95 % identical hunks, and never clean where git conflicts', async () => {
    const lines = ['a', 'b', 'c', '}', '', 'd', 'e', '{', 'f'];
    const file = fc.array(fc.constantFrom(...lines), { minLength: 0, maxLength: 14 });
    const edit = (base: string[]) =>
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'ins', 'chg'), fc.constantFrom('x', 'y', '}', 'a', '')), { maxLength: 3 }).map((ops) => {
        const out = [...base];
        for (const [p, op, l] of ops) {
          const i = out.length ? p % out.length : 0;
          if (op === 'del' && out.length) out.splice(i, 1);
          else if (op === 'ins') out.splice(i, 0, l);
          else if (out.length) out[i] = l;
        }
        return out;
      });
    let same = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(file.chain((b) => fc.tuple(fc.constant(b), edit(b), edit(b))), async ([b, o, t]) => {
        const text = (ls: string[]) => ls.map((l) => l + '\n').join('');
        const mine = diff3Merge(text(b), text(o), text(t))!;
        const ref = await git.mergeWithGit(text(b), text(o), text(t));
        total++;
        if (JSON.stringify(mine.segments) === JSON.stringify(ref.segments)) same++;
        // A clean merge is only claimed when git finds one too.
        if (ref.conflicts > 0) expect(mine.conflicts, JSON.stringify({ b, o, t, mine: mine.segments, ref: ref.segments })).toBeGreaterThan(0);
      }),
      { numRuns: 150, seed: 3 },
    );
    console.log(`diff3 agreement with git merge-file: ${same}/${total}`);
    expect(same / total).toBeGreaterThanOrEqual(0.95);
  });

  it('a diff of more than 400 edits is merged in-process without the lines only one side has; it conflicts where git does and hands a clean result to git', async () => {
    const base = Array.from({ length: 1500 }, (_, i) => `line ${i}\n`);
    // Ours rewrites every other line of the first half (750 edits), theirs every third line of the second half.
    const ours = base.map((l, i) => (i < 750 && i % 2 === 0 ? `ours ${i}\n` : l));
    const theirs = base.map((l, i) => (i >= 750 && i % 3 === 0 ? `theirs ${i}\n` : l));
    const [b, o, t] = [base.join(''), ours.join(''), theirs.join('')];
    // Both sides apart: git merges cleanly, and a clean result from the large-diff path is left to git.
    expect((await git.mergeWithGit(b, o, t)).conflicts).toBe(0);
    expect(diff3Merge(b, o, t)).toBeNull();
    // Theirs also rewrites line 10, which ours rewrote: a conflict in both, found here without git.
    const t2 = t.replace('line 10\n', 'theirs 10\n');
    const mine = diff3Merge(b, o, t2)!;
    const ref = await git.mergeWithGit(b, o, t2);
    expect(ref.conflicts).toBeGreaterThan(0);
    expect(mine).not.toBeNull();
    expect(mine.conflicts).toBeGreaterThan(0);
    const conflict = mine.segments.find((s) => s.kind === 'conflict')!;
    expect(conflict).toMatchObject({ base: ['line 10\n'], ours: ['ours 10\n'], theirs: ['theirs 10\n'] });
  });

  it('on random large rewrites: never clean where git conflicts (property)', async () => {
    const side = fc.array(fc.tuple(fc.nat({ max: 899 }), fc.constantFrom('del', 'chg', 'ins')), { minLength: 300, maxLength: 700 });
    await fc.assert(
      fc.asyncProperty(side, side, async (eo, et) => {
        const base = Array.from({ length: 900 }, (_, i) => `l${i % 300}\n`);
        const edit = (ops: [number, string][], tag: string) => {
          const out = [...base];
          for (const [i, op] of [...ops].sort((x, y) => y[0] - x[0])) {
            if (op === 'del') out.splice(i, 1);
            else if (op === 'chg') out[i] = `${tag}${i}\n`;
            else out.splice(i, 0, `${tag}+${i}\n`);
          }
          return out.join('');
        };
        const [b, o, t] = [base.join(''), edit(eo, 'o'), edit(et, 't')];
        const mine = diff3Merge(b, o, t);
        const ref = await git.mergeWithGit(b, o, t);
        if (mine && ref.conflicts > 0) expect(mine.conflicts).toBeGreaterThan(0);
        if (mine && mine.conflicts === 0) expect(ref.conflicts).toBe(0);
      }),
      { numRuns: 25, seed: 7 },
    );
  });
});
