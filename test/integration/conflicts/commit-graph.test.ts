import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommitGraph } from '../../../electron/core/conflicts/commit-graph.js';
import { DiffTreeBatch } from '../../../electron/core/conflicts/diff-tree-batch.js';
import { hasService } from '../../support/services.js';
import { TestRepo } from './git-fixture.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random DAG written with fast-import: several roots, octopus and criss-cross merges, skewed dates. */
function randomHistory(seed: number, n: number): { dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-commit-graph-'));
  dirs.push(dir);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 1; i <= n; i++) {
    // Recent commits are likelier parents, so branches run long and cross each other.
    const pick = () => Math.max(1, i - 1 - Math.floor(r() * r() * (i - 1)));
    const parents = i === 1 || r() < 0.03 ? [] : [pick()];
    if (parents.length && r() < 0.35) parents.push(pick());
    if (parents.length === 2 && r() < 0.1) parents.push(pick());
    const uniq = [...new Set(parents)];
    // Committer dates jump around: generation order, not dates, must decide the walk.
    const when = 1_700_000_000 + Math.floor(r() * 100_000);
    out.push(`commit refs/heads/b${i % 7}\nmark :${i}\ncommitter T <t@example.com> ${when} +0000\ndata 2\nc\n`);
    if (uniq.length) out.push(`from :${uniq[0]}\n`);
    else out.push('from 0000000000000000000000000000000000000000\n');
    for (const p of uniq.slice(1)) out.push(`merge :${p}\n`);
    out.push(`M 100644 inline f\ndata ${String(i).length + 1}\n${i}\n\n`);
  }
  out.push('');
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: out.join('') });
  return { dir };
}

describe.skipIf(!hasService('git'))('CommitGraph.mergeBases equals git merge-base --all', () => {
  for (const seed of [1, 2, 3]) {
    it(`random history ${seed}: every sampled pair, criss-cross and unrelated ones included`, () => {
      const { dir } = randomHistory(seed, 160);
      const text = execFileSync('git', ['rev-list', '--parents', '--all'], { cwd: dir, encoding: 'utf8' });
      const graph = new CommitGraph(text);
      // Commits a branch moved away from are unreachable, so the sample comes from what rev-list listed.
      const commits = text.trim().split('\n').map((l) => l.split(' ')[0]!);
      const r = rng(seed * 7919);
      let multi = 0;
      let none = 0;
      for (let k = 0; k < 120; k++) {
        const a = commits[Math.floor(r() * commits.length)]!;
        const b = k % 10 === 0 ? a : commits[Math.floor(r() * commits.length)]!;
        let git: string[];
        try {
          git = execFileSync('git', ['merge-base', '--all', a, b], { cwd: dir, encoding: 'utf8' }).trim().split('\n').filter(Boolean);
        } catch {
          git = [];
        }
        const ours = graph.mergeBases(a, b);
        expect(ours?.slice().sort(), `${a} ${b}`).toEqual(git.sort());
        if (git.length > 1) multi++;
        if (git.length === 0) none++;
      }
      // The sample must exercise the hard cases, or this test proves little.
      expect(multi).toBeGreaterThan(0);
      expect(none + multi).toBeLessThan(120);
    });
  }

  it('answers null for a commit outside the graph', () => {
    const graph = new CommitGraph('a b\nb\n');
    expect(graph.mergeBases('a', 'b')).toEqual(['b']);
    expect(graph.mergeBases('a', 'c')).toBeNull();
  });
});

describe.skipIf(!hasService('git'))('DiffTreeBatch equals git diff-tree -r -M -z', () => {
  it('modifications, additions, deletions, renames, mode changes, odd paths; many queries in flight', async () => {
    const repo = new TestRepo();
    dirs.push(repo.dir);
    const big = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('');
    const base = repo.commit({ 'a.ts': 'a\n', 'gone.ts': 'g\n', 'old name.ts': big, 'dir/ü x.ts': 'u\n', 'run.sh': 'echo\n', 'line\nbreak.ts': 'n\n' }, 'base');
    repo.git('mv', 'old name.ts', 'new name.ts');
    repo.git('rm', '-q', 'gone.ts');
    repo.git('update-index', '--chmod=+x', 'run.sh');
    const side = repo.commit({ 'a.ts': 'a2\n', 'new name.ts': big + 'more\n', 'added.ts': 'x\n', 'dir/ü x.ts': 'u2\n', 'line\nbreak.ts': 'n2\n' }, 'side');
    const reference = (from: string, to: string) => {
      const parts = execFileSync('git', ['diff-tree', '-r', '-M', '-l1000', '-z', from, to], { cwd: repo.dir, encoding: 'utf8' }).split('\0');
      const out: { status: string; oldMode: string; newMode: string; old: string; new: string; paths: string[] }[] = [];
      for (let i = 0; i < parts.length - 1; ) {
        const [oldMode, newMode, oldOid, newOid, status] = parts[i]!.slice(1).split(' ') as [string, string, string, string, string];
        const n = status[0] === 'R' || status[0] === 'C' ? 2 : 1;
        out.push({ status: status[0]!, oldMode, newMode, old: oldOid, new: newOid, paths: parts.slice(i + 1, i + 1 + n) });
        i += 1 + n;
      }
      return out;
    };
    const batch = new DiffTreeBatch(repo.dir, process.env);
    try {
      const pairs: [string, string][] = [[base, side], [side, base], [base, base], [side, side], [base, side]];
      const results = await Promise.all(pairs.map(([a, b]) => batch.diff(a, b)));
      for (const [i, [a, b]] of pairs.entries()) expect(results[i]).toEqual(reference(a, b));
      expect(results[0]!.some((c) => c.status === 'R')).toBe(true);
      expect(results[0]!.some((c) => c.paths.includes('line\nbreak.ts'))).toBe(true);
      expect(results[2]).toEqual([]);
    } finally {
      batch.dispose();
    }
  });
});
