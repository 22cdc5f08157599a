import { z } from 'zod';
import { AgentStatusSchema } from './agents.js';

export const HiveEvent = z.object({
  id: z.number().int(),
  at: z.string(),
  agent: z.string().nullable(),
  kind: z.string(),
  from: AgentStatusSchema.nullable(),
  to: AgentStatusSchema.nullable(),
  cause: z.string(),
  actor: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type HiveEvent = z.infer<typeof HiveEvent>;

export const MetricsSeries = z.object({
  statesOverTime: z.array(z.record(z.string(), z.union([z.number(), z.string()]))),
  restartsOverTime: z.array(z.object({ t: z.string(), restarts: z.number(), recoveries: z.number() })),
  recoveryHistogram: z.array(z.object({ bucket: z.string(), count: z.number() })),
  uptimeByAgent: z.array(z.object({ agent: z.string(), uptimePercent: z.number() })),
});
export type MetricsSeries = z.infer<typeof MetricsSeries>;

export const SystemInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  backends: z.record(z.string(), z.object({ available: z.boolean(), reason: z.string().nullable() })),
  bus: z.object({ kind: z.enum(['redis', 'in-process']), state: z.enum(['connected', 'degraded', 'disconnected']), detail: z.string().nullable() }),
  counts: z.record(z.string(), z.number()),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

/** The host's own counters (the numbers /metrics serves), for the Metrics page. */
export const LiveMetrics = z.object({
  bus: z.object({
    transport: z.string(),
    sent: z.number(),
    delivered: z.number(),
    backlog: z.number(),
    p50Ms: z.number().nullable(),
    p99Ms: z.number().nullable(),
    /** Deliveries per latency bucket (not cumulative), since the host started. */
    latency: z.array(z.object({ bucket: z.string(), count: z.number() })),
  }),
  conflicts: z.array(z.object({ status: z.string(), count: z.number() })),
  /** Hunks decided by the resolver since the host started, by tier. */
  resolver: z.array(z.object({ tier: z.string(), count: z.number() })),
  /** A Prometheus scrape job for this host (its address and the token file). */
  scrape: z.object({ url: z.string().nullable(), tokenFile: z.string(), config: z.string() }),
});
export type LiveMetrics = z.infer<typeof LiveMetrics>;

export const eventsChannels = {
  'events:list': {
    req: z
      .object({
        agent: z.string().max(200).optional(),
        limit: z.number().int().positive().max(100_000).default(500),
        beforeId: z.number().int().optional(),
      })
      .default({ limit: 500 }),
    res: z.array(HiveEvent),
  },
  'metrics:series': {
    req: z.object({ sinceMs: z.number().int().positive().optional(), bucketMs: z.number().int().positive().optional() }).default({}),
    res: MetricsSeries,
  },
  'system:info': { req: z.object({}).default({}), res: SystemInfo },
  'metrics:live': { req: z.object({}).default({}), res: LiveMetrics },
} as const;
