import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Preset } from '../../../shared/contract/agents.js';
import type { SnapshotContents } from '../../../shared/contract/snapshots.js';
import { HiveError } from '../../../shared/errors.js';

/**
 * What each preset runs. Presets are argument arrays: the task prompt is one argv element, never part of a
 * shell string. Only `custom` goes through `/bin/sh -c`, and then with the user's own command line.
 */
export interface LaunchPlan {
  argv: string[];
  /** How the agent gets its context back: its tool's own session, a resume prompt, or nothing. */
  resumedWith: 'session' | 'prompt' | 'none';
}

export const PRESET_PROGRAMS: Record<Exclude<Preset, 'custom'>, string> = {
  claude: 'claude',
  aider: 'aider',
  codex: 'codex',
};

export function planLaunch(opts: {
  preset: Preset;
  command: string;
  task: string;
  snapshot: SnapshotContents | null;
  sessionId: string | null;
}): LaunchPlan {
  const { preset, task, snapshot, sessionId } = opts;
  const resume = snapshot ? resumePrompt(snapshot) : null;
  switch (preset) {
    case 'custom': {
      if (!opts.command.trim()) {
        throw new HiveError('INVALID_INPUT', 'The custom preset needs a command line (--cmd "…").');
      }
      // The resume prompt reaches custom commands through HIVE_RESUME_FILE (see the agent service).
      return { argv: ['/bin/sh', '-c', opts.command], resumedWith: resume ? 'prompt' : 'none' };
    }
    case 'claude': {
      if (sessionId) return { argv: ['claude', '--resume', sessionId], resumedWith: 'session' };
      const prompt = resume ?? task;
      return { argv: prompt ? ['claude', prompt] : ['claude'], resumedWith: resume ? 'prompt' : 'none' };
    }
    case 'aider': {
      const prompt = resume ?? task;
      return { argv: prompt ? ['aider', '--message', prompt, '--no-auto-commits'] : ['aider'], resumedWith: resume ? 'prompt' : 'none' };
    }
    case 'codex': {
      const prompt = resume ?? task;
      return { argv: prompt ? ['codex', prompt] : ['codex'], resumedWith: resume ? 'prompt' : 'none' };
    }
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
  return envPath.split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, program)));
}

/**
 * Claude Code keeps one JSONL file per session under ~/.claude/projects/<cwd with / and . as ->/.
 * The newest one for the worktree is the session to resume.
 */
export function learnClaudeSessionId(worktree: string, home = os.homedir()): string | null {
  const dir = path.join(home, '.claude', 'projects', worktree.replace(/[/.]/g, '-'));
  if (!existsSync(dir)) return null;
  const newest = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({ f, t: statSync(path.join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0];
  return newest ? newest.f.replace(/\.jsonl$/, '') : null;
}
