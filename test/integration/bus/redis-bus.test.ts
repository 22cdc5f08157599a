import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisBus } from '../../../electron/core/bus/redis-bus.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase } from '../../../electron/core/store/database.js';
import { hasService } from '../../support/services.js';
import { busBehaviour } from './bus-behaviour.js';
import { RedisServer } from './redis-server.js';

describe.skipIf(!hasService('redis-server'))('RedisBus against a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  busBehaviour('RedisBus (streams + pub/sub, SQLite record)', async () => {
    const admin = redis.client();
    await admin.flushall();
    admin.disconnect();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bus-'));
    const db = openDatabase(path.join(dir, 'hive.db'));
    const make = async (): Promise<RedisBus> => {
      const b = new RedisBus({ db, clock: systemClock, url: redis.url });
      await b.waitUntilConnected();
      return b;
    };
    let bus = await make();
    return {
      db,
      get bus() {
        return bus;
      },
      async reopen() {
        await bus.dispose();
        bus = await make();
        return bus;
      },
      async cleanup() {
        await bus.dispose();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
