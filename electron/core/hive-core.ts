import path from 'node:path';
import type { PushEventName, PushPayload } from '../../shared/contract/index.js';
import type { Bus } from './bus/bus.js';
import { createBus } from './bus/create-bus.js';
import { EventLog } from './events/event-log.js';
import { Git } from './git/git.js';
import type { AllHandlers } from './handlers.js';
import { systemClock, type Clock } from './ports/clock.js';
import { DisposableStore, Emitter } from './ports/disposable.js';
import { openDatabase, type Db } from './store/database.js';

export interface CoreOptions {
  dataDir: string;
  clock?: Clock;
  git?: Git;
  /** URL the agents use to reach the API (set once the host listens). */
  apiUrl?: () => string | null;
  apiToken?: () => string | null;
  redisUrl?: string | null;
}

export type PushListener = <E extends PushEventName>(event: E, payload: PushPayload<E>) => void;

/**
 * The composition root: the only place that builds the real parts. The Electron main process and
 * `hive serve` both build the core here, then put their own transport in front of `handlers`.
 */
export class HiveCore {
  readonly dataDir: string;
  readonly db: Db;
  readonly clock: Clock;
  readonly git: Git;
  readonly events: EventLog;
  /** Messages and working memory: Redis when `redisUrl` / HIVE_REDIS_URL is set, else in-process. */
  readonly bus: Bus;
  readonly disposables = new DisposableStore();
  private readonly pushEmitter = new Emitter<{ event: PushEventName; payload: unknown }>();
  /** Subscribe to every pushed event (hosts forward them to windows and sockets). */
  readonly onDidPush = this.pushEmitter.event;
  handlers!: AllHandlers;

  constructor(readonly options: CoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.clock = options.clock ?? systemClock;
    this.git = options.git ?? new Git();
    this.db = openDatabase(path.join(this.dataDir, 'hive.db'));
    this.disposables.add({ dispose: () => void this.db.close() });
    this.events = new EventLog(this.db, this.clock);
    this.disposables.add(this.events.onDidAppend((e) => this.push('event:appended', e)));
    this.bus = this.disposables.add(
      createBus({ db: this.db, clock: this.clock, events: this.events, redisUrl: options.redisUrl ?? process.env.HIVE_REDIS_URL ?? null }),
    );
    this.disposables.add(
      this.bus.onDidSend(({ message: m }) => this.push('bus:message', { id: m.id, from: m.from, to: m.to, topic: m.topic })),
    );
    this.disposables.add(this.bus.onDidChangeState((s) => this.push('bus:state', s)));
  }

  push<E extends PushEventName>(event: E, payload: PushPayload<E>): void {
    this.pushEmitter.fire({ event, payload });
  }

  notify(level: 'info' | 'warning' | 'error', title: string, body: string): void {
    this.push('notify', { level, title, body });
  }

  async dispose(): Promise<void> {
    await this.disposables.dispose();
  }
}
