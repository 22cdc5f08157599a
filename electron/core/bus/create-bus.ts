import type { EventLog } from '../events/event-log.js';
import type { Clock } from '../ports/clock.js';
import type { Db } from '../store/database.js';
import type { Bus } from './bus.js';
import { InProcessBus } from './in-process-bus.js';
import { RedisBus } from './redis-bus.js';

export interface CreateBusOptions {
  db: Db;
  clock: Clock;
  events?: EventLog | null;
  /** `--redis URL` / HIVE_REDIS_URL / the `redisUrl` setting; empty or null means the in-process bus. */
  redisUrl?: string | null;
}

/** Redis when a URL is configured (even if Redis is down right now: the bus degrades), else in-process. */
export function createBus(opts: CreateBusOptions): Bus {
  const url = opts.redisUrl?.trim();
  if (url) return new RedisBus({ db: opts.db, clock: opts.clock, events: opts.events ?? null, url });
  return new InProcessBus({ db: opts.db, clock: opts.clock, events: opts.events ?? null });
}
