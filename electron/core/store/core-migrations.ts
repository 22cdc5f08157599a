import type { Migration } from './migration.js';

export const coreMigrations: Migration[] = [
  {
    name: '001-core',
    sql: `
      CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL DEFAULT '',
        task TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        backend TEXT NOT NULL,
        preset TEXT NOT NULL,
        command TEXT NOT NULL,
        repo TEXT NOT NULL,
        worktree TEXT NOT NULL,
        branch TEXT NOT NULL,
        pid INTEGER,
        restarts INTEGER NOT NULL DEFAULT 0,
        last_heartbeat_at TEXT,
        last_output_at TEXT,
        started_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_exit_code INTEGER,
        last_error TEXT,
        last_recovery_ms REAL,
        session_id TEXT,
        sleep_mode TEXT NOT NULL DEFAULT 'snapshot',
        image TEXT,
        policy TEXT NOT NULL DEFAULT '{}',
        options TEXT NOT NULL DEFAULT '{}',
        generation INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        agent TEXT REFERENCES agents(name) ON DELETE SET NULL,
        description TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        priority INTEGER NOT NULL DEFAULT 5,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        metadata TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX tasks_agent ON tasks(agent);
      CREATE TABLE snapshots (
        id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        type TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        stored_bytes INTEGER NOT NULL,
        note TEXT
      );
      CREATE INDEX snapshots_agent ON snapshots(agent, created_at);
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        agent TEXT,
        kind TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        cause TEXT NOT NULL DEFAULT '',
        actor TEXT NOT NULL DEFAULT 'system',
        data TEXT
      );
      CREATE INDEX events_agent ON events(agent, id);
      CREATE INDEX events_kind ON events(kind, id);
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        from_agent TEXT NOT NULL,
        to_agent TEXT,
        topic TEXT,
        type TEXT NOT NULL DEFAULT 'text',
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        acked_at TEXT
      );
      CREATE INDEX messages_to ON messages(to_agent, acked_at);
      CREATE INDEX messages_topic ON messages(topic, seq);
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
];
