import type { Migration } from '../store/migration.js';

export const engineMigrations: Migration[] = [
  {
    // Where each docker agent runs; existing docker agents ran on this machine's engine.
    name: '300-engines',
    sql: `
      ALTER TABLE agents ADD COLUMN engine TEXT;
      UPDATE agents SET engine = 'local' WHERE backend = 'docker';
      CREATE TABLE engines (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        tls_ca TEXT,
        tls_cert TEXT,
        tls_key TEXT,
        created_at TEXT NOT NULL
      );
    `,
  },
];
