import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { HiveError } from '../../../shared/errors.js';

/**
 * Reads the original LeanVibe system's `.claude/` tree: `agents/*.json` (registry files of its spawner),
 * `memory/*.md` + `memory/LATEST_MEMORY_SNAPSHOT.json`, and `state/agent_hive.db` (its
 * enhanced_state_manager.py schema). Everything read is validated here; nothing is written.
 */

export const MEMORY_SNAPSHOT_FILE = 'LATEST_MEMORY_SNAPSHOT.json';
export const STATE_DB = path.join('state', 'agent_hive.db');

export interface SourceFile {
  /** File name inside `memory/`. */
  name: string;
  bytes: Buffer;
  sha256: string;
}

/** The registry file as written by the old spawner; unknown keys are kept (passthrough). */
const RegistryJson = z
  .object({
    agent_id: z.string().min(1).optional(),
    agent_type: z.string().optional(),
    task: z.string().optional(),
    worktree_path: z.string().optional(),
    spawn_time: z.string().optional(),
    status: z.string().optional(),
  })
  .passthrough();

const DbAgentRow = z.object({
  agent_id: z.string().min(1),
  status: z.string(),
  current_task_id: z.string().nullable(),
  process_id: z.number().int().nullable(),
  last_heartbeat: z.string().nullable(),
  working_memory: z.string().nullable(),
  session_context: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type DbAgentRow = z.infer<typeof DbAgentRow>;

const DbTaskRow = z.object({
  task_id: z.string().min(1),
  agent_id: z.string().nullable(),
  description: z.string().nullable(),
  status: z.string().nullable(),
  priority: z.number().int().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  metadata: z.string().nullable(),
});
export type DbTaskRow = z.infer<typeof DbTaskRow>;

const DbSnapshotRow = z.object({
  snapshot_id: z.string().min(1),
  agent_id: z.string().nullable(),
  snapshot_type: z.string().nullable(),
  memory_data: z.string().nullable(),
  created_at: z.string().nullable(),
});
export type DbSnapshotRow = z.infer<typeof DbSnapshotRow>;

const DbMessageRow = z.object({
  id: z.number().int(),
  from_agent: z.string().nullable(),
  to_agent: z.string().nullable(),
  message_type: z.string().nullable(),
  message_content: z.string().nullable(),
  timestamp: z.string().nullable(),
  delivered: z.number().int().nullable(),
});
export type DbMessageRow = z.infer<typeof DbMessageRow>;

export interface SourceAgent {
  id: string;
  /** The registry JSON object, verbatim (null when the agent is only in the db). */
  registry: Record<string, unknown> | null;
  registryFile: string | null;
  registrySha256: string | null;
  db: DbAgentRow | null;
}

export interface SourceData {
  /** The `.claude` directory the data was read from (the backup copy during a real run). */
  dir: string;
  agents: SourceAgent[];
  tasks: DbTaskRow[];
  snapshots: DbSnapshotRow[];
  messages: DbMessageRow[];
  memoryFiles: SourceFile[];
  hasDb: boolean;
  warnings: string[];
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Accepts the `.claude` dir itself or the repository that contains it. */
export function resolveClaudeDir(from: string): string {
  const abs = path.resolve(from);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new HiveError('MIGRATION_FAILED', `${abs} is not a directory. Give the old system's .claude directory: \`hive migrate --from <repo>/.claude\`.`);
  }
  // A repository that holds a .claude directory: that one, even when the repository has folders of the same
  // names of its own (an `agents/` of its code was imported as the old system's registry, junk agents and
  // all, and the whole repository copied into the backup).
  const nested = path.join(abs, '.claude');
  if (path.basename(abs) !== '.claude' && existsSync(nested) && statSync(nested).isDirectory()) return nested;
  const looksLikeClaude = ['agents', 'memory', 'state'].some((d) => existsSync(path.join(abs, d)));
  if (looksLikeClaude) return abs;
  throw new HiveError(
    'MIGRATION_FAILED',
    `${abs} has none of agents/, memory/ or state/agent_hive.db, so it is not a LeanVibe .claude directory. Give \`hive migrate --from <repo>/.claude\`.`,
  );
}

/** `label` is the path named in error messages (the user's source, when `dir` is the backup copy). */
export function readSource(dir: string, label = dir): SourceData {
  const warnings: string[] = [];
  const registry = readRegistry(dir);
  const memoryFiles = readMemory(dir, warnings);
  const dbFile = path.join(dir, STATE_DB);
  const hasDb = existsSync(dbFile);
  const db = hasDb ? readStateDb(dbFile, path.join(label, STATE_DB), warnings) : { agents: [], tasks: [], snapshots: [], messages: [] };

  // One agent per old id: the registry file and the db row describe the same agent when their ids match.
  const byId = new Map<string, SourceAgent>();
  for (const r of registry) byId.set(r.id, { ...r, db: null });
  for (const row of db.agents) {
    const known = byId.get(row.agent_id);
    if (known) known.db = row;
    else byId.set(row.agent_id, { id: row.agent_id, registry: null, registryFile: null, registrySha256: null, db: row });
  }
  const agents = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  return { dir, agents, tasks: db.tasks, snapshots: db.snapshots, messages: db.messages, memoryFiles, hasDb, warnings };
}

function readRegistry(dir: string): Omit<SourceAgent, 'db'>[] {
  const agentsDir = path.join(dir, 'agents');
  if (!existsSync(agentsDir)) return [];
  const out: Omit<SourceAgent, 'db'>[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(agentsDir).filter((f) => f.endsWith('.json')).sort()) {
    const raw = readFileSync(path.join(agentsDir, file));
    let parsed: z.infer<typeof RegistryJson>;
    try {
      parsed = RegistryJson.parse(JSON.parse(raw.toString('utf8')));
    } catch (err) {
      throw new HiveError(
        'MIGRATION_FAILED',
        `The agent registry file agents/${file} is not a valid registry JSON object (${firstLine(err)}). Nothing was imported. Fix or move the file, then run the migration again.`,
      );
    }
    const id = parsed.agent_id ?? file.replace(/\.json$/, '');
    if (seen.has(id)) {
      throw new HiveError('MIGRATION_FAILED', `Two registry files in agents/ use the agent id ${JSON.stringify(id)} (the second is ${file}). Nothing was imported. Remove the stale one and run again.`);
    }
    seen.add(id);
    out.push({ id, registry: parsed as Record<string, unknown>, registryFile: `agents/${file}`, registrySha256: sha256(raw) });
  }
  return out;
}

function readMemory(dir: string, warnings: string[]): SourceFile[] {
  const memDir = path.join(dir, 'memory');
  if (!existsSync(memDir)) return [];
  const out: SourceFile[] = [];
  for (const name of readdirSync(memDir).sort()) {
    const full = path.join(memDir, name);
    if (!statSync(full).isFile()) {
      warnings.push(`memory/${name} is not a file and was not imported (it is in the backup).`);
      continue;
    }
    if (!name.endsWith('.md') && name !== MEMORY_SNAPSHOT_FILE) {
      warnings.push(`memory/${name} is neither a .md file nor ${MEMORY_SNAPSHOT_FILE} and was not imported (it is in the backup).`);
      continue;
    }
    const bytes = readFileSync(full);
    if (name === MEMORY_SNAPSHOT_FILE) {
      try {
        JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        // Kept byte-for-byte anyway: the file is memory, not something we interpret.
        warnings.push(`memory/${name} is not valid JSON (${firstLine(err)}); it was imported byte-for-byte as it is.`);
      }
    }
    out.push({ name, bytes, sha256: sha256(bytes) });
  }
  return out;
}

function readStateDb(dbFile: string, file: string, warnings: string[]) {
  let db: Database.Database;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw corrupt(file, err);
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw corrupt(file, new Error(String(check)));
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const rows = <T>(table: string, schema: z.ZodType<T>, sql: string): T[] => {
      if (!tables.has(table)) {
        warnings.push(`state/agent_hive.db has no ${table} table; nothing imported from it.`);
        return [];
      }
      return (db.prepare(sql).all() as unknown[]).map((r, i) => {
        const parsed = schema.safeParse(r);
        if (!parsed.success) {
          throw new HiveError(
            'MIGRATION_FAILED',
            `Row ${i + 1} of ${table} in ${file} does not have the old system's shape (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}). Nothing was imported.`,
          );
        }
        return parsed.data;
      });
    };
    return {
      agents: rows('agents', DbAgentRow, 'SELECT agent_id, status, current_task_id, process_id, last_heartbeat, working_memory, session_context, created_at, updated_at FROM agents ORDER BY agent_id'),
      tasks: rows('tasks', DbTaskRow, 'SELECT task_id, agent_id, description, status, priority, created_at, updated_at, metadata FROM tasks ORDER BY task_id'),
      snapshots: rows('memory_snapshots', DbSnapshotRow, 'SELECT snapshot_id, agent_id, snapshot_type, memory_data, created_at FROM memory_snapshots ORDER BY created_at, snapshot_id'),
      messages: rows('agent_communications', DbMessageRow, 'SELECT id, from_agent, to_agent, message_type, message_content, timestamp, delivered FROM agent_communications ORDER BY id'),
    };
  } catch (err) {
    if (err instanceof HiveError) throw err;
    throw corrupt(file, err);
  } finally {
    db.close();
  }
}

function corrupt(file: string, err: unknown): HiveError {
  return new HiveError(
    'MIGRATION_FAILED',
    `The old state database ${file} cannot be read (${firstLine(err)}). It is damaged or not a SQLite database; nothing was imported. Restore it from a backup, or move it aside to import only agents/ and memory/.`,
  );
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
