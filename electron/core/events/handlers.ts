import type { eventsChannels, LiveMetrics, SystemInfo } from '../../../shared/contract/events.js';
import type { HandlerMap } from '../handlers.js';
import type { EventLog } from './event-log.js';
import { metricsSeries } from '../metrics/metrics-series.js';
import type { Db } from '../store/database.js';
import type { Clock } from '../ports/clock.js';

export function eventsHandlers(core: {
  events: EventLog;
  db: Db;
  clock: Clock;
  systemInfo(): Promise<SystemInfo>;
  liveMetrics(): Promise<LiveMetrics>;
}): HandlerMap<keyof typeof eventsChannels> {
  return {
    'events:list': (req) => core.events.list({ agent: req.agent, limit: req.limit, beforeId: req.beforeId }),
    'metrics:series': (req) => metricsSeries(core.db, core.clock.now(), req.sinceMs, req.bucketMs),
    'system:info': () => core.systemInfo(),
    'metrics:live': () => core.liveMetrics(),
  };
}
