import { randomUUID } from 'node:crypto';
import type { Preset } from '../../../../shared/contract/agents.js';
import { answerClaudeFirstRun, CLAUDE_QUIET_ENV, claudeSessionExists, installClaudeHooks } from './claude.js';
import { codexArgs, learnCodexSession } from './codex.js';
import { answerGeminiAuth, geminiSessionExists, geminiTerminalEnv, installGeminiHooks, trustGeminiFolder } from './gemini.js';
import { excludeFromGit } from './git-exclude.js';

export interface ToolPrep {
  /** Variables to add to the agent's environment (the user's own values win). */
  env: Record<string, string>;
  /** A session the tool can resume now, or null. */
  resumable: string | null;
  /** Claude: the id a new session is started with. */
  newSessionId?: string;
  toolArgs: string[];
  /** Sentences for the event log: what was answered or installed on the tool's behalf. */
  notes: string[];
  /** The tool reports its state through hooks (else the screen is read). */
  hooks: boolean;
}

/**
 * Everything a preset's tool needs before it starts in a worktree Agent Hive created, so it begins working
 * instead of stopping at a first-run question, reports its state through its own hooks, and resumes its
 * own conversation. Runs on the host's filesystem: not for Docker agents (their HOME is the image's).
 */
export function prepareTool(opts: {
  preset: Preset;
  worktree: string;
  /** The agent's repository (its main worktree). */
  repo: string;
  sessionId: string | null;
  /** False: start a new session even if the known one could be resumed (it failed to resume before). */
  resume?: boolean;
  env: Record<string, string | undefined>;
  home: string;
  /** The variables the user configured for this preset in Agent Hive (endpoint, key). */
  configured: Record<string, string>;
}): ToolPrep {
  const { preset, worktree, home } = opts;
  const env = { ...opts.env, ...opts.configured };
  const fresh = opts.resume === false;
  switch (preset) {
    case 'claude': {
      const notes: string[] = [];
      if (installClaudeHooks(worktree)) notes.push('installed Agent Hive hooks in .claude/settings.local.json');
      excludeFromGit(worktree, ['.claude/settings.local.json']);
      const endpointConfigured = 'ANTHROPIC_BASE_URL' in opts.configured || 'ANTHROPIC_API_KEY' in opts.configured || 'ANTHROPIC_AUTH_TOKEN' in opts.configured;
      notes.push(...answerClaudeFirstRun({ worktree, env, home, endpointConfigured }));
      const resumable = !fresh && opts.sessionId && claudeSessionExists(env, home, worktree, opts.sessionId) ? opts.sessionId : null;
      return {
        env: withDefaults(CLAUDE_QUIET_ENV, opts.env),
        resumable,
        // An id Claude never wrote a transcript for (it stopped before its first turn) is simply reused.
        newSessionId: resumable ? undefined : fresh ? randomUUID() : (opts.sessionId ?? randomUUID()),
        toolArgs: [],
        notes,
        hooks: true,
      };
    }
    case 'codex': {
      const resumable = fresh ? null : learnCodexSession(env, home, worktree, opts.sessionId);
      return { env: {}, resumable, toolArgs: codexArgs(worktree, opts.repo, opts.configured), notes: [`trusted the folder ${worktree} (codex -c projects…trust_level)`], hooks: true };
    }
    case 'gemini': {
      const notes: string[] = [];
      if (trustGeminiFolder(env, home, worktree)) notes.push(`trusted the folder ${worktree} in ~/.gemini/trustedFolders.json`);
      if ('GEMINI_API_KEY' in opts.configured && answerGeminiAuth(env, home)) notes.push('chose the configured Gemini API key as its sign-in');
      if (installGeminiHooks(worktree)) notes.push('installed Agent Hive hooks in .gemini/settings.json');
      excludeFromGit(worktree, ['.gemini/settings.json']);
      const resumable = !fresh && opts.sessionId && geminiSessionExists(env, home, opts.sessionId) ? opts.sessionId : null;
      return { env: geminiTerminalEnv(env, opts.configured), resumable, newSessionId: resumable ? undefined : fresh ? randomUUID() : (opts.sessionId ?? randomUUID()), toolArgs: [], notes, hooks: true };
    }
    case 'aider': {
      excludeFromGit(worktree, ['.aider*']);
      // Auto-commits stay on (its default): its work lands on hive/NAME. The notifications command tells
      // Agent Hive when it waits for input again (its end of turn).
      const args = ['--no-gitignore', '--no-check-update', '--no-show-release-notes', '--analytics-disable', '--no-show-model-warnings', '--notifications', '--notifications-command', 'hive hook aider Stop'];
      return { env: {}, resumable: null, toolArgs: args, notes: [], hooks: true };
    }
    case 'custom':
      return { env: {}, resumable: opts.sessionId, toolArgs: [], notes: [], hooks: false };
  }
}

function withDefaults(defaults: Record<string, string>, env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(defaults).filter(([k]) => env[k] === undefined));
}
