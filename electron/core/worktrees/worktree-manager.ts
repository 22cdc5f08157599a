import { cpSync, mkdirSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import { KeyedMutex } from '../agents/keyed-mutex.js';
import type { Git } from '../git/git.js';
import { lstatOrNull } from '../ports/links.js';

export interface WorktreeInfo {
  repo: string;
  worktree: string;
  branch: string;
}

/** Each agent works in `<dataDir>/worktrees/<name>` on branch `hive/<name>`. */
export class WorktreeManager {
  /**
   * git's worktree commands are not safe to run at once on one repository: a `worktree add` reads the
   * metadata of a sibling being added (".git/worktrees/X/commondir: failed to read") and fails. They run
   * one at a time per repository.
   */
  private readonly perRepo = new KeyedMutex();

  constructor(
    private readonly git: Git,
    private readonly dataDir: string,
  ) {}

  pathFor(name: string): string {
    return path.join(this.dataDir, 'worktrees', name);
  }

  async create(name: string, repoPath: string, baseBranch?: string): Promise<WorktreeInfo> {
    const repo = await this.git.toplevel(repoPath);
    if ((await this.git.head(repo)) === null) {
      throw new HiveError('NOT_A_GIT_REPO', `The repository ${repo} has no commits yet. Make a first commit, then spawn the agent.`);
    }
    const worktree = this.pathFor(name);
    const branch = `hive/${name}`;
    if (existsSync(worktree)) {
      throw new HiveError('AGENT_EXISTS', `A worktree already exists at ${worktree}. Remove it (git worktree remove) or choose another name.`);
    }
    // The base as a commit id: a name git would read as an option (`--lock`, `--no-checkout`) or one that
    // names nothing gets a clear error here, and `worktree add` is only ever given the id.
    let base: string | null = null;
    if (baseBranch) {
      const r = await this.git.run(repo, ['rev-parse', '--verify', '-q', '--end-of-options', `${baseBranch}^{commit}`], { allowFailure: true });
      if (r.code !== 0 || baseBranch.startsWith('-')) {
        throw new HiveError('INVALID_INPUT', `The base ${JSON.stringify(baseBranch)} is not a branch, tag or commit of ${repo}. List them with \`git -C ${repo} branch -a\`.`);
      }
      base = r.stdout.trim();
    }
    mkdirSync(path.dirname(worktree), { recursive: true });
    const exists = (await this.git.run(repo, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`], { allowFailure: true })).code === 0;
    const args = exists
      ? ['worktree', 'add', worktree, branch]
      : ['worktree', 'add', '-b', branch, worktree, ...(base ? [base] : [])];
    const r = await this.perRepo.run(repo, () => this.git.run(repo, args, { allowFailure: true }));
    if (r.code !== 0) throw new HiveError('SPAWN_FAILED', `git could not create the worktree for ${name}: ${r.stderr.trim()}`);
    return { repo, worktree, branch };
  }

  /** Why the worktree must not be deleted, or [] when nothing would be lost. */
  async unsavedWork(info: WorktreeInfo): Promise<string[]> {
    if (!existsSync(info.worktree)) return [];
    const reasons: string[] = [];
    const st = await this.git.run(info.worktree, ['status', '--porcelain'], { allowFailure: true });
    if (st.code !== 0) {
      // Its repository was deleted or moved: nothing can be checked, so it counts as unsaved work.
      return [`files git cannot check any more (${st.stderr.trim().split('\n')[0] || `git exit ${st.code}`}; was ${info.repo} moved or deleted?)`];
    }
    const status = st.stdout.trim();
    if (status) reasons.push(`${status.split('\n').length} uncommitted change(s)`);
    const unmerged = await this.unmergedCommits(info);
    if (unmerged > 0) reasons.push(`${unmerged} commit(s) on ${info.branch} not merged into any other branch`);
    return reasons;
  }

  private async unmergedCommits(info: WorktreeInfo): Promise<number> {
    const others = (await this.git.out(info.repo, ['for-each-ref', '--format=%(refname)', 'refs/heads']))
      .split('\n')
      .filter((r) => r && r !== `refs/heads/${info.branch}`);
    const r = await this.git.run(info.repo, ['rev-list', '--count', info.branch, '--not', ...others], { allowFailure: true });
    return r.code === 0 ? Number(r.stdout.trim()) : 0;
  }

  /** Archives uncommitted changes (a binary patch) and unmerged commits (a bundle) before a forced removal. */
  async archive(name: string, info: WorktreeInfo, stamp: string): Promise<string> {
    const dir = path.join(this.dataDir, 'archives', `${name}-${stamp}`);
    mkdirSync(dir, { recursive: true });
    if ((await this.git.run(info.worktree, ['rev-parse', '--git-dir'], { allowFailure: true })).code !== 0) {
      // git cannot read the worktree (its repository is gone): keep a plain copy of every file instead.
      cpSync(info.worktree, path.join(dir, 'files'), { recursive: true });
      writeFileSync(
        path.join(dir, 'README.txt'),
        `Archived before a forced removal of agent ${name}.\n` +
          `git could not read its worktree (was ${info.repo} moved or deleted?), so files/ is a plain copy of the worktree.\n`,
      );
      return dir;
    }
    // A throwaway index so the agent's own index is not disturbed if the removal fails later.
    const env = { GIT_INDEX_FILE: path.join(dir, 'index.tmp') };
    await this.git.run(info.worktree, ['read-tree', 'HEAD'], { env });
    await this.git.run(info.worktree, ['add', '-A'], { env });
    const patch = await this.git.out(info.worktree, ['diff', '--cached', '--binary', 'HEAD'], { env });
    writeFileSync(path.join(dir, 'uncommitted.patch'), patch);
    const others = (await this.git.out(info.repo, ['for-each-ref', '--format=%(refname)', 'refs/heads']))
      .split('\n')
      .filter((r) => r && r !== `refs/heads/${info.branch}`);
    const count = await this.unmergedCommits(info);
    if (count > 0) {
      await this.git.run(info.repo, ['bundle', 'create', path.join(dir, 'branch.bundle'), info.branch, '--not', ...others]);
    }
    writeFileSync(
      path.join(dir, 'README.txt'),
      `Archived before a forced removal of agent ${name}.\n` +
        `uncommitted.patch: apply with \`git apply --index uncommitted.patch\` on ${info.branch}.\n` +
        (count > 0 ? `branch.bundle: ${count} unmerged commit(s); fetch with \`git fetch branch.bundle ${info.branch}\`.\n` : ''),
    );
    return dir;
  }

  /**
   * Removes the worktree; deletes the branch only when it is fully merged (commits are never dropped).
   * A folder that is not a linked worktree (no `.git` file: a repository's own checkout, or any other
   * folder an imported record named) is never deleted: the sentence saying so is returned instead.
   */
  async remove(info: WorktreeInfo): Promise<string | null> {
    return this.perRepo.run(info.repo, () => this.removeNow(info));
  }

  private async removeNow(info: WorktreeInfo): Promise<string | null> {
    const repoThere = existsSync(info.repo);
    if (info.worktree && existsSync(info.worktree) && !isLinkedWorktree(info.worktree)) {
      return `its folder ${info.worktree} is not a worktree of its own (no .git file there), so it was left as it is`;
    }
    if (existsSync(info.worktree)) {
      if (repoThere) await this.git.run(info.repo, ['worktree', 'remove', '--force', info.worktree], { allowFailure: true });
      // git cannot remove a worktree whose repository is gone; callers have checked or archived it by now.
      if (existsSync(info.worktree)) rmSync(info.worktree, { recursive: true, force: true });
    }
    if (!repoThere) return null;
    await this.git.run(info.repo, ['worktree', 'prune'], { allowFailure: true });
    await this.git.run(info.repo, ['branch', '-d', info.branch], { allowFailure: true });
    return null;
  }

  async state(worktree: string): Promise<{ branch: string; head: string; status: string; patch: string }> {
    const [branch, head, status, patch] = await Promise.all([
      this.git.currentBranch(worktree),
      this.git.head(worktree),
      this.git.out(worktree, ['status', '--porcelain=v1', '--branch']),
      this.git.out(worktree, ['diff', '--binary', 'HEAD'], { allowFailure: true }),
    ]);
    return { branch, head: head ?? '', status, patch };
  }
}

/** A linked worktree (`git worktree add`) has a `.git` file naming its repository; a main checkout a folder. */
export function isLinkedWorktree(dir: string): boolean {
  return lstatOrNull(path.join(dir, '.git'))?.isFile() ?? false;
}
