import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HiveError } from '../../../shared/errors.js';
import type { Bus } from '../../../electron/core/bus/bus.js';
import type { Db } from '../../../electron/core/store/database.js';

export interface BusEnv {
  db: Db;
  bus: Bus;
  /** Disposes the bus and builds a new one on the same database (and Redis): a hive restart. */
  reopen(): Promise<Bus>;
  cleanup(): Promise<void>;
}

/**
 * The one behavioural suite both buses must pass (RedisBus and InProcessBus): addressing, acks, long-poll,
 * idempotence, sleeping recipients, working memory and presence.
 */
export function busBehaviour(label: string, makeEnv: () => Promise<BusEnv>): void {
  describe(label, () => {
    let env: BusEnv;
    let bus: Bus;
    beforeEach(async () => {
      env = await makeEnv();
      bus = env.bus;
    });
    afterEach(async () => {
      await env.cleanup();
    });

    it('reports itself connected', () => {
      expect(bus.state().state).toBe('connected');
    });

    it('delivers a direct message once and records delivery and ack in the messages table', async () => {
      const sent = await bus.send({ from: 'alice', to: 'bob', body: 'hello bob' });
      expect(sent.recipients).toEqual([{ name: 'bob', deliveredAt: null, ackedAt: null }]);
      expect(await bus.inbox('alice')).toEqual([]);
      const got = await bus.inbox('bob');
      expect(got.map((m) => [m.id, m.from, m.to, m.body])).toEqual([[sent.id, 'alice', 'bob', 'hello bob']]);
      expect(got[0]?.ackedAt).not.toBeNull();
      expect(await bus.inbox('bob')).toEqual([]);
      const row = env.db.prepare('SELECT * FROM messages WHERE id = ?').get(sent.id) as Record<string, unknown>;
      expect(row).toMatchObject({ from_agent: 'alice', to_agent: 'bob', topic: null, type: 'text', body: 'hello bob' });
      expect(row.delivered_at).toBeTruthy();
      expect(row.acked_at).toBeTruthy();
    });

    it('keeps order and hands each message out once across two concurrent readers', async () => {
      for (let i = 0; i < 200; i++) await bus.send({ from: 'alice', to: 'bob', body: `m${i}` });
      const [a, b] = await Promise.all([bus.inbox('bob', { limit: 150 }), bus.inbox('bob', { limit: 150 })]);
      const rest = await bus.inbox('bob');
      const all = [...a, ...b, ...rest].map((m) => m.body);
      expect(all).toHaveLength(200);
      expect(new Set(all).size).toBe(200);
      expect(a.map((m) => m.seq)).toEqual([...a.map((m) => m.seq)].sort((x, y) => x - y));
    });

    it('delivers a topic message to its subscribers only, never back to the sender', async () => {
      await bus.subscribe('bob', 'review');
      expect(await bus.subscribe('carol', 'review')).toEqual(['review']);
      await bus.subscribe('alice', 'review');
      await bus.inbox('dave');
      const sent = await bus.send({ from: 'alice', topic: 'review', body: 'please review PR 7' });
      expect(sent.recipients.map((r) => r.name)).toEqual(['bob', 'carol']);
      expect((await bus.inbox('bob')).map((m) => m.topic)).toEqual(['review']);
      expect((await bus.inbox('carol')).map((m) => m.body)).toEqual(['please review PR 7']);
      expect(await bus.inbox('alice')).toEqual([]);
      expect(await bus.inbox('dave')).toEqual([]);
      expect(await bus.unsubscribe('bob', 'review')).toEqual([]);
      await bus.send({ from: 'alice', topic: 'review', body: 'second' });
      expect(await bus.inbox('bob')).toEqual([]);
      expect(bus.topics()).toEqual([{ topic: 'review', subscribers: ['alice', 'carol'], messages: 2 }]);
    });

    it('broadcasts to every agent it knows except the sender', async () => {
      env.db
        .prepare(
          `INSERT INTO agents (name, status, backend, preset, command, repo, worktree, branch, created_at, updated_at)
           VALUES ('erin', 'sleeping', 'tmux', 'custom', 'x', '/r', '/w', 'b', 'now', 'now')`,
        )
        .run();
      await bus.inbox('bob');
      await bus.subscribe('carol', 'x');
      const sent = await bus.send({ from: 'alice', all: true, body: 'standup' });
      expect(sent.broadcast).toBe(true);
      expect(sent.recipients.map((r) => r.name)).toEqual(['bob', 'carol', 'erin']);
      for (const n of ['bob', 'carol', 'erin']) expect((await bus.inbox(n)).map((m) => m.body)).toEqual(['standup']);
      expect(await bus.inbox('alice')).toEqual([]);
    });

    it('a name that only sends (the GUI as operator) is not a broadcast recipient: nothing piles up for it', async () => {
      await bus.inbox('bob');
      await bus.send({ from: 'operator', to: 'bob', body: 'from the GUI' });
      const sent = await bus.send({ from: 'alice', all: true, body: 'standup' });
      expect(sent.recipients.map((r) => r.name)).toEqual(['bob']);
      expect(bus.pendingFor('operator')).toEqual([]);
    });

    it('a long-poll whose caller is gone stops waiting and claims nothing: the next message stays for the next read', async () => {
      const gone = new AbortController();
      const waiting = bus.inbox('bob', { waitMs: 10_000, signal: gone.signal });
      await new Promise((r) => setTimeout(r, 50));
      gone.abort();
      expect(await waiting).toEqual([]);
      await bus.send({ from: 'alice', to: 'bob', body: 'after the caller left' });
      expect((await bus.inbox('bob')).map((m) => m.body)).toEqual(['after the caller left']);
    });

    it('long-polls: an inbox waiting for a message returns as soon as one is sent', async () => {
      const started = Date.now();
      const waiting = bus.inbox('bob', { waitMs: 5000 });
      await new Promise((r) => setTimeout(r, 50));
      await bus.send({ from: 'alice', to: 'bob', body: 'ping' });
      const got = await waiting;
      expect(got.map((m) => m.body)).toEqual(['ping']);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('long-polls: a send hands the message to exactly one of two waiting polls; the other times out empty', async () => {
      const a = bus.inbox('bob', { waitMs: 1500 });
      const b = bus.inbox('bob', { waitMs: 1500 });
      await new Promise((r) => setTimeout(r, 50));
      const sent = await bus.send({ from: 'alice', to: 'bob', body: 'only once' });
      const [ra, rb] = await Promise.all([a, b]);
      expect([...ra, ...rb].map((m) => m.id)).toEqual([sent.id]);
      expect([...ra, ...rb][0]?.ackedAt).not.toBeNull();
      expect(await bus.inbox('bob')).toEqual([]);
      const row = env.db.prepare('SELECT delivered_at, acked_at FROM messages WHERE id = ?').get(sent.id) as Record<string, unknown>;
      expect(row.delivered_at).toBeTruthy();
      expect(row.acked_at).toBeTruthy();
    });

    it('long-polls: a waiting poll without ack is woken with the message and leaves it unacknowledged', async () => {
      const waiting = bus.inbox('dave', { waitMs: 1500, ack: false });
      await new Promise((r) => setTimeout(r, 50));
      const m = await bus.send({ from: 'alice', to: 'dave', body: 'peeked' });
      const got = await waiting;
      expect(got.map((x) => x.id)).toEqual([m.id]);
      expect(got[0]?.ackedAt).toBeNull();
      expect((await bus.inbox('dave')).map((x) => x.id)).toEqual([m.id]); // still there until acknowledged
      expect(await bus.inbox('dave')).toEqual([]);
    });

    it('long-polls: an empty inbox returns [] after the wait', async () => {
      const started = Date.now();
      expect(await bus.inbox('bob', { waitMs: 150 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('is at-least-once without ack: messages come back until acknowledged, then never again', async () => {
      const m1 = await bus.send({ from: 'alice', to: 'bob', body: 'one' });
      const m2 = await bus.send({ from: 'alice', to: 'bob', body: 'two' });
      expect((await bus.inbox('bob', { ack: false })).map((m) => m.body)).toEqual(['one', 'two']);
      const again = await bus.inbox('bob', { ack: false });
      expect(again.map((m) => m.body)).toEqual(['one', 'two']);
      expect(again[0]?.deliveredAt).not.toBeNull();
      expect(again[0]?.ackedAt).toBeNull();
      expect(await bus.ack('bob', [m1.id, m1.id])).toBe(1);
      expect((await bus.inbox('bob', { ack: false })).map((m) => m.id)).toEqual([m2.id]);
      expect(await bus.ack('bob', [m1.id, m2.id])).toBe(1);
      expect(await bus.inbox('bob')).toEqual([]);
    });

    it('stores a retried send with the same id once and delivers it once', async () => {
      const a = await bus.send({ from: 'alice', to: 'bob', body: 'x', id: 'msg-fixed-1' });
      const b = await bus.send({ from: 'alice', to: 'bob', body: 'x', id: 'msg-fixed-1' });
      expect(b.id).toBe(a.id);
      expect(b.seq).toBe(a.seq);
      expect((await bus.inbox('bob')).map((m) => m.id)).toEqual(['msg-fixed-1']);
      expect(await bus.inbox('bob')).toEqual([]);
      expect((env.db.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n).toBe(1);
    });

    it('refuses another message under a used id (it was dropped, and its sender got the first message back)', async () => {
      await bus.send({ from: 'alice', to: 'bob', body: 'secret for bob', id: 'msg-taken' });
      await expect(bus.send({ from: 'carol', to: 'dave', body: 'hello dave', id: 'msg-taken' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: 'The message id "msg-taken" is already used by another message; give a new id, or none (one is made up).',
      });
      expect(await bus.inbox('dave')).toEqual([]);
      expect((await bus.inbox('bob')).map((m) => m.body)).toEqual(['secret for bob']);
    });

    it('keeps messages for a sleeping agent and delivers them on wake, after a hive restart', async () => {
      await bus.send({ from: 'alice', to: 'bob', body: 'while you slept 1' });
      await bus.send({ from: 'carol', to: 'bob', body: 'while you slept 2' });
      expect(bus.pendingFor('bob').map((m) => m.body)).toEqual(['while you slept 1', 'while you slept 2']);
      bus = await env.reopen();
      expect(bus.pendingFor('bob')).toHaveLength(2);
      const got = await bus.inbox('bob');
      expect(got.map((m) => m.body)).toEqual(['while you slept 1', 'while you slept 2']);
      expect(bus.pendingFor('bob')).toEqual([]);
    });

    it('shows who said what to whom, per agent and per topic, with delivered/acked', async () => {
      await bus.subscribe('carol', 'ops');
      const d = await bus.send({ from: 'alice', to: 'bob', body: 'direct' });
      const t = await bus.send({ from: 'bob', topic: 'ops', body: 'topic' });
      await bus.inbox('bob', { ack: false });
      const forBob = bus.list({ agent: 'bob' });
      expect(forBob.map((m) => m.id)).toEqual([t.id, d.id]);
      expect(forBob[1]?.recipients[0]).toMatchObject({ name: 'bob', ackedAt: null });
      expect(forBob[1]?.recipients[0]?.deliveredAt).not.toBeNull();
      expect(bus.list({ topic: 'ops' }).map((m) => m.recipients.map((r) => r.name))).toEqual([['carol']]);
      expect(bus.list({ agent: 'carol' }).map((m) => m.body)).toEqual(['topic']);
      expect(bus.list({ limit: 1 })).toHaveLength(1);
    });

    it('keeps working memory per agent, exports it and imports it, across a restart', async () => {
      await bus.memorySet('bob', 'plan', 'step 1');
      await bus.memorySet('bob', 'branch', 'feature/x');
      await bus.memorySet('bob', 'plan', 'step 2');
      expect(await bus.memoryGet('bob')).toEqual({ branch: 'feature/x', plan: 'step 2' });
      expect(await bus.memoryGet('bob', 'plan')).toEqual({ plan: 'step 2' });
      expect(await bus.memoryGet('bob', 'missing')).toEqual({});
      expect(await bus.memoryGet('alice')).toEqual({});
      const snap = await bus.exportMemory('bob');
      await bus.importMemory('bob', { restored: 'yes' });
      expect(await bus.memoryGet('bob')).toEqual({ restored: 'yes' });
      await bus.importMemory('bob', snap);
      bus = await env.reopen();
      expect(await bus.memoryGet('bob')).toEqual({ branch: 'feature/x', plan: 'step 2' });
    });

    it('marks presence for a TTL that each heartbeat refreshes', async () => {
      expect(await bus.isPresent('bob')).toBe(false);
      await bus.touchPresence('bob', 300);
      expect(await bus.isPresent('bob')).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      await bus.touchPresence('bob', 300);
      await new Promise((r) => setTimeout(r, 200));
      expect(await bus.isPresent('bob')).toBe(true);
      await new Promise((r) => setTimeout(r, 250));
      expect(await bus.isPresent('bob')).toBe(false);
    });

    it('rejects bad names and messages without exactly one address', async () => {
      await expect(bus.send({ from: 'alice', body: 'nowhere' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(bus.send({ from: 'alice', to: 'bob', topic: 't', body: 'two' })).rejects.toBeInstanceOf(HiveError);
      await expect(bus.send({ from: 'al ice', to: 'bob', body: 'x' })).rejects.toMatchObject({ code: 'INVALID_NAME' });
      await expect(bus.send({ from: 'alice', topic: 'bad topic', body: 'x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(bus.inbox('../etc')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    });

    it('forgets a removed agent: no topics, no broadcasts, nothing waiting, no memory; history kept', async () => {
      await bus.subscribe('bob', 'ops');
      await bus.memorySet('bob', 'k', 'v');
      await bus.send({ from: 'alice', to: 'bob', body: 'unread' });
      await bus.inbox('carol');
      await bus.forgetAgent('bob');
      expect(bus.topicsOf('bob')).toEqual([]);
      expect(bus.pendingFor('bob')).toEqual([]);
      expect(await bus.memoryGet('bob')).toEqual({});
      const b = await bus.send({ from: 'alice', all: true, body: 'after' });
      expect(b.recipients.map((r) => r.name)).toEqual(['carol']);
      expect(bus.list({ agent: 'bob' }).map((m) => m.body)).toEqual(['unread']);
    });

    it('fires onDidSend with the recipients after the message is stored', async () => {
      const seen: string[][] = [];
      const sub = bus.onDidSend((e) => seen.push([e.message.body, ...e.recipients]));
      await bus.send({ from: 'alice', to: 'bob', body: 'evt' });
      await sub.dispose();
      expect(seen).toEqual([['evt', 'bob']]);
    });
  });
}
