import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { busMigrations } from '../../../electron/core/bus/bus-migrations.js';
import { coreMigrations } from '../../../electron/core/store/core-migrations.js';
import { migrate, openDatabase } from '../../../electron/core/store/database.js';

describe('bus migrations', () => {
  it('keep the deliveries of a database made by 100-bus-deliveries when 101 rebuilds the table', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bus-mig-'));
    try {
      const first = busMigrations.filter((m) => m.name === '100-bus-deliveries');
      const db = openDatabase(path.join(dir, 'hive.db'), { migrations: [...coreMigrations, ...first] });
      db.prepare(`INSERT INTO messages (id, seq, from_agent, to_agent, type, body, created_at) VALUES ('m1', 1, 'a', 'b', 'text', 'x', 't')`).run();
      db.prepare(`INSERT INTO bus_deliveries (message_id, recipient, seq, delivered_at) VALUES ('m1', 'b', 1, 't2')`).run();
      expect(migrate(db, [...coreMigrations, ...busMigrations])).toEqual(['101-bus-deliveries-without-rowid']);
      expect(db.prepare('SELECT * FROM bus_deliveries').all()).toEqual([
        { message_id: 'm1', recipient: 'b', seq: 1, delivered_at: 't2', acked_at: null },
      ]);
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bus_deliveries' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual(['bus_deliveries_message', 'bus_deliveries_unacked']);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
