import { HiveError } from '../../../shared/errors.js';
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

/** The `redisUrl` row of the settings table, used when neither the flag nor HIVE_REDIS_URL gives one. */
export const REDIS_URL_SETTING = 'redisUrl';

/**
 * Redis when a URL is configured (even if Redis is down right now: the bus degrades), else in-process.
 * Precedence: `redisUrl` (from `--redis` or HIVE_REDIS_URL, resolved by the caller), then the setting.
 */
export function createBus(opts: CreateBusOptions): Bus {
  // An empty flag or variable counts as not given: the setting decides.
  const url = (opts.redisUrl || redisUrlSetting(opts.db))?.trim();
  if (url && !/^rediss?:\/\/[^\s]+$/.test(url)) {
    throw new HiveError(
      'INVALID_INPUT',
      `The Redis URL ${JSON.stringify(url)} is not one Agent Hive can use. Give redis://[user:password@]host:port[/db] (or rediss:// for TLS) with --redis or HIVE_REDIS_URL, or leave it empty for the in-process bus.`,
    );
  }
  if (url) return new RedisBus({ db: opts.db, clock: opts.clock, events: opts.events ?? null, url });
  return new InProcessBus({ db: opts.db, clock: opts.clock, events: opts.events ?? null });
}

function redisUrlSetting(db: Db): string | null {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(REDIS_URL_SETTING) as { value: string } | undefined;
  if (!row) return null;
  // Settings may be stored JSON-encoded; accept a bare URL too.
  try {
    const v: unknown = JSON.parse(row.value);
    return typeof v === 'string' ? v : null;
  } catch {
    return row.value;
  }
}
