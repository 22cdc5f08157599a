import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A real git repository in a temp dir with one commit (and any files given). */
export function makeGitRepo(files: Record<string, string> = { 'README.md': '# test repo\n' }, prefix = 'hive-repo-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@agent-hive.local');
  git('config', 'user.name', 'Agent Hive Test');
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    execFileSync('mkdir', ['-p', path.dirname(p)]);
    writeFileSync(p, content);
  }
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return dir;
}

export function tempDir(prefix = 'hive-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
