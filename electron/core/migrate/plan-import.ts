import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SnapshotContents } from '../../../shared/contract/snapshots.js';
import type { AgentStatus } from '../../../shared/lifecycle.js';
import type { Git } from '../git/git.js';
import type { Db } from '../store/database.js';
import type { ImportKind, ImportRecord, ImportRecords } from './import-records.js';
import {
  flattenMemory,
  mapStatus,
  normalizeTime,
  parseObject,
  sanitizeName,
  snapshotType,
  uniqueName,
  withWorktree,
} from './leanvibe-mapping.js';
import { sha256, type DbSnapshotRow, type SourceAgent, type SourceData, type SourceFile } from './leanvibe-source.js';

/** Where the old memory files go inside a snapshot: our memory dir, so later sleeps capture them again. */
export const MEMORY_PREFIX = '.hive/memory/';
/** Owner of the project memory snapshot when the source has memory files but no agents. */
export const MEMORY_ONLY_AGENT = 'migrated-memory';

export interface PlannedAgent {
  sourceId: string;
  name: string;
  role: string;
  task: string;
  status: AgentStatus;
  oldStatus: string | null;
  cause: string;
  lastError: string | null;
  repo: string;
  worktree: string;
  worktreeExists: boolean;
  /** A worktree_path that names a folder other than a linked worktree of the repository (not imported). */
  notLinked: string | null;
  branch: string;
  createdAt: string;
  migratedFrom: Record<string, unknown>;
}

export interface PlannedTask {
  id: string;
  agent: string | null;
  description: string;
  status: string;
  priority: number;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, unknown>;
}

export interface PlannedSnapshot {
  contents: SnapshotContents;
  note: string;
}

export interface PlannedMessage {
  id: string;
  from: string;
  to: string | null;
  type: string;
  body: string;
  createdAt: string;
  deliveredAt: string | null;
  ackedAt: string | null;
}

/** One thing to import, with the record that marks it imported. `target` is filled when it is written. */
export type PlanItem =
  | { kind: 'agent'; record: ImportRecord; agent: PlannedAgent }
  | { kind: 'task'; record: ImportRecord; task: PlannedTask }
  | { kind: 'snapshot' | 'agent-memory'; record: ImportRecord; snapshot: PlannedSnapshot }
  | { kind: 'memory-file'; record: ImportRecord }
  | { kind: 'message'; record: ImportRecord; message: PlannedMessage };

export interface ImportPlan {
  items: PlanItem[];
  skipped: Record<ImportKind, number>;
  /** Old agent id → our name, for agents imported now or by an earlier run. */
  names: Map<string, string>;
  memorySetId: string;
  agents: PlannedAgent[];
  warnings: string[];
}

