import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Adds patterns to the repository's `info/exclude` (shared by all its worktrees: git has no per-worktree
 * exclude file), so files a tool keeps in an agent's worktree — its local settings, its chat history —
 * never count as the agent's uncommitted work and never get committed. Only lines not there yet are added.
 */
export function excludeFromGit(worktree: string, patterns: string[]): string[] {
  const common = commonGitDir(worktree);
  if (!common) return [];
  const file = path.join(common, 'info', 'exclude');
  mkdirSync(path.dirname(file), { recursive: true });
  const have = new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').map((l) => l.trim()) : []);
  const add = patterns.filter((p) => !have.has(p));
  if (add.length > 0) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    appendFileSync(file, `${text && !text.endsWith('\n') ? '\n' : ''}# added by Agent Hive: files its agents' tools keep in their worktrees\n${add.join('\n')}\n`);
  }
  return add;
}

/** The repository's common git dir for a worktree (linked worktree: `.git` file → gitdir → commondir). */
export function commonGitDir(worktree: string): string | null {
  const dotGit = path.join(worktree, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (!m) return null;
    const gitdir = path.resolve(worktree, m[1]!.trim());
    const commondir = path.join(gitdir, 'commondir');
    return existsSync(commondir) ? path.resolve(gitdir, readFileSync(commondir, 'utf8').trim()) : gitdir;
  } catch {
    return null;
  }
}
