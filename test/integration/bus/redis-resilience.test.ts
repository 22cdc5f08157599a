import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusState } from '../../../shared/contract/bus.js';
import { EventLog } from '../../../electron/core/events/event-log.js';
import { inboxKey, memoryKey, presenceKey, RedisBus } from '../../../electron/core/bus/redis-bus.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';
import { hasService } from '../../support/services.js';
import { freePort, RedisServer } from './redis-server.js';

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!hasService('redis-server'))('RedisBus resilience (real redis-server, killed and flushed)', () => {
  let dir: string;
  let db: Db;
  let redis: RedisServer | null;
  const buses: RedisBus[] = [];
  const make = (url: string, extra: { reconcileMs?: number; db?: Db } = {}): RedisBus => {
    const d = extra.db ?? db;
    const bus = new RedisBus({ db: d, clock: systemClock, events: new EventLog(d, systemClock), url, reconcileMs: extra.reconcileMs, maxBackoffMs: 300 });
    buses.push(bus);
    return bus;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bus-res-'));
    db = openDatabase(path.join(dir, 'hive.db'));
    redis = null;
  });
  afterEach(async () => {
    for (const b of buses.splice(0)) await b.dispose();
    await redis?.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redis-server killed with 1,000 messages in flight: all delivered exactly once after restart', async () => {
    redis = await RedisServer.start();
    const server = redis;
    const bus = make(server.url, { reconcileMs: 300 });
    await bus.waitUntilConnected();
    const states: BusState['state'][] = [];
    bus.onDidChangeState((s) => states.push(s.state));
    await bus.subscribe('bob', 'build');
    await bus.subscribe('carol', 'build');

    // Half direct to bob, half on a topic bob and carol follow. 1,000 are in Redis before the kill.
    const send = (i: number) =>
      i % 2 === 0 ? bus.send({ from: 'alice', to: 'bob', body: `m${i}` }) : bus.send({ from: 'alice', topic: 'build', body: `m${i}` });
    for (let i = 0; i < 1000; i++) await send(i);
    const admin = server.client();
    expect(await admin.xlen(inboxKey('bob'))).toBe(1000);
    expect(await admin.xlen(inboxKey('carol'))).toBe(500);
    admin.disconnect();

    const got: Record<'bob' | 'carol', string[]> = { bob: [], carol: [] };
    let stop = false;
    const consume = async (name: 'bob' | 'carol') => {
      while (!stop) {
        const batch = await bus.inbox(name, { waitMs: 100, limit: 25 });
        got[name].push(...batch.map((m) => m.body));
        await new Promise((r) => setTimeout(r, 2)); // a slow agent: the backlog stays in flight
      }
    };
    const consumers = [consume('bob'), consume('carol')];
    await until('the first deliveries', () => got.bob.length >= 50);
    const inFlight = bus.pendingFor('bob').length + bus.pendingFor('carol').length;
    await server.kill(); // Redis loses its streams: nothing was persisted
    expect(inFlight).toBeGreaterThanOrEqual(1000);
    for (let i = 1000; i < 1200; i++) await send(i); // accepted while Redis is away
    await until('degraded state', () => bus.state().state === 'degraded');
    expect(bus.state().detail).toMatch(/unreachable/);
    await new Promise((r) => setTimeout(r, 300));
    await server.restart();
    await bus.waitUntilConnected();
    for (let i = 1200; i < 1300; i++) await send(i);
    await until('all deliveries', () => got.bob.length >= 1300 && got.carol.length >= 650, 30_000);
    await new Promise((r) => setTimeout(r, 700)); // give a duplicate (re-pushed backlog) the chance to show up
    stop = true;
    await Promise.all(consumers);

    expect(got.bob).toHaveLength(1300);
    expect(new Set(got.bob).size).toBe(1300);
    expect(got.carol).toHaveLength(650);
    expect(new Set(got.carol).size).toBe(650);
    expect(bus.pendingFor('bob')).toEqual([]);
    const unacked = db.prepare('SELECT COUNT(*) AS n FROM messages WHERE acked_at IS NULL').get() as { n: number };
    expect(unacked.n).toBe(0);
    expect(states).toContain('degraded');
    expect(states.at(-1)).toBe('connected');
    const kinds = (db.prepare("SELECT kind FROM events WHERE kind LIKE 'bus.%' ORDER BY id").all() as { kind: string }[]).map((r) => r.kind);
    expect(kinds.slice(-2)).toEqual(['bus.degraded', 'bus.connected']);
  });

  it('starts without Redis, keeps accepting and delivering, then moves the backlog into Redis once it appears', async () => {
    const port = await freePort();
    const bus = make(`redis://127.0.0.1:${port}`);
    expect(bus.state()).toMatchObject({ kind: 'redis', state: 'degraded' });
    for (let i = 0; i < 10; i++) await bus.send({ from: 'alice', to: 'bob', body: `m${i}` });
    expect((await bus.inbox('bob', { limit: 4 })).map((m) => m.body)).toEqual(['m0', 'm1', 'm2', 'm3']);
    redis = await RedisServer.start(port);
    await bus.waitUntilConnected();
    const admin = redis.client();
    expect(await admin.xlen(inboxKey('bob'))).toBe(6);
    admin.disconnect();
    expect((await bus.inbox('bob')).map((m) => m.body)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect(await bus.inbox('bob')).toEqual([]);
    expect(bus.state().state).toBe('connected');
  });

  it('keeps the backlog, memory and presence in Redis under the documented keys', async () => {
    redis = await RedisServer.start();
    const bus = make(redis.url);
    await bus.waitUntilConnected();
    const admin = redis.client();
    const sent = await bus.send({ from: 'alice', to: 'bob', body: 'in the stream' });
    const entries = await admin.xrange(inboxKey('bob'), '-', '+');
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    expect(fields.slice(0, 2)).toEqual(['id', sent.id]);
    expect(JSON.parse(fields[3]!)).toMatchObject({ body: 'in the stream', from: 'alice' });
    await bus.inbox('bob');
    await until('the entry removed from the stream', async () => (await admin.xlen(inboxKey('bob'))) === 0, 2000);
    await bus.memorySet('bob', 'plan', 'ship it');
    expect(await admin.hgetall(memoryKey('bob'))).toEqual({ plan: 'ship it' });
    await bus.touchPresence('bob', 5000);
    const ttl = await admin.pttl(presenceKey('bob'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    admin.disconnect();
  });

  it('working memory and unread messages survive a Redis FLUSHALL', async () => {
    redis = await RedisServer.start();
    const bus = make(redis.url, { reconcileMs: 200 });
    await bus.waitUntilConnected();
    await bus.memorySet('bob', 'plan', 'step 3');
    await bus.memorySet('bob', 'notes', 'tests green');
    for (let i = 0; i < 3; i++) await bus.send({ from: 'alice', to: 'bob', body: `m${i}` });
    const admin = redis.client();
    await admin.flushall();
    expect(await admin.hgetall(memoryKey('bob'))).toEqual({});
    await bus.memorySet('bob', 'after', 'flush');
    expect(await bus.memoryGet('bob')).toEqual({ plan: 'step 3', notes: 'tests green', after: 'flush' });
    // Restored into Redis, not only answered from SQLite.
    expect(await admin.hgetall(memoryKey('bob'))).toEqual({ plan: 'step 3', notes: 'tests green', after: 'flush' });
    expect(await bus.exportMemory('bob')).toEqual({ plan: 'step 3', notes: 'tests green', after: 'flush' });
    // The periodic reconcile puts the lost backlog back into the stream.
    await until('stream restored', async () => (await admin.xlen(inboxKey('bob'))) === 3, 5000);
    expect((await bus.inbox('bob')).map((m) => m.body)).toEqual(['m0', 'm1', 'm2']);
    expect(await bus.inbox('bob')).toEqual([]);
    admin.disconnect();
  });

  it('working memory goes into the sleep snapshot and comes back into Redis on wake, even after Redis lost it', async () => {
    redis = await RedisServer.start();
    const bus = make(redis.url);
    await bus.waitUntilConnected();
    await bus.memorySet('bob', 'plan', 'refactor parser');
    await bus.memorySet('bob', 'blocked-on', 'review from alice');
    const snapshot = await bus.exportMemory('bob'); // the lead's sleep step stores this in the snapshot
    await bus.memorySet('bob', 'scratch', 'not in the snapshot');
    const admin = redis.client();
    await admin.flushall(); // Redis restarted empty while bob slept
    await bus.importMemory('bob', snapshot); // wake, step 2: restore working memory
    expect(await admin.hgetall(memoryKey('bob'))).toEqual({ plan: 'refactor parser', 'blocked-on': 'review from alice' });
    expect(await bus.memoryGet('bob')).toEqual(snapshot);
    admin.disconnect();
  });

  it('keys written to Redis directly by an agent are kept and copied to SQLite on export', async () => {
    redis = await RedisServer.start();
    const bus = make(redis.url);
    await bus.waitUntilConnected();
    await bus.memorySet('bob', 'a', '1');
    const admin = redis.client();
    await admin.hset(memoryKey('bob'), 'direct', 'yes');
    admin.disconnect();
    expect(await bus.exportMemory('bob')).toEqual({ a: '1', direct: 'yes' });
    const rows = db.prepare("SELECT key FROM bus_memory WHERE agent = 'bob' ORDER BY key").all() as { key: string }[];
    expect(rows.map((r) => r.key)).toEqual(['a', 'direct']);
  });

  it('re-subscribes after a Redis restart: a long-poll in another process still wakes on the next send', async () => {
    redis = await RedisServer.start();
    const server = redis;
    const db2 = openDatabase(path.join(dir, 'hive.db'));
    try {
      const one = make(server.url);
      const two = make(server.url, { db: db2, reconcileMs: 60_000 });
      await Promise.all([one.waitUntilConnected(), two.waitUntilConnected()]);
      await server.kill();
      await until('both degraded', () => one.state().state === 'degraded' && two.state().state === 'degraded');
      await server.restart();
      await Promise.all([one.waitUntilConnected(), two.waitUntilConnected()]);
      await new Promise((r) => setTimeout(r, 500)); // the subscriber connections come back and re-subscribe
      const waiting = two.inbox('bob', { waitMs: 20_000 });
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await one.send({ from: 'alice', to: 'bob', body: 'after the restart' });
      expect((await waiting).map((m) => m.body)).toEqual(['after the restart']);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const b of buses.splice(0)) await b.dispose();
      db2.close();
    }
  });

  it('wakes a long-poll in another process through Redis pub/sub', async () => {
    redis = await RedisServer.start();
    const db2 = openDatabase(path.join(dir, 'hive.db'));
    try {
      const one = make(redis.url);
      const two = make(redis.url, { db: db2, reconcileMs: 60_000 });
      await Promise.all([one.waitUntilConnected(), two.waitUntilConnected()]);
      await new Promise((r) => setTimeout(r, 100)); // the subscriber connection subscribes
      const started = Date.now();
      const waiting = two.inbox('bob', { waitMs: 10_000 });
      await new Promise((r) => setTimeout(r, 50));
      await one.send({ from: 'alice', to: 'bob', body: 'across processes' });
      expect((await waiting).map((m) => m.body)).toEqual(['across processes']);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const b of buses.splice(0)) await b.dispose();
      db2.close();
    }
  });
});
