import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { mergeHooks, objectAt, updateJsonFile } from './json-config.js';

/** Gemini CLI hook events (its names; AfterAgent ends a turn) that report the agent's state. */
export const GEMINI_HOOK_EVENTS = ['SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'AfterAgent', 'Notification', 'SessionEnd'] as const;

export function geminiDir(env: Record<string, string | undefined>, home: string): string {
  return path.join(env.GEMINI_CLI_HOME ?? home, '.gemini');
}

/**
 * The worktree's `.gemini/settings.json` gets Agent Hive's hooks (merged with what is there). Gemini CLI
 * runs project hooks only in trusted folders and says so with a one-line, non-blocking warning.
 */
export function installGeminiHooks(worktree: string): boolean {
  const dir = path.join(worktree, '.gemini');
  mkdirSync(dir, { recursive: true });
  return mergeHooks(path.join(dir, 'settings.json'), GEMINI_HOOK_EVENTS, (event) => {
    const command = `hive hook gemini ${event}`;
    return { command, entry: { hooks: [{ name: `agent-hive-${event}`, type: 'command', command, timeout: 10_000 }] } };
  });
}

/**
 * With an API key configured in Agent Hive, Gemini CLI's first-run choice of how to authenticate is
 * answered as that key (`security.auth.selectedType = "gemini-api-key"`), unless the user chose already.
 */
export function answerGeminiAuth(env: Record<string, string | undefined>, home: string): boolean {
  const dir = geminiDir(env, home);
  mkdirSync(dir, { recursive: true });
  return updateJsonFile(path.join(dir, 'settings.json'), (c) => {
    const auth = objectAt(objectAt(c, 'security'), 'auth');
    if (typeof auth.selectedType === 'string') return false;
    auth.selectedType = 'gemini-api-key';
    return true;
  });
}

/**
 * Gemini CLI 0.61 treats `CI=true` or `GITHUB_ACTIONS=true` as "headless" whether or not it has a terminal
 * (isHeadlessMode); only `--prompt-interactive` overrides that. `gemini --resume <id>` with either set runs
 * non-interactively, finds no prompt and exits 42 ("No input provided via stdin") — and the stub it wrote
 * into its chats folder can leave the session unresumable. Agent Hive always runs it in a terminal: those
 * values, inherited from wherever the host was started, are blanked for it (what the user configured for
 * the gemini preset in Agent Hive is kept).
 */
export function geminiTerminalEnv(env: Record<string, string | undefined>, configured: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['CI', 'GITHUB_ACTIONS']) if (env[k] === 'true' && !(k in configured)) out[k] = '';
  return out;
}

/** A session Gemini CLI wrote (`~/.gemini/tmp/<project>/chats/session-<time>-<first 8 of id>.jsonl`). */
export function geminiSessionExists(env: Record<string, string | undefined>, home: string, sessionId: string): boolean {
  const tmp = path.join(geminiDir(env, home), 'tmp');
  if (!existsSync(tmp)) return false;
  const tail = `-${sessionId.slice(0, 8)}.jsonl`;
  for (const project of readdirSync(tmp)) {
    const chats = path.join(tmp, project, 'chats');
    if (existsSync(chats) && readdirSync(chats).some((f) => f.startsWith('session-') && f.endsWith(tail))) return true;
  }
  return false;
}

/**
 * Gemini CLI (npm `@google/gemini-cli`) asks whether to trust each new folder and records the answer in
 * `~/.gemini/trustedFolders.json` (`{"<abs path>": "TRUST_FOLDER"}`): the worktree is added there, merged
 * with the user's entries.
 */
export function trustGeminiFolder(env: Record<string, string | undefined>, home: string, worktree: string): boolean {
  const dir = geminiDir(env, home);
  mkdirSync(dir, { recursive: true });
  return updateJsonFile(path.join(dir, 'trustedFolders.json'), (c) => {
    if (c[worktree] === 'TRUST_FOLDER') return false;
    c[worktree] = 'TRUST_FOLDER';
    return true;
  });
}
