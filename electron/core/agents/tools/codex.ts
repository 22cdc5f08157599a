import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Codex CLI (npm `@openai/codex`): its trust question for a new folder is answered with a config override
 * on its own command line (`-c projects."<path>".trust_level="trusted"`), so the user's config.toml is
 * never rewritten; `notify` runs `hive hook codex` after each turn (the JSON is its last argument).
 */
export function codexArgs(worktree: string): string[] {
  return ['-c', `projects.${JSON.stringify(worktree)}.trust_level="trusted"`, '-c', 'notify=["hive","hook","codex","notify"]'];
}

export function codexHome(env: Record<string, string | undefined>, home: string): string {
  return env.CODEX_HOME ?? path.join(home, '.codex');
}

/**
 * The session to resume: `known` when its rollout file still exists, else the newest rollout whose
 * session_meta names this worktree as its cwd (`~/.codex/sessions/YYYY/MM/DD/rollout-…-<id>.jsonl`).
 */
export function learnCodexSession(env: Record<string, string | undefined>, home: string, worktree: string, known: string | null): string | null {
  const root = path.join(codexHome(env, home), 'sessions');
  if (!existsSync(root)) return null;
  const files: { file: string; mtime: number }[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (e.isFile() && e.name.startsWith('rollout-') && e.name.endsWith('.jsonl')) files.push({ file: p, mtime: statSync(p).mtimeMs });
    }
  };
  walk(root, 0);
  files.sort((a, b) => b.mtime - a.mtime);
  for (const { file } of files) {
    const meta = firstLine(file);
    if (!meta) continue;
    try {
      const j = JSON.parse(meta) as { type?: string; payload?: { id?: string; cwd?: string } };
      if (j.type !== 'session_meta' || !j.payload?.id) continue;
      if (known && j.payload.id === known) return known;
      if (!known && j.payload.cwd === worktree) return j.payload.id;
    } catch {
      continue;
    }
  }
  return null;
}

function firstLine(file: string): string | null {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16_384);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}