export async function planImport(opts: {
  db: Db;
  source: SourceData;
  records: ImportRecords;
  sourceRoot: string;
  repo: string;
  now: string;
  git: Git;
}): Promise<ImportPlan> {
  const { db, source, records, sourceRoot, repo, now } = opts;
  const items: PlanItem[] = [];
  const skipped = { agent: 0, task: 0, snapshot: 0, 'agent-memory': 0, 'memory-file': 0, message: 0 } as Record<ImportKind, number>;
  const warnings: string[] = [];
  const rootTag = sha256(sourceRoot).slice(0, 8);

  // Agents first: every other item refers to them by name.
  const names = new Map<string, string>();
  const planned = new Set<string>();
  const agentExists = db.prepare('SELECT 1 FROM agents WHERE name = ?');
  const agents: PlannedAgent[] = [];
  const agentInfo = new Map<string, { role: string; task: string }>();
  for (const a of source.agents) {
    const done = records.get('agent', a.id);
    if (done) {
      names.set(a.id, done.targetId);
      skipped.agent++;
      continue;
    }
    const name = uniqueName(sanitizeName(a.id), (n) => planned.has(n) || agentExists.get(n) !== undefined);
    planned.add(name);
    names.set(a.id, name);
    const agent = await planAgent(a, name, source, sourceRoot, repo, now, opts.git);
    if (sanitizeName(a.id) !== a.id) warnings.push(`Agent ${JSON.stringify(a.id)} is imported as ${name} (our names allow letters, digits, "-" and "_").`);
    else if (name !== a.id) warnings.push(`Agent ${JSON.stringify(a.id)} is imported as ${name} (an agent named ${a.id} exists already).`);
    if (agent.notLinked) warnings.push(`Agent ${name}: its old worktree ${agent.notLinked} is not a linked worktree of ${repo}; it is imported stopped and without a worktree (nothing there is ever started in, moved or deleted).`);
    agents.push(agent);
    items.push({ kind: 'agent', record: { kind: 'agent', sourceId: a.id, targetId: name, sha256: agentSha(a) }, agent });
  }
  for (const a of source.agents) {
    const reg = a.registry ?? {};
    const dbTask = a.db?.current_task_id ? source.tasks.find((t) => t.task_id === a.db?.current_task_id) : undefined;
    agentInfo.set(a.id, { role: str(reg.agent_type), task: str(reg.task) || (dbTask?.description ?? '') });
  }
  const nameOf = (oldId: string | null): string | null => (oldId === null ? null : (names.get(oldId) ?? null));

  const taskExists = db.prepare('SELECT 1 FROM tasks WHERE id = ?');
  const plannedTasks = new Set<string>();
  for (const t of source.tasks) {
    if (records.get('task', t.task_id)) {
      skipped.task++;
      continue;
    }
    const id = uniqueName(t.task_id, (n) => plannedTasks.has(n) || taskExists.get(n) !== undefined);
    plannedTasks.add(id);
    const agent = nameOf(t.agent_id);
    if (t.agent_id && !agent) warnings.push(`Task ${t.task_id} belongs to ${JSON.stringify(t.agent_id)}, which is not among the old agents; it is imported without an agent.`);
    const created = normalizeTime(t.created_at, now);
    const task: PlannedTask = {
      id,
      agent,
      description: t.description ?? '',
      status: t.status ?? 'pending',
      priority: t.priority ?? 5,
      createdAt: created,
      updatedAt: normalizeTime(t.updated_at, created),
      metadata: {
        ...parseObject(t.metadata),
        migratedFrom: { system: 'leanvibe', source: sourceRoot, taskId: t.task_id, agentId: t.agent_id, createdAt: t.created_at, updatedAt: t.updated_at },
      },
    };
    items.push({ kind: 'task', record: { kind: 'task', sourceId: t.task_id, targetId: id, sha256: sha256(task.description) }, task });
  }

  for (const s of source.snapshots) {
    if (records.get('snapshot', s.snapshot_id)) {
      skipped.snapshot++;
      continue;
    }
    const agent = nameOf(s.agent_id) ?? sanitizeName(s.agent_id ?? 'unknown');
    const info = agentInfo.get(s.agent_id ?? '') ?? { role: '', task: '' };
    const raw = s.memory_data ?? '';
    const file = oldSnapshotFile(s);
    const contents: SnapshotContents = {
      version: 1,
      agent,
      type: snapshotType(s.snapshot_type),
      createdAt: normalizeTime(s.created_at, now),
      task: info.task,
      role: info.role,
      outputTail: '',
      memoryFiles: [memoryFile(file)],
      git: null,
      sessionId: null,
      workingMemory: flattenMemory(s.memory_data),
      pendingMessages: [],
      notes: raw,
    };
    const note = `migrated from the old system's memory_snapshots ${s.snapshot_id} (${s.snapshot_type ?? 'no type'}, ${s.created_at ?? 'no time'})`;
    items.push({ kind: 'snapshot', record: { kind: 'snapshot', sourceId: s.snapshot_id, targetId: '', sha256: file.sha256 }, snapshot: { contents, note } });
  }

  // The project's consolidated memory goes into one `migrated` snapshot per agent, so waking any imported
  // agent restores it into `.hive/memory/`. Keyed by the set of files: a changed file gives new snapshots.
  const memorySetId = sha256(source.memoryFiles.map((f) => `${f.name}\u0000${f.sha256}`).join('\n')).slice(0, 16);
  const owners = source.agents.map((a) => a.id);
  if (owners.length === 0 && source.memoryFiles.length > 0) {
    owners.push(MEMORY_ONLY_AGENT);
    warnings.push(`The source has memory files but no agents; they are imported as snapshots of ${MEMORY_ONLY_AGENT}.`);
  }
  for (const oldId of owners) {
    const sourceId = `${oldId}@${memorySetId}`;
    if (records.get('agent-memory', sourceId)) {
      skipped['agent-memory']++;
      continue;
    }
    const a = source.agents.find((x) => x.id === oldId);
    const agent = nameOf(oldId) ?? oldId;
    const info = agentInfo.get(oldId) ?? { role: '', task: '' };
    const snapshotLatest = source.memoryFiles.find((f) => f.name === 'LATEST_MEMORY_SNAPSHOT.json');
    const wake = wakeInstructions(snapshotLatest);
    const contents: SnapshotContents = {
      version: 1,
      agent,
      type: 'migrated',
      createdAt: now,
      task: info.task,
      role: info.role,
      outputTail: '',
      // Its own old snapshots ride along too, so a wake from this snapshot restores everything it had.
      memoryFiles: [...source.memoryFiles, ...source.snapshots.filter((s) => s.agent_id === oldId).map(oldSnapshotFile)].map(memoryFile),
      git: null,
      sessionId: null,
      workingMemory: {
        ...flattenMemory(a?.db?.working_memory ?? null),
        ...(a?.db?.session_context ? { session_context: a.db.session_context } : {}),
        ...(a?.registry ? { registry: JSON.stringify(a.registry) } : {}),
      },
      pendingMessages: [],
      notes:
        `Imported from the LeanVibe .claude tree at ${sourceRoot} (old id ${JSON.stringify(oldId)}). ` +
        `The old memory files are in ${MEMORY_PREFIX}.` +
        (wake.length ? `\nThe old system's wake instructions:\n${wake.map((w) => `- ${w}`).join('\n')}` : ''),
    };
    items.push({
      kind: 'agent-memory',
      record: { kind: 'agent-memory', sourceId, targetId: '', sha256: memorySetId },
      snapshot: { contents, note: `migrated project memory (${source.memoryFiles.length} files) from ${sourceRoot}` },
    });
  }
  for (const f of source.memoryFiles) {
    const sourceId = `${f.name}@${f.sha256}`;
    if (records.get('memory-file', sourceId)) skipped['memory-file']++;
    else items.push({ kind: 'memory-file', record: { kind: 'memory-file', sourceId, targetId: `${MEMORY_PREFIX}${f.name}`, sha256: f.sha256 } });
  }

  for (const m of source.messages) {
    if (records.get('message', String(m.id))) {
      skipped.message++;
      continue;
    }
    const created = normalizeTime(m.timestamp, now);
    // The old table has only `delivered`. A delivered message was consumed there, so it is delivered and
    // acked here (never re-sent); an undelivered one stays pending and reaches its agent once it runs here.
    const delivered = (m.delivered ?? 0) !== 0;
    const message: PlannedMessage = {
      id: `leanvibe-${rootTag}-${m.id}`,
      from: nameOf(m.from_agent) ?? m.from_agent ?? 'unknown',
      to: nameOf(m.to_agent) ?? m.to_agent,
      type: m.message_type ?? 'text',
      body: m.message_content ?? '',
      createdAt: created,
      deliveredAt: delivered ? created : null,
      ackedAt: delivered ? created : null,
    };
    items.push({ kind: 'message', record: { kind: 'message', sourceId: String(m.id), targetId: message.id, sha256: sha256(message.body) }, message });
  }
  return { items, skipped, names, memorySetId, agents, warnings };
}

