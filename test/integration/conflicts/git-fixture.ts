import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A real git repository in a temp dir, driven through the git CLI (test helper). */
export class TestRepo {
  readonly dir: string;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(path.join(os.tmpdir(), 'hive-conflicts-repo-'));
    if (!dir) {
      this.git('init', '-q', '-b', 'main');
      this.git('config', 'user.email', 'test@example.com');
      this.git('config', 'user.name', 'Test');
      this.git('config', 'commit.gpgsign', 'false');
    }
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: this.date(), GIT_COMMITTER_DATE: this.date() } });
  }

  private tick = 0;
  private date(): string {
    return `${1_700_000_000 + this.tick++ * 60} +0000`;
  }

  write(file: string, text: string): void {
    const f = path.join(this.dir, file);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
  }

  commit(files: Record<string, string>, message: string): string {
    for (const [f, t] of Object.entries(files)) this.write(f, t);
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  /** Merges `branch` into the current branch; on conflict writes `resolved` files and commits. */
  merge(branch: string, resolved: Record<string, string> = {}): string {
    try {
      this.git('merge', '-q', '--no-ff', '--no-edit', branch);
    } catch {
      for (const [f, t] of Object.entries(resolved)) this.write(f, t);
      this.git('add', '-A');
      this.git('commit', '-q', '--no-edit');
    }
    return this.git('rev-parse', 'HEAD').trim();
  }
}
