/**
 * `npm run bench:bus`: 100 agents, 1,000 messages/s for 30 s, through Redis and through the in-process bus.
 * End-to-end latency is from the sender's `send()` call to the recipient's long-poll returning the message
 * (SQLite record, XADD, pub/sub wake, XRANGE, claim and ack included). The ceiling run sends as fast as the
 * bus accepts with 64 sends in flight. Writes bench/results/bus.json.
 *
 * Redis: a private redis-server on a free port (Debian's redis-server), or HIVE_REDIS_URL when set.
 * A light run (100/s) shows the latency of the path itself when nothing queues; CPU time per message is
 * recorded for each run because, unlike latency, it hardly depends on what else the machine is doing.
 *
 * The fixed-rate run sends a Poisson stream (100 agents sending independently); the bursts run sends every
 * 10 ms all messages owed so far at once, a harsher pattern, reported beside it.
 *
 * Knobs: BENCH_SECONDS (default 30), BENCH_RATE (default 1000), BENCH_AGENTS (default 100), BENCH_BURST_SECONDS (10),
 * BENCH_LIGHT_RATE (default 100), BENCH_LIGHT_SECONDS (default 10),
 * BENCH_CEILING_SECONDS (default 10), BENCH_KINDS (default "redis,in-process"),
 * BENCH_MODES (default "fixedRate,bursts,lightRate,ceiling"), BENCH_OUT (default bench/results/bus.json;
 * point it at /tmp for a trial run so the committed numbers stay those of a quiet machine).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Bus } from '../electron/core/bus/bus.js';
import { InProcessBus } from '../electron/core/bus/in-process-bus.js';
import { RedisBus } from '../electron/core/bus/redis-bus.js';
import { systemClock } from '../electron/core/ports/clock.js';
import { openDatabase } from '../electron/core/store/database.js';
import { WalCheckpointer } from '../electron/core/store/wal-checkpointer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 100);
const CEILING_SECONDS = Number(process.env.BENCH_CEILING_SECONDS ?? 10);
const LIGHT_RATE = Number(process.env.BENCH_LIGHT_RATE ?? 100);
const LIGHT_SECONDS = Number(process.env.BENCH_LIGHT_SECONDS ?? 10);
const TICK_MS = 10;
const BURST_SECONDS = Number(process.env.BENCH_BURST_SECONDS ?? 10);
const KINDS = (process.env.BENCH_KINDS ?? 'redis,in-process').split(',');

interface RunResult {
  sent: number;
  delivered: number;
  duplicates: number;
  seconds: number;
  sendRatePerSec: number;
  deliveredPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** CPU time per delivered message: unlike latency, barely affected by other load on the machine. */
  cpuUsPerMessage?: { node: number; redisServer: number | null };
  loadAverage?: number[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/** Starts one long-poll consumer per agent; returns a stop function and the shared tallies. */
function startConsumers(bus: Bus, names: string[]) {
  const latencies: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  let stopped = false;
  const loops = names.map(async (name) => {
    while (!stopped) {
      const got = await bus.inbox(name, { waitMs: 2000, limit: 500 });
      const now = performance.now();
      for (const m of got) {
        if (seen.has(m.id)) duplicates++;
        seen.add(m.id);
        latencies.push(now - (JSON.parse(m.body) as { t: number }).t);
      }
    }
  });
  return {
    latencies,
    delivered: () => seen.size,
    duplicates: () => duplicates,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

function send(bus: Bus, names: string[], i: number): Promise<unknown> {
  const from = names[i % names.length]!;
  const to = names[(i * 7 + 1) % names.length]!;
  return bus.send({ from, to: to === from ? names[(i + 1) % names.length]! : to, body: JSON.stringify({ t: performance.now(), i }) });
}

async function drain(consumers: ReturnType<typeof startConsumers>, sent: number, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (consumers.delivered() < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function summarize(sent: number, seconds: number, consumers: ReturnType<typeof startConsumers>): RunResult {
  const sorted = [...consumers.latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    sent,
    delivered: consumers.delivered(),
    duplicates: consumers.duplicates(),
    seconds: round(seconds),
    sendRatePerSec: Math.round(sent / seconds),
    deliveredPerSec: Math.round(consumers.delivered() / seconds),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? NaN),
      mean: round(mean),
    },
  };
}

/**
 * 100 agents that each send on their own schedule: together a Poisson stream at `rate` messages/s (seeded,
 * so every run sends the same pattern). Each message is sent when it is due (to within the 1 ms timer),
 * without waiting for earlier sends, as independent agents would.
 */
async function poissonRate(bus: Bus, names: string[], rate: number, secs: number, readers: Bus = bus): Promise<RunResult> {
  const consumers = startConsumers(readers, names);
  let x = 0x9e3779b9;
  const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 4294967296);
  const start = performance.now();
  const total = rate * secs;
  const sends: Promise<unknown>[] = [];
  let i = 0;
  let next = start;
  while (i < total) {
    const now = performance.now();
    while (i < total && next <= now) {
      sends.push(send(bus, names, i++));
      next += (-Math.log(1 - rnd()) * 1000) / rate;
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.floor(next - performance.now()))));
  }
  await Promise.all(sends);
  const seconds = (performance.now() - start) / 1000;
  await drain(consumers, total);
  await consumers.stop();
  return summarize(total, seconds, consumers);
}

