import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Git } from '../git/git.js';

/**
 * Where the repository's own hooks are, worked out when a hook runs: the core.hooksPath git would use
 * without this worktree's own setting (system, global, included files, the repository's config — the last
 * one wins, as in git), relative to the top of the working tree as git reads it (husky's `.husky/_`), else
 * `<common dir>/hooks`. Never this folder itself.
 */
const ORIGINAL_HOOKS = `common=$(git rev-parse --git-common-dir 2>/dev/null)
orig=$(git config --type=path --show-scope --get-all core.hooksPath 2>/dev/null | grep -v '^worktree' | tail -n 1 | cut -f2-)
[ -n "$orig" ] || orig="$common/hooks"
case "$orig" in /*) ;; *) orig="$(git rev-parse --show-toplevel 2>/dev/null)/$orig" ;; esac
here=$(cd "$(dirname "$0")" && pwd -P)
[ -d "$orig" ] && [ "$(cd "$orig" && pwd -P)" = "$here" ] && orig=`;

/**
 * The prepare-commit-msg hook: adds `Hive-Agent:`, `Hive-Task:` and (when given) `Hive-Intent:` trailers.
 * Values come from HIVE_AGENT / HIVE_TASK / HIVE_INTENT, else from `hive-commit-info` in the worktree's
 * own git dir (never a tracked file). The repository's own prepare-commit-msg hook still runs first.
 */
export const HOOK_SCRIPT = `#!/bin/sh
# Installed by Agent Hive for agent worktrees only (per-worktree core.hooksPath).
msg="$1"
${ORIGINAL_HOOKS}
if [ -n "$orig" ] && [ -x "$orig/prepare-commit-msg" ]; then "$orig/prepare-commit-msg" "$@" || exit $?; fi
info="$(git rev-parse --git-dir 2>/dev/null)/hive-commit-info"
get() { [ -f "$info" ] && sed -n "s/^$1=//p" "$info" | head -n 1; }
agent="\${HIVE_AGENT:-$(get agent)}"
task="\${HIVE_TASK:-$(get task)}"
intent="\${HIVE_INTENT:-$(get intent)}"
one() { printf '%s' "$1" | tr '\\n\\r' '  ' | cut -c1-500; }
set --
[ -n "$agent" ] && set -- "$@" --trailer "Hive-Agent: $(one "$agent")"
[ -n "$task" ] && set -- "$@" --trailer "Hive-Task: $(one "$task")"
[ -n "$intent" ] && set -- "$@" --trailer "Hive-Intent: $(one "$intent")"
[ $# -eq 0 ] && exit 0
git interpret-trailers --in-place --if-exists replace "$@" "$msg"
`;

/**
 * Every other client-side hook: runs the repository's own (its pre-commit, commit-msg, pre-push, husky's…).
 * Pointing an agent worktree's core.hooksPath at this folder used to switch all of them off there: a
 * pre-commit that blocks commits in the user's tree let the agents' commits through.
 */
export const CHAIN_SCRIPT = `#!/bin/sh
# Installed by Agent Hive for agent worktrees only: runs the repository's own hook of this name.
${ORIGINAL_HOOKS}
hook=$(basename "$0")
if [ -n "$orig" ] && [ -x "$orig/$hook" ]; then exec "$orig/$hook" "$@"; fi
exit 0
`;

export const CHAINED_HOOKS = ['applypatch-msg', 'pre-applypatch', 'post-applypatch', 'pre-commit', 'pre-merge-commit', 'commit-msg', 'post-commit', 'pre-rebase', 'post-checkout', 'post-merge', 'pre-push', 'post-rewrite', 'pre-auto-gc'];

/** Installs the hook for one agent worktree without touching the user's own hooks or other worktrees. */
export async function installCommitHook(git: Git, hooksDir: string, worktree: string, info: { agent: string; task?: string; intent?: string }): Promise<string> {
  mkdirSync(hooksDir, { recursive: true });
  const hook = path.join(hooksDir, 'prepare-commit-msg');
  // Written when missing or from an older version (the folder is shared by the agents of this data dir).
  for (const [file, script] of [[hook, HOOK_SCRIPT], ...CHAINED_HOOKS.map((h) => [path.join(hooksDir, h), CHAIN_SCRIPT])] as const) {
    if (existsSync(file) && readFileSync(file, 'utf8') === script) continue;
    writeFileSync(`${file}.tmp`, script, { mode: 0o755 });
    renameSync(`${file}.tmp`, file);
    chmodSync(file, 0o755);
  }
  // Per-worktree config keeps the hooks path away from the user's main working tree.
  await git.run(worktree, ['config', 'extensions.worktreeConfig', 'true']);
  await git.run(worktree, ['config', '--worktree', 'core.hooksPath', hooksDir]);
  writeCommitInfo(await gitDir(git, worktree), info);
  return hook;
}

export async function gitDir(git: Git, worktree: string): Promise<string> {
  return path.resolve(worktree, (await git.out(worktree, ['rev-parse', '--git-dir'])).trim());
}

export function writeCommitInfo(dir: string, info: { agent: string; task?: string; intent?: string }): void {
  const clean = (s: string | undefined) => (s ?? '').replace(/[\r\n]+/g, ' ').slice(0, 500);
  writeFileSync(path.join(dir, 'hive-commit-info'), `agent=${clean(info.agent)}\ntask=${clean(info.task)}\nintent=${clean(info.intent)}\n`);
}
