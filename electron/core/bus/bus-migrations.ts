import type { Migration } from '../store/migration.js';

/**
 * The bus keeps one row per message in `messages` (core table) and one row per recipient here, because a
 * topic or broadcast message is delivered and acknowledged by each recipient on its own.
 */
export const busMigrations: Migration[] = [
  {
    name: '100-bus-deliveries',
    sql: `
      CREATE UNIQUE INDEX messages_seq ON messages(seq);
      CREATE INDEX messages_from ON messages(from_agent, seq);
      CREATE TABLE bus_deliveries (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        seq INTEGER NOT NULL,
        delivered_at TEXT,
        acked_at TEXT,
        PRIMARY KEY (recipient, message_id)
      );
      CREATE INDEX bus_deliveries_unacked ON bus_deliveries(recipient, seq) WHERE acked_at IS NULL;
      CREATE INDEX bus_deliveries_message ON bus_deliveries(message_id);
      CREATE TABLE bus_subscriptions (
        agent TEXT NOT NULL,
        topic TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (agent, topic)
      );
      CREATE INDEX bus_subscriptions_topic ON bus_subscriptions(topic);
      CREATE TABLE bus_agents (
        name TEXT PRIMARY KEY,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        pane_delivery INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE bus_memory (
        agent TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (agent, key)
      );
    `,
  },
  {
    // The delivery rows are looked up by (recipient, message_id) only: keyed by that directly (WITHOUT
    // ROWID) each send writes one B-tree fewer.
    name: '101-bus-deliveries-without-rowid',
    sql: `
      CREATE TABLE bus_deliveries_new (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        seq INTEGER NOT NULL,
        delivered_at TEXT,
        acked_at TEXT,
        PRIMARY KEY (recipient, message_id)
      ) WITHOUT ROWID;
      INSERT INTO bus_deliveries_new (message_id, recipient, seq, delivered_at, acked_at)
        SELECT message_id, recipient, seq, delivered_at, acked_at FROM bus_deliveries;
      DROP TABLE bus_deliveries;
      ALTER TABLE bus_deliveries_new RENAME TO bus_deliveries;
      CREATE INDEX bus_deliveries_unacked ON bus_deliveries(recipient, seq) WHERE acked_at IS NULL;
      CREATE INDEX bus_deliveries_message ON bus_deliveries(message_id);
    `,
  },
];
