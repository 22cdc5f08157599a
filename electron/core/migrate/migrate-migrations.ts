import type { Migration } from '../store/migration.js';

/**
 * What `hive migrate` has imported, per source tree: the key of every source item and what it became.
 * This is what makes a second run import nothing and what `--validate` checks the store against.
 */
export const migrateMigrations: Migration[] = [
  {
    name: '900-migrate-imports',
    sql: `
      CREATE TABLE migrate_imports (
        source_root TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        PRIMARY KEY (source_root, kind, source_id)
      );
    `,
  },
];
