import { mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { linkOnTheWay, lstatOrNull } from '../ports/links.js';
import path from 'node:path';
import type { SideIntent } from '../../../shared/contract/conflicts.js';
import { HiveError } from '../../../shared/errors.js';
import type { Git } from '../git/git.js';
import { run } from '../ports/exec.js';
import type { FileInput } from './resolver.js';
import { sideIntent } from './side-intents.js';

export interface PreparedMerge {
  worktree: string;
  repo: string;
  into: string;
  oursHead: string;
  theirsHead: string;
  upToDate: boolean;
  conflicts: FileInput[];
}

const IDENTITY = { GIT_AUTHOR_NAME: 'Agent Hive', GIT_AUTHOR_EMAIL: 'hive@localhost', GIT_COMMITTER_NAME: 'Agent Hive', GIT_COMMITTER_EMAIL: 'hive@localhost' };

/**
 * Merges in a worktree of its own under `<dataDir>/integration/<merge id>` (detached HEAD), so the
 * user's working tree is never touched. The result advances the integration branch with a
 * compare-and-swap ref update; when that branch is checked out in a working tree (usually the user's),
 * moving it would leave that tree inconsistent, so the commit goes to `hive/integration/<branch>`.
 */
export class IntegrationMerger {
  constructor(
    private readonly git: Git,
    private readonly root: string,
  ) {}

  private async checkedOut(repo: string, into: string): Promise<boolean> {
    const list = await this.git.out(repo, ['worktree', 'list', '--porcelain']);
    return list.split('\n').some((l) => l === `branch refs/heads/${into}`);
  }

  /** The ref a merge into `into` lands on, and the commit it starts from. */
  async target(repo: string, into: string): Promise<{ ref: string; head: string; staged: boolean }> {
    const head = (await this.git.run(repo, ['rev-parse', '--verify', '-q', `refs/heads/${into}^{commit}`], { allowFailure: true })).stdout.trim();
    if (!head) throw new HiveError('MERGE_FAILED', `The integration branch ${into} does not exist. Create it, or pass --into BRANCH.`);
    if (!(await this.checkedOut(repo, into))) return { ref: `refs/heads/${into}`, head, staged: false };
    const ref = `refs/heads/hive/integration/${into}`;
    const staged = (await this.git.run(repo, ['rev-parse', '--verify', '-q', `${ref}^{commit}`], { allowFailure: true })).stdout.trim();
    const descends = staged && (await this.git.run(repo, ['merge-base', '--is-ancestor', head, staged], { allowFailure: true })).code === 0;
    return { ref, head: descends ? staged : head, staged: true };
  }

  async start(repo: string, id: string, into: string, branch: string): Promise<PreparedMerge> {
    const { head } = await this.target(repo, into);
    const theirsHead = (await this.git.run(repo, ['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`], { allowFailure: true })).stdout.trim();
    if (!theirsHead) throw new HiveError('MERGE_FAILED', `The agent branch ${branch} does not exist in ${repo}.`);
    const worktree = path.join(this.root, id);
    mkdirSync(this.root, { recursive: true });
    const prepared: PreparedMerge = { worktree, repo, into, oursHead: head, theirsHead, upToDate: false, conflicts: [] };
    if ((await this.git.run(repo, ['merge-base', '--is-ancestor', theirsHead, head], { allowFailure: true })).code === 0) {
      return { ...prepared, upToDate: true, worktree: '' };
    }
    const add = await this.git.run(repo, ['worktree', 'add', '--detach', worktree, head], { allowFailure: true });
    if (add.code !== 0) throw new HiveError('MERGE_FAILED', `Could not create the integration worktree ${worktree}: ${add.stderr.trim()}`);
    const m = await this.git.run(worktree, ['-c', 'merge.conflictStyle=diff3', 'merge', '--no-ff', '--no-commit', theirsHead], { allowFailure: true, env: IDENTITY });
    const unmerged = (await this.git.out(worktree, ['ls-files', '-u', '-z'])).split('\0').filter(Boolean);
    if (m.code !== 0 && unmerged.length === 0) {
      await this.abort(repo, worktree);
      throw new HiveError('MERGE_FAILED', `git merge failed in the integration worktree: ${(m.stderr || m.stdout).trim()}`);
    }
    const stages = new Map<string, Map<number, string>>();
    for (const line of unmerged) {
      const mm = /^(\d+) ([0-9a-f]+) (\d)\t([\s\S]*)$/.exec(line);
      if (!mm) continue;
      const st = stages.get(mm[4]!) ?? new Map<number, string>();
      st.set(Number(mm[3]), mm[2]!);
      stages.set(mm[4]!, st);
    }
    for (const [file, st] of stages) {
      const read = async (n: number) => (st.has(n) ? await this.git.out(worktree, ['cat-file', 'blob', st.get(n)!]) : null);
      prepared.conflicts.push({ path: file, base: await read(1), ours: await read(2), theirs: await read(3) });
    }
    return prepared;
  }

  async writeFile(worktree: string, file: string, text: string | null): Promise<void> {
    if (text === null) return this.removeFile(worktree, file);
    const full = path.join(worktree, file);
    if (!full.startsWith(worktree + path.sep)) throw new HiveError('INVALID_INPUT', `The path ${file} leaves the worktree.`);
    // Never through a symbolic link: writing followed a conflicting link to wherever it pointed (outside
    // the worktree too) and left the link itself unresolved. A folder on the way that is a link is refused;
    // the file itself, when a link, is replaced.
    const link = linkOnTheWay(worktree, path.dirname(full));
    if (link) throw new HiveError('INVALID_INPUT', `${file} is inside ${path.relative(worktree, link)}, a symbolic link; resolve it by hand in ${worktree}.`);
    // A link in the merge (mode 120000 in every stage git has for it) is resolved as a link to the chosen text.
    const modes = (await this.git.out(worktree, ['ls-files', '-s', '-z', '--', file])).split('\0').filter(Boolean).map((l) => l.split(' ')[0]);
    const links = modes.filter((m) => m === '120000').length;
    if (links > 0 && links < modes.length) {
      throw new HiveError('INVALID_INPUT', `${file} is a symbolic link on one side and a file on the other; resolve it by hand in ${worktree} (git add, then resolve it with --file).`);
    }
    if (lstatOrNull(full)?.isSymbolicLink()) unlinkSync(full);
    mkdirSync(path.dirname(full), { recursive: true });
    if (links > 0) symlinkSync(text.replace(/\n$/, ''), full);
    else writeFileSync(full, text);
    await this.git.run(worktree, ['add', '--', file]);
  }

  async removeFile(worktree: string, file: string): Promise<void> {
    await this.git.run(worktree, ['rm', '-q', '-f', '--ignore-unmatch', '--', file], { allowFailure: true });
  }

  async commit(p: { worktree: string; repo: string; into: string; oursHead: string }, subject: string, trailers: string[]): Promise<{ sha: string; message: string }> {
    const msg = `${subject}\n\n${trailers.join('\n')}\n`;
    const email = (await this.git.run(p.worktree, ['config', 'user.email'], { allowFailure: true })).stdout.trim();
    const c = await this.git.run(p.worktree, ['commit', '--no-verify', '-q', '--cleanup=verbatim', '-F', '-'], { input: msg, allowFailure: true, env: email ? {} : IDENTITY });
    if (c.code !== 0) throw new HiveError('MERGE_FAILED', `Could not commit the merge: ${(c.stderr || c.stdout).trim()}`);
    const sha = (await this.git.out(p.worktree, ['rev-parse', 'HEAD'])).trim();
    const t = await this.target(p.repo, p.into);
    let old = [p.oursHead];
    if (t.staged) {
      // The staged ref (`hive/integration/<branch>`) is compared and swapped too: another merge may have
      // landed there since this one started, and overwriting it dropped that merge from the branch while its
      // row still said merged. A staged ref that no longer builds on the branch (the branch moved past it)
      // is replaced, as when a merge starts.
      const cur = (await this.git.run(p.repo, ['rev-parse', '--verify', '-q', t.ref], { allowFailure: true })).stdout.trim();
      const intoHead = (await this.git.run(p.repo, ['rev-parse', '--verify', '-q', `refs/heads/${p.into}`], { allowFailure: true })).stdout.trim();
      const isAncestor = async (a: string, b: string) => (await this.git.run(p.repo, ['merge-base', '--is-ancestor', a, b], { allowFailure: true })).code === 0;
      if (cur && !(await isAncestor(cur, sha)) && intoHead && (await isAncestor(intoHead, cur))) {
        throw new HiveError('MERGE_FAILED', `${t.ref.replace('refs/heads/', '')} moved while merging (another merge landed on it); the merge commit ${sha.slice(0, 12)} was not applied. Run \`hive merge\` again.`);
      }
      // '' = must not exist yet (any hash format; forty zeros is a SHA-1 id only).
      old = [cur];
    }
    const u = await this.git.run(p.repo, ['update-ref', '-m', `hive merge: ${subject}`, t.ref, sha, ...old], { allowFailure: true });
    if (u.code !== 0) {
      throw new HiveError('MERGE_FAILED', `${p.into} moved while merging (${u.stderr.trim()}); the merge commit ${sha.slice(0, 12)} was not applied. Run \`hive merge\` again.`);
    }
    const where = t.staged
      ? `${p.into} is checked out in a working tree, so the merge commit ${sha.slice(0, 12)} is on ${t.ref.replace('refs/heads/', '')}; fast-forward with \`git merge --ff-only ${t.ref.replace('refs/heads/', '')}\`.`
      : `Merged into ${p.into} as ${sha.slice(0, 12)}.`;
    return { sha, message: where };
  }

  async intents(p: PreparedMerge, file: string): Promise<{ ours: SideIntent; theirs: SideIntent }> {
    const base = (await this.git.run(p.repo, ['merge-base', p.oursHead, p.theirsHead], { allowFailure: true })).stdout.trim();
    if (!base) return { ours: { agent: null, task: null, intent: null, commits: [] }, theirs: { agent: null, task: null, intent: null, commits: [] } };
    const [ours, theirs] = await Promise.all([sideIntent(this.git, p.repo, base, p.oursHead, file), sideIntent(this.git, p.repo, base, p.theirsHead, file)]);
    return { ours, theirs };
  }

  /** Runs the user's check command (split into arguments, never through a shell) in the worktree. */
  async runCheck(worktree: string, command: string): Promise<{ ok: boolean; output: string }> {
    const argv = splitArgs(command);
    if (argv.length === 0) return { ok: true, output: '' };
    try {
      const r = await run(argv[0]!, argv.slice(1), { cwd: worktree, allowFailure: true, timeoutMs: 30 * 60_000 });
      return { ok: r.code === 0, output: `${command} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}` };
    } catch (err) {
      return { ok: false, output: `${command} could not run: ${(err as Error).message}` };
    }
  }

  async abort(repo: string, worktree: string): Promise<void> {
    await this.git.run(worktree, ['merge', '--abort'], { allowFailure: true }).catch(() => {});
    await this.cleanup(repo, worktree);
  }

  async cleanup(repo: string, worktree: string): Promise<void> {
    if (!worktree) return;
    await this.git.run(repo, ['worktree', 'remove', '--force', worktree], { allowFailure: true }).catch(() => {});
    rmSync(worktree, { recursive: true, force: true });
    await this.git.run(repo, ['worktree', 'prune'], { allowFailure: true }).catch(() => {});
  }
}

/** Splits a command line into arguments with simple quoting; no shell ever sees it. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}
