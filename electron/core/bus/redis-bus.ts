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
}

export const NOTIFY_CHANNEL = 'hive:bus:notify';
export const inboxKey = (name: string): string => `hive:agent:${name}:inbox`;
export const memoryKey = (name: string): string => `hive:agent:${name}:memory`;
export const presenceKey = (name: string): string => `hive:agent:${name}:presence`;

/**
 * The Redis bus. A send is first written to SQLite (the durable record), then XADDed to a stream per
 * recipient (`hive:agent:<name>:inbox`, the backlog that waits while the agent sleeps) with a PUBLISH that
 * wakes long-polls in every process. An inbox read takes the stream's entries, claims them in SQLite (which
 * is what makes a duplicate impossible after an ack) and XDELs them.
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
  /** recipient → message id → stream entry ids, from the last read; lets an ack XDEL without a scan. */
  private readonly entries = new Map<string, Map<string, string[]>>();

  constructor(opts: RedisBusOptions) {
    super(opts);
    this.safeUrl = redactUrl(opts.url);
    this.reconcileMs = opts.reconcileMs ?? 5000;
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
    // "<instance> <recipient>": this bus already woke its own long-polls when it sent, so it skips its echo.
    this.sub.on('message', (_channel: string, payload: string) => {
      const space = payload.indexOf(' ');
      if (space > 0 && payload.slice(0, space) !== this.instance) this.wake(payload.slice(space + 1));
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
    this.schedule();
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
    // Plain commands, not MULTI or a pipeline: with auto-pipelining, the XADDs of every send committed in
    // the same group commit leave in one socket write. They need not be atomic: the reconcile repairs a gap.
    try {
      await Promise.all([
        ...recipients.map((r) => this.redis.xadd(inboxKey(r), '*', 'id', message.id, 'msg', payload)),
        ...recipients.map((r) => this.redis.publish(NOTIFY_CHANNEL, `${this.instance} ${r}`)),
      ]);
    } catch (err) {
      this.lastError = (err as Error).message;
    }
  }

  protected async readTransport(name: string, limit: number): Promise<string[] | null> {
    if (!this.connected) return null;
    let raw: [string, string[]][];
    try {
      raw = await this.redis.xrange(inboxKey(name), '-', '+', 'COUNT', limit);
    } catch (err) {
      this.lastError = (err as Error).message;
      return null;
    }
    const byMessage = new Map<string, string[]>();
    for (const [entryId, fields] of raw) {
      const id = field(fields, 'id') ?? `invalid:${entryId}`;
      const list = byMessage.get(id);
      if (list) list.push(entryId);
      else byMessage.set(id, [entryId]);
    }
    this.entries.set(name, byMessage);
    return [...byMessage.keys()];
  }

  protected async dropTransport(name: string, messageIds: string[]): Promise<void> {
    const known = this.entries.get(name);
    if (!known) return;
    const entryIds: string[] = [];
    for (const id of messageIds) {
      entryIds.push(...(known.get(id) ?? []));
      known.delete(id);
    }
    if (entryIds.length === 0 || !this.connected) return;
    try {
      await this.redis.xdel(inboxKey(name), ...entryIds);
    } catch {
      // Left in the stream: the next read sees them acknowledged in SQLite and drops them again.
    }
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
    for (const name of safe(() => this.store.backlogRecipients(), [])) {
      if (!this.connected || this.disposed) return;
      const pending = this.store.unacked(name, 100_000).filter((m) => minAgeMs === 0 || m.createdAt <= cutoff);
      if (pending.length === 0) continue;
      try {
        const raw = await this.redis.xrange(inboxKey(name), '-', '+');
        const have = new Set(raw.map(([, f]) => field(f, 'id')));
        const missing = pending.filter((m) => !have.has(m.id));
        if (missing.length > 0) {
          const m = this.redis.multi();
          for (const msg of missing) m.xadd(inboxKey(name), '*', 'id', msg.id, 'msg', JSON.stringify(msg));
          m.publish(NOTIFY_CHANNEL, `${this.instance} ${name}`);
          await m.exec();
        }
      } catch (err) {
        this.lastError = (err as Error).message;
        return;
      }
      this.wake(name);
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
    await super.dispose();
    await this.reconciling?.catch(() => {});
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