async function planAgent(a: SourceAgent, name: string, source: SourceData, sourceRoot: string, repo: string, now: string, git: Git): Promise<PlannedAgent> {
  const reg = a.registry ?? {};
  const wtRel = str(reg.worktree_path);
  let worktree = wtRel ? path.resolve(repo, wtRel) : '';
  let worktreeExists = worktree !== '' && existsSync(worktree) && statSync(worktree).isDirectory();
  // Only a linked worktree of the repository (`git worktree add`) is an agent's: a record naming the
  // repository itself or any other folder became an agent that a wake started in and a forced removal
  // deleted (`worktree_path: "."` → the whole repository).
  let notLinked: string | null = null;
  if (worktreeExists && !(await isLinkedWorktreeOf(git, repo, worktree))) {
    notLinked = worktree;
    worktree = '';
    worktreeExists = false;
  }
  // The db row is the old state manager's live view; the registry file is what the spawner wrote at spawn
  // time (and later marked `completed`). When both exist the db wins.
  const oldStatus = a.db?.status ?? str(reg.status);
  const mapped = withWorktree(mapStatus(oldStatus), notLinked ?? (worktree || null), worktreeExists, notLinked ? repo : null);
  let branch = '';
  if (worktreeExists) branch = await git.currentBranch(worktree).catch(() => '');
  const dbTask = a.db?.current_task_id ? source.tasks.find((t) => t.task_id === a.db?.current_task_id) : undefined;
  return {
    sourceId: a.id,
    name,
    role: str(reg.agent_type),
    task: str(reg.task) || (dbTask?.description ?? ''),
    status: mapped.status,
    oldStatus: oldStatus || null,
    cause: mapped.cause,
    lastError: mapped.lastError,
    repo,
    worktree,
    worktreeExists,
    notLinked,
    branch,
    createdAt: normalizeTime(str(reg.spawn_time) || a.db?.created_at, now),
    migratedFrom: {
      system: 'leanvibe',
      source: sourceRoot,
      id: a.id,
      status: oldStatus,
      registryFile: a.registryFile,
      registry: a.registry,
      db: a.db,
    },
  };
}

