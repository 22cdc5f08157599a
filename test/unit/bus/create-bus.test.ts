import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBus, REDIS_URL_SETTING } from '../../../electron/core/bus/create-bus.js';
import type { Bus } from '../../../electron/core/bus/bus.js';
import { redactUrl } from '../../../electron/core/bus/redis-bus.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';

describe('createBus: which bus a hive gets', () => {
  let dir: string;
  let db: Db;
  let bus: Bus | null;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-create-bus-'));
    db = openDatabase(path.join(dir, 'hive.db'));
    bus = null;
  });
  afterEach(async () => {
    await bus?.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is in-process without a URL, and says how to configure Redis', () => {
    bus = createBus({ db, clock: systemClock, redisUrl: null });
    expect(bus.kind).toBe('in-process');
    expect(bus.state().detail).toMatch(/HIVE_REDIS_URL/);
    bus.dispose();
    expect(bus.state().state).toBe('disconnected');
  });

  it('is Redis with a URL, degraded while nothing answers, without the password in its detail', async () => {
    bus = createBus({ db, clock: systemClock, redisUrl: 'redis://:s3cret@127.0.0.1:1' });
    expect(bus.kind).toBe('redis');
    expect(bus.state().state).toBe('degraded');
    expect(bus.state().detail).not.toContain('s3cret');
  });

  it('falls back to the redisUrl setting (JSON-encoded or bare)', async () => {
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run(REDIS_URL_SETTING, JSON.stringify('redis://127.0.0.1:1'));
    bus = createBus({ db, clock: systemClock });
    expect(bus.kind).toBe('redis');
    await bus.dispose();
    db.prepare('UPDATE settings SET value = ? WHERE key = ?').run('', REDIS_URL_SETTING);
    bus = createBus({ db, clock: systemClock });
    expect(bus.kind).toBe('in-process');
  });

  it('refuses a URL that is not redis:// or rediss:// with a sentence saying what to give', () => {
    for (const url of ['http://localhost:6379', 'localhost:6379', 'redis://a b']) {
      expect(() => createBus({ db, clock: systemClock, redisUrl: url })).toThrow(/redis:\/\/\[user:password@\]host:port/);
    }
  });

  it('redacts passwords in URLs', () => {
    expect(redactUrl('redis://user:pw@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});
