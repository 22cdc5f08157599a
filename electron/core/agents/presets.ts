import { accessSync, constants as fsConstants, existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Preset } from '../../../shared/contract/agents.js';
import type { SnapshotContents } from '../../../shared/contract/snapshots.js';
import { HiveError } from '../../../shared/errors.js';
import { claudeProjectKey } from './tools/claude.js';

/**
 * What each preset runs. Presets are argument arrays: the task prompt is one argv element, never part of a
 * shell string. Only `custom` goes through `/bin/sh -c`, and then with the user's own command line.
 */
export interface LaunchPlan {
  argv: string[];
  /** How the agent gets its context back: its tool's own session, a resume prompt, or nothing. */
  resumedWith: 'session' | 'prompt' | 'none';
  /** Text to type once the tool shows its input (for tools that cannot take a task and stay interactive). */
  initialInput?: string;
  /** The session id the tool was told to use (Claude Code `--session-id`), to record before it starts. */
  sessionId?: string;
}

export const PRESET_PROGRAMS: Record<Exclude<Preset, 'custom'>, string> = {
  claude: 'claude',
  codex: 'codex',
  gemini: 'gemini',
  aider: 'aider',
};

/**
 * The command line of each preset, checked against the tools' current CLIs (see docs/PRESETS.md):
 * - claude: `claude --session-id <new uuid> TASK`, then `claude --resume <id>` (its own conversation);
 * - codex: `codex TASK`, then `codex resume <id>` (the id from its session file);
 * - gemini: `gemini --session-id <new uuid> --prompt-interactive TASK` (runs the task, stays interactive), then
 *   `gemini --resume <id>`;
 * - aider: `aider` with auto-commits on (so its work lands on hive/NAME) and `--restore-chat-history`; the
 *   task is typed once it shows its prompt (`--message` would answer once and exit).
 * Without a session to resume, each gets the resume prompt (the task and what it was doing) instead.
 */
export function planLaunch(opts: {
  preset: Preset;
  command: string;
  task: string;
  snapshot: SnapshotContents | null;
  /** A session the tool can resume (its files exist); null starts a new one. */
  sessionId: string | null;
  /** For claude: the id a new session gets (chosen by us, so it is known before the tool writes it). */
  newSessionId?: string;
  /**
   * PATH the agent runs with, where the host can see the agent's filesystem (not Docker): a plain custom
   * command line found on it skips the shell. Without it custom commands always run through `/bin/sh -c`.
   */
  envPath?: string;
  /** Extra arguments for the tool (codex: `-c` config overrides that answer its trust question). */
  toolArgs?: string[];
}): LaunchPlan {
  const { preset, task, snapshot, sessionId } = opts;
  const resume = snapshot ? resumePrompt(snapshot) : null;
  const prompt = resume ?? task;
  const resumedWith = resume ? ('prompt' as const) : ('none' as const);
  const extra = opts.toolArgs ?? [];
  const prog = preset === 'custom' ? [] : presetCommand(preset, opts.command);
  switch (preset) {
    case 'custom': {
      if (!opts.command.trim()) {
        throw new HiveError('INVALID_INPUT', 'The custom preset needs a command line (--cmd "…").');
      }
      // The resume prompt reaches custom commands through HIVE_RESUME_FILE (see the agent service).
      const direct = opts.envPath === undefined ? null : directArgv(opts.command, opts.envPath);
      return { argv: direct ?? ['/bin/sh', '-c', opts.command], resumedWith: resume ? 'prompt' : 'none' };
    }
    case 'claude': {
      if (sessionId) return { argv: [...prog, ...extra, '--resume', sessionId], resumedWith: 'session', sessionId };
      const id = opts.newSessionId;
      return { argv: [...prog, ...extra, ...(id ? ['--session-id', id] : []), ...(prompt ? [prompt] : [])], resumedWith, ...(id ? { sessionId: id } : {}) };
    }
    case 'codex': {
      if (sessionId) return { argv: [...prog, ...extra, 'resume', sessionId], resumedWith: 'session', sessionId };
      return { argv: [...prog, ...extra, ...(prompt ? [prompt] : [])], resumedWith };
    }
    case 'gemini': {
      if (sessionId) return { argv: [...prog, ...extra, '--resume', sessionId], resumedWith: 'session', sessionId };
      const id = opts.newSessionId;
      return { argv: [...prog, ...extra, ...(id ? ['--session-id', id] : []), ...(prompt ? ['--prompt-interactive', prompt] : [])], resumedWith, ...(id ? { sessionId: id } : {}) };
    }
    case 'aider': {
      // Aider keeps its chat in .aider.chat.history.md in the worktree: restoring it is its own resume.
      const restoring = snapshot !== null;
      return {
        argv: [...prog, ...extra, ...(restoring ? ['--restore-chat-history'] : [])],
        resumedWith: restoring ? 'session' : 'none',
        ...(!restoring && prompt ? { initialInput: prompt } : {}),
      };
    }
  }
}

