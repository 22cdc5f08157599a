import { Area, AreaChart, Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import type { MetricsSeries } from '../../../../shared/contract/index';
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

export function RecoveryHistogramChart({ data }: { data: MetricsSeries['recoveryHistogram'] }) {
  const config: ChartConfig = { count: { label: 'recoveries', color: '#39c5cf' } };
  return (
    <ChartContainer title="Recovery time distribution" config={config} empty={data.every((d) => d.count === 0) ? 'No recoveries measured yet.' : null}>
      {({ width, height }) => (
        <BarChart width={width} height={height} data={data} margin={{ top: 8, right: 12, bottom: 0, left: -16 }}>
          <CartesianGrid {...GRID} />
          <XAxis dataKey="bucket" {...AXIS} />
          <YAxis allowDecimals={false} {...AXIS} />
          <Tooltip {...TOOLTIP} cursor={{ fill: '#ffffff08' }} />
          <Bar dataKey="count" fill={config.count!.color} isAnimationActive={false} />
        </BarChart>
      )}
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
