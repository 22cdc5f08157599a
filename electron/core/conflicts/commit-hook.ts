import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Git } from '../git/git.js';

/**
 * The prepare-commit-msg hook: adds `Hive-Agent:`, `Hive-Task:` and (when given) `Hive-Intent:` trailers.
 * Values come from HIVE_AGENT / HIVE_TASK / HIVE_INTENT, else from `hive-commit-info` in the worktree's
 * own git dir (never a tracked file). The repository's own prepare-commit-msg hook still runs first.
 */
export const HOOK_SCRIPT = `#!/bin/sh
# Installed by Agent Hive for agent worktrees only (per-worktree core.hooksPath).
msg="$1"
common=$(git rev-parse --git-common-dir 2>/dev/null)
if [ -x "$common/hooks/prepare-commit-msg" ]; then "$common/hooks/prepare-commit-msg" "$@" || exit $?; fi
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

/** Installs the hook for one agent worktree without touching the user's own hooks or other worktrees. */
export async function installCommitHook(git: Git, hooksDir: string, worktree: string, info: { agent: string; task?: string; intent?: string }): Promise<string> {
  mkdirSync(hooksDir, { recursive: true });
  const hook = path.join(hooksDir, 'prepare-commit-msg');
  if (!existsSync(hook)) {
    writeFileSync(hook, HOOK_SCRIPT);
    chmodSync(hook, 0o755);
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
