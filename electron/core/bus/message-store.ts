import type { BusMessage, MessageView } from '../../../shared/contract/bus.js';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { HiveError } from '../../../shared/errors.js';

/** What a sender asks for, after validation; exactly one of to / topic / broadcast is set. */
export interface NewMessage {
  id: string;
  from: string;
  to: string | null;
  topic: string | null;
  type: string;
  body: string;
  createdAt: string;
}

interface MessageRow {
  id: string;
  seq: number;
  from_agent: string;
  to_agent: string | null;
  topic: string | null;
  type: string;
  body: string;
  created_at: string;
  delivered_at: string | null;
  acked_at: string | null;
}

interface DeliveryRow extends MessageRow {
  d_delivered_at: string | null;
  d_acked_at: string | null;
}

export interface ClaimResult {
  /** Handed out now, oldest first. */
  messages: BusMessage[];
  /** Of the given ids, those with nothing left to deliver to this recipient (acknowledged or not theirs). */
  stale: string[];
}

export interface ListFilter {
  agent?: string;
  topic?: string;
  limit?: number;
  beforeSeq?: number;
}

/**
 * The durable side of the bus (SQLite): messages, one delivery row per recipient, topic subscriptions,
 * the agents the bus has seen, and the durable copy of working memory. Every method is synchronous and
 * runs in one transaction, so a claim can never hand the same delivery out twice.
 */
export class MessageStore {
  private readonly st;
  private readonly listStatements = new Map<string, Statement<unknown[]>>();

