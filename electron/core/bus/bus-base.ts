import { randomUUID } from 'node:crypto';
import type { BusKind, BusMessage, BusState, MessageView } from '../../../shared/contract/bus.js';
import { HiveError } from '../../../shared/errors.js';
import { agentNameProblem } from '../../../shared/names.js';
import type { EventLog } from '../events/event-log.js';
import type { Clock } from '../ports/clock.js';
import { Emitter } from '../ports/disposable.js';
import type { Db } from '../store/database.js';
import { DEFAULT_PRESENCE_TTL_MS, type Bus, type InboxOptions, type SendInput, type SentEvent } from './bus.js';
import { MessageStore, type ListFilter } from './message-store.js';

export interface BusOptions {
  db: Db;
  clock: Clock;
  /** When given, state changes of the transport are written to the events table. */
  events?: EventLog | null;
}

/** A long-poll waiting in this process. */
interface Waiter {
  readonly ack: boolean;
  readonly limit: number;
  /** Leaves the wait list and cancels the timeout (nothing else can answer it then). */
  detach(): void;
  /** Answers the poll: messages handed over, or null to make it look again. */
  done(messages: BusMessage[] | null): void;
}

const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/**
 * What both buses share: the SQLite record, validation, long-poll waiters and events. A subclass adds a
 * transport (where a recipient's backlog lives and how waiters in other processes are woken) and may keep
 * working memory and presence somewhere hotter than SQLite.
 */
