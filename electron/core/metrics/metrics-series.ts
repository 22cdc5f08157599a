import type { MetricsSeries } from '../../../shared/contract/events.js';
import { AGENT_STATUSES } from '../../../shared/lifecycle.js';
import type { Db } from '../store/database.js';

interface Row {
  at: string;
  agent: string | null;
  kind: string;
  to_status: string | null;
  data: string | null;
}

const HISTOGRAM = [
  { label: '<100 ms', max: 100 },
  { label: '100–250 ms', max: 250 },
  { label: '250–500 ms', max: 500 },
  { label: '0.5–1 s', max: 1000 },
  { label: '1–2 s', max: 2000 },
  { label: '2–5 s', max: 5000 },
  { label: '>5 s', max: Infinity },
];

/** The Metrics page's series, computed from the events table (the one record of what happened). */
export function metricsSeries(db: Db, now: number, sinceMs = 3_600_000, bucketMs?: number): MetricsSeries {
  const start = now - sinceMs;
  const bucket = bucketMs ?? Math.max(10_000, Math.ceil(sinceMs / 60));
  const startIso = new Date(start).toISOString();
  // Each agent's state when the window opens.
  const initial = db
    .prepare(
      `SELECT e.agent AS agent, e.to_status AS to_status FROM events e
       JOIN (SELECT agent, MAX(id) AS id FROM events WHERE kind = 'status' AND at < ? GROUP BY agent) last ON last.id = e.id`,
    )
    .all(startIso) as { agent: string; to_status: string }[];
  const state = new Map<string, string>(initial.map((r) => [r.agent, r.to_status]));
  const removed = new Set<string>();
  const rows = db.prepare(`SELECT at, agent, kind, to_status, data FROM events WHERE at >= ? AND kind IN ('status','recovery','removed') ORDER BY id`).all(startIso) as Row[];

  const statesOverTime: MetricsSeries['statesOverTime'] = [];
  const restarts = new Map<number, { restarts: number; recoveries: number }>();
  const hist = HISTOGRAM.map((h) => ({ bucket: h.label, count: 0 }));
  // Uptime is the share of the time the agent existed inside the window, not of the whole window.
  const running = new Map<string, { since: number | null; total: number; firstSeen: number }>();
  for (const [agent, s] of state) running.set(agent, { since: s === 'running' ? start : null, total: 0, firstSeen: start });

  const snapshot = (t: number) => {
    const counts: Record<string, number | string> = { t: new Date(t).toISOString() };
    for (const s of AGENT_STATUSES) counts[s] = 0;
    for (const [agent, s] of state) if (!removed.has(agent)) counts[s] = (counts[s] as number) + 1;
    statesOverTime.push(counts);
  };
  let nextBucket = start + bucket;
  for (const r of rows) {
    const t = Date.parse(r.at);
    while (t >= nextBucket) {
      snapshot(nextBucket);
      nextBucket += bucket;
    }
    if (!r.agent) continue;
    const b = Math.floor((t - start) / bucket);
    if (r.kind === 'status' && r.to_status) {
      state.set(r.agent, r.to_status);
      removed.delete(r.agent);
      const u = running.get(r.agent) ?? { since: null, total: 0, firstSeen: t };
      if (r.to_status === 'running' && u.since === null) u.since = t;
      else if (r.to_status !== 'running' && u.since !== null) {
        u.total += t - u.since;
        u.since = null;
      }
      running.set(r.agent, u);
      if (r.to_status === 'crashed') {
        const e = restarts.get(b) ?? { restarts: 0, recoveries: 0 };
        e.restarts++;
        restarts.set(b, e);
      }
    } else if (r.kind === 'removed') {
      removed.add(r.agent);
    } else if (r.kind === 'recovery') {
      const e = restarts.get(b) ?? { restarts: 0, recoveries: 0 };
      e.recoveries++;
      restarts.set(b, e);
      const ms = r.data ? Number((JSON.parse(r.data) as { downtimeMs?: number }).downtimeMs) : NaN;
      if (Number.isFinite(ms)) hist[HISTOGRAM.findIndex((h) => ms < h.max)]!.count++;
    }
  }
  while (nextBucket <= now + bucket) {
    snapshot(Math.min(nextBucket, now));
    nextBucket += bucket;
  }
  const buckets = Math.ceil(sinceMs / bucket);
  const restartsOverTime = Array.from({ length: buckets }, (_, i) => ({
    t: new Date(start + i * bucket).toISOString(),
    restarts: restarts.get(i)?.restarts ?? 0,
    recoveries: restarts.get(i)?.recoveries ?? 0,
  }));
  const uptimeByAgent = [...running.entries()]
    .filter(([agent]) => !removed.has(agent))
    .map(([agent, u]) => ({
      agent,
      uptimePercent: Math.min(100, Math.round((1000 * (u.total + (u.since !== null ? now - u.since : 0))) / Math.max(1, now - u.firstSeen)) / 10),
    }));
  return { statesOverTime, restartsOverTime, recoveryHistogram: hist, uptimeByAgent };
}
