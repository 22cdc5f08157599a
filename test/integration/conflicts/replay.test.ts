import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayRepo } from '../../../electron/core/conflicts/replay.js';
import { hasService } from '../../support/services.js';
import { TestRepo } from './git-fixture.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** History with: an import union (auto, exact), an object-key union the person ordered differently (differ),
 *  a real conflict (escalated), a clean merge the person edited (noise), and a repeat of a resolved conflict (learned). */
function buildHistory(): TestRepo {
  const r = new TestRepo();
  dirs.push(r.dir);
  r.commit({ 'src/a.ts': "import { a } from './m.js';\n\nexport const x = a;\n", 'src/cfg.ts': 'export const cfg = {\n  a: 1,\n};\n', 'src/lim.ts': 'export const limit = 1;\n', 'src/n.ts': 'export const n = 1;\n\n// a\n// b\n// c\n\nexport const k = 1;\n' }, 'base');
  // 1: import union, person commits ours-then-theirs (exact).
  r.git('checkout', '-q', '-b', 'f1');
  r.commit({ 'src/a.ts': "import { a, c } from './m.js';\n\nexport const x = a;\n" }, 'f1');
  r.git('checkout', '-q', 'main');
  r.commit({ 'src/a.ts': "import { a, b } from './m.js';\n\nexport const x = a;\n" }, 'main1');
  r.merge('f1', { 'src/a.ts': "import { a, b, c } from './m.js';\n\nexport const x = a;\n" });
  // 2: object keys, person put theirs first (our result differs).
  r.git('checkout', '-q', '-b', 'f2');
  r.commit({ 'src/cfg.ts': 'export const cfg = {\n  a: 1,\n  z: 26,\n};\n' }, 'f2');
  r.git('checkout', '-q', 'main');
  r.commit({ 'src/cfg.ts': 'export const cfg = {\n  a: 1,\n  y: 25,\n};\n' }, 'main2');
  r.merge('f2', { 'src/cfg.ts': 'export const cfg = {\n  a: 1,\n  z: 26,\n  y: 25,\n};\n' });
  // 3: a real conflict, escalated; the person picks 3.
  r.git('checkout', '-q', '-b', 'f3');
  r.commit({ 'src/lim.ts': 'export const limit = 3;\n' }, 'f3');
  r.git('checkout', '-q', 'main');
  r.commit({ 'src/lim.ts': 'export const limit = 2;\n' }, 'main3');
  r.merge('f3', { 'src/lim.ts': 'export const limit = 3;\n' });
  // 4: clean merge, both sides touched n.ts, the person also edited it inside the merge commit.
  r.git('checkout', '-q', '-b', 'f4');
  r.commit({ 'src/n.ts': 'export const n = 1;\n\n// a\n// b\n// c\n\nexport const k = 2;\n' }, 'f4');
  r.git('checkout', '-q', 'main');
  r.commit({ 'src/n.ts': 'export const n = 2;\n\n// a\n// b\n// c\n\nexport const k = 1;\n' }, 'main4');
  r.git('merge', '-q', '--no-ff', '--no-commit', 'f4');
  r.write('src/n.ts', 'export const n = 2;\n\n// a\n// b\n// c\n\nexport const k = 2; // evil\n');
  r.git('commit', '-q', '-am', 'merge f4 with an edit');
  // 5: the same conflict as 3 again: learned from the person's earlier answer.
  r.commit({ 'src/lim.ts': 'export const limit = 1;\n' }, 'reset limit');
  r.git('checkout', '-q', '-b', 'f5');
  r.commit({ 'src/lim.ts': 'export const limit = 3;\n' }, 'f5');
  r.git('checkout', '-q', 'main');
  r.commit({ 'src/lim.ts': 'export const limit = 2;\n' }, 'main5');
  r.merge('f5', { 'src/lim.ts': 'export const limit = 3;\n' });
  return r;
}

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${statSync(p).size} ${statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

describe.skipIf(!hasService('git'))('hive conflicts replay on a real history', () => {
  it('re-merges every merge commit oldest first, compares with what was committed, and learns only from earlier merges', { timeout: 120_000 }, async () => {
    const r = buildHistory();
    const report = await replayRepo({ repo: r.dir });
    expect(report.mergesScanned).toBe(5);
    expect(report.conflictingMerges).toBe(4);
    expect(report.files).toBe(4);
    expect(report.hunks).toBe(4);
    // Nothing here is of the applied tier (whitespace/identical): the answers are proposals, classed.
    expect(report.outcomes).toEqual({ exact: 0, normalized: 0, differ: 0, escalated: 4 });
    expect(report.classes).toEqual({
      applied: { files: 0, exact: 0, formatEquivalent: 0, orderEquivalent: 0, humanEdited: 0, wrong: 0 },
      proposed: { files: 3, exact: 2, formatEquivalent: 0, orderEquivalent: 1, humanEdited: 0, wrong: 0 },
      escalated: 1,
    });
    expect(report.strategyClasses['commutative-insertions']).toMatchObject({ answers: 2, exact: 1, orderEquivalent: 1, wrong: 0 });
    expect(report.strategyClasses['learned']).toMatchObject({ answers: 1, exact: 1, wrong: 0 });
    // The clean merge the person edited: a comment no side had is human-edited, the noise floor's class.
    expect(report.noiseFloorClasses).toMatchObject({ humanEdited: 1, wrong: 0 });
    expect(report.byStrategy['commutative-insertions']).toEqual({ resolved: 2, exact: 1, normalized: 0, differ: 1 });
    expect(report.byStrategy['learned']).toEqual({ resolved: 1, exact: 1, normalized: 0, differ: 0 });
    expect(report.baseline).toEqual({ exact: 0, normalized: 0, differ: 0, escalated: 4 });
    expect(report.noiseFloor).toBe(1);
    expect(report.speed.hunksPerSecondResolver).toBeGreaterThan(0);
  });

  it('works on a bare clone and writes nothing into it', { timeout: 120_000 }, async () => {
    const r = buildHistory();
    const bare = mkdtempSync(path.join(os.tmpdir(), 'hive-replay-bare-'));
    dirs.push(bare);
    execFileSync('git', ['clone', '-q', '--bare', r.dir, bare]);
    const before = snapshot(bare);
    const report = await replayRepo({ repo: bare, limit: 2 });
    expect(report.mergesScanned).toBe(2);
    const after = snapshot(bare);
    expect(after.filter((x) => !before.includes(x)), before.filter((x) => !after.includes(x)).join("\n")).toEqual([]);
  });

  it('--details writes an audit folder per applied or proposed file: base, ours, theirs, committed, result, meta.json', { timeout: 120_000 }, async () => {
    const r = buildHistory();
    const details = mkdtempSync(path.join(os.tmpdir(), 'hive-replay-details-'));
    dirs.push(details);
    await replayRepo({ repo: r.dir, detailsDir: details });
    const folders = readdirSync(details).sort();
    expect(folders).toEqual(['1', '2', '3']);
    const metas = folders.map((f) => JSON.parse(readFileSync(path.join(details, f, 'meta.json'), 'utf8')) as Record<string, unknown>);
    for (const f of folders) expect(readdirSync(path.join(details, f)).sort()).toEqual(['base', 'committed', 'meta.json', 'ours', 'result', 'theirs']);
    expect(metas.map((m) => [m.path, m.tier, m.strategies, m.class])).toEqual([
      ['src/a.ts', 'proposed', ['commutative-insertions'], 'exact'],
      ['src/cfg.ts', 'proposed', ['commutative-insertions'], 'orderEquivalent'],
      ['src/lim.ts', 'proposed', ['learned'], 'exact'],
    ]);
    expect(readFileSync(path.join(details, '2', 'result'), 'utf8')).toBe('export const cfg = {\n  a: 1,\n  y: 25,\n  z: 26,\n};\n');
    expect(readFileSync(path.join(details, '2', 'committed'), 'utf8')).toBe('export const cfg = {\n  a: 1,\n  z: 26,\n  y: 25,\n};\n');
    expect(String(metas[0]!.merge)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reports zeros, not NaN, for a history without merges', { timeout: 120_000 }, async () => {
    const r = new TestRepo();
    dirs.push(r.dir);
    r.commit({ 'a.ts': 'export const a = 1;\n' }, 'only commit');
    const report = await replayRepo({ repo: r.dir });
    expect(report).toMatchObject({ mergesScanned: 0, conflictingMerges: 0, files: 0, hunks: 0, noiseFloor: 0, skipped: {} });
    expect(report.speed).toMatchObject({ hunksPerSecondResolver: 0, hunksPerCpuSecondResolver: 0, hunksPerSecondEndToEnd: 0 });
    const numbers: [string, number][] = [];
    const walk = (v: unknown, at: string) => {
      if (typeof v === 'number') numbers.push([at, v]);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
    };
    walk(report, 'report');
    expect(numbers.length).toBeGreaterThan(20);
    expect(numbers.filter(([, v]) => !Number.isFinite(v))).toEqual([]);
  });

  it('counts what it cannot replay, by reason: octopus and criss-cross merges, add/add, modify/delete, renames, binary and symlink changes', { timeout: 120_000 }, async () => {
    const r = new TestRepo();
    dirs.push(r.dir);
    const bin = (n: number) => `\u0000binary ${n}\n`;
    r.commit({ 'keep.ts': 'export const k = 1;\n', 'gone.ts': 'export const g = 1;\n', 'moved.ts': 'export const m = 1;\n\nexport const mm = 1;\n', 'blob.bin': bin(0), 'same.ts': 'export const s = 1;\n' }, 'base');
    r.git('symbolic-ref', 'HEAD', 'refs/heads/main');
    execFileSync('ln', ['-s', 'keep.ts', path.join(r.dir, 'link')]);
    r.commit({}, 'a symlink');
    // One merge with everything a line merge cannot take, and one change both sides made alike.
    r.git('checkout', '-q', '-b', 'side');
    r.git('rm', '-q', 'gone.ts');
    r.git('mv', 'moved.ts', 'renamed.ts');
    rmSync(path.join(r.dir, 'link'));
    execFileSync('ln', ['-s', 'gone.ts', path.join(r.dir, 'link')]);
    r.commit({ 'new.ts': 'export const n = "side";\n', 'blob.bin': bin(1), 'same.ts': 'export const s = 2;\n' }, 'side');
    r.git('checkout', '-q', 'main');
    rmSync(path.join(r.dir, 'link'));
    execFileSync('ln', ['-s', 'same.ts', path.join(r.dir, 'link')]);
    r.commit({ 'gone.ts': 'export const g = 2;\n', 'moved.ts': 'export const m = 2;\n\nexport const mm = 1;\n', 'new.ts': 'export const n = "main";\n', 'blob.bin': bin(2), 'same.ts': 'export const s = 2;\n' }, 'main');
    r.git('merge', '-q', '--no-ff', '--no-edit', '-s', 'ours', 'side');
    /** A branch from main with one commit of its own. */
    const branchFromMain = (name: string, files: Record<string, string>) => {
      r.git('checkout', '-q', 'main');
      r.git('checkout', '-q', '-b', name);
      r.commit(files, name);
    };
    // An octopus merge (three parents).
    branchFromMain('o1', { 'o1.ts': '1\n' });
    branchFromMain('o2', { 'o2.ts': '2\n' });
    r.git('checkout', '-q', 'main');
    r.git('merge', '-q', '--no-ff', '--no-edit', 'o1', 'o2');
    // A criss-cross: x and y merge each other, then x merges y again (two merge bases).
    branchFromMain('x', { 'x.ts': 'x\n' });
    branchFromMain('y', { 'y.ts': 'y\n' });
    r.git('checkout', '-q', 'x');
    r.git('merge', '-q', '--no-ff', '--no-edit', 'y~0');
    r.git('checkout', '-q', 'y');
    r.git('merge', '-q', '--no-ff', '--no-edit', 'x~1');
    r.git('checkout', '-q', 'x');
    r.git('merge', '-q', '--no-ff', '--no-edit', 'y');
    const report = await replayRepo({ repo: r.dir });
    expect(report.skipped).toMatchObject({
      'octopus merges': 1,
      'criss-cross merges (more than one merge base)': 1,
      'add/add files': 1,
      'modify/delete files': 1,
      'files involved in renames': 1,
      'binary files': 1,
    });
    // The symlink both sides re-pointed is a type change for a line merge: skipped under its own reason.
    expect(Object.keys(report.skipped).some((k) => /symlink|submodule|type/i.test(k))).toBe(true);
    // The change both sides made alike is no conflict and is not counted as skipped either.
    expect(JSON.stringify(report.skipped)).not.toMatch(/same/);
  });

  it('says clearly when the path is not a repository', { timeout: 120_000 }, async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'hive-replay-none-'));
    dirs.push(d);
    await expect(replayRepo({ repo: d })).rejects.toThrow(/not a git repository/);
  });

  it('--rev must name a commit: an option is never passed on to git (it wrote a file), a missing name is an error', { timeout: 120_000 }, async () => {
    const r = buildHistory();
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'hive-replay-rev-')), 'written-by-git');
    dirs.push(path.dirname(out));
    await expect(replayRepo({ repo: r.dir, rev: `--output=${out}` })).rejects.toThrow(/^--rev "--output=.*" is not a branch, tag or commit of /);
    expect(existsSync(out)).toBe(false);
    await expect(replayRepo({ repo: r.dir, rev: 'no-such-branch' })).rejects.toThrow(/--rev "no-such-branch" is not a branch/);
    expect((await replayRepo({ repo: r.dir, rev: 'HEAD', limit: 1 })).mergesScanned).toBe(1);
  });
});
