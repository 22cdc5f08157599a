import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HiveError } from '../../../../shared/errors.js';

type Json = Record<string, unknown>;

/**
 * Read-modify-write of a tool's JSON config file that keeps everything we do not touch: the file is read,
 * `change` edits the parsed object, and the result replaces the file atomically (a temporary file in the
 * same folder, renamed over it) with the old file's mode. A file that is not valid JSON is never replaced:
 * that is the user's to fix, and the error says where. Returns whether anything changed.
 */
export function updateJsonFile(file: string, change: (config: Json) => boolean, opts: { mode?: number } = {}): boolean {
  let config: Json = {};
  let mode = opts.mode ?? 0o600;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    mode = statSync(file).mode & 0o777;
    if (text.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new HiveError('INVALID_INPUT', `${file} is not valid JSON (${(err as Error).message}); Agent Hive leaves it as it is. Fix it, or move it away to let the tool write a new one.`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new HiveError('INVALID_INPUT', `${file} does not hold a JSON object; Agent Hive leaves it as it is. Fix it, or move it away.`);
      }
      config = parsed as Json;
    }
  }
  if (!change(config)) return false;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.hive-${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
  return true;
}

/** The object at `obj[key]`, created when missing (a non-object there is replaced only if `force`). */
export function objectAt(obj: Json, key: string): Json {
  const v = obj[key];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Json;
  const fresh: Json = {};
  obj[key] = fresh;
  return fresh;
}

/**
 * Merges Agent Hive's hook commands into a Claude-style `hooks` map (`{"hooks": {EVENT: [{hooks: [{type,
 * command}]}]}}`, used by Claude Code and Gemini CLI) next to whatever hooks are there. Ours are recognised
 * by their command and never added twice. Returns whether the file changed.
 */
export function mergeHooks(file: string, events: readonly string[], entryFor: (event: string) => { command: string; entry: Record<string, unknown> }): boolean {
  return updateJsonFile(
    file,
    (c) => {
      const hooks = objectAt(c, 'hooks');
      let changed = false;
      for (const event of events) {
        const list = Array.isArray(hooks[event]) ? (hooks[event] as unknown[]) : [];
        const { command, entry } = entryFor(event);
        if (JSON.stringify(list).includes(JSON.stringify(command))) continue;
        hooks[event] = [...list, entry];
        changed = true;
      }
      return changed;
    },
    { mode: 0o644 },
  );
}
