import { Area, AreaChart, Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from 'recharts';
import type { LiveMetrics, MetricsSeries } from '../../../../shared/contract/index';
import { AGENT_STATUSES } from '../../../../shared/lifecycle';
import { STATUS_COLOR } from '../../components/status-badge';
import { ChartContainer, type ChartConfig } from './chart-container';

const AXIS = { stroke: '#6e7681', fontSize: 11, tickLine: false } as const;
const GRID = { stroke: '#21262d', strokeDasharray: '3 3' } as const;
const TOOLTIP = {
  contentStyle: { background: '#161b22', border: '1px solid #30363d', borderRadius: 6, fontSize: 12 },
  labelStyle: { color: '#8b949e' },
} as const;

function shortTime(t: unknown): string {
  const d = new Date(String(t));
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleTimeString(undefined, { hour12: false, hour: '2-digit', minute: '2-digit' });
}

export function StatesOverTimeChart({ data }: { data: MetricsSeries['statesOverTime'] }) {
  const present = AGENT_STATUSES.filter((s) => data.some((row) => typeof row[s] === 'number' && (row[s] as number) > 0));
  const config: ChartConfig = Object.fromEntries(present.map((s) => [s, { label: s, color: STATUS_COLOR[s] }]));
  return (
    <ChartContainer title="Agents per state over time" config={config} empty={data.length === 0 ? 'No agent activity recorded yet.' : null}>
      {({ width, height }) => (
        <AreaChart width={width} height={height} data={data} margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="t" tickFormatter={shortTime} {...AXIS} />
          <YAxis allowDecimals={false} {...AXIS} />
          <Tooltip {...TOOLTIP} labelFormatter={shortTime} />
          {present.map((s) => (
            <Area key={s} type="stepAfter" dataKey={s} stackId="1" stroke={STATUS_COLOR[s]} fill={STATUS_COLOR[s]} fillOpacity={0.35} isAnimationActive={false} />
          ))}
        </AreaChart>
      )}
    </ChartContainer>
  );
}

export function RestartsChart({ data }: { data: MetricsSeries['restartsOverTime'] }) {
  const config: ChartConfig = { restarts: { label: 'restarts', color: '#f0883e' }, recoveries: { label: 'recoveries', color: '#39c5cf' } };
  return (
    <ChartContainer title="Restarts and recoveries over time" config={config} empty={data.length === 0 ? 'No restarts or recoveries yet.' : null}>
      {({ width, height }) => (
        <BarChart width={width} height={height} data={data} margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="t" tickFormatter={shortTime} {...AXIS} />
          <YAxis allowDecimals={false} {...AXIS} />
          <Tooltip {...TOOLTIP} labelFormatter={shortTime} cursor={{ fill: '#ffffff08' }} />
          <Bar dataKey="restarts" fill={config.restarts!.color} isAnimationActive={false} />
          <Bar dataKey="recoveries" fill={config.recoveries!.color} isAnimationActive={false} />
        </BarChart>
      )}
    </ChartContainer>
  );
}

/** Counts per bucket (a histogram), one colour. */
function BucketBars({ size, data, color }: { size: { width: number; height: number }; data: { bucket: string; count: number }[]; color: string }) {
  return (
    <BarChart width={size.width} height={size.height} data={data} margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
      <CartesianGrid {...GRID} />
      <XAxis dataKey="bucket" {...AXIS} />
      <YAxis allowDecimals={false} {...AXIS} />
      <Tooltip {...TOOLTIP} cursor={{ fill: '#ffffff08' }} />
      <Bar dataKey="count" fill={color} isAnimationActive={false} />
    </BarChart>
  );
}

export function RecoveryHistogramChart({ data }: { data: MetricsSeries['recoveryHistogram'] }) {
  const config: ChartConfig = { count: { label: 'recoveries', color: '#39c5cf' } };
  return (
    <ChartContainer title="Recovery time distribution" config={config} empty={data.every((d) => d.count === 0) ? 'No recoveries measured yet.' : null}>
      {(size) => <BucketBars size={size} data={data} color={config.count!.color} />}
    </ChartContainer>
  );
}

export function UptimeChart({ data }: { data: MetricsSeries['uptimeByAgent'] }) {
  const config: ChartConfig = { uptimePercent: { label: 'uptime %', color: '#3fb950' } };
  const rows = [...data].sort((a, b) => a.uptimePercent - b.uptimePercent).slice(0, 30);
  return (
    <ChartContainer
      title="Uptime by agent (lowest 30)"
      config={config}
      height={Math.max(160, rows.length * 18 + 30)}
      empty={rows.length === 0 ? 'No agents yet.' : null}
    >
      {({ width, height }) => (
        <BarChart width={width} height={height} data={rows} layout="vertical" margin={{ top: 4, right: 12, bottom: 0, left: 8 }}>
          <CartesianGrid {...GRID} horizontal={false} />
          <XAxis type="number" domain={[0, 100]} {...AXIS} />
          <YAxis type="category" dataKey="agent" width={110} {...AXIS} />
          <Tooltip {...TOOLTIP} cursor={{ fill: '#ffffff08' }} />
          <Bar dataKey="uptimePercent" fill={config.uptimePercent!.color} isAnimationActive={false} />
        </BarChart>
      )}
    </ChartContainer>
  );
}

const CONFLICT_COLOR: Record<string, string> = { escalated: '#f0883e', 'auto-resolved': '#3fb950', resolved: '#39c5cf', rejected: '#8b949e' };
const TIER_COLOR: Record<string, string> = { applied: '#3fb950', proposed: '#d29922', escalated: '#f0883e' };

function ms(v: number | null): string {
  if (v === null) return '–';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v < 10 ? v.toFixed(2) : Math.round(v)} ms`;
}

/** Message sent → handed to its recipient, from the hive_bus_delivery_seconds histogram. */
export function BusLatencyChart({ bus }: { bus: LiveMetrics['bus'] }) {
  const config: ChartConfig = { count: { label: 'deliveries', color: '#a371f7' } };
  const rows = bus.latency.filter((b, i, all) => b.count > 0 || all.slice(i).some((x) => x.count > 0));
  return (
    <ChartContainer
      title="Bus delivery latency"
      subtitle={`p50 ${ms(bus.p50Ms)} · p99 ${ms(bus.p99Ms)} · ${bus.delivered} delivered of ${bus.sent} sent · backlog ${bus.backlog} (${bus.transport})`}
      config={config}
      empty={bus.delivered === 0 ? 'No message delivered since the host started.' : null}
    >
      {(size) => <BucketBars size={size} data={rows} color={config.count!.color} />}
    </ChartContainer>
  );
}

/** The review queue by status, and the resolver's decisions by tier (hive_conflicts, hive_resolver_decisions_total). */
export function ConflictsChart({ conflicts, resolver }: { conflicts: LiveMetrics['conflicts']; resolver: LiveMetrics['resolver'] }) {
  const rows = [
    ...conflicts.map((c) => ({ name: `files ${c.status}`, count: c.count, color: CONFLICT_COLOR[c.status] ?? '#8b949e' })),
    ...resolver.map((r) => ({ name: `hunks ${r.tier}`, count: r.count, color: TIER_COLOR[r.tier] ?? '#8b949e' })),
  ];
  // Each bar has its own colour (by status or tier): no legend.
  const config: ChartConfig = {};
  return (
    <ChartContainer
      title="Conflicts and resolver decisions"
      subtitle="files in the review queue by status; hunks the resolver decided since the host started, by tier"
      config={config}
      height={Math.max(160, rows.length * 24 + 30)}
      empty={rows.length === 0 ? 'No merge conflicts yet.' : null}
    >
      {({ width, height }) => (
        <BarChart width={width} height={height} data={rows} layout="vertical" margin={{ top: 4, right: 12, bottom: 0, left: 8 }}>
          <CartesianGrid {...GRID} horizontal={false} />
          <XAxis type="number" allowDecimals={false} {...AXIS} />
          <YAxis type="category" dataKey="name" width={130} {...AXIS} />
          <Tooltip {...TOOLTIP} cursor={{ fill: '#ffffff08' }} />
          <Bar dataKey="count" isAnimationActive={false}>
            {rows.map((r) => (
              <Cell key={r.name} fill={r.color} />
            ))}
          </Bar>
        </BarChart>
      )}
    </ChartContainer>
  );
}