export abstract class BusBase implements Bus {
  abstract readonly kind: BusKind;
  protected readonly store: MessageStore;
  protected readonly clock: Clock;
  protected readonly eventLog: EventLog | null;
  protected disposed = false;
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly presenceUntil = new Map<string, number>();
  private readonly known = new Set<string>();
  /** Wake-ups per recipient that has long-polled here (a counter, so a poll can tell it missed one). */
  private readonly wakes = new Map<string, number>();
  private pendingWrites: { fn: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private readonly db: Db;
  protected readonly onDidSendEmitter = new Emitter<SentEvent>();
  readonly onDidSend = this.onDidSendEmitter.event;
  private readonly onDidDeliverEmitter = new Emitter<{ name: string; messages: BusMessage[] }>();
  /** Messages handed to a recipient by `inbox` (for delivery metrics and traces). */
  readonly onDidDeliver = this.onDidDeliverEmitter.event;
  protected readonly onDidChangeStateEmitter = new Emitter<BusState>();
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;

  constructor(opts: BusOptions) {
    this.db = opts.db;
    this.store = new MessageStore(opts.db);
    this.clock = opts.clock;
    this.eventLog = opts.events ?? null;
  }

  abstract state(): BusState;

  /**
   * Hands a stored message to the transport. Never throws: the message is durable in SQLite already.
   * Must issue its commands before its first await: send() wakes this process's long-polls right after.
   */
  protected abstract pushTransport(message: BusMessage, recipients: string[]): Promise<void>;
  /** Removes acknowledged entries from `name`'s transport backlog. Best effort. */
  protected abstract dropTransport(name: string, messageIds: string[]): Promise<void>;

  async send(input: SendInput): Promise<MessageView> {
    this.assertOpen();
    checkName(input.from, 'sender');
    const targets = [input.to !== undefined, input.topic !== undefined, input.all === true].filter(Boolean).length;
    if (targets !== 1) {
      throw new HiveError('INVALID_INPUT', 'A message needs exactly one of: a recipient (--to), a topic (--topic) or --all.');
    }
    if (input.to !== undefined) checkName(input.to, 'recipient');
    if (input.topic !== undefined) checkTopic(input.topic);
    const now = this.clock.iso();
    // Long-polls of this process waiting for a recipient get the message from the send's own transaction
    // (claimed there, so one commit instead of two and no second trip through the event loop).
    const handed: { waiter: Waiter; name: string; messages: BusMessage[] }[] = [];
    let result: { message: BusMessage; recipients: string[]; created: boolean };
    try {
      result = await this.write(() => {
        // A sender is not remembered as a reader: the GUI sends as 'operator' and never reads, and every
        // broadcast after its first message waited for it for good (never acknowledged, never pruned). Agents
        // are known from their rows; other names once they read their inbox.
        const r = this.store.insert({
          id: input.id ?? randomUUID(),
          from: input.from,
          to: input.to ?? null,
          topic: input.topic ?? null,
          type: input.type ?? 'text',
          body: input.body,
          createdAt: now,
        });
        if (r.created) for (const name of r.recipients) this.handOver(name, now, handed);
        return r;
      });
    } catch (err) {
      for (const h of handed) h.waiter.done(null); // rolled back with the send: they look again
      throw err;
    }
    const { message, recipients, created } = result;
    if (created && recipients.length > 0) {
      const got = new Set(handed.filter((h) => h.messages.some((m) => m.id === message.id)).map((h) => h.name));
      for (const h of handed) {
        h.waiter.done(h.messages);
        // Older entries it claimed with this one may still sit in the transport (sent while it was away).
        const older = h.messages.filter((m) => m.id !== message.id).map((m) => m.id);
        if (older.length > 0) void this.dropTransport(h.name, older);
      }
      // The transport carries it to the recipients not served here (other processes, later reads); a recipient
      // served already (acknowledged in SQLite) needs no copy. Long-polls here read the committed row.
      const rest = got.size > 0 ? recipients.filter((r) => !got.has(r)) : recipients;
      const pushed = rest.length > 0 ? this.pushTransport(message, rest) : Promise.resolve();
      for (const r of rest) this.wake(r);
      await pushed;
    }
    if (!created) return this.store.list({ limit: 1, beforeSeq: message.seq + 1 })[0] ?? { ...message, recipients: [] };
    this.onDidSendEmitter.fire({ message, recipients });
    return { ...message, recipients: recipients.map((r) => ({ name: r, deliveredAt: null, ackedAt: null })) };
  }

  async inbox(name: string, opts: InboxOptions = {}): Promise<BusMessage[]> {
    this.assertOpen();
    checkName(name, 'agent');
    const ack = opts.ack ?? true;
    const limit = opts.limit ?? 1000;
    const deadline = this.clock.now() + (opts.waitMs ?? 0);
    this.remember(name, this.clock.iso());
    if (!this.wakes.has(name)) this.wakes.set(name, 0);
    for (;;) {
      if (opts.signal?.aborted) return [];
      // A wake that lands while take() waits for its commit would be lost without this: look again instead.
      const seen = this.wakes.get(name) ?? 0;
      const got = await this.take(name, ack, limit);
      if (got.length > 0) this.onDidDeliverEmitter.fire({ name, messages: got });
      if (got.length > 0 || this.disposed) return got;
      const left = deadline - this.clock.now();
      if (left <= 0) return [];
      if ((this.wakes.get(name) ?? 0) !== seen) continue;
      const handed = await this.waitFor(name, left, ack, limit, opts.signal);
      if (handed && handed.length > 0) {
        this.onDidDeliverEmitter.fire({ name, messages: handed });
        return handed;
      }
    }
  }

  /**
   * Claims from SQLite, the record every bus on this database shares and the one that decides what is
   * delivered (an ack there is what makes a second delivery impossible): no transport round trip on the way
   * to the recipient. The transport's copy of what was acknowledged is dropped afterwards.
   */
  private async take(name: string, ack: boolean, limit: number): Promise<BusMessage[]> {
    // Nothing waiting is the common case of a long-poll: answer it without a write transaction.
    if (!this.store.hasUnacked(name)) return [];
    const { messages } = await this.write(() => this.store.claim(name, null, { ack, limit, now: this.clock.iso() }));
    // Not awaited: a transport entry left behind is never delivered again (SQLite says acknowledged).
    if (ack && messages.length > 0) void this.dropTransport(name, messages.map((m) => m.id));
    return messages;
  }

  async ack(name: string, ids: string[]): Promise<number> {
    this.assertOpen();
    checkName(name, 'agent');
    const n = await this.write(() => this.store.ack(name, ids, this.clock.iso()));
    await this.dropTransport(name, ids);
    return n;
  }

  async subscribe(name: string, topic: string): Promise<string[]> {
    this.assertOpen();
    checkName(name, 'agent');
    checkTopic(topic);
    const now = this.clock.iso();
    this.remember(name, now);
    return this.store.subscribe(name, topic, now);
  }

  async unsubscribe(name: string, topic: string): Promise<string[]> {
    checkName(name, 'agent');
    return this.store.unsubscribe(name, topic);
  }

  topicsOf(name: string): string[] {
    return this.store.topicsOf(name);
  }

  pendingFor(name: string): BusMessage[] {
    return this.store.unacked(name);
  }

  list(filter: ListFilter = {}): MessageView[] {
    return this.store.list(filter);
  }

  topics(): { topic: string; subscribers: string[]; messages: number }[] {
    return this.store.topicSummary();
  }

  // Working memory: SQLite holds the durable copy. Subclasses with a hot store override these.
  async memorySet(name: string, key: string, value: string): Promise<void> {
    checkName(name, 'agent');
    this.store.memorySet(name, key, value, this.clock.iso());
  }

  async memoryGet(name: string, key?: string): Promise<Record<string, string>> {
    checkName(name, 'agent');
    return pick(this.store.memoryAll(name), key);
  }

  async exportMemory(name: string): Promise<Record<string, string>> {
    return this.memoryGet(name);
  }

  async importMemory(name: string, record: Record<string, string>): Promise<void> {
    checkName(name, 'agent');
    this.store.memoryReplace(name, record, this.clock.iso());
  }

  async touchPresence(name: string, ttlMs = DEFAULT_PRESENCE_TTL_MS): Promise<void> {
    checkName(name, 'agent');
    this.presenceUntil.set(name, this.clock.now() + ttlMs);
  }

  async isPresent(name: string): Promise<boolean> {
    return (this.presenceUntil.get(name) ?? 0) > this.clock.now();
  }

  setPaneDelivery(name: string, enabled: boolean): void {
    checkName(name, 'agent');
    this.store.setPaneDelivery(name, enabled, this.clock.iso());
  }

  paneDeliveryAgents(): string[] {
    return this.store.paneAgents();
  }

  /** Records an agent that used the bus (once per process: it only matters for who a broadcast reaches). */
  private remember(name: string, now: string): void {
    if (this.known.has(name)) return;
    this.store.touchAgent(name, now);
    this.known.add(name);
  }

  /**
   * Group commit: the writes queued during one turn of the event loop share one SQLite transaction (each in
   * its own savepoint, so one failing write does not undo the others). A commit costs far more than the
   * statements in it, so under load this multiplies what the bus can carry; alone, it adds one setImmediate.
   */
  protected write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingWrites.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.pendingWrites.length === 1) setImmediate(() => this.flushWrites());
    });
  }

  private flushWrites(): void {
    const items = this.pendingWrites;
    this.pendingWrites = [];
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      (this.groupCommit ??= this.makeGroupCommit())(items, results);
    } catch (err) {
      for (const it of items) it.reject(err);
      return;
    }
    items.forEach((it, k) => {
      const r = results[k]!;
      if (r.ok) it.resolve(r.value);
      else it.reject(r.value);
    });
  }

  /** One IMMEDIATE transaction for the batch; a savepoint per write only when there are others to keep. */
  private groupCommit: ((items: { fn: () => unknown }[], results: { ok: boolean; value: unknown }[]) => void) | null = null;
  private makeGroupCommit(): (items: { fn: () => unknown }[], results: { ok: boolean; value: unknown }[]) => void {
    const savepoint = this.db.transaction((fn: () => unknown) => fn());
    return this.db.transaction((items: { fn: () => unknown }[], results: { ok: boolean; value: unknown }[]) => {
      if (items.length === 1) {
        results.push({ ok: true, value: items[0]!.fn() }); // a failure rolls the whole (one-write) batch back
        return;
      }
      for (const it of items) {
        try {
          results.push({ ok: true, value: savepoint(it.fn) });
        } catch (err) {
          results.push({ ok: false, value: err });
        }
      }
    }).immediate;
  }

  /** Wakes every long-poll in this process (each re-reads its backlog). */
  protected wakeAll(): void {
    for (const name of [...this.waiters.keys(), ...this.wakes.keys()]) this.wake(name);
  }

  /** Wakes the long-polls waiting for `name` in this process. */
  protected wake(name: string): void {
    if (this.wakes.has(name) || this.waiters.has(name)) this.wakes.set(name, ((this.wakes.get(name) ?? 0) + 1) % Number.MAX_SAFE_INTEGER);
    const set = this.waiters.get(name);
    if (!set) return;
    this.waiters.delete(name);
    for (const w of set) w.done(null);
  }

  /**
   * Inside a send's transaction: claims `name`'s backlog for one of its acknowledging long-polls here, which
   * leaves the wait list at once (its timer cancelled) and is answered after the commit, or woken to look
   * again if the commit fails. Nothing is claimed for a poll that could still time out on its own.
   */
  private handOver(name: string, now: string, handed: { waiter: Waiter; name: string; messages: BusMessage[] }[]): void {
    const set = this.waiters.get(name);
    if (!set) return;
    for (const w of set) {
      if (!w.ack || w.limit <= 0) continue;
      const { messages } = this.store.claim(name, null, { ack: true, limit: w.limit, now });
      if (messages.length === 0) return;
      w.detach();
      handed.push({ waiter: w, name, messages });
      return;
    }
  }

  /** Resolves with messages handed over by a send, or null when woken or timed out (look again). */
  private waitFor(name: string, ms: number, ack: boolean, limit: number, signal?: AbortSignal): Promise<BusMessage[] | null> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(null);
      let set = this.waiters.get(name);
      if (!set) this.waiters.set(name, (set = new Set()));
      const waiters = set;
      const w: Waiter = {
        ack,
        limit,
        detach: () => {
          timer.cancel();
          waiters.delete(w);
          if (waiters.size === 0 && this.waiters.get(name) === waiters) this.waiters.delete(name);
        },
        done: (messages) => {
          w.detach();
          resolve(messages);
        },
      };
      const timer = this.clock.setTimeout(() => w.done(null), ms);
      waiters.add(w);
      // Gone before a message came: out of the waiters, so no send hands it anything.
      signal?.addEventListener('abort', () => {
        if (waiters.has(w)) w.done(null);
      }, { once: true });
    });
  }

  protected logState(s: BusState): void {
    this.onDidChangeStateEmitter.fire(s);
    try {
      this.eventLog?.append({ agent: null, kind: `bus.${s.state}`, cause: s.detail ?? '', actor: 'bus', data: { kind: s.kind } });
    } catch {
      // The database may already be closed while the core shuts down; the state change is not worth a crash.
    }
  }

  protected assertOpen(): void {
    if (this.disposed) throw new HiveError('BUS_UNAVAILABLE', 'The message bus is shut down; the hive is stopping.');
  }

  /**
   * For `agents:remove`: the agent leaves every topic and stops receiving broadcasts, its unread messages are
   * closed (acknowledged by the hive, so they no longer count as waiting) and its working memory is dropped.
   * The message history stays. Export the memory first if the archive should keep it.
   */
  async forgetAgent(name: string): Promise<void> {
    checkName(name, 'agent');
    await this.write(() => this.store.forgetAgent(name, this.clock.iso()));
    this.known.delete(name);
    this.presenceUntil.delete(name);
    await this.forgetTransport(name);
  }

  /** Drops whatever the transport keeps for `name` (Redis keys). */
  protected async forgetTransport(_name: string): Promise<void> {}

  dispose(): void | Promise<void> {
    this.disposed = true;
    // Writes queued for the next tick go in now: the database may be closed right after this returns.
    if (this.pendingWrites.length > 0) this.flushWrites();
    for (const name of [...this.waiters.keys()]) this.wake(name);
  }
}

function checkName(name: string, what: string): void {
  const problem = agentNameProblem(name);
  if (problem) throw new HiveError('INVALID_NAME', `Bad ${what} name: ${problem}`);
}

function checkTopic(topic: string): void {
  if (!TOPIC_PATTERN.test(topic)) {
    throw new HiveError(
      'INVALID_INPUT',
      `The topic ${JSON.stringify(topic)} is not allowed. Use letters, digits, ".", ":", "-" and "_" (at most 200).`,
    );
  }
}

export function pick(all: Record<string, string>, key?: string): Record<string, string> {
  if (key === undefined) return all;
  return Object.prototype.hasOwnProperty.call(all, key) ? { [key]: all[key] as string } : {};
}
