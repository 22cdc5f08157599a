import { HiveError } from '../../../shared/errors.js';
import { run, type ExecOptions, type ExecResult } from '../ports/exec.js';

/**
 * Read by every git command the host runs: no repository hook and no fsmonitor program. Agents in Docker
 * containers have the repository's git folder mounted writable (their commits go there), so its config and
 * hooks are theirs to write: `core.fsmonitor` in it ran a command on the host at the next `git status` the
 * host took (a sleep, the Git panel), and a hook in .git/hooks at the host's next integration commit.
 * Agents' own git calls, in their worktrees, are not affected.
 */
export const HOST_GIT_CONFIG = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'] as const;

/** The git CLI behind a small port. Every call is an argument array; nothing goes through a shell. */
export class Git {
  constructor(private readonly bin = 'git') {}

  run(cwd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run(this.bin, [...HOST_GIT_CONFIG, ...args], {
      ...opts,
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...(opts.env ?? {}) },
    });
  }

  async out(cwd: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
    return (await this.run(cwd, args, opts)).stdout;
  }

  /** The top level of the repository at `dir`, or a NOT_A_GIT_REPO error that says what to do. */
  async toplevel(dir: string): Promise<string> {
    try {
      // Only the newline: a repository path may itself end in spaces.
      return (await this.out(dir, ['rev-parse', '--show-toplevel'])).replace(/\r?\n$/, '');
    } catch {
      throw new HiveError(
        'NOT_A_GIT_REPO',
        `${dir} is not a git repository. Give the path of a git repository (run \`git init\` there first if it is a new project).`,
      );
    }
  }

  async isBare(dir: string): Promise<boolean> {
    return (await this.out(dir, ['rev-parse', '--is-bare-repository'])).trim() === 'true';
  }

  async head(cwd: string): Promise<string | null> {
    const r = await this.run(cwd, ['rev-parse', '--verify', '-q', 'HEAD'], { allowFailure: true });
    return r.code === 0 ? r.stdout.trim() : null;
  }

  async currentBranch(cwd: string): Promise<string> {
    const r = await this.run(cwd, ['symbolic-ref', '--short', '-q', 'HEAD'], { allowFailure: true });
    return r.code === 0 ? r.stdout.trim() : '';
  }
}
