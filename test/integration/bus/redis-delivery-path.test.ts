import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboxKey, RedisBus } from '../../../electron/core/bus/redis-bus.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';
import { hasService } from '../../support/services.js';
import { RedisServer } from './redis-server.js';

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Delivery claims from SQLite, not from the Redis stream: a long-poll in the host process does not wait for
 * Redis, and the stream (the backlog other processes and tools see) is still emptied of every acknowledged
 * message, whoever pushed it.
 */
describe.skipIf(!hasService('redis-server'))('RedisBus delivery path and stream clean-up (real redis-server)', () => {
  let dir: string;
  let db: Db;
  let redis: RedisServer;
  const buses: RedisBus[] = [];
  const extraDbs: Db[] = [];
  const make = async (opts: { db?: Db; reconcileMs?: number } = {}): Promise<RedisBus> => {
    const bus = new RedisBus({ db: opts.db ?? db, clock: systemClock, url: redis.url, reconcileMs: opts.reconcileMs });
    buses.push(bus);
    await bus.waitUntilConnected();
    return bus;
  };
  const xlen = async (name: string): Promise<number> => {
    const admin = redis.client();
    try {
      return await admin.xlen(inboxKey(name));
    } finally {
      admin.disconnect();
    }
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bus-path-'));
    db = openDatabase(path.join(dir, 'hive.db'));
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    redis.resume();
    for (const b of buses.splice(0)) await b.dispose();
    await redis.stop();
    for (const d of extraDbs.splice(0)) d.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands a message to a long-poll in this process while Redis answers nothing (SIGSTOP), and cleans the stream after', async () => {
    const bus = await make({ reconcileMs: 300 });
    const waiting = bus.inbox('bob', { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    redis.pause();
    const started = Date.now();
    const sending = bus.send({ from: 'alice', to: 'bob', body: 'while redis is stopped' });
    expect((await waiting).map((m) => m.body)).toEqual(['while redis is stopped']);
    // Well inside the 2 s command timeout: nothing on the way waited for Redis.
    expect(Date.now() - started).toBeLessThan(1000);
    redis.resume();
    await sending;
    expect(bus.pendingFor('bob')).toEqual([]);
    // Handed over in the send's own transaction: no stream entry was needed (or one left behind).
    await until('the stream emptied', async () => (await xlen('bob')) === 0);
    expect(await bus.inbox('bob')).toEqual([]);
  });

  it('pushes to the stream only for recipients not waiting here; a long-poll on another bus gets its copy through Redis', async () => {
    const bus = await make();
    const db2 = openDatabase(path.join(dir, 'hive.db'));
    extraDbs.push(db2);
    const other = await make({ db: db2 });
    const here = bus.inbox('bob', { waitMs: 5000 });
    const there = other.inbox('carol', { waitMs: 5000 });
    await new Promise((r) => setTimeout(r, 50));
    await bus.send({ from: 'alice', to: 'bob', body: 'for bob, waiting here' });
    expect((await here).map((m) => m.body)).toEqual(['for bob, waiting here']);
    expect(await xlen('bob')).toBe(0); // never pushed
    await bus.send({ from: 'alice', to: 'carol', body: 'for carol, waiting on the other bus' });
    expect((await there).map((m) => m.body)).toEqual(['for carol, waiting on the other bus']);
    await bus.send({ from: 'alice', to: 'dave', body: 'for dave, asleep' });
    expect(await xlen('dave')).toBe(1); // the backlog of a recipient nobody waits for
    expect((await other.inbox('dave')).map((m) => m.body)).toEqual(['for dave, asleep']);
    await until('dave\'s stream emptied', async () => (await xlen('dave')) === 0);
    await until('carol\'s stream emptied', async () => (await xlen('carol')) === 0);
  });

  it('keeps the stream empty under a fast stream of sends and long-polls (acks that beat the XADD reply)', async () => {
    const bus = await make();
    const got: string[] = [];
    let stop = false;
    const consumer = (async () => {
      while (!stop) got.push(...(await bus.inbox('bob', { waitMs: 200 })).map((m) => m.body));
    })();
    await Promise.all(Array.from({ length: 300 }, (_, i) => bus.send({ from: 'alice', to: 'bob', body: `m${i}` })));
    await until('all delivered', () => got.length >= 300);
    stop = true;
    await consumer;
    expect(new Set(got).size).toBe(300);
    expect(got).toHaveLength(300);
    await until('the stream emptied', async () => (await xlen('bob')) === 0, 3000);
  });

  it('drops entries another bus pushed once the message is claimed here', async () => {
    const db2 = openDatabase(path.join(dir, 'hive.db'));
    extraDbs.push(db2);
    const one = await make();
    const two = await make({ db: db2, reconcileMs: 60_000 });
    for (let i = 0; i < 5; i++) await one.send({ from: 'alice', to: 'bob', body: `m${i}` });
    expect(await xlen('bob')).toBe(5);
    expect((await two.inbox('bob')).map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await until('the stream emptied by the reader', async () => (await xlen('bob')) === 0, 3000);
  });

  it('drops entries a previous run left behind for messages it had already acknowledged', async () => {
    const first = await make();
    for (let i = 0; i < 3; i++) await first.send({ from: 'alice', to: 'bob', body: `m${i}` });
    await first.dispose();
    // Acknowledged in SQLite while no bus ran (as if the XDELs had been lost): the entries are stale.
    db.prepare("UPDATE bus_deliveries SET delivered_at = 'x', acked_at = 'x' WHERE recipient = 'bob'").run();
    expect(await xlen('bob')).toBe(3);
    const second = await make();
    await second.send({ from: 'alice', to: 'bob', body: 'fresh' });
    expect((await second.inbox('bob')).map((m) => m.body)).toEqual(['fresh']);
    // The fresh one is XDELed by its id; the three stale ones by the sweep of every inbox stream on connect.
    await until('the stream emptied', async () => (await xlen('bob')) === 0, 3000);
  });
});
