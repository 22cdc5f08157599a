import type { BusKind, BusMessage, BusState, MessageView } from '../../../shared/contract/bus.js';
import type { Disposable } from '../ports/disposable.js';
import type { ListFilter } from './message-store.js';

export type { BusKind, BusMessage, BusState, MessageView, ListFilter };

export type Event<T> = (listener: (value: T) => void) => Disposable;

/** One of `to`, `topic` or `all`. A caller-chosen `id` makes a retried send idempotent. */
export interface SendInput {
  from: string;
  to?: string;
  topic?: string;
  all?: boolean;
  type?: string;
  body: string;
  id?: string;
}

export interface InboxOptions {
  /** Wait up to this long for a first message when nothing is waiting (long-poll). */
  waitMs?: number;
  /** Acknowledge what is returned (default true). Without it the messages come back until `ack`. */
  ack?: boolean;
  limit?: number;
  /**
   * The caller is gone: stop waiting, claim nothing. (A long-poll whose client had gone claimed — and with
   * the default ack, acknowledged — the next message for nobody: it was lost.)
   */
  signal?: AbortSignal;
}

export interface SentEvent {
  message: BusMessage;
  recipients: string[];
}

/**
 * Messages between agents, their working memory and their presence. Two implementations pass the same
 * behavioural suite: RedisBus (Redis streams + pub/sub, SQLite as the durable record) and InProcessBus
 * (SQLite only, for a hive without Redis). Delivery is at-least-once with acknowledgements; a message is
 * never handed to the same recipient again once acknowledged.
 */
export interface Bus extends Disposable {
  readonly kind: BusKind;
  /** After a message is stored (durable) and handed to the transport. */
  readonly onDidSend: Event<SentEvent>;
  readonly onDidChangeState: Event<BusState>;
  /** Messages handed to a recipient (by `inbox`). */
  readonly onDidDeliver: Event<{ name: string; messages: BusMessage[] }>;
  state(): BusState;

  send(input: SendInput): Promise<MessageView>;
  /** Unacknowledged messages for `name`, oldest first; acknowledges them unless `ack: false`. */
  inbox(name: string, opts?: InboxOptions): Promise<BusMessage[]>;
  ack(name: string, ids: string[]): Promise<number>;
  subscribe(name: string, topic: string): Promise<string[]>;
  unsubscribe(name: string, topic: string): Promise<string[]>;
  topicsOf(name: string): string[];
  /** What waits for `name` (not acknowledged), without marking it: for the resume context on wake. */
  pendingFor(name: string): BusMessage[];
  list(filter?: ListFilter): MessageView[];
  topics(): { topic: string; subscribers: string[]; messages: number }[];

  memorySet(name: string, key: string, value: string): Promise<void>;
  memoryGet(name: string, key?: string): Promise<Record<string, string>>;
  /** The whole working memory, for the sleep snapshot. */
  exportMemory(name: string): Promise<Record<string, string>>;
  /** Replaces the working memory with a snapshot's copy, on wake. */
  importMemory(name: string, record: Record<string, string>): Promise<void>;

  /** Marks `name` present for `ttlMs` (refreshed by each heartbeat). */
  touchPresence(name: string, ttlMs?: number): Promise<void>;
  isPresent(name: string): Promise<boolean>;

  /** On removal: leaves topics and broadcasts, closes unread messages, drops working memory and Redis keys. */
  forgetAgent(name: string): Promise<void>;

  setPaneDelivery(name: string, enabled: boolean): void;
  paneDeliveryAgents(): string[];
}

export const DEFAULT_PRESENCE_TTL_MS = 30_000;
