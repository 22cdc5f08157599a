import type { Db } from './database.js';

/**
 * How long the history is kept. The events table (every status change, crash and action) and the bus's
 * messages only ever grew: a fleet that runs for months, a chatty agent or a flapping one made hive.db
 * grow without end. Kept: events of the last `days` (and never more than `maxEvents` rows), messages of
 * the last `days` — older messages only once every recipient has acknowledged them, and never the newest
 * one (the next message number follows it).
 */
export interface Retention {
  days: number;
  maxEvents: number;
}

export const DEFAULT_RETENTION: Retention = { days: 30, maxEvents: 1_000_000 };

/** Rows deleted per statement: each batch is one short write transaction, so nothing waits long on it. */
const BATCH = 5000;

export interface PruneResult {
  events: number;
  messages: number;
}

/** Deletes the history older than the retention, a batch at a time. */
export function pruneHistory(db: Db, now: number, retention: Retention = DEFAULT_RETENTION): PruneResult {
  const cutoff = new Date(now - retention.days * 24 * 3600 * 1000).toISOString();
  // Event ids grow with time (append-only): the first id inside the window bounds the old ones, found by
  // the primary key without an index on `at`.
  const firstKept = db.prepare('SELECT id FROM events WHERE at >= ? ORDER BY id LIMIT 1').get(cutoff) as { id: number } | undefined;
  const newest = (db.prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null }).id ?? 0;
  const byCount = newest - retention.maxEvents + 1;
  const below = Math.max(firstKept ? firstKept.id : newest + 1, byCount);
  // Each agent's last status change is kept however old: the Metrics page reads every agent's state at the
  // start of a window from it (an agent running for a month vanished from its counts and uptime).
  const keep = JSON.stringify((db.prepare("SELECT MAX(id) AS id FROM events WHERE kind = 'status' AND id < ? GROUP BY agent").all(below) as { id: number }[]).map((r) => r.id));
  const deleteEvents = db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ? AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT ?)');
  let events = 0;
  for (;;) {
    const n = deleteEvents.run(below, keep, BATCH).changes;
    events += n;
    if (n < BATCH) break;
  }
  // Deliveries go with their message (ON DELETE CASCADE).
  const deleteMessages = db.prepare(
    `DELETE FROM messages WHERE id IN (
       SELECT m.id FROM messages m
        WHERE m.created_at < ? AND m.seq < (SELECT MAX(seq) FROM messages)
          AND NOT EXISTS (SELECT 1 FROM bus_deliveries d WHERE d.message_id = m.id AND d.acked_at IS NULL)
        ORDER BY m.seq LIMIT ?)`,
  );
  let messages = 0;
  for (;;) {
    const n = deleteMessages.run(cutoff, BATCH).changes;
    messages += n;
    if (n < BATCH) break;
  }
  return { events, messages };
}
