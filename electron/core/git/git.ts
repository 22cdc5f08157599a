import { HiveError } from '../../../shared/errors.js';
import { run, type ExecOptions, type ExecResult } from '../ports/exec.js';

/** The git CLI behind a small port. Every call is an argument array; nothing goes through a shell. */
export class Git {
  constructor(private readonly bin = 'git') {}

  run(cwd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run(this.bin, args, {
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
