import { afterAll, describe, expect, it } from 'vitest';
import { diff3Merge } from '../../../electron/core/conflicts/diff3.js';
import { applyEdits } from '../../../electron/core/conflicts/line-diff.js';
import { canonicalTree, classifyOutcome } from '../../../electron/core/conflicts/outcome-classes.js';
import { MAX_HUNKS, Resolver, renderMarkers } from '../../../electron/core/conflicts/resolver.js';

// A lockfile or a generated bundle can have a few hundred thousand lines. Copying lines with
// `array.push(...lines)` passes each line as an argument on the stack and threw "Maximum call stack size
// exceeded" past ~120,000 lines — for such a file even a clean merge failed.
const N = 200_000;
const lines = Array.from({ length: N }, (_, i) => `  "dep-${i}": "1.0.${i}",\n`);
const base = lines.join('');
const resolver = new Resolver();
afterAll(() => resolver.dispose());

describe(`files of ${N.toLocaleString('en')} lines`, () => {
  it('a conflict at the end is found and escalated with markers, not a crash', async () => {
    const ours = lines.slice(0, N - 1).join('') + '  "dep-x": "2.0.0",\n';
    const theirs = lines.slice(0, N - 1).join('') + '  "dep-x": "3.0.0",\n';
    const r = await resolver.resolveFile({ path: 'data/huge.txt', base, ours, theirs });
    expect(r.status).toBe('escalated');
    expect(r.hunks).toHaveLength(1);
    expect(r.hunks[0]!.ours).toBe('  "dep-x": "2.0.0",\n');
    expect(r.withMarkers.startsWith(lines.slice(0, 3).join(''))).toBe(true);
    expect(r.withMarkers.endsWith('=======\n  "dep-x": "3.0.0",\n>>>>>>> theirs\n')).toBe(true);
    expect(r.withMarkers.split('\n')).toHaveLength(N - 1 + 7 + 1);
  });

  it('changes far apart merge cleanly, every line kept', async () => {
    const ours = 'top\n' + lines.slice(1).join('');
    const theirs = lines.slice(0, N - 1).join('') + 'bottom\n';
    const r = await resolver.resolveFile({ path: 'data/huge.txt', base, ours, theirs });
    expect(r.status).toBe('clean');
    expect(r.merged).toBe('top\n' + lines.slice(1, N - 1).join('') + 'bottom\n');
  });

  it('the building blocks: diff3Merge, applyEdits and renderMarkers on that many lines', () => {
    const m = diff3Merge(base, base.replace('"dep-0"', '"dep-zero"'), base + 'end\n');
    expect(m?.conflicts).toBe(0);
    expect(m!.segments.reduce((n, s) => n + (s.kind === 'stable' ? s.lines.length : 0), 0)).toBe(N + 1);
    expect(renderMarkers(m!.segments)).toBe(base.replace('"dep-0"', '"dep-zero"') + 'end\n');
    expect(applyEdits(lines, [{ start: N - 1, end: N, lines: ['last\n'] }])).toEqual([...lines.slice(0, N - 1), 'last\n']);
  });
});

describe('a file both sides rewrote throughout', () => {
  // Every fourth line changed differently by each side: one conflicting region per change.
  const regions = (n: number) => {
    const ls = Array.from({ length: n * 4 }, (_, i) => `const v${i} = ${i};\n`);
    const side = (tag: string) => ls.map((l, i) => (i % 4 === 0 ? l.replace(';', `; // ${tag}`) : l)).join('');
    return { path: 'src/rewritten.ts', base: ls.join(''), ours: side('ours'), theirs: side('theirs') };
  };

  it(`past ${MAX_HUNKS} regions every hunk is escalated at once with one reason that says what to do`, async () => {
    // (Through the strategies each region cost ~10 ms at 400 regions and more as they grow: 2,000 took minutes.)
    const r = await resolver.resolveFile(regions(2000));
    expect(r.status).toBe('escalated');
    expect(r.hunks).toHaveLength(2000);
    expect(r.hunks.every((h) => h.status === 'escalated' && h.attempts.length === 0 && h.fingerprint.length > 0)).toBe(true);
    expect(r.reason).toBe(`2000 conflicting regions in one file (more than ${MAX_HUNKS}): not resolved region by region. Take one side for the whole file (hive conflicts resolve ID --take ours|theirs) or merge it by hand`);
    expect(r.withMarkers.match(/^<<<<<<< ours$/gm)).toHaveLength(2000);
  });

  it(`up to ${MAX_HUNKS} regions each one still goes through the strategies`, async () => {
    const r = await resolver.resolveFile(regions(MAX_HUNKS));
    expect(r.hunks).toHaveLength(MAX_HUNKS);
    expect(r.hunks.every((h) => h.attempts.length > 0)).toBe(true);
  });
});

describe('a file nested thousands of levels deep', () => {
  // 40 KB of JSON: 20,000 arrays, one inside the other. Each array's key path and text grew with its depth:
  // the gate's symbols needed gigabytes and the process died out of memory after ~100 s.
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);

  it('the gate refuses the answer at once with a reason (nothing is applied it could not check)', async () => {
    const r = await resolver.resolveFile({ path: 'fixtures/deep.json', base: `${deep}\n`, ours: `${deep}\n\n`, theirs: ` ${deep}\n` });
    expect(r.status).toBe('escalated');
    expect(r.reason).toMatch(/^verification failed: the result cannot be checked: its key paths would take more than [\d,]+ characters \(nested too deeply to check\)$/);
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  });

  it('a few thousand levels are still checked and merged', async () => {
    const d = '['.repeat(2000) + ']'.repeat(2000);
    const r = await resolver.resolveFile({ path: 'fixtures/deep.json', base: `${d}\n`, ours: `${d}\n\n`, theirs: ` ${d}\n` });
    expect(r.status).toBe('resolved');
  });

  it('the replay classes such a file instead of failing the run (the order check gives up, it does not throw)', async () => {
    const c = await classifyOutcome(resolver.grammars, { path: 'd.json', base: deep, ours: deep, theirs: deep, result: `${deep}\n`, committed: ` ${deep} [1]` });
    expect(c).toBe('humanEdited');
    expect(await canonicalTree(resolver.grammars, 'json', deep)).toBeNull();
  });
});