/** An old memory_snapshots row as a memory file: its memory_data text, byte-for-byte. */
function oldSnapshotFile(s: DbSnapshotRow): SourceFile {
  const raw = s.memory_data ?? '';
  return { name: `leanvibe-${filePart(s.snapshot_type ?? 'snapshot')}-${filePart(String(s.snapshot_id))}.json`, bytes: Buffer.from(raw, 'utf8'), sha256: sha256(raw) };
}

/**
 * An old id or type as part of a file name: kept when it is plain, else made plain and tagged with its hash
 * (two ids never share a name). An id such as `../../../../package` became `.hive/memory/leanvibe-sleep-
 * ../../../../package.json`, which a wake wrote over the worktree's own package.json.
 */
function filePart(s: string): string {
  if (/^[A-Za-z0-9_-]{1,64}$/.test(s)) return s;
  return `${s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 48)}-${sha256(s).slice(0, 8)}`;
}

function memoryFile(f: SourceFile) {
  return { path: `${MEMORY_PREFIX}${f.name}`, contentBase64: f.bytes.toString('base64'), sha256: f.sha256 };
}

function wakeInstructions(f: SourceFile | undefined): string[] {
  if (!f) return [];
  try {
    const v = (JSON.parse(f.bytes.toString('utf8')) as { wake_instructions?: unknown }).wake_instructions;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function agentSha(a: SourceAgent): string {
  return sha256(JSON.stringify({ registry: a.registrySha256, db: a.db }));
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** `dir` is one of the repository's linked worktrees (listed by git, not its main checkout). */
async function isLinkedWorktreeOf(git: Git, repo: string, dir: string): Promise<boolean> {
  const listed = await git.run(repo, ['worktree', 'list', '--porcelain'], { allowFailure: true }).catch(() => null);
  if (!listed || listed.code !== 0) return false;
  const paths = listed.stdout.split('\n').filter((l) => l.startsWith('worktree ')).map((l) => l.slice('worktree '.length));
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const want = real(dir);
  // The first entry is the main checkout.
  return paths.slice(1).some((p) => real(p) === want);
}
