import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';
import { WalCheckpointer } from '../../../electron/core/store/wal-checkpointer.js';

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WalCheckpointer (real SQLite file, real worker thread)', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-wal-'));
    db = openDatabase(path.join(dir, 'hive.db'), { migrations: [] });
    db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns the automatic checkpoint off and copies committed pages into the database file from the worker', async () => {
    const cp = new WalCheckpointer(db, { intervalMs: 50 });
    try {
      expect(cp.active).toBe(true);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const before = statSync(path.join(dir, 'hive.db')).size;
      // ~2 MB: fewer pages than SQLite's own 1000-page limit, so only the worker can have copied them.
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      for (let i = 0; i < 200; i++) db.transaction(() => insert.run('x'.repeat(10_000)))();
      await until('the main file to grow', () => statSync(path.join(dir, 'hive.db')).size > before + 1_500_000);
      // The writer keeps going while checkpoints run, and every row is there.
      for (let i = 0; i < 200; i++) db.transaction(() => insert.run('y'.repeat(10_000)))();
      expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(400);
    } finally {
      await cp.dispose();
    }
    expect(cp.active).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('keeps the WAL from growing without bound under a steady stream of small commits', async () => {
    const cp = new WalCheckpointer(db, { intervalMs: 50 });
    try {
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      // 6,000 commits of a 3 KB row: ~12,000 WAL pages (48 MB) with no checkpoint at all.
      for (let round = 0; round < 60; round++) {
        for (let i = 0; i < 100; i++) db.transaction(() => insert.run('z'.repeat(3000)))();
        await new Promise((r) => setTimeout(r, 20));
      }
      // The WAL is rewritten from its start once the worker has copied it back: it stays near the limit.
      expect(statSync(path.join(dir, 'hive.db-wal')).size).toBeLessThan(5000 * 4096);
    } finally {
      await cp.dispose();
    }
  });

  it('leaves an in-memory database alone', async () => {
    const mem = openDatabase(':memory:', { migrations: [] });
    const cp = new WalCheckpointer(mem);
    expect(cp.active).toBe(false);
    await cp.dispose();
    mem.close();
  });
});
