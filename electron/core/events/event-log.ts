import type { HiveEvent } from '../../../shared/contract/events.js';
import type { AgentStatus } from '../../../shared/lifecycle.js';
import type { Clock } from '../ports/clock.js';
import { Emitter } from '../ports/disposable.js';
import type { Db } from '../store/database.js';

export interface AppendEvent {
  agent: string | null;
  kind: string;
  from?: AgentStatus | null;
  to?: AgentStatus | null;
  cause?: string;
  actor?: string;
  data?: Record<string, unknown> | null;
}

interface EventRow {
  id: number;
  at: string;
  agent: string | null;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  cause: string;
  actor: string;
  data: string | null;
}

/** The append-only events table: every status change and every action, with its cause and actor. */
export class EventLog {
  private readonly onDidAppendEmitter = new Emitter<HiveEvent>();
  readonly onDidAppend = this.onDidAppendEmitter.event;
  private readonly insert;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    this.insert = db.prepare(
      'INSERT INTO events (at, agent, kind, from_status, to_status, cause, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /**
   * Appends inside the caller's transaction when there is one. The event is announced only after the
   * outermost transaction commits, so listeners never see an event that was rolled back.
   */
  append(e: AppendEvent): HiveEvent {
    const at = this.clock.iso();
    const info = this.insert.run(
      at,
      e.agent,
      e.kind,
      e.from ?? null,
      e.to ?? null,
      e.cause ?? '',
      e.actor ?? 'system',
      e.data ? JSON.stringify(e.data) : null,
    );
    const event: HiveEvent = {
      id: Number(info.lastInsertRowid),
      at,
      agent: e.agent,
      kind: e.kind,
      from: e.from ?? null,
      to: e.to ?? null,
      cause: e.cause ?? '',
      actor: e.actor ?? 'system',
      data: e.data ?? null,
    };
    if (this.db.inTransaction) this.pending.push(event);
    else this.onDidAppendEmitter.fire(event);
    return event;
  }

  private pending: HiveEvent[] = [];

  /** Called by the code that owns a transaction once it has committed (or rolled back). */
  flush(committed: boolean): void {
    const events = this.pending;
    this.pending = [];
    if (committed) for (const e of events) this.onDidAppendEmitter.fire(e);
  }

  list(opts: { agent?: string; limit?: number; beforeId?: number; kinds?: string[] } = {}): HiveEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (opts.agent !== undefined) {
      where.push('agent = ?');
      args.push(opts.agent);
    }
    if (opts.beforeId !== undefined) {
      where.push('id < ?');
      args.push(opts.beforeId);
    }
    if (opts.kinds && opts.kinds.length > 0) {
      where.push(`kind IN (${opts.kinds.map(() => '?').join(',')})`);
      args.push(...opts.kinds);
    }
    const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    args.push(opts.limit ?? 500);
    return (this.db.prepare(sql).all(...args) as EventRow[]).map(toEvent);
  }
}

export function toEvent(r: EventRow): HiveEvent {
  return {
    id: r.id,
    at: r.at,
    agent: r.agent,
    kind: r.kind,
    from: r.from_status as AgentStatus | null,
    to: r.to_status as AgentStatus | null,
    cause: r.cause,
    actor: r.actor,
    data: r.data ? (JSON.parse(r.data) as Record<string, unknown>) : null,
  };
}