/** Bursts: every 10 ms, all the messages owed so far at once (a harsher pattern than independent agents). */
async function fixedRate(bus: Bus, names: string[], rate: number, secs: number): Promise<RunResult> {
  const consumers = startConsumers(bus, names);
  const start = performance.now();
  const total = rate * secs;
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    const batch: Promise<unknown>[] = [];
    while (i < due) batch.push(send(bus, names, i++));
    await Promise.all(batch);
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const seconds = (performance.now() - start) / 1000;
  await drain(consumers, total);
  await consumers.stop();
  return summarize(total, seconds, consumers);
}

/** As fast as the bus accepts: 64 sends in flight, for CEILING_SECONDS; then everything must arrive. */
async function ceiling(bus: Bus, names: string[]): Promise<RunResult> {
  const consumers = startConsumers(bus, names);
  const start = performance.now();
  const end = start + CEILING_SECONDS * 1000;
  let i = 0;
  const worker = async () => {
    while (performance.now() < end) await send(bus, names, i++);
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  await drain(consumers, i, 30_000);
  const seconds = (performance.now() - start) / 1000; // until the last one arrived: the delivered ceiling
  await consumers.stop();
  return summarize(i, seconds, consumers);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startRedis(dir: string): Promise<{ url: string; proc: ChildProcess | null; version: string }> {
  if (process.env.HIVE_REDIS_URL) return { url: process.env.HIVE_REDIS_URL, proc: null, version: 'external' };
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  // Also when this process dies early (a closed stdout pipe, Ctrl-C): never leave a redis-server behind.
  process.on('exit', () => proc.kill('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  const version = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  return { url: `redis://127.0.0.1:${port}`, proc, version };
}

// otherBus (Redis only): the Poisson run with the long-polls on a second RedisBus (own SQLite connection, own
// Redis connections), woken by pub/sub as a second process would be, though it shares this process's CPU.
type Mode = 'fixedRate' | 'bursts' | 'lightRate' | 'ceiling' | 'otherBus';
const ALL_MODES: Mode[] = ['fixedRate', 'bursts', 'lightRate', 'ceiling', 'otherBus'];
const MODES = (process.env.BENCH_MODES ?? ALL_MODES.join(',')).split(',').filter((m): m is Mode => (ALL_MODES as string[]).includes(m));

/** CPU seconds (user + system) of this process and, when known, of the redis-server child, in µs. */
function cpuNow(redisPid: number | null): { node: number; redis: number | null } {
  const u = process.cpuUsage();
  let redis: number | null = null;
  if (redisPid !== null) {
    try {
      // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${redisPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      redis = (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      redis = null;
    }
  }
  return { node: u.user + u.system, redis };
}

async function runKind(kind: 'redis' | 'in-process', url: string | null, redisPid: number | null): Promise<Record<Mode, RunResult>> {
  const out: Partial<Record<Mode, RunResult>> = {};
  for (const mode of MODES) {
    if (mode === 'otherBus' && kind !== 'redis') continue;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bench-bus-'));
    const db = openDatabase(path.join(dir, 'hive.db'));
    // As the host does (hive-core.ts): WAL checkpoints on a worker thread, not in a commit on the event loop.
    // BENCH_CHECKPOINT=inline measures SQLite's own automatic checkpoints instead.
    const checkpointer = process.env.BENCH_CHECKPOINT === 'inline' ? null : new WalCheckpointer(db);
    const bus: Bus =
      kind === 'redis' ? new RedisBus({ db, clock: systemClock, url: url! }) : new InProcessBus({ db, clock: systemClock });
    if (bus instanceof RedisBus) await bus.waitUntilConnected(15_000);
    const db2 = mode === 'otherBus' ? openDatabase(path.join(dir, 'hive.db')) : null;
    const readers = db2 ? new RedisBus({ db: db2, clock: systemClock, url: url! }) : bus;
    if (readers !== bus) await (readers as RedisBus).waitUntilConnected(15_000);
    const names = Array.from({ length: AGENTS }, (_, k) => `agent-${String(k).padStart(3, '0')}`);
    const what =
      mode === 'fixedRate' || mode === 'otherBus'
        ? `${RATE}/s for ${SECONDS}s, Poisson arrivals${mode === 'otherBus' ? ', read through a second bus' : ''}`
        : mode === 'bursts'
          ? `${RATE}/s for ${BURST_SECONDS}s in bursts every ${TICK_MS} ms`
          : mode === 'lightRate'
            ? `${LIGHT_RATE}/s for ${LIGHT_SECONDS}s`
            : `${CEILING_SECONDS}s flat out`;
    process.stdout.write(`bus bench: ${kind} ${mode} (${what}, ${AGENTS} agents)… `);
    const before = cpuNow(kind === 'redis' ? redisPid : null);
    const r =
      mode === 'fixedRate' || mode === 'otherBus'
        ? await poissonRate(bus, names, RATE, SECONDS, readers)
        : mode === 'bursts'
          ? await fixedRate(bus, names, RATE, BURST_SECONDS)
          : mode === 'lightRate'
          ? await fixedRate(bus, names, LIGHT_RATE, LIGHT_SECONDS)
          : await ceiling(bus, names);
    const after = cpuNow(kind === 'redis' ? redisPid : null);
    r.cpuUsPerMessage = {
      node: round((after.node - before.node) / Math.max(1, r.delivered)),
      redisServer: after.redis !== null && before.redis !== null ? round((after.redis - before.redis) / Math.max(1, r.delivered)) : null,
    };
    r.loadAverage = os.loadavg().map(round);
    out[mode] = r;
    process.stdout.write(
      `p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.deliveredPerSec} msg/s, CPU/msg ${r.cpuUsPerMessage.node} µs node` +
        `${r.cpuUsPerMessage.redisServer !== null ? ` + ${r.cpuUsPerMessage.redisServer} µs redis` : ''}, load ${r.loadAverage[0]}\n`,
    );
    if (readers !== bus) await readers.dispose();
    db2?.close();
    await bus.dispose();
    await checkpointer?.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out as Record<Mode, RunResult>;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'hive-bench-redis-'));
  const redis = await startRedis(tmp);
  try {
    const results = {
      benchmark: 'bus',
      at: new Date().toISOString(),
      setup: {
        arrivals: `fixedRate: ${RATE} msg/s as a seeded Poisson stream (100 agents sending independently), each sent when due; bursts: every ${TICK_MS} ms all messages owed so far at once; latency from the send() call to the recipient's long-poll returning it`,
        readers: `the long-polls run on the sending bus, as in the host (agents long-poll through its API): a poll that waits is handed the message in the send's transaction; otherBus: the same stream read through a second RedisBus on the same database (own SQLite and Redis connections), woken through Redis pub/sub, in the same process (shares its CPU)`,
        burstSeconds: BURST_SECONDS,
        agents: AGENTS, ratePerSec: RATE, seconds: SECONDS, lightRatePerSec: LIGHT_RATE, lightSeconds: LIGHT_SECONDS, ceilingSeconds: CEILING_SECONDS, ceilingInFlight: 64 },
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', node: process.version, platform: `${os.platform()} ${os.release()}`, redis: redis.version, loadAverageAtStart: os.loadavg().map(round) },
      redis: KINDS.includes('redis') ? await runKind('redis', redis.url, redis.proc?.pid ?? null) : null,
      inProcess: KINDS.includes('in-process') ? await runKind('in-process', null, null) : null,
      loadAverageAtEnd: os.loadavg().map(round),
      target: { p99Ms: 5 },
    };
    const file = path.resolve(process.env.BENCH_OUT ?? 'bench/results/bus.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    redis.proc?.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
