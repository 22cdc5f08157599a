import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { claudeTranscript, claudeUserTurns } from './claude.js';
import { codexHome } from './codex.js';
import { geminiDir } from './gemini.js';

/**
 * The file where a tool keeps the conversation of a session — Claude Code's transcript, Codex's rollout
 * file, Gemini CLI's chat file — so typed input can be confirmed from what the tool itself recorded.
 * Null when the tool keeps none, or it cannot be found (yet).
 */
export function sessionFile(preset: string, env: Record<string, string | undefined>, home: string, worktree: string, sessionId: string): string | null {
  switch (preset) {
    case 'claude': {
      const f = claudeTranscript(env, home, worktree, sessionId);
      return existsSync(f) ? f : null;
    }
    case 'codex':
      return findFile(path.join(codexHome(env, home), 'sessions'), (name) => name.startsWith('rollout-') && name.endsWith(`-${sessionId}.jsonl`), 3);
    case 'gemini': {
      const tail = `-${sessionId.slice(0, 8)}.jsonl`;
      return findFile(path.join(geminiDir(env, home), 'tmp'), (name) => name.startsWith('session-') && name.endsWith(tail), 2);
    }
    default:
      return null;
  }
}

/** How many user turns the file holds that contain `text` (JSON-escaped, as the tools write it). */
export function turnsWithText(preset: string, file: string, text: string): number {
  if (preset === 'claude') return claudeUserTurns(file).filter((t) => t.includes(text)).length;
  let body: string;
  try {
    body = readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const needle = JSON.stringify(text).slice(1, -1);
  let n = 0;
  for (let i = body.indexOf(needle); i !== -1; i = body.indexOf(needle, i + needle.length)) n++;
  return n;
}

function findFile(root: string, match: (name: string) => boolean, depth: number): string | null {
  if (!existsSync(root)) return null;
  let best: { file: string; mtime: number } | null = null;
  const walk = (dir: string, d: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && d < depth) walk(p, d + 1);
      else if (e.isFile() && match(e.name)) {
        const mtime = statSync(p).mtimeMs;
        if (!best || mtime > best.mtime) best = { file: p, mtime };
      }
    }
  };
  walk(root, 0);
  return (best as { file: string } | null)?.file ?? null;
}
