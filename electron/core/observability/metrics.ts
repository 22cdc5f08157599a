import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read when Prometheus scrapes (counted then, not kept up to date on every change). */
export interface MetricSources {
  agents(): { status: string; backend: string; n: number }[];
  busBacklog(): number;
  conflicts(): { status: string; n: number }[];
}

/** Restart reasons are a closed set: label values must stay bounded. */
export const RESTART_REASONS = ['exit', 'killed', 'server-lost', 'removed', 'hung', 'manual'] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The host's Prometheus metrics (prom-client), one registry per core: several cores in one process (tests)
 * do not share series. Served at GET /metrics by the API server.
 */
export class HiveMetrics {
  readonly registry = new Registry();
  readonly restarts: Counter<'agent' | 'reason'>;
  readonly recovery: Histogram<'backend'>;
  readonly detection: Histogram<'backend'>;
  readonly snapshotSeconds: Histogram<'op'>;
  readonly snapshotBytes: Histogram;
  readonly busMessages: Counter<'transport'>;
  readonly busDelivery: Histogram;
  readonly resolverDecisions: Counter<'strategy' | 'tier'>;
  readonly apiRequest: Histogram<'channel'>;
  private readonly reasonsByAgent = new Map<string, Set<string>>();

  constructor(sources: MetricSources, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    new Gauge({
      name: 'hive_agents',
      help: 'Agents by lifecycle status and backend.',
      labelNames: ['status', 'backend'] as const,
      registers,
      collect() {
        this.reset();
        for (const r of sources.agents()) this.set({ status: r.status, backend: r.backend }, r.n);
      },
    });
    this.restarts = new Counter({ name: 'hive_agent_restarts_total', help: 'Restarts per agent: by the watchdog (the exit that caused it) or by a person (manual).', labelNames: ['agent', 'reason'] as const, registers });
    this.recovery = new Histogram({ name: 'hive_recovery_seconds', help: 'Crash noticed → agent running again (downtime the watchdog caused).', labelNames: ['backend'] as const, buckets: SECONDS, registers });
    this.detection = new Histogram({ name: 'hive_detection_seconds', help: "Backend's notice of an exit → crashed status stored.", labelNames: ['backend'] as const, buckets: SECONDS, registers });
    this.snapshotSeconds = new Histogram({ name: 'hive_snapshot_seconds', help: 'Time to take (capture + write) or restore (read + verify + restore) a snapshot.', labelNames: ['op'] as const, buckets: SECONDS, registers });
    this.snapshotBytes = new Histogram({ name: 'hive_snapshot_bytes', help: 'Size of snapshots written (compressed blob).', buckets: [1024, 16_384, 131_072, 1_048_576, 8_388_608, 67_108_864], registers });
    this.busMessages = new Counter({ name: 'hive_bus_messages_total', help: 'Messages sent on the bus.', labelNames: ['transport'] as const, registers });
    this.busDelivery = new Histogram({ name: 'hive_bus_delivery_seconds', help: 'Message sent → handed to its recipient.', buckets: SECONDS, registers });
    new Gauge({
      name: 'hive_bus_backlog',
      help: 'Deliveries not yet acknowledged by their recipients.',
      registers,
      collect() {
        this.set(sources.busBacklog());
      },
    });
    new Gauge({
      name: 'hive_conflicts',
      help: 'Conflicting files in the review queue by status.',
      labelNames: ['status'] as const,
      registers,
      collect() {
        this.reset();
        for (const r of sources.conflicts()) this.set({ status: r.status }, r.n);
      },
    });
    this.resolverDecisions = new Counter({ name: 'hive_resolver_decisions_total', help: 'Conflict hunks decided by the resolver, by strategy and tier (applied, proposed, escalated).', labelNames: ['strategy', 'tier'] as const, registers });
    this.apiRequest = new Histogram({ name: 'hive_api_request_seconds', help: 'API requests by channel (HTTP and WebSocket).', labelNames: ['channel'] as const, buckets: SECONDS, registers });
    // Known label values start at zero, so the first crash is an increase Prometheus can see (rate needs two samples).
    for (const backend of ['tmux', 'process', 'docker']) {
      this.recovery.zero({ backend });
      this.detection.zero({ backend });
    }
    for (const op of ['write', 'read']) this.snapshotSeconds.zero({ op });
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters: `promtool check metrics` rejects them ("non-counter metrics should not
      // have _total suffix"); the handle and request counts are not worth a failing lint.
      for (const bad of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(bad);
    }
  }

  restarted(agent: string, reason: RestartReason): void {
    this.restarts.inc({ agent, reason });
    let set = this.reasonsByAgent.get(agent);
    if (!set) this.reasonsByAgent.set(agent, (set = new Set()));
    set.add(reason);
  }

  /** Per-agent series go when the agent does. */
  forgetAgent(agent: string): void {
    for (const reason of this.reasonsByAgent.get(agent) ?? []) this.restarts.remove({ agent, reason });
    this.reasonsByAgent.delete(agent);
  }

  /** Bus numbers for the Metrics page: the same histogram /metrics serves, as buckets and two quantiles. */
  async busSummary(): Promise<{ sent: number; delivered: number; p50Ms: number | null; p99Ms: number | null; latency: { bucket: string; count: number }[] }> {
    const sent = (await this.busMessages.get()).values.reduce((a, v) => a + v.value, 0);
    const values = (await this.busDelivery.get()).values;
    const cumulative = values
      .filter((v) => v.metricName === 'hive_bus_delivery_seconds_bucket')
      .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), n: v.value }))
      .sort((a, b) => a.le - b.le);
    const delivered = cumulative.at(-1)?.n ?? 0;
    const latency = cumulative.map((b, i) => ({ bucket: bucketLabel(i === 0 ? 0 : cumulative[i - 1]!.le, b.le), count: b.n - (i === 0 ? 0 : cumulative[i - 1]!.n) }));
    return { sent, delivered, p50Ms: quantile(cumulative, 0.5), p99Ms: quantile(cumulative, 0.99), latency };
  }

  /** Resolver decisions since start, by tier. */
  async decisionsByTier(): Promise<{ tier: string; count: number }[]> {
    const by = new Map<string, number>();
    for (const v of (await this.resolverDecisions.get()).values) {
      const tier = String(v.labels.tier ?? 'unknown');
      by.set(tier, (by.get(tier) ?? 0) + v.value);
    }
    return [...by].map(([tier, count]) => ({ tier, count }));
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function bucketLabel(from: number, to: number): string {
  const f = (s: number) => (s >= 1 ? `${s} s` : `${Math.round(s * 1000 * 10) / 10} ms`);
  return to === Infinity ? `> ${f(from)}` : `≤ ${f(to)}`;
}

/** histogram_quantile's estimate: linear inside the bucket the rank falls in (ms; null without data). */
function quantile(cumulative: { le: number; n: number }[], q: number): number | null {
  const total = cumulative.at(-1)?.n ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    const b = cumulative[i]!;
    if (b.n < rank) continue;
    const lower = i === 0 ? 0 : cumulative[i - 1]!.le;
    const below = i === 0 ? 0 : cumulative[i - 1]!.n;
    // Past the last finite bound: the bound itself, as Prometheus does.
    if (b.le === Infinity) return lower * 1000;
    const inBucket = b.n - below;
    return (lower + (b.le - lower) * (inBucket === 0 ? 1 : (rank - below) / inBucket)) * 1000;
  }
  return null;
}