  /**
   * Runs `fn` in an IMMEDIATE transaction, or as part of the one already open (the bus's group commit, which
   * gives each write its own savepoint): a nested savepoint here cost a SAVEPOINT and a RELEASE per call.
   */
  private tx<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
  }

  constructor(private readonly db: Db) {
    this.st = {
      nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM messages'),
      getMessage: db.prepare('SELECT * FROM messages WHERE id = ?'),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, seq, from_agent, to_agent, topic, type, body, created_at)
         VALUES (@id, @seq, @from, @to, @topic, @type, @body, @createdAt) ON CONFLICT(id) DO NOTHING`,
      ),
      insertDelivery: db.prepare(
        'INSERT OR IGNORE INTO bus_deliveries (message_id, recipient, seq) VALUES (?, ?, ?)',
      ),
      subscribers: db.prepare('SELECT agent FROM bus_subscriptions WHERE topic = ? ORDER BY agent'),
      knownAgents: db.prepare(
        `SELECT name FROM agents UNION SELECT name FROM bus_agents ORDER BY name`,
      ),
      deliveryByIds: db.prepare(
        `SELECT m.*, d.delivered_at AS d_delivered_at, d.acked_at AS d_acked_at
           FROM bus_deliveries d JOIN messages m ON m.id = d.message_id
          WHERE d.recipient = ? AND d.message_id = ?`,
      ),
      unacked: db.prepare(
        `SELECT m.*, d.delivered_at AS d_delivered_at, d.acked_at AS d_acked_at
           FROM bus_deliveries d JOIN messages m ON m.id = d.message_id
          WHERE d.recipient = ? AND d.acked_at IS NULL ORDER BY d.seq LIMIT ?`,
      ),
      markDelivered: db.prepare(
        'UPDATE bus_deliveries SET delivered_at = COALESCE(delivered_at, ?) WHERE recipient = ? AND message_id = ?',
      ),
      markAcked: db.prepare(
        `UPDATE bus_deliveries SET delivered_at = COALESCE(delivered_at, @now), acked_at = @now
          WHERE recipient = @name AND message_id = @id AND acked_at IS NULL`,
      ),
      messageDelivered: db.prepare('UPDATE messages SET delivered_at = COALESCE(delivered_at, ?) WHERE id = ?'),
      messageAcked: db.prepare(
        `UPDATE messages SET acked_at = ? WHERE id = ? AND acked_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM bus_deliveries WHERE message_id = ? AND acked_at IS NULL)`,
      ),
      deliveryState: db.prepare('SELECT acked_at FROM bus_deliveries WHERE recipient = ? AND message_id = ?'),
      // The partial index holds only what is unacknowledged: the primary key would walk every delivery the
      // recipient ever had (the planner picks it without statistics).
      hasUnacked: db.prepare('SELECT 1 FROM bus_deliveries INDEXED BY bus_deliveries_unacked WHERE recipient = ? AND acked_at IS NULL LIMIT 1'),
      backlogRecipients: db.prepare(
        'SELECT DISTINCT recipient FROM bus_deliveries WHERE acked_at IS NULL ORDER BY recipient',
      ),
      backlogCount: db.prepare('SELECT COUNT(*) AS n FROM bus_deliveries WHERE acked_at IS NULL'),
      recipientsOf: db.prepare(
        'SELECT recipient AS name, delivered_at, acked_at FROM bus_deliveries WHERE message_id = ? ORDER BY recipient',
      ),
      subscribe: db.prepare('INSERT OR IGNORE INTO bus_subscriptions (agent, topic, created_at) VALUES (?, ?, ?)'),
      unsubscribe: db.prepare('DELETE FROM bus_subscriptions WHERE agent = ? AND topic = ?'),
      topicsOf: db.prepare('SELECT topic FROM bus_subscriptions WHERE agent = ? ORDER BY topic'),
      touchAgent: db.prepare(
        `INSERT INTO bus_agents (name, first_seen_at, last_seen_at) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
      ),
      setPane: db.prepare(
        `INSERT INTO bus_agents (name, first_seen_at, last_seen_at, pane_delivery) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET pane_delivery = excluded.pane_delivery`,
      ),
      paneAgents: db.prepare('SELECT name FROM bus_agents WHERE pane_delivery = 1 ORDER BY name'),
      memSet: db.prepare(
        `INSERT INTO bus_memory (agent, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(agent, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      memAll: db.prepare('SELECT key, value FROM bus_memory WHERE agent = ? ORDER BY key'),
      memClear: db.prepare('DELETE FROM bus_memory WHERE agent = ?'),
    };
  }

  /**
   * Stores a message and its deliveries. Idempotent on the id: a retried send returns the stored message
   * and `created: false` instead of a second copy.
   */
  insert(msg: NewMessage): { message: BusMessage; recipients: string[]; created: boolean } {
    return this.tx(() => {
      const seq = (this.st.nextSeq.get() as { seq: number }).seq;
      if (this.st.insertMessage.run({ ...msg, seq }).changes === 0) {
        // The id exists: a retried send. Hand back what was stored the first time — only to the same send:
        // another message under a used id was dropped while its sender was told it went out, and got back
        // the first message (another agent's, maybe private) as if it were its own.
        const existing = this.st.getMessage.get(msg.id) as MessageRow;
        if (existing.from_agent !== msg.from || existing.to_agent !== msg.to || existing.topic !== msg.topic || existing.type !== msg.type || existing.body !== msg.body) {
          throw new HiveError('INVALID_INPUT', `The message id ${JSON.stringify(msg.id)} is already used by another message; give a new id, or none (one is made up).`);
        }
        const recipients = (this.st.recipientsOf.all(msg.id) as { name: string }[]).map((r) => r.name);
        return { message: toMessage(existing), recipients, created: false };
      }
      const recipients = this.recipientsFor(msg);
      for (const r of recipients) this.st.insertDelivery.run(msg.id, r, seq);
      const message: BusMessage = {
        ...msg,
        seq,
        broadcast: msg.to === null && msg.topic === null,
        deliveredAt: null,
        ackedAt: null,
      };
      return { message, recipients, created: true };
    });
  }

  /** Direct → the addressee; topic → its subscribers; broadcast → every agent known; never the sender. */
  private recipientsFor(msg: NewMessage): string[] {
    if (msg.to !== null) return [msg.to];
    const names =
      msg.topic !== null
        ? (this.st.subscribers.all(msg.topic) as { agent: string }[]).map((r) => r.agent)
        : (this.st.knownAgents.all() as { name: string }[]).map((r) => r.name);
    return names.filter((n) => n !== msg.from);
  }

  /**
   * Hands out deliveries to `name`: the given message ids (from the transport's backlog) or, with null,
   * the oldest unacknowledged ones. With `ack` they are acknowledged in the same transaction, so a second
   * claim, a duplicate in the transport or a concurrent call never returns them again.
   */
  claim(name: string, ids: string[] | null, opts: { ack: boolean; limit: number; now: string }): ClaimResult {
    return this.tx(() => {
      const stale: string[] = [];
      let rows: DeliveryRow[];
      if (ids === null) rows = this.st.unacked.all(name, opts.limit) as DeliveryRow[];
      else {
        rows = [];
        for (const id of new Set(ids)) {
          const r = this.st.deliveryByIds.get(name, id) as DeliveryRow | undefined;
          if (r && r.d_acked_at === null) rows.push(r);
          else stale.push(id);
        }
      }
      const messages: BusMessage[] = [];
      for (const r of rows) {
        if (messages.length >= opts.limit) break;
        if (opts.ack) this.st.markAcked.run({ now: opts.now, name, id: r.id });
        else this.st.markDelivered.run(opts.now, name, r.id);
        if (r.delivered_at === null) this.st.messageDelivered.run(opts.now, r.id);
        if (opts.ack) this.st.messageAcked.run(opts.now, r.id, r.id);
        messages.push({
          ...toMessage(r),
          deliveredAt: r.d_delivered_at ?? opts.now,
          ackedAt: opts.ack ? opts.now : null,
        });
      }
      return { messages: messages.sort((a, b) => a.seq - b.seq), stale };
    });
  }

  ack(name: string, ids: string[], now: string): number {
    return this.tx(() => {
      let n = 0;
      for (const id of new Set(ids)) {
        if (this.st.markAcked.run({ now, name, id }).changes === 1) {
          n++;
          this.st.messageDelivered.run(now, id);
          this.st.messageAcked.run(now, id, id);
        }
      }
      return n;
    });
  }

  /** Unacknowledged messages for `name`, oldest first, without marking them (the resume context). */
  unacked(name: string, limit = 10_000): BusMessage[] {
    return (this.st.unacked.all(name, limit) as DeliveryRow[]).map((r) => ({
      ...toMessage(r),
      deliveredAt: r.d_delivered_at,
      ackedAt: null,
    }));
  }

  /** Of `ids`, those with nothing left to deliver to `name` (acknowledged, or never addressed to them). */
  settled(name: string, ids: Iterable<string>): string[] {
    const out: string[] = [];
    for (const id of ids) {
      const row = this.st.deliveryState.get(name, id) as { acked_at: string | null } | undefined;
      if (!row || row.acked_at !== null) out.push(id);
    }
    return out;
  }

  hasUnacked(name: string): boolean {
    return this.st.hasUnacked.get(name) !== undefined;
  }

  backlogRecipients(): string[] {
    return (this.st.backlogRecipients.all() as { recipient: string }[]).map((r) => r.recipient);
  }

  backlogCount(): number {
    return (this.st.backlogCount.get() as { n: number }).n;
  }

  list(filter: ListFilter = {}): MessageView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.agent !== undefined) {
      where.push('(m.from_agent = ? OR m.id IN (SELECT message_id FROM bus_deliveries WHERE recipient = ?))');
      args.push(filter.agent, filter.agent);
    }
    if (filter.topic !== undefined) {
      where.push('m.topic = ?');
      args.push(filter.topic);
    }
    if (filter.beforeSeq !== undefined) {
      where.push('m.seq < ?');
      args.push(filter.beforeSeq);
    }
    args.push(filter.limit ?? 200);
    const sql = `SELECT m.* FROM messages m ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY m.seq DESC LIMIT ?`;
    let stmt = this.listStatements.get(sql);
    if (!stmt) this.listStatements.set(sql, (stmt = this.db.prepare(sql)));
    const rows = stmt.all(...args) as MessageRow[];
    return rows.map((r) => {
      const recipients = (
        this.st.recipientsOf.all(r.id) as { name: string; delivered_at: string | null; acked_at: string | null }[]
      ).map((d) => ({ name: d.name, deliveredAt: d.delivered_at, ackedAt: d.acked_at }));
      return { ...toMessage(r), recipients };
    });
  }

  topicSummary(): { topic: string; subscribers: string[]; messages: number }[] {
    const rows = this.db
      .prepare(
        `SELECT t.topic AS topic,
                (SELECT group_concat(agent, char(10)) FROM (SELECT agent FROM bus_subscriptions s WHERE s.topic = t.topic ORDER BY agent)) AS subs,
                (SELECT COUNT(*) FROM messages m WHERE m.topic = t.topic) AS n
           FROM (SELECT topic FROM bus_subscriptions UNION SELECT topic FROM messages WHERE topic IS NOT NULL) t
          ORDER BY t.topic`,
      )
      .all() as { topic: string; subs: string | null; n: number }[];
    return rows.map((r) => ({ topic: r.topic, subscribers: r.subs ? r.subs.split('\n') : [], messages: r.n }));
  }

  subscribe(name: string, topic: string, now: string): string[] {
    this.st.subscribe.run(name, topic, now);
    return this.topicsOf(name);
  }

  unsubscribe(name: string, topic: string): string[] {
    this.st.unsubscribe.run(name, topic);
    return this.topicsOf(name);
  }

  topicsOf(name: string): string[] {
    return (this.st.topicsOf.all(name) as { topic: string }[]).map((r) => r.topic);
  }

  /** Remembers an agent that used the bus, so broadcasts reach it even before the lead's agents table knows it. */
  touchAgent(name: string, now: string): void {
    this.st.touchAgent.run(name, now, now);
  }

  setPaneDelivery(name: string, enabled: boolean, now: string): void {
    this.st.setPane.run(name, now, now, enabled ? 1 : 0);
  }

  paneAgents(): string[] {
    return (this.st.paneAgents.all() as { name: string }[]).map((r) => r.name);
  }

  memorySet(name: string, key: string, value: string, now: string): void {
    this.st.memSet.run(name, key, value, now);
  }

  memoryAll(name: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of this.st.memAll.all(name) as { key: string; value: string }[]) out[r.key] = r.value;
    return out;
  }

  forgetAgent(name: string, now: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM bus_subscriptions WHERE agent = ?').run(name);
      this.db.prepare('DELETE FROM bus_agents WHERE name = ?').run(name);
      this.st.memClear.run(name);
      const open = (this.st.unacked.all(name, 1_000_000) as DeliveryRow[]).map((r) => r.id);
      this.ack(name, open, now);
    })();
  }

  memoryReplace(name: string, record: Record<string, string>, now: string): void {
    this.db.transaction(() => {
      this.st.memClear.run(name);
      for (const [k, v] of Object.entries(record)) this.st.memSet.run(name, k, v, now);
    })();
  }
}

function toMessage(r: MessageRow): BusMessage {
  return {
    id: r.id,
    seq: r.seq,
    from: r.from_agent,
    to: r.to_agent,
    topic: r.topic,
    broadcast: r.to_agent === null && r.topic === null,
    type: r.type,
    body: r.body,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
    ackedAt: r.acked_at,
  };
}