/**
 * What a preset runs: its program, or — when the agent was given a command line — that line's words: the
 * program (another path or build of the tool, a wrapper) and its own options, before the arguments the
 * preset adds (session id, resume, task). Plain words only: a preset's command never goes through a shell.
 */
export function presetCommand(preset: Exclude<Preset, 'custom'>, command: string): string[] {
  const line = command.trim();
  if (!line) return [PRESET_PROGRAMS[preset]];
  const words = line.split(/[ \t]+/);
  if (!words.every((w) => PLAIN_WORD.test(w))) {
    throw new HiveError(
      'INVALID_INPUT',
      `For the ${preset} preset the command names the program and its own options in plain words (no quotes, $, ~, pipes, ; or redirections), e.g. "/opt/${PRESET_PROGRAMS[preset]}/bin/${PRESET_PROGRAMS[preset]} --verbose". For a shell command line use the custom preset.`,
    );
  }
  return words;
}

/** Words that only mean something to a shell (builtins and keywords), never run without one. */
const SHELL_ONLY = new Set([
  '.', ':', '[', 'alias', 'bg', 'break', 'case', 'cd', 'command', 'continue', 'do', 'done', 'elif', 'else', 'esac', 'eval', 'exec',
  'exit', 'export', 'fc', 'fg', 'fi', 'for', 'function', 'getopts', 'hash', 'if', 'jobs', 'local', 'read', 'readonly', 'return',
  'select', 'set', 'shift', 'source', 'then', 'time', 'times', 'trap', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'until',
  'wait', 'while',
]);
/** A word the shell would pass on unchanged: no quoting, expansion, globbing, redirection or control. */
const PLAIN_WORD = /^[A-Za-z0-9_./:@%+,=-]+$/;

/**
 * A custom command line as an argument array when `/bin/sh -c LINE` would run exactly that: plain words
 * separated by spaces, the first one an executable on PATH (not a builtin, not `VAR=value`). Saves the
 * shell's start on every launch and restart (the watchdog's restart latency). Anything else — quotes, `$`,
 * globs, `~`, pipes, `;`, redirections, newlines — returns null and keeps the shell.
 */
export function directArgv(line: string, envPath: string): string[] | null {
  const words = line.trim().split(/[ \t]+/);
  const first = words[0];
  if (!first || !words.every((w) => PLAIN_WORD.test(w))) return null;
  if (first.includes('=') || SHELL_ONLY.has(first)) return null;
  // Relative names and PATH entries would resolve against the agent's worktree, not where we look.
  if (first.includes('/') ? !path.isAbsolute(first) || !isExecutableFile(first) : !onAbsolutePath(first, envPath)) return null;
  return words;
}

function onAbsolutePath(program: string, envPath: string): boolean {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    if (!path.isAbsolute(dir)) return false; // a relative entry could hold it first: let the shell decide
    if (isExecutableFile(path.join(dir, program))) return true;
  }
  return false;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A prompt that hands an agent its context back when its tool cannot resume a session by id. */
export function resumePrompt(s: SnapshotContents): string {
  const parts = [
    `You are resuming work as agent "${s.agent}"${s.role ? ` (role: ${s.role})` : ''} after a ${s.type === 'crash' ? 'crash' : 'pause'}.`,
    s.task ? `Your task: ${s.task}` : '',
    s.memoryFiles.length ? `Your memory files were restored: ${s.memoryFiles.map((f) => f.path).join(', ')}. Read them first.` : '',
    s.git ? `Git: branch ${s.git.branch} at ${s.git.head.slice(0, 12)}.${s.git.status.split('\n').length > 1 ? ' You had uncommitted changes; they are still in the worktree.' : ''}` : '',
    s.notes ? `Notes: ${s.notes}` : '',
    s.pendingMessages.length ? `${s.pendingMessages.length} message(s) arrived while you were away: run \`hive msg inbox\`.` : '',
    s.outputTail ? `The last lines you printed:\n${s.outputTail.split('\n').slice(-40).join('\n')}` : '',
  ];
  return parts.filter(Boolean).join('\n\n');
}

/** Is the program on PATH? (A preset whose tool is missing is a clear error, not a crash loop.) */
export function onPath(program: string, envPath = process.env.PATH ?? ''): boolean {
  if (program.includes('/')) return existsSync(program);
  return envPath.split(path.delimiter).some((dir) => dir && isExecutableFile(path.join(dir, program)));
}

/**
 * Claude Code keeps one JSONL file per session under ~/.claude/projects/<cwd with / and . as ->/.
 * The newest one for the worktree is the session to resume.
 */
export function learnClaudeSessionId(worktree: string, home = os.homedir()): string | null {
  const dir = path.join(home, '.claude', 'projects', claudeProjectKey(worktree));
  if (!existsSync(dir)) return null;
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0];
  return newest ? newest.f.replace(/\.jsonl$/, '') : null;
}
