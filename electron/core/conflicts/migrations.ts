import type { Migration } from '../store/migration.js';

/** The merge-conflict engine's tables. Shipped migrations are never edited; add a new one instead. */
export const conflictMigrations: Migration[] = [
  {
    name: '200-conflicts',
    sql: `
      CREATE TABLE conflict_learned (
        fingerprint TEXT PRIMARY KEY,
        resolution TEXT NOT NULL,
        path TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        uses INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE conflict_merges (
        id TEXT PRIMARY KEY,
        agent TEXT NOT NULL,
        repo TEXT NOT NULL,
        branch TEXT NOT NULL,
        into_branch TEXT NOT NULL,
        worktree TEXT NOT NULL,
        status TEXT NOT NULL,
        commit_sha TEXT,
        ours_head TEXT NOT NULL,
        theirs_head TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE conflict_items (
        id TEXT PRIMARY KEY,
        merge_id TEXT NOT NULL REFERENCES conflict_merges(id) ON DELETE CASCADE,
        agent TEXT NOT NULL,
        path TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        base TEXT,
        ours TEXT,
        theirs TEXT,
        with_markers TEXT NOT NULL DEFAULT '',
        auto_result TEXT,
        proposal TEXT,
        hunks TEXT NOT NULL DEFAULT '[]',
        intents TEXT NOT NULL DEFAULT '{}',
        resolution TEXT,
        resolved_by TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX conflict_items_status ON conflict_items(status, created_at);
      CREATE INDEX conflict_items_agent ON conflict_items(agent, created_at);
      CREATE TABLE conflict_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id TEXT NOT NULL REFERENCES conflict_items(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        hunk INTEGER,
        strategy TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX conflict_attempts_item ON conflict_attempts(item_id, id);
      CREATE TABLE intent_claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        agent TEXT NOT NULL,
        repo TEXT NOT NULL,
        path TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        released_at TEXT
      );
      CREATE INDEX intent_claims_open ON intent_claims(repo, released_at);
    `,
  },
  {
    // People who answered the same conflict differently make a learned answer uncertain: count it.
    name: '200-conflicts-2-learned-disagreements',
    sql: 'ALTER TABLE conflict_learned ADD COLUMN disagreements INTEGER NOT NULL DEFAULT 0;',
  },
];
