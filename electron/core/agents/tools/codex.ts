import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Codex CLI (npm `@openai/codex`, checked against 0.171): everything is passed as config overrides on its
 * own command line (`-c key=value`, TOML values), so the user's config.toml is never rewritten:
 * - the trust question for a new folder: `projects."<worktree and its repository>".trust_level = "trusted"`;
 * - `notify` runs `hive hook codex notify JSON` after each turn (its end-of-turn signal);
 * - `--no-daemon`: by default the TUI starts a shared app-server that outlives the agent's process;
 * - a configured `OPENAI_BASE_URL` becomes a custom provider (Codex ignores that variable itself), whose
 *   key is read from `OPENAI_API_KEY` — and a custom provider needs no login screen.
 */
export function codexArgs(worktree: string, repo: string, configured: Record<string, string>): string[] {
  // Codex decides trust at the repository root of a linked worktree (the user's repository): the override
  // names it for this run only; nothing is saved in the user's config.
  // (An inline table: Codex does not apply a dotted override whose key is a quoted path.)
  const trust = `projects={ ${[...new Set([worktree, repo])].map((p) => `${JSON.stringify(p)} = { trust_level = "trusted" }`).join(', ')} }`;
  const args = ['--no-daemon', '-c', trust, '-c', 'notify=["hive","hook","codex","notify"]'];
  const base = configured.OPENAI_BASE_URL;
  if (base && /^https?:\/\/\S+$/.test(base)) {
    args.push(
      '-c', 'model_provider="hive"',
      '-c', 'model_providers.hive.name="Agent Hive endpoint"',
      '-c', `model_providers.hive.base_url=${JSON.stringify(base)}`,
      '-c', 'model_providers.hive.env_key="OPENAI_API_KEY"',
      '-c', 'model_providers.hive.wire_api="responses"',
    );
  }
  return args;
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
    const buf = Buffer.alloc(1024 * 1024); // session_meta carries the base instructions: tens of KB
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    return nl < 0 ? text : text.slice(0, nl);
  } finally {
    closeSync(fd);
  }
}
