import { createHash } from 'node:crypto';
import type { SnapshotContents, SnapshotMeta } from '../../../shared/contract/snapshots.js';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import type { Db } from '../store/database.js';
import type { ImportRecords } from './import-records.js';
import { MEMORY_ONLY_AGENT, MEMORY_PREFIX } from './plan-import.js';
import { sha256, type SourceData } from './leanvibe-source.js';

export interface Counts {
  agents: number;
  tasks: number;
  snapshots: number;
  memoryFiles: number;
  messages: number;
}

export interface Validation {
  ok: boolean;
  source: Counts;
  /** Source items found intact in the store. */
  store: Counts;
  mismatches: string[];
}

/**
 * Compares the source tree with the store, item by item: each source item must have an import record,
 * its target must exist, and its content must match (descriptions, message bodies, snapshot blobs by
 * sha256, and every memory file byte-for-byte in every agent's migrated snapshot).
 */
export function validateImport(opts: {
  db: Db;
  snapshots: SnapshotStore | null;
  source: SourceData;
  records: ImportRecords;
  memorySetId: string;
}): Validation {
  const { db, source, records } = opts;
  const mismatches: string[] = [];
  const store: Counts = { agents: 0, tasks: 0, snapshots: 0, memoryFiles: 0, messages: 0 };
  const sourceCounts: Counts = {
    agents: source.agents.length,
    tasks: source.tasks.length,
    snapshots: source.snapshots.length,
    memoryFiles: source.memoryFiles.length,
    messages: source.messages.length,
  };

  const agentRow = db.prepare('SELECT options FROM agents WHERE name = ?');
  for (const a of source.agents) {
    const rec = records.get('agent', a.id);
    if (!rec) {
      mismatches.push(`agent ${JSON.stringify(a.id)}: not imported`);
      continue;
    }
    const row = agentRow.get(rec.targetId) as { options: string } | undefined;
    if (!row) {
      mismatches.push(`agent ${JSON.stringify(a.id)}: imported as ${rec.targetId}, which is missing from the store`);
      continue;
    }
    const from = (JSON.parse(row.options) as { migratedFrom?: { id?: string } }).migratedFrom;
    if (from?.id !== a.id) mismatches.push(`agent ${rec.targetId}: does not record the original id ${JSON.stringify(a.id)}`);
    else store.agents++;
  }

  const taskRow = db.prepare('SELECT description FROM tasks WHERE id = ?');
  for (const t of source.tasks) {
    const rec = records.get('task', t.task_id);
    if (!rec) {
      mismatches.push(`task ${t.task_id}: not imported`);
      continue;
    }
    const row = taskRow.get(rec.targetId) as { description: string } | undefined;
    if (!row) mismatches.push(`task ${t.task_id}: imported as ${rec.targetId}, which is missing from the store`);
    else if (sha256(row.description) !== sha256(t.description ?? '')) mismatches.push(`task ${t.task_id}: description differs from the source`);
    else store.tasks++;
  }

  for (const s of source.snapshots) {
    const rec = records.get('snapshot', s.snapshot_id);
    if (!rec) {
      mismatches.push(`snapshot ${s.snapshot_id}: not imported`);
      continue;
    }
    const got = readSnapshot(opts.snapshots, db, rec.targetId);
    if ('problem' in got) {
      mismatches.push(`snapshot ${s.snapshot_id}: ${got.problem}`);
      continue;
    }
    const f = got.contents.memoryFiles[0];
    const want = sha256(s.memory_data ?? '');
    if (!f || f.sha256 !== want || hashBase64(f.contentBase64) !== want) mismatches.push(`snapshot ${s.snapshot_id}: its memory data differs from the source`);
    else store.snapshots++;
  }

  // Every owner of the current memory set must carry every memory file, byte-for-byte.
  const owners = source.agents.length > 0 ? source.agents.map((a) => a.id) : source.memoryFiles.length > 0 ? [MEMORY_ONLY_AGENT] : [];
  const intact = new Map(source.memoryFiles.map((f) => [f.name, true]));
  for (const owner of owners) {
    const rec = records.get('agent-memory', `${owner}@${opts.memorySetId}`);
    if (!rec) {
      mismatches.push(`memory of ${JSON.stringify(owner)}: the current memory files are not imported`);
      intact.forEach((_v, k) => intact.set(k, false));
      continue;
    }
    const got = readSnapshot(opts.snapshots, db, rec.targetId);
    if ('problem' in got) {
      mismatches.push(`memory snapshot ${rec.targetId} of ${JSON.stringify(owner)}: ${got.problem}`);
      intact.forEach((_v, k) => intact.set(k, false));
      continue;
    }
    for (const f of source.memoryFiles) {
      const m = got.contents.memoryFiles.find((x) => x.path === `${MEMORY_PREFIX}${f.name}`);
      if (!m || m.sha256 !== f.sha256 || hashBase64(m.contentBase64) !== f.sha256) {
        mismatches.push(`memory file ${f.name}: differs from the source in snapshot ${rec.targetId} of ${JSON.stringify(owner)}`);
        intact.set(f.name, false);
      }
    }
  }
  store.memoryFiles = [...intact.values()].filter(Boolean).length;

  const msgRow = db.prepare('SELECT body FROM messages WHERE id = ?');
  for (const m of source.messages) {
    const rec = records.get('message', String(m.id));
    if (!rec) {
      mismatches.push(`message ${m.id}: not imported`);
      continue;
    }
    const row = msgRow.get(rec.targetId) as { body: string } | undefined;
    if (!row) mismatches.push(`message ${m.id}: imported as ${rec.targetId}, which is missing from the store`);
    else if (sha256(row.body) !== sha256(m.message_content ?? '')) mismatches.push(`message ${m.id}: body differs from the source`);
    else store.messages++;
  }

  for (const k of Object.keys(sourceCounts) as (keyof Counts)[]) {
    if (sourceCounts[k] !== store[k]) mismatches.push(`count of ${k}: source ${sourceCounts[k]}, store ${store[k]}`);
  }
  return { ok: mismatches.length === 0, source: sourceCounts, store, mismatches };
}

function readSnapshot(store: SnapshotStore | null, db: Db, id: string): { meta: SnapshotMeta; contents: SnapshotContents } | { problem: string } {
  if (!db.prepare('SELECT 1 FROM snapshots WHERE id = ?').get(id)) return { problem: `imported as ${id}, which is missing from the store` };
  if (!store) return { problem: `its content file is missing (the store has no snapshots directory)` };
  const meta = store.get(id);
  const problem = store.verify(meta);
  if (problem) return { problem: `snapshot ${id} fails its checksum: ${problem}` };
  return store.read(id);
}

function hashBase64(b64: string): string {
  return createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
}
