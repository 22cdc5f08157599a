import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../../electron/core/store/database.js';
import { pruneHistory } from '../../../../electron/core/store/retention.js';
import { tempDir } from '../../../support/git-repo.js';

const DAY = 24 * 3600 * 1000;
const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();

describe('pruneHistory on a real hive.db', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = tempDir('hive-retention-');
    db = openDatabase(path.join(dir, 'hive.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const addEvent = (daysAgo: number, cause: string, kind = 'input', agent = 'a') =>
    db.prepare('INSERT INTO events (at, agent, kind, cause) VALUES (?, ?, ?, ?)').run(iso(daysAgo), agent, kind, cause);
  let seq = 0;
  const addMessage = (id: string, daysAgo: number, recipients: { name: string; acked: boolean }[]) => {
    seq++;
    db.prepare("INSERT INTO messages (id, seq, from_agent, to_agent, body, created_at) VALUES (?, ?, 'a', NULL, 'hi', ?)").run(id, seq, iso(daysAgo));
    for (const r of recipients) {
      db.prepare('INSERT INTO bus_deliveries (message_id, recipient, seq, acked_at) VALUES (?, ?, ?, ?)').run(id, r.name, seq, r.acked ? iso(daysAgo) : null);
    }
  };
  const events = () => (db.prepare('SELECT cause FROM events ORDER BY id').all() as { cause: string }[]).map((r) => r.cause);
  const messages = () => (db.prepare('SELECT id FROM messages ORDER BY seq').all() as { id: string }[]).map((r) => r.id);

  it('drops events older than the retention (in batches past 5,000), keeps the rest in order', () => {
    const insert = db.transaction(() => {
      for (let i = 0; i < 12_000; i++) addEvent(40, `old ${i}`);
    });
    insert();
    addEvent(31, 'just too old');
    addEvent(29, 'kept 1');
    addEvent(0, 'kept 2');
    expect(pruneHistory(db, NOW, { days: 30, maxEvents: 1_000_000 })).toEqual({ events: 12_001, messages: 0 });
    expect(events()).toEqual(['kept 1', 'kept 2']);
    expect(pruneHistory(db, NOW, { days: 30, maxEvents: 1_000_000 })).toEqual({ events: 0, messages: 0 });
  });

  it("keeps each agent's last status change however old (the Metrics page reads states at a window's start from it)", () => {
    addEvent(90, 'a started', 'status', 'a');
    addEvent(80, 'a running', 'status', 'a');
    addEvent(70, 'b running', 'status', 'b');
    addEvent(60, 'old input', 'input', 'a');
    addEvent(1, 'b sleeping', 'status', 'b');
    // Kept from before the cutoff: each agent's last status change there (b's too: a window that starts
    // before 'b sleeping' needs it).
    expect(pruneHistory(db, NOW).events).toBe(2);
    expect(events()).toEqual(['a running', 'b running', 'b sleeping']);
  });

  it('keeps at most maxEvents, the newest', () => {
    for (let i = 0; i < 10; i++) addEvent(1, `e${i}`);
    expect(pruneHistory(db, NOW, { days: 30, maxEvents: 3 }).events).toBe(7);
    expect(events()).toEqual(['e7', 'e8', 'e9']);
  });

  it('drops old messages only once every recipient acknowledged them, never the newest, with their deliveries', () => {
    addMessage('old-acked', 40, [{ name: 'b', acked: true }, { name: 'c', acked: true }]);
    addMessage('old-waiting', 40, [{ name: 'b', acked: true }, { name: 'c', acked: false }]);
    addMessage('old-nobody', 40, []);
    addMessage('recent', 2, [{ name: 'b', acked: true }]);
    addMessage('old-but-newest', 35, [{ name: 'b', acked: true }]);
    expect(pruneHistory(db, NOW).messages).toBe(2);
    expect(messages()).toEqual(['old-waiting', 'recent', 'old-but-newest']);
    const deliveries = db.prepare('SELECT message_id, recipient FROM bus_deliveries ORDER BY message_id, recipient').all();
    expect(deliveries).toEqual([
      { message_id: 'old-but-newest', recipient: 'b' },
      { message_id: 'old-waiting', recipient: 'b' },
      { message_id: 'old-waiting', recipient: 'c' },
      { message_id: 'recent', recipient: 'b' },
    ]);
  });

  it('an empty database is fine', () => {
    expect(pruneHistory(db, NOW)).toEqual({ events: 0, messages: 0 });
  });
});
