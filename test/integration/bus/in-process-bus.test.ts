import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcessBus } from '../../../electron/core/bus/in-process-bus.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase } from '../../../electron/core/store/database.js';
import { busBehaviour } from './bus-behaviour.js';

busBehaviour('InProcessBus (SQLite, no Redis)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bus-'));
  const db = openDatabase(path.join(dir, 'hive.db'));
  let bus = new InProcessBus({ db, clock: systemClock });
  return {
    db,
    get bus() {
      return bus;
    },
    async reopen() {
      await bus.dispose();
      bus = new InProcessBus({ db, clock: systemClock });
      return bus;
    },
    async cleanup() {
      await bus.dispose();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
