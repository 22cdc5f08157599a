import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

// Loaded only when a Redis URL is configured: the default in-process bus never pays for ioredis at start-up.
const loadRedis = (): typeof import('ioredis').Redis => (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
import type { BusMessage, BusState } from '../../../shared/contract/bus.js';
import { HiveError } from '../../../shared/errors.js';
import { DEFAULT_PRESENCE_TTL_MS } from './bus.js';
import { BusBase, pick, type BusOptions } from './bus-base.js';

export interface RedisBusOptions extends BusOptions {
  url: string;
  /** How often a connected bus re-pushes SQLite backlog that Redis lost (FLUSHALL, restart without AOF). */
  reconcileMs?: number;
  /** Upper bound of the reconnect backoff. */
  maxBackoffMs?: number;
  /**
   * XADDs, PUBLISHes and XDELs of this many ms go to Redis in one write (default 2). None of them is on the
   * way to a long-poll in this process; one in another process is woken up to this much later.
   */
  batchMs?: number;
}

export const NOTIFY_CHANNEL = 'hive:bus:notify';
export const inboxKey = (name: string): string => `hive:agent:${name}:inbox`;
export const memoryKey = (name: string): string => `hive:agent:${name}:memory`;
export const presenceKey = (name: string): string => `hive:agent:${name}:presence`;

/**
 * The Redis bus. A send is first written to SQLite (the durable record), then XADDed to a stream per
 * recipient (`hive:agent:<name>:inbox`, the backlog that waits while the agent sleeps) with a PUBLISH that
 * wakes long-polls in every process. An inbox read claims the recipient's unacknowledged messages in SQLite
 * (the record every bus on this database shares, and what makes a duplicate impossible after an ack) and
 * then XDELs their stream entries. The delivery path has no Redis round trip in it: a long-poll in this
 * process is woken as soon as the row is committed, one elsewhere by the PUBLISH.
 *
 * Redis unreachable: sends still succeed (SQLite), inbox reads fall back to SQLite, ioredis reconnects with
 * a capped exponential backoff, and on `ready` every unacknowledged message missing from its stream is
 * pushed again. Working memory is written through to SQLite so a FLUSHALL loses nothing.
 */
export class RedisBus extends BusBase {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly safeUrl: string;
  private readonly instance = randomUUID();
  private readonly reconcileMs: number;
  private connected = false;
  private subscribed = false;
  private downSince: string | null;
  private lastError: string | null = null;
  private reconciling: Promise<void> | null = null;
  private again = false;
  private tick: { cancel(): void } | null = null;
  /** recipient → message id → stream entry ids (from XADD replies and stream reads); lets an ack XDEL without a read. */
  private readonly entries = new Map<string, Map<string, string[]>>();
  /** "recipient\nmessage id" → XADDs of it still waiting for their reply. */
  private readonly inflight = new Map<string, number>();
  /** Of those, the ones acknowledged before the reply came: their entries are XDELed when it does. */
  private readonly dropOnReply = new Set<string>();
  /** Streams being read to drop entries this bus has no id for (pushed by another bus, or before a restart). */
  private readonly sweeps = new Map<string, Promise<void>>();
  private readonly sweepAgain = new Set<string>();
  /** Streams an XADD without a reply may have reached (a timeout still runs the command): swept at the next reconcile. */
  private readonly unsure = new Set<string>();
  private readonly batchMs: number;
  private batch: (() => void)[] = [];
  private readonly batchWake = new Set<string>();
  private batchTimer: { cancel(): void } | null = null;

  constructor(opts: RedisBusOptions) {
    super(opts);
    this.safeUrl = redactUrl(opts.url);
    this.reconcileMs = opts.reconcileMs ?? 5000;
    this.batchMs = Math.max(0, opts.batchMs ?? 2);
    this.downSince = this.clock.iso();
    const maxBackoff = opts.maxBackoffMs ?? 2000;
    const common: RedisOptions = {
      // Fail fast while Redis is away: SQLite holds the message, the reconcile on `ready` pushes it later.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      // Commands issued in the same tick (100 long-polls waking at once) go out in one write.
      enableAutoPipelining: true,
      commandTimeout: 2000,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxBackoff) + Math.floor(Math.random() * 50),
    };
    const RedisClient = loadRedis();
    this.redis = new RedisClient(opts.url, common);
    // The subscriber subscribes on every `ready` itself (not ioredis' auto-resubscribe) so it knows when
    // notifications flow again, and then wakes every local long-poll: what was published while it was away
    // is lost (pub/sub keeps nothing), but the streams are not, so a re-read finds it.
    this.sub = new RedisClient(opts.url, { ...common, enableOfflineQueue: true, autoResubscribe: false, commandTimeout: undefined });
    this.redis.on('ready', () => this.onReady());
    for (const ev of ['close', 'reconnecting', 'end'] as const) this.redis.on(ev, () => this.onDown());
    this.redis.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    this.sub.on('error', () => {});
    // "<instance> <recipient> [<recipient>...]" (names have no spaces): this bus already woke its own
    // long-polls when it sent, so it skips its echo.
    this.sub.on('message', (_channel: string, payload: string) => {
      const [from, ...names] = payload.split(' ');
      if (from === this.instance) return;
      for (const name of names) if (name) this.wake(name);
    });
    this.sub.on('ready', () => {
      this.sub
        .subscribe(NOTIFY_CHANNEL)
        .then(() => {
          this.subscribed = true;
          this.wakeAll();
        })
        .catch(() => {});
    });
    this.sub.on('close', () => {
      this.subscribed = false;
    });
  }

  /** Resolves once Redis is connected (tests and the benchmark wait for it; the core does not need to). */
  async waitUntilConnected(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected || !this.subscribed) {
      if (this.disposed || Date.now() > deadline) {
        throw new HiveError('BUS_UNAVAILABLE', `Redis at ${this.safeUrl} did not answer within ${timeoutMs} ms (${this.lastError ?? 'no reply'}).`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.reconciling;
  }

  state(): BusState {
    if (this.disposed) return { kind: 'redis', state: 'disconnected', detail: `Disconnected from Redis at ${this.safeUrl} (the hive is stopping).` };
    if (this.connected) return { kind: 'redis', state: 'connected', detail: `Redis at ${this.safeUrl}` };
    const waiting = safe(() => this.store.backlogCount(), 0);
    return {
      kind: 'redis',
      state: 'degraded',
      detail:
        `Redis at ${this.safeUrl} is unreachable since ${this.downSince ?? 'start-up'}${this.lastError ? ` (${this.lastError})` : ''}; ` +
        `messages are kept in SQLite (${waiting} unacknowledged) and delivered from there, reconnecting with backoff.`,
    };
  }

  private onReady(): void {
    if (this.disposed) return;
    const was = this.connected;
    this.connected = true;
    this.downSince = null;
    if (!was) this.logState(this.state());
    void this.reconcile(0);
    void this.sweepAll();
    this.schedule();
  }

  /** On connect: every inbox stream is read once, so entries an earlier run left for acknowledged messages go. */
  private async sweepAll(): Promise<void> {
    try {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', inboxKey('*'), 'COUNT', 1000);
        cursor = next;
        const [prefix = '', suffix = ''] = inboxKey('\0').split('\0');
        for (const key of keys) {
          const name = key.slice(prefix.length, key.length - suffix.length);
          if (key === inboxKey(name)) this.sweep(name);
        }
      } while (cursor !== '0' && this.connected && !this.disposed);
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  private onDown(): void {
    if (this.disposed || !this.connected) return;
    this.connected = false;
    this.downSince = this.clock.iso();
    this.tick?.cancel();
    this.tick = null;
    this.logState(this.state());
  }

  private schedule(): void {
    this.tick?.cancel();
    this.tick = this.clock.setTimeout(() => {
      this.tick = null;
      if (!this.connected || this.disposed) return;
      void this.reconcile(1000).finally(() => this.schedule());
    }, this.reconcileMs);
  }

  protected async pushTransport(message: BusMessage, recipients: string[]): Promise<void> {
    if (!this.connected) return;
    const payload = JSON.stringify(message);
    // Plain commands, not MULTI: they need not be atomic (the reconcile repairs a gap), and with the batch
    // window the XADDs of every send in it leave in one socket write with one PUBLISH naming all recipients.
    try {
      await Promise.all(recipients.map((r) => this.xadd(r, message.id, payload)));
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  /**
   * Issues `fn`'s commands with everything else queued in this batch window: ioredis' auto-pipelining then
   * sends them in one write. A write to a socket costs more than the commands in it (tens of µs on a VM).
   */
  private batched<T>(fn: () => Promise<T>, wake?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.batch.push(() => void fn().then(resolve, reject));
      if (wake !== undefined) this.batchWake.add(wake);
      if (this.batchTimer === null) this.batchTimer = this.clock.setTimeout(() => this.flushBatch(), this.batchMs);
    });
  }

  private flushBatch(): void {
    this.batchTimer?.cancel();
    this.batchTimer = null;
    const run = this.batch;
    const names = [...this.batchWake];
    this.batch = [];
    this.batchWake.clear();
    for (const r of run) r();
    if (names.length > 0) {
      this.redis.publish(NOTIFY_CHANNEL, `${this.instance} ${names.join(' ')}`).catch((err: Error) => {
        this.lastError = err.message;
      });
    }
  }

  /** XADD that remembers the new entry's id, or deletes the entry if the message was acknowledged meanwhile. */
  private xadd(name: string, messageId: string, payload: string): Promise<unknown> {
    const key = `${name}\n${messageId}`;
    this.inflight.set(key, (this.inflight.get(key) ?? 0) + 1);
    const landed = (entryId: string | null): void => {
      const left = (this.inflight.get(key) ?? 1) - 1;
      if (left > 0) this.inflight.set(key, left);
      else this.inflight.delete(key);
      const drop = this.dropOnReply.has(key);
      if (left === 0) this.dropOnReply.delete(key);
      if (entryId === null) {
        this.unsure.add(name);
        return;
      }
      if (drop) void this.xdel(name, [entryId]);
      else this.rememberEntries(name, messageId, [entryId]);
    };
    return this.batched(() => this.redis.xadd(inboxKey(name), '*', 'id', messageId, 'msg', payload), name).then(
      (entryId) => landed(entryId),
      (err: unknown) => {
        landed(null);
        throw err;
      },
    );
  }

  private rememberEntries(name: string, messageId: string, entryIds: string[]): void {
    let known = this.entries.get(name);
    if (!known) this.entries.set(name, (known = new Map()));
    const have = known.get(messageId);
    known.set(messageId, have ? [...new Set([...have, ...entryIds])] : entryIds);
  }

  protected async dropTransport(name: string, messageIds: string[]): Promise<void> {
    const known = this.entries.get(name);
    const entryIds: string[] = [];
    let unknown = false;
    for (const id of messageIds) {
      const e = known?.get(id);
      if (e) {
        entryIds.push(...e);
        known!.delete(id);
        continue;
      }
      const key = `${name}\n${id}`;
      if (this.inflight.has(key)) this.dropOnReply.add(key);
      else unknown = true;
    }
    if (known?.size === 0) this.entries.delete(name);
    // Entries this bus never saw an id for (another bus pushed them, or a previous run): find them by reading.
    if (unknown) this.sweep(name);
    if (entryIds.length > 0) await this.xdel(name, entryIds);
  }

  private async xdel(name: string, entryIds: string[]): Promise<void> {
    if (!this.connected) return;
    try {
      await this.batched(() => this.redis.xdel(inboxKey(name), ...entryIds));
    } catch {
      // Left in the stream: never delivered again (SQLite says acknowledged); a later sweep or reconcile drops it.
    }
  }

  /** Reads `name`'s stream: drops the entries of acknowledged messages and learns the ids of the others. */
  private sweep(name: string): void {
    if (!this.connected || this.disposed) return;
    if (this.sweeps.has(name)) {
      this.sweepAgain.add(name);
      return;
    }
    const run = async (): Promise<void> => {
      do {
        this.sweepAgain.delete(name);
        await this.absorb(name, await this.redis.xrange(inboxKey(name), '-', '+'));
      } while (this.sweepAgain.has(name) && this.connected && !this.disposed);
    };
    this.sweeps.set(
      name,
      run()
        .catch((err: Error) => {
          this.lastError = err.message;
        })
        .finally(() => this.sweeps.delete(name)),
    );
  }

  /** Takes in what a read of `name`'s stream found; returns the message ids in it. */
  private async absorb(name: string, raw: [string, string[]][]): Promise<Set<string>> {
    const byMessage = new Map<string, string[]>();
    for (const [entryId, fields] of raw) {
      const id = field(fields, 'id') ?? `invalid:${entryId}`;
      const list = byMessage.get(id);
      if (list) list.push(entryId);
      else byMessage.set(id, [entryId]);
    }
    // Acknowledged is final, so an entry found settled here can go even while a send races this read.
    const settled = new Set(safe(() => this.store.settled(name, byMessage.keys()), []));
    const drop: string[] = [];
    for (const [id, entryIds] of byMessage) {
      if (settled.has(id)) drop.push(...entryIds);
      else this.rememberEntries(name, id, entryIds);
    }
    if (drop.length > 0) await this.xdel(name, drop);
    return new Set(byMessage.keys());
  }

  /**
   * Pushes every unacknowledged message that is not in its recipient's stream (lost by a Redis restart or
   * FLUSHALL, or sent while Redis was away) and wakes the recipients. `minAgeMs` skips messages whose own
   * send may still be on its way to Redis.
   */
  private reconcile(minAgeMs: number): Promise<void> {
    if (this.reconciling) {
      this.again = true;
      return this.reconciling;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        await this.reconcileOnce(minAgeMs);
      } while (this.again && this.connected && !this.disposed);
    })().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcileOnce(minAgeMs: number): Promise<void> {
    const cutoff = new Date(this.clock.now() - minAgeMs).toISOString();
    const backlog = safe(() => this.store.backlogRecipients(), []);
    // Entry ids of recipients with nothing waiting are not needed any more (an ack of theirs would sweep).
    const waiting = new Set(backlog);
    for (const name of [...this.entries.keys()]) if (!waiting.has(name)) this.entries.delete(name);
    for (const name of backlog) {
      if (!this.connected || this.disposed) return;
      const pending = this.store.unacked(name, 100_000).filter((m) => minAgeMs === 0 || m.createdAt <= cutoff);
      if (pending.length === 0) continue;
      try {
        const have = await this.absorb(name, await this.redis.xrange(inboxKey(name), '-', '+'));
        const missing = pending.filter((m) => !have.has(m.id));
        if (missing.length > 0) {
          await Promise.all(missing.map((msg) => this.xadd(name, msg.id, JSON.stringify(msg))));
        }
      } catch (err) {
        this.lastError = (err as Error).message;
        return;
      }
      this.wake(name);
    }
    for (const name of [...this.unsure]) {
      this.unsure.delete(name);
      this.sweep(name);
    }
  }

  override async memorySet(name: string, key: string, value: string): Promise<void> {
    await super.memorySet(name, key, value);
    if (!this.connected) return;
    try {
      await this.redis.hset(memoryKey(name), key, value);
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  /**
   * Redis is the hot copy, SQLite the durable one. Values the API wrote win (SQLite has every one of them);
   * keys only Redis has (written there directly) are kept; whatever Redis lost or missed is written back.
   */
  override async memoryGet(name: string, key?: string): Promise<Record<string, string>> {
    const durable = await super.memoryGet(name);
    if (!this.connected) return pick(durable, key);
    try {
      const hot = await this.redis.hgetall(memoryKey(name));
      const stale = Object.entries(durable).filter(([k, v]) => hot[k] !== v);
      if (stale.length > 0) await this.redis.hset(memoryKey(name), Object.fromEntries(stale));
      return pick({ ...hot, ...durable }, key);
    } catch (err) {
      this.lastError = (err as Error).message;
      return pick(durable, key);
    }
  }

  override async exportMemory(name: string): Promise<Record<string, string>> {
    const all = await this.memoryGet(name);
    this.store.memoryReplace(name, all, this.clock.iso());
    return all;
  }

  override async importMemory(name: string, record: Record<string, string>): Promise<void> {
    await super.importMemory(name, record);
    if (!this.connected) return;
    try {
      const m = this.redis.multi().del(memoryKey(name));
      if (Object.keys(record).length > 0) m.hset(memoryKey(name), record);
      await m.exec();
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  override async touchPresence(name: string, ttlMs = DEFAULT_PRESENCE_TTL_MS): Promise<void> {
    await super.touchPresence(name, ttlMs);
    if (!this.connected) return;
    try {
      await this.redis.set(presenceKey(name), this.clock.iso(), 'PX', Math.max(1, Math.trunc(ttlMs)));
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  override async isPresent(name: string): Promise<boolean> {
    if (!this.connected) return super.isPresent(name);
    try {
      return (await this.redis.exists(presenceKey(name))) === 1;
    } catch {
      return super.isPresent(name);
    }
  }

  protected override async forgetTransport(name: string): Promise<void> {
    this.entries.delete(name);
    this.sweepAgain.delete(name);
    this.unsure.delete(name);
    if (!this.connected) return; // the keys stay until Redis is flushed; nothing reads them any more
    try {
      await this.redis.del(inboxKey(name), memoryKey(name), presenceKey(name));
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  override async dispose(): Promise<void> {
    if (this.disposed) return;
    this.connected = false;
    this.tick?.cancel();
    // What waits for the batch window still goes out (XDELs of acknowledged entries, mostly).
    this.flushBatch();
    await super.dispose();
    await this.reconciling?.catch(() => {});
    await Promise.all(this.sweeps.values());
    await Promise.all([quit(this.redis), quit(this.sub)]);
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

async function quit(r: Redis): Promise<void> {
  try {
    if (r.status === 'ready') await r.quit();
    else r.disconnect();
  } catch {
    r.disconnect();
  }
}

/** The URL without its password, for the GUI and the events table. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@]*@/, '//***@');
  }
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
