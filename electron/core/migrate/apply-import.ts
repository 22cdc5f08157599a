import { rmSync } from 'node:fs';
import type { SnapshotContents } from '../../../shared/contract/snapshots.js';
import { AgentRepo, type AgentOptions } from '../agents/agent-repo.js';
import { DEFAULT_POLICY } from '../agents/default-policy.js';
import { EventLog } from '../events/event-log.js';
import type { Clock } from '../ports/clock.js';
import { SnapshotStore } from '../snapshots/snapshot-store.js';
import type { Db } from '../store/database.js';
import { IMPORT_KINDS, type ImportKind, type ImportRecord, ImportRecords } from './import-records.js';
import type { ImportPlan, PlanItem } from './plan-import.js';

export const MIGRATE_ACTOR = 'migrate';

/** The clock the snapshot store stamps rows with: the old snapshot's own time while it is inserted. */
class StampClock implements Clock {
  at: string | null = null;
  constructor(private readonly base: Clock) {}
  now(): number {
    return this.at ? Date.parse(this.at) : this.base.now();
  }
  iso(): string {
    return this.at ?? this.base.iso();
  }
  setTimeout(fn: () => void, ms: number) {
    return this.base.setTimeout(fn, ms);
  }
}

/**
 * Writes the whole plan in ONE immediate transaction: agents (through AgentRepo), their status events,
 * tasks, snapshots (blob + row through SnapshotStore), messages, the import records and one `migrated`
 * event per kind. If anything throws, the transaction rolls back and the blobs this run created are
 * deleted, so the store is exactly as it was.
 */
export function applyImport(opts: {
  db: Db;
  dataDir: string;
  clock: Clock;
  plan: ImportPlan;
  records: ImportRecords;
  sourceRoot: string;
  backupDir: string | null;
}): Record<ImportKind, number> {
  const { db, plan, clock } = opts;
  const repo = new AgentRepo(db);
  const events = new EventLog(db, clock);
  const stamp = new StampClock(clock);
  const snapshots = new SnapshotStore(db, opts.dataDir, stamp);
  const newBlobs: string[] = [];
  const counts = Object.fromEntries(IMPORT_KINDS.map((k) => [k, 0])) as Record<ImportKind, number>;
  const written: ImportRecord[] = [];
  const insertTask = db.prepare(
    'INSERT INTO tasks (id, agent, description, status, priority, created_at, updated_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertMessage = db.prepare(
    'INSERT INTO messages (id, seq, from_agent, to_agent, topic, type, body, created_at, delivered_at, acked_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)',
  );
  // The bus delivers what a recipient has a delivery row for: without one, a message the old system had not
  // delivered yet was imported and never reached its agent.
  const insertDelivery = db.prepare('INSERT OR IGNORE INTO bus_deliveries (message_id, recipient, seq, delivered_at, acked_at) VALUES (?, ?, ?, ?, ?)');

  const writeSnapshot = (contents: SnapshotContents, note: string): string => {
    const blob = snapshots.writeBlob(contents);
    if (blob.storedBytes > 0) newBlobs.push(blob.sha256);
    stamp.at = contents.createdAt;
    try {
      return snapshots.insert(contents.agent, contents.type, blob, note).id;
    } finally {
      stamp.at = null;
    }
  };

  const apply = (item: PlanItem): string => {
    switch (item.kind) {
      case 'agent': {
        const a = item.agent;
        // The registry JSON and the old db row ride along in options.migratedFrom (options is stored as JSON).
        const options: AgentOptions & { migratedFrom: Record<string, unknown> } = { migratedFrom: a.migratedFrom };
        repo.insert({
          name: a.name,
          role: a.role,
          task: a.task,
          status: a.status,
          backend: 'tmux',
          preset: 'claude',
          command: 'claude',
          repo: a.repo,
          worktree: a.worktree,
          branch: a.branch,
          createdAt: a.createdAt,
          sleepMode: 'snapshot',
          image: null,
          // Imported agents are never restarted behind the user's back: the old process is not ours, and
          // the user decides when each one runs here. `agents setPolicy` turns autorestart back on.
          policy: { ...DEFAULT_POLICY, autorestart: false },
          options,
        });
        if (a.lastError) repo.patch(a.name, clock.iso(), { lastError: a.lastError });
        events.append({
          agent: a.name,
          kind: 'status',
          from: null,
          to: a.status,
          cause: a.cause,
          actor: MIGRATE_ACTOR,
          data: { migratedFrom: a.sourceId, oldStatus: a.oldStatus, worktree: a.worktree, worktreeExists: a.worktreeExists },
        });
        return a.name;
      }
      case 'task': {
        const t = item.task;
        insertTask.run(t.id, t.agent, t.description, t.status, t.priority, t.createdAt, t.updatedAt, JSON.stringify(t.metadata));
        return t.id;
      }
      case 'snapshot':
      case 'agent-memory':
        return writeSnapshot(item.snapshot.contents, item.snapshot.note);
      case 'memory-file':
        return item.record.targetId;
      case 'message': {
        const m = item.message;
        const seq = (db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM messages').get() as { next: number }).next;
        insertMessage.run(m.id, seq, m.from, m.to, m.type, m.body, m.createdAt, m.deliveredAt, m.ackedAt);
        if (m.to) insertDelivery.run(m.id, m.to, seq, m.deliveredAt, m.ackedAt);
        return m.id;
      }
    }
  };

  let committed = false;
  try {
    db.transaction(() => {
      const at = clock.iso();
      for (const item of plan.items) {
        const targetId = apply(item);
        written.push({ ...item.record, targetId });
        counts[item.kind]++;
      }
      opts.records.write(written, at);
      for (const kind of IMPORT_KINDS) {
        const mine = written.filter((r) => r.kind === kind);
        if (mine.length === 0) continue;
        events.append({
          agent: null,
          kind: 'migrated',
          cause: `migrated ${mine.length} ${kind}${mine.length === 1 ? '' : 's'} from ${opts.sourceRoot}`,
          actor: MIGRATE_ACTOR,
          data: {
            class: kind,
            count: mine.length,
            source: opts.sourceRoot,
            backup: opts.backupDir,
            items: mine.map((r) => ({ sourceId: r.sourceId, targetId: r.targetId, sha256: r.sha256 })),
          },
        });
      }
    }).immediate();
    committed = true;
  } finally {
    events.flush(committed);
    if (!committed) {
      const used = db.prepare('SELECT 1 FROM snapshots WHERE sha256 = ? LIMIT 1');
      for (const sha of newBlobs) if (!used.get(sha)) rmSync(snapshots.blobPath(sha), { force: true });
    }
  }
  return counts;
}
