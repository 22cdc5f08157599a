import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IntentClaim, PreflightReport, RiskPair } from '../../../shared/contract/conflicts.js';
import type { Git } from '../git/git.js';
import { MergeFile } from './merge-file.js';
import { parseMergeTreeStages } from './merge-tree-output.js';

export interface PreflightAgent {
  name: string;
  repo: string;
  branch: string;
}

/**
 * Would these branches merge? `git merge-tree --write-tree` answers without touching any working tree;
 * its scratch objects go to a temporary object directory so polling leaves nothing behind in the repo.
 */
export class Preflight {
  private readonly mergeFile = new MergeFile();

  constructor(private readonly git: Git) {}

  async check(agents: PreflightAgent[], claims: IntentClaim[], intoFor: (repo: string) => Promise<string>, now: string): Promise<PreflightReport> {
    const pairs: RiskPair[] = [];
    const errors: PreflightReport['errors'] = [];
    const into: Record<string, string> = {};
    let checked = 0;
    const byRepo = new Map<string, PreflightAgent[]>();
    for (const a of agents) byRepo.set(a.repo, [...(byRepo.get(a.repo) ?? []), a]);
    for (const [repo, list] of byRepo) {
      const target = await intoFor(repo).catch(() => '');
      into[repo] = target;
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'hive-preflight-'));
      mkdirSync(path.join(tmp, 'info'), { recursive: true });
      try {
        const objects = (await this.git.out(repo, ['rev-parse', '--path-format=absolute', '--git-path', 'objects'])).trim();
        const env = { GIT_OBJECT_DIRECTORY: tmp, GIT_ALTERNATE_OBJECT_DIRECTORIES: objects };
        const live = [];
        for (const a of list) {
          const ok = (await this.git.run(repo, ['rev-parse', '--verify', '-q', `refs/heads/${a.branch}`], { allowFailure: true })).code === 0;
          if (ok) live.push(a);
          else errors.push({ agent: a.name, message: `branch ${a.branch} does not exist in ${repo}` });
        }
        for (const a of live) {
          if (target) {
            checked++;
            const p = await this.pair(repo, env, target, a.branch, a.name, target, 'integration');
            if (p) pairs.push(p);
          }
        }
        for (let i = 0; i < live.length; i++) {
          for (let j = i + 1; j < live.length; j++) {
            checked++;
            const p = await this.pair(repo, env, live[i]!.branch, live[j]!.branch, live[i]!.name, live[j]!.name, 'agents');
            if (p) pairs.push(p);
          }
        }
      } catch (err) {
        errors.push({ agent: list.map((a) => a.name).join(','), message: (err as Error).message });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    pairs.push(...overlappingClaims(claims));
    return { checkedAt: now, into, pairs, checked, errors };
  }

  /** A risk pair when a and b do not merge cleanly: the files and the line ranges (in a's version). */
  private async pair(repo: string, env: NodeJS.ProcessEnv, a: string, b: string, aName: string, bName: string, kind: 'integration' | 'agents'): Promise<RiskPair | null> {
    const r = await this.git.run(repo, ['merge-tree', '--write-tree', '-z', a, b], { env, allowFailure: true });
    if (r.code === 0) return null;
    if (r.code !== 1) throw new Error(`git merge-tree ${a} ${b} failed: ${r.stderr.trim()}`);
    const { stages, messages } = parseMergeTreeStages(r.stdout);
    const files: RiskPair['files'] = [];
    for (const [file, st] of stages) {
      const why = (messages.get(file) ?? []).filter((m) => m.startsWith('CONFLICT')).join(', ') || 'CONFLICT';
      const ranges: { start: number; end: number }[] = [];
      const [b1, b2, b3] = [st.get(1), st.get(2), st.get(3)];
      if (b1 && b2 && b3) {
        const [base, ours, theirs] = await Promise.all([b1, b2, b3].map((s) => this.git.out(repo, ['cat-file', 'blob', s.oid], { env })));
        const m = await this.mergeFile.merge(base!, ours!, theirs!);
        let line = 1;
        for (const s of m.segments) {
          if (s.kind === 'stable') line += s.lines.length;
          else {
            ranges.push({ start: line, end: line + Math.max(s.ours.length, 1) - 1 });
            line += s.ours.length;
          }
        }
      }
      files.push({ path: file, ranges, reason: why });
    }
    return { a: aName, b: bName, kind, clean: false, files };
  }

  dispose(): void {
    this.mergeFile.dispose();
  }
}

/** Two agents claiming the same path, or one a folder holding the other's path. */
export function overlappingClaims(claims: IntentClaim[]): RiskPair[] {
  const out = new Map<string, RiskPair>();
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  for (let i = 0; i < claims.length; i++) {
    for (let j = i + 1; j < claims.length; j++) {
      const x = claims[i]!;
      const y = claims[j]!;
      if (x.agent === y.agent || x.repo !== y.repo) continue;
      const px = norm(x.path);
      const py = norm(y.path);
      if (!(px === py || py.startsWith(px + '/') || px.startsWith(py + '/') || px === '' || py === '')) continue;
      const [a, b] = x.agent < y.agent ? [x, y] : [y, x];
      const key = `${a.agent}\0${b.agent}`;
      const pair = out.get(key) ?? { a: a.agent, b: b.agent, kind: 'intent' as const, clean: false, files: [] };
      pair.files.push({ path: px.length >= py.length ? px : py, ranges: [], reason: `both claimed: ${a.agent} (${a.reason || 'no reason'}), ${b.agent} (${b.reason || 'no reason'})` });
      out.set(key, pair);
    }
  }
  return [...out.values()];
}
