import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HiveError } from '../../../../shared/errors.js';
import { openDatabase } from '../../../../electron/core/store/database.js';
import { ALL_MIGRATIONS } from '../../../../electron/core/store/schema.js';
import { tempDir } from '../../../support/git-repo.js';

const require = createRequire(import.meta.url);

function openError(file: string, opts: Parameters<typeof openDatabase>[1] = {}): HiveError {
  try {
    openDatabase(file, opts).close();
  } catch (err) {
    return err as HiveError;
  }
  throw new Error(`openDatabase(${file}) unexpectedly succeeded`);
}

describe('openDatabase on real SQLite files', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tempDir('hive-db-');
    file = path.join(dir, 'hive.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('opens in WAL mode with foreign keys on and a busy timeout', () => {
    const db = openDatabase(file, { busyTimeoutMs: 1234 });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      // Foreign keys are enforced, not just switched on.
      const now = new Date().toISOString();
      expect(() =>
        db.prepare("INSERT INTO tasks (id, agent, description, created_at, updated_at) VALUES ('t1', 'nobody', 'x', ?, ?)").run(now, now),
      ).toThrow(/FOREIGN KEY/);
    } finally {
      db.close();
    }
  });

  it('records every migration once, and reopening applies nothing twice', () => {
    const db = openDatabase(file);
    const names = (db.prepare('SELECT name FROM schema_migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(ALL_MIGRATIONS.map((m) => m.name).sort());
    expect(names).toContain('001-core');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    for (const t of ['agents', 'tasks', 'snapshots', 'events', 'messages', 'settings']) expect(tables).toContain(t);
    db.prepare("INSERT INTO settings (key, value) VALUES ('k', 'kept')").run();
    db.close();
    const again = openDatabase(file);
    expect((again.prepare('SELECT count(*) AS c FROM schema_migrations').get() as { c: number }).c).toBe(names.length);
    expect(again.prepare("SELECT value FROM settings WHERE key = 'k'").get()).toEqual({ value: 'kept' });
    again.close();
  });

  it('a file of garbage bytes is DATABASE_CORRUPT and the file is left byte-for-byte as it was', () => {
    const garbage = randomBytes(16 * 1024);
    writeFileSync(file, garbage);
    const err = openError(file);
    expect(err).toBeInstanceOf(HiveError);
    expect(err.code).toBe('DATABASE_CORRUPT');
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/Nothing was changed/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
  });

  it('a real database with damaged pages is DATABASE_CORRUPT and is not rewritten', () => {
    const db = openDatabase(file);
    const ins = db.prepare("INSERT INTO events (at, kind, cause) VALUES ('2026-01-01', 'x', ?)");
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) ins.run('cause '.repeat(20) + i);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite the b-tree pages after the schema page with garbage (keep the 100-byte header valid).
    const damaged = Buffer.from(bytes);
    for (let p = 2; p * pageSize < damaged.length; p += 3) randomBytes(pageSize).copy(damaged, (p - 1) * pageSize);
    writeFileSync(file, damaged);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    const err = openError(file);
    expect(err.code).toBe('DATABASE_CORRUPT');
    expect(readFileSync(file).equals(damaged)).toBe(true);
  });

  it('a database held under an exclusive lock by another process is DATABASE_LOCKED within the busy timeout', async () => {
    openDatabase(file).close();
    // Another process takes an exclusive lock (locking_mode=EXCLUSIVE + a write) and keeps it.
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(file)});
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.prepare("INSERT INTO settings (key, value) VALUES ('lock', 'held')").run();
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);
    `;
    const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve());
        holder.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
      });
      const t0 = Date.now();
      const err = openError(file, { busyTimeoutMs: 300 });
      const took = Date.now() - t0;
      expect(err.code).toBe('DATABASE_LOCKED');
      expect(err.message).toMatch(/locked by another process/);
      expect(err.message).toContain(file);
      expect(took).toBeLessThan(5000);
    } finally {
      holder.kill('SIGKILL');
    }
    // Once the other process is gone the database opens normally: nothing was recreated.
    await new Promise((r) => setTimeout(r, 100));
    const db = openDatabase(file);
    expect(db.prepare("SELECT count(*) AS c FROM settings WHERE key = 'lock'").get()).toEqual({ c: 0 });
    db.close();
  });

  it('never creates a database when opening read-only a file that does not exist', () => {
    const missing = path.join(dir, 'missing.db');
    const err = openError(missing, { readonly: true });
    expect(err).toBeInstanceOf(HiveError);
    expect(existsSync(missing)).toBe(false);
  });
});
