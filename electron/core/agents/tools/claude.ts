import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { mergeHooks, objectAt, updateJsonFile } from './json-config.js';

/**
 * Claude Code (npm `@anthropic-ai/claude-code`, checked against 2.1.x): what it needs so an agent in a new
 * worktree starts working instead of waiting at a first-run screen, and the hooks that report its state.
 *
 * Its user config (`~/.claude.json`, or `$CLAUDE_CONFIG_DIR/.claude.json`) records the answers:
 * - folder trust: `projects[<abs path>].hasTrustDialogAccepted` — asked for every new folder, so for every
 *   worktree Agent Hive creates; answered only for those worktrees;
 * - a custom API key: `customApiKeyResponses.approved` holds the key's last 20 characters — answered only
 *   for a key the user gave Agent Hive in its endpoint settings (its default answer on screen is "No");
 * - onboarding (theme, a connectivity check against Anthropic's own service): `hasCompletedOnboarding` —
 *   set only when the user configured an endpoint for this preset in Agent Hive (a base URL or API key),
 *   since then the check is meaningless and fails on machines that only reach that endpoint.
 */
export const CLAUDE_HOOK_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'Notification', 'Stop', 'SessionEnd'] as const;

/** What a hook runs: `hive` is first on every agent's PATH; the event name is the only argument. */
export const CLAUDE_HOOK_COMMAND = (event: string) => `hive hook claude ${event}`;

/** Environment that keeps Claude Code to its model endpoint (no telemetry, updater, marketplace fetch). */
export const CLAUDE_QUIET_ENV: Record<string, string> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
  DISABLE_AUTOUPDATER: '1',
};

export function claudeConfigFile(env: Record<string, string | undefined>, home: string): string {
  return env.CLAUDE_CONFIG_DIR ? path.join(env.CLAUDE_CONFIG_DIR, '.claude.json') : path.join(home, '.claude.json');
}

export function claudeProjectsDir(env: Record<string, string | undefined>, home: string): string {
  return path.join(env.CLAUDE_CONFIG_DIR ?? path.join(home, '.claude'), 'projects');
}

/** Claude Code's folder name for a working directory under `projects/` (every non-alphanumeric → `-`). */
export function claudeProjectKey(cwd: string): string {
  const k = cwd.replace(/[^a-zA-Z0-9]/g, '-');
  if (k.length <= 200) return k;
  let h = 0;
  for (let i = 0; i < cwd.length; i++) h = (Math.imul(31, h) + cwd.charCodeAt(i)) | 0;
  return `${k.slice(0, 200)}-${Math.abs(h).toString(36)}`;
}

export function claudeTranscript(env: Record<string, string | undefined>, home: string, cwd: string, sessionId: string): string {
  return path.join(claudeProjectsDir(env, home), claudeProjectKey(cwd), `${sessionId}.jsonl`);
}

/**
 * Records the answers to Claude Code's first-run questions for one worktree Agent Hive created. Returns
 * what was answered (for the event log), [] when everything was already recorded.
 */
export function answerClaudeFirstRun(opts: { worktree: string; env: Record<string, string | undefined>; home: string; endpointConfigured: boolean }): string[] {
  const file = claudeConfigFile(opts.env, opts.home);
  mkdirSync(path.dirname(file), { recursive: true });
  const did: string[] = [];
  const key = opts.endpointConfigured ? opts.env.ANTHROPIC_API_KEY : undefined;
  updateJsonFile(file, (c) => {
    const project = objectAt(objectAt(c, 'projects'), opts.worktree);
    if (project.hasTrustDialogAccepted !== true) {
      project.hasTrustDialogAccepted = true;
      did.push(`trusted the folder ${opts.worktree}`);
    }
    if (opts.endpointConfigured && c.hasCompletedOnboarding !== true) {
      c.hasCompletedOnboarding = true;
      did.push('marked onboarding done (an endpoint is configured)');
    }
    if (key) {
      const responses = objectAt(c, 'customApiKeyResponses');
      const tail = key.slice(-20);
      const approved = Array.isArray(responses.approved) ? (responses.approved as unknown[]) : [];
      const rejected = Array.isArray(responses.rejected) ? (responses.rejected as unknown[]) : [];
      if (!approved.includes(tail)) {
        responses.approved = [...approved, tail];
        responses.rejected = rejected.filter((r) => r !== tail);
        did.push(`approved the configured API key ending …${key.slice(-4)}`);
      }
    }
    return did.length > 0;
  });
  return did;
}

/**
 * Installs Agent Hive's hooks in the worktree's `.claude/settings.local.json` (the personal, uncommitted
 * settings file), merged with whatever hooks are there. Ours are recognised by their command and never
 * added twice.
 */
export function installClaudeHooks(worktree: string): boolean {
  const dir = path.join(worktree, '.claude');
  mkdirSync(dir, { recursive: true });
  return mergeHooks(path.join(dir, 'settings.local.json'), CLAUDE_HOOK_EVENTS, (event) => {
    const command = CLAUDE_HOOK_COMMAND(event);
    const entry: Record<string, unknown> = { hooks: [{ type: 'command', command, timeout: 10 }] };
    if (event === 'PreToolUse' || event === 'PostToolUse' || event === 'PermissionRequest') entry.matcher = '*';
    return { command, entry };
  });
}

/** The session's transcript exists (a resume of an id Claude never wrote would fail at once). */
export function claudeSessionExists(env: Record<string, string | undefined>, home: string, cwd: string, sessionId: string): boolean {
  try {
    return statSync(claudeTranscript(env, home, cwd, sessionId)).size > 0;
  } catch {
    return false;
  }
}

/** The user turns in a transcript, newest last (for confirming that typed input arrived). */
export function claudeUserTurns(transcript: string): string[] {
  if (!existsSync(transcript)) return [];
  const out: string[] = [];
  for (const line of readFileSync(transcript, 'utf8').split('\n')) {
    if (!line.includes('"user"')) continue;
    try {
      const j = JSON.parse(line) as { type?: string; message?: { role?: string; content?: unknown } };
      if (j.type !== 'user' || j.message?.role !== 'user') continue;
      const c = j.message.content;
      if (typeof c === 'string') out.push(c);
      else if (Array.isArray(c)) out.push(c.map((p: { type?: string; text?: string }) => (p.type === 'text' ? p.text ?? '' : '')).join(''));
    } catch {
      // A line being written right now: the next read has it whole.
    }
  }
  return out;
}
