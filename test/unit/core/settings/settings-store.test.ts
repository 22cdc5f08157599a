import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../../electron/core/agents/default-policy.js';
import { SettingsStore } from '../../../../electron/core/settings/settings-store.js';
import { openDatabase } from '../../../../electron/core/store/database.js';
import { ALL_MIGRATIONS } from '../../../../electron/core/store/schema.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const fresh = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-settings-'));
  dirs.push(dir);
  const db = openDatabase(path.join(dir, 'hive.db'), { migrations: ALL_MIGRATIONS });
  return { dir, db };
};

describe('settings store (real SQLite file)', () => {
  it('falls back to the defaults for every value a hand-edited database holds in the wrong shape', () => {
    const { db } = fresh();
    const put = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
    put.run('policyDefaults', JSON.stringify({ maxRestarts: 'many' }));
    put.run('snapshotRetention', JSON.stringify(-3));
    put.run('redisUrl', JSON.stringify(''));
    put.run('toolEnv', JSON.stringify('not an object'));
    put.run('logLevel', JSON.stringify('loud'));
    put.run('failover', JSON.stringify({ afterSec: 'soon' }));
    const s = new SettingsStore(db).get();
    expect(s).toEqual({ policyDefaults: DEFAULT_POLICY, snapshotRetention: 20, redisUrl: null, toolEnv: {}, logLevel: 'info', failover: { enabled: false, afterSec: 300 } });
    db.close();
  });

  it('stores each setting, reads it back from a new store, and clears the Redis URL with null', () => {
    const { db } = fresh();
    const store = new SettingsStore(db);
    store.set({ snapshotRetention: 5, redisUrl: ' redis://127.0.0.1:6390 ', logLevel: 'debug', failover: { enabled: true }, policyDefaults: { maxRestarts: 3 } });
    const again = new SettingsStore(db).get();
    expect(again).toMatchObject({ snapshotRetention: 5, redisUrl: 'redis://127.0.0.1:6390', logLevel: 'debug', failover: { enabled: true, afterSec: 300 } });
    expect(again.policyDefaults).toEqual({ ...DEFAULT_POLICY, maxRestarts: 3 });
    expect(store.set({ redisUrl: null }).redisUrl).toBeNull();
    expect(db.prepare("SELECT COUNT(*) AS n FROM settings WHERE key = 'redisUrl'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('keeps secrets out of the database, shows only their last four characters, and refuses them without a data dir', () => {
    const { dir, db } = fresh();
    const store = new SettingsStore(db, path.join(dir, 'secrets.json'));
    store.set({ toolEnv: { preset: 'claude', name: 'ANTHROPIC_API_KEY', value: 'sk-ant-0123456789' } });
    store.set({ toolEnv: { preset: 'claude', name: 'SHORT_TOKEN', value: 'abc' } });
    store.set({ toolEnv: { preset: 'claude', name: 'EDITOR', value: 'vim' } });
    expect(store.get().toolEnv.claude).toEqual({
      ANTHROPIC_API_KEY: { value: null, secret: true, hint: '6789' },
      SHORT_TOKEN: { value: null, secret: true, hint: null },
      EDITOR: { value: 'vim', secret: false, hint: null },
    });
    expect(JSON.stringify(db.prepare('SELECT value FROM settings').all())).not.toContain('sk-ant-0123456789');
    expect(store.envFor('claude')).toEqual({ ANTHROPIC_API_KEY: 'sk-ant-0123456789', SHORT_TOKEN: 'abc', EDITOR: 'vim' });
    // Removing a variable removes its secret too.
    store.set({ toolEnv: { preset: 'claude', name: 'ANTHROPIC_API_KEY', value: null } });
    expect(store.envFor('claude')).toEqual({ SHORT_TOKEN: 'abc', EDITOR: 'vim' });
    const noDir = new SettingsStore(db);
    expect(() => noDir.set({ toolEnv: { preset: 'codex', name: 'OPENAI_API_KEY', value: 'sk-1' } })).toThrow(/Secrets need a data dir/);
    db.close();
  });
});
