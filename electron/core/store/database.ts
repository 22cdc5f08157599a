import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import type { Migration } from './migration.js';
import { ALL_MIGRATIONS } from './schema.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Applies these instead of every module's migrations (tests of one module). */
  migrations?: Migration[];
  readonly?: boolean;
  busyTimeoutMs?: number;
}

/**
 * Opens `<dataDir>/hive.db`: WAL, foreign keys, busy timeout, then the migrations not yet applied, each in
 * its own transaction. A database that is corrupt or locked is a start-up error, never recreated.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    // The Electron app sets HIVE_SQLITE_NATIVE_BINDING to a better-sqlite3 built for Electron's ABI, so
    // node_modules keeps Node's build for `npm test` (see scripts/build-native-electron.mjs).
    const nativeBinding = process.env.HIVE_SQLITE_NATIVE_BINDING || undefined;
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false, nativeBinding });
  } catch (err) {
    throw classify(err, file);
  }
  try {
    db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
    if (!opts.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      throw new HiveError(
        'DATABASE_CORRUPT',
        `The database ${file} failed its integrity check (${String(check)}). Nothing was changed. Restore it from a backup or move it aside to start fresh.`,
      );
    }
    if (!opts.readonly) migrate(db, opts.migrations ?? ALL_MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw classify(err, file);
  }
}

export function migrate(db: Db, migrations: Migration[]): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name),
  );
  const done: string[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  for (const m of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    if (applied.has(m.name)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.name, new Date().toISOString());
    }).immediate();
    done.push(m.name);
  }
  return done;
}

function classify(err: unknown, file: string): HiveError {
  if (err instanceof HiveError) return err;
  const code = (err as { code?: string }).code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || /locked/i.test(message)) {
    return new HiveError(
      'DATABASE_LOCKED',
      `The database ${file} is locked by another process (${message}). Close the other Agent Hive instance or wait for it to finish.`,
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || /malformed|not a database/i.test(message)) {
    return new HiveError(
      'DATABASE_CORRUPT',
      `The database ${file} is damaged (${message}). Nothing was changed. Restore it from a backup or move it aside to start fresh.`,
    );
  }
  return new HiveError('INTERNAL', `Could not open the database ${file}: ${message}`);
}
