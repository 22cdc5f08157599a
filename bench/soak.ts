/**
 * `npm run soak` — the chaos soak: a real `hive serve` with N agents on the tmux, process and (when an
 * engine answers) Docker backends — every third agent in a container — and a real redis-server for the bus,
 * and a fault injector at a fixed seed. Faults: kill -9 of agent processes (most often; the agent's own
 * process, in a container too), kill -9 of a container's init (docker agents), sleep/wake and restart
 * through the API, kill of the tmux server, kill -9 of the host and its restart as a user would,
 * redis-server stopped and started, dockerd restarted, a snapshot file corrupted on disk (wake must refuse
 * it; the previous good one is then restored as a person would).
 *
 *   node dist/bench/soak.js --minutes M --agents N --seed S [--out FILE]
 *
 * Each agent (bench/soak-agent.mjs) keeps a sequence number in its memory file and logs the number it resumed
 * from at every start (context check: it never goes back), and records every message it receives before
 * acknowledging it (lost and duplicate deliveries). Output: JSON (and a one-screen summary on stderr).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Agent, SnapshotMeta } from '../shared/contract/index.js';
import { API_PREFIX } from '../shared/contract/wire.js';
import { pidGoneOrZombie, procStatFields } from '../electron/core/supervisor/process-tree.js';
import { tmuxSocketFor } from '../electron/core/supervisor/tmux-backend.js';
import { dataDirHash } from '../electron/core/supervisor/docker/docker-labels.js';
import { ensureBusyboxImage } from '../test/support/busybox-image.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(repoRoot, 'dist', 'electron', 'cli', 'main.js');
const agentScript = path.join(repoRoot, 'bench', 'soak-agent.mjs');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}
const minutes = Number(arg('minutes', '3'));
const agentCount = Number(arg('agents', '20'));
const seed = Number(arg('seed', '1'));
const out = path.resolve(arg('out', path.join(repoRoot, 'bench', 'results', `soak-${minutes}min.json`)));
/** --faults a,b: only these kinds (to chase one); --keep: leave the data dir for a look afterwards. */
const only = arg('faults', '') ? new Set(arg('faults', '').split(',')) : null;
const keep = process.argv.includes('--keep');

/** mulberry32: the same seed, the same faults in the same order. */
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const FAULTS = [
  { kind: 'kill-agent', weight: 50 },
  { kind: 'sleep-wake', weight: 12 },
  { kind: 'restart', weight: 10 },
  { kind: 'corrupt-snapshot', weight: 6 },
  { kind: 'redis-restart', weight: 8 },
  { kind: 'tmux-server-kill', weight: 6 },
  { kind: 'host-kill', weight: 8 },
  { kind: 'dockerd-restart', weight: 4 },
  // Docker agents only: kill -9 of the container's init (the pid the host records), as `docker kill` does.
  // Nothing records the agent's exit then: the engine's `die` event reports it (kill-agent kills the agent).
  { kind: 'kill-container', weight: 4 },
] as const;
type FaultKind = (typeof FAULTS)[number]['kind'];

/** Docker agents (every third agent) when an engine answers here: the agent script runs in a busybox image with this Node. */
const NODE_IMAGE = 'agent-hive-test/busybox-node:1';
const dockerHere = (() => {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();
/** Whether the engine keeps containers running across its restarts (.ci/start-dockerd.sh turns it on). */
const dockerLiveRestore = (() => {
  if (!dockerHere) return null;
  try {
    return execFileSync('docker', ['info', '--format', '{{.LiveRestoreEnabled}}'], { encoding: 'utf8', timeout: 10_000 }).trim() === 'true';
  } catch {
    return null;
  }
})();
const backendOf = (i: number): 'tmux' | 'process' | 'docker' => (dockerHere && i % 3 === 2 ? 'docker' : i % 2 === 0 ? 'tmux' : 'process');

function pickFault(): FaultKind {
  const faults = FAULTS.filter((f) => (!only || only.has(f.kind)) && (dockerHere || f.kind !== 'dockerd-restart'));
  const total = faults.reduce((a, f) => a + f.weight, 0);
  let r = rand() * total;
  for (const f of faults) if ((r -= f.weight) < 0) return f.kind;
  return faults[0]!.kind;
}

class Soak {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'hive-soak-'));
  readonly dataDir = path.join(this.dir, 'data');
  readonly repo = path.join(this.dir, 'repo');
  port = 0;
  redisPort = 0;
  token = '';
  host: ChildProcess | null = null;
  redis: ChildProcess | null = null;
  names: string[] = [];
  /** The fault injected last, and the agent-seconds agents were down (unplanned) while it was the last one. */
  lastFault = 'none';
  readonly downByFault: Record<string, number> = {};
  /** Agents a fault has taken down on purpose (asleep, restarting): not counted against uptime meanwhile. */
  readonly planned = new Set<string>();
  hostDown = false;
  hostDownMs = 0;
  /** kill -9 of the host → its restarted API answering, per host-kill (part of the host-down time). */
  readonly hostStarts: number[] = [];
  /** dockerd stopped until it answers again: its agents cannot run, as no agent can while the host is down. */
  engineDown = false;
  engineDownMs = 0;
  /** Samples of docker agents while the engine was down (none of them can be running then). */
  engineDownSamples = 0;
  readonly faults: Record<string, number> = {};
  readonly recovery: Record<string, number[]> = {};
  /** kill -9 recoveries by the killed agent's backend (where a slow one comes from). */
  readonly killRecovery: Record<string, number[]> = {};
  /** Planned outages' recoveries (sleep-wake, restart, corrupt-snapshot) by kind and backend. */
  readonly plannedRecovery: Record<string, Record<string, number[]>> = {};
  readonly notes: string[] = [];
  upSamples = 0;
  expectedSamples = 0;
  sent: string[] = [];
  corruptRefused = 0;
  corruptLoaded = 0;
  integrity = { passed: 0, failed: 0 };
  duplicateAgentsSeen = 0;

  async call<T>(channel: string, body: unknown = {}): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.port}${API_PREFIX}${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'x-hive-actor': 'soak' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const json = (await res.json()) as { result: T; error?: { code: string; message: string } };
    if (res.status !== 200) throw Object.assign(new Error(`${channel}: ${json.error?.code} ${json.error?.message}`), { code: json.error?.code });
    return json.result;
  }

  async startRedis(): Promise<void> {
    this.redisPort ||= await freePort();
    const dir = path.join(this.dir, 'redis');
    mkdirSync(dir, { recursive: true });
    this.redis = spawn('redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await new Promise<boolean>((r) => net.connect(this.redisPort, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)))) return;
      await sleep(50);
    }
    throw new Error('redis-server did not start');
  }

  async stopRedis(): Promise<void> {
    const r = this.redis;
    this.redis = null;
    if (!r || r.exitCode !== null) return;
    const gone = new Promise((res) => r.once('exit', res));
    r.kill('SIGTERM');
    await gone;
  }

  async startHost(): Promise<void> {
    this.port ||= await freePort();
    this.host = spawn(process.execPath, [cli, '--data-dir', this.dataDir, 'serve', '--port', String(this.port), '--redis', `redis://127.0.0.1:${this.redisPort}`], { stdio: 'ignore' });
    for (let i = 0; i < 400; i++) {
      if (existsSync(path.join(this.dataDir, 'api.token'))) {
        this.token = readFileSync(path.join(this.dataDir, 'api.token'), 'utf8').trim();
        try {
          await this.call('system:info');
          return;
        } catch {
          // not yet
        }
      }
      await sleep(50);
    }
    throw new Error('hive serve did not come up');
  }

  async agents(): Promise<Agent[]> {
    return this.call<Agent[]>('agents:list', {});
  }

  async waitRunning(names: string[], timeoutMs: number, notPid?: Map<string, number | null>): Promise<number | null> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      try {
        const all = await this.agents();
        const ok = names.every((n) => {
          const a = all.find((x) => x.name === n);
          return a && a.status === 'running' && (!notPid || a.pid !== notPid.get(n));
        });
        if (ok) return Date.now() - t0;
      } catch {
        // host restarting
      }
      await sleep(20);
    }
    return null;
  }

  record(kind: string, ms: number | null): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
    if (ms === null) {
      const note = `${new Date().toISOString()} ${kind}: not recovered in time`;
      this.notes.push(note);
      // Which agents, in which state and why: the note alone says nothing a fix could start from.
      void this.agents()
        .then((all) => {
          const down = all.filter((a) => this.names.includes(a.name) && a.status !== 'running' && !this.planned.has(a.name));
          const i = this.notes.indexOf(note);
          if (i >= 0) this.notes[i] = `${note}: ${down.map((a) => `${a.name} (${a.backend}) ${a.status}${a.lastError ? `: ${a.lastError.slice(0, 200)}` : ''}`).join('; ') || 'every agent running by now'}`;
        })
        .catch(() => undefined);
    } else (this.recovery[kind] ??= []).push(ms);
  }

  async setup(): Promise<void> {
    mkdirSync(this.repo, { recursive: true });
    execFileSync('git', ['init', '-q', '-b', 'main', this.repo]);
    writeFileSync(path.join(this.repo, 'README.md'), '# soak\n');
    writeFileSync(path.join(this.repo, '.gitignore'), 'soak-*.log\n');
    // The agent script in the repository too: a container sees only its worktree (at /workspace).
    writeFileSync(path.join(this.repo, 'soak-agent.mjs'), readFileSync(agentScript));
    if (dockerHere) ensureBusyboxImage(NODE_IMAGE, { binaries: [process.execPath] });
    execFileSync('git', ['-C', this.repo, 'add', '.']);
    execFileSync('git', ['-C', this.repo, '-c', 'user.email=soak@example.com', '-c', 'user.name=soak', 'commit', '-q', '-m', 'init']);
    await this.startRedis();
    await this.startHost();
    for (let i = 0; i < agentCount; i++) {
      const name = `soak${String(i).padStart(2, '0')}`;
      const backend = backendOf(i);
      const docker = backend === 'docker' ? { image: NODE_IMAGE, cmd: `exec node /workspace/soak-agent.mjs` } : { cmd: `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(agentScript)}` };
      await this.call('agents:spawn', { name, repo: this.repo, backend, preset: 'custom', ...docker, policy: { maxRestarts: 1000, unstableWindowMs: 1000 } });
      this.names.push(name);
    }
    const ms = await this.waitRunning(this.names, 60_000);
    if (ms === null) throw new Error('the agents did not all start');
  }

  /** Uptime: every 250 ms, how many agents that should run are running. Host-down time is counted apart. */
  async sampler(until: number): Promise<void> {
    while (Date.now() < until) {
      const t = Date.now();
      if (this.hostDown) {
        this.hostDownMs += 250;
      } else {
        try {
          const all = await this.agents();
          if (this.engineDown) this.engineDownMs += 250;
          for (const n of this.names) {
            if (this.planned.has(n)) continue;
            if (this.engineDown && all.find((a) => a.name === n)?.backend === 'docker') {
              this.engineDownSamples++;
              continue;
            }
            this.expectedSamples++;
            // Running by the host's record and by the kernel (gone, or a zombie waiting to be reaped, is
            // down): between a kill and its detection the record still says running, and that gap is down too.
            const a = all.find((x) => x.name === n);
            if (a?.status === 'running' && (!a.pid || !pidGoneOrZombie(a.pid))) this.upSamples++;
            else this.downByFault[this.lastFault] = (this.downByFault[this.lastFault] ?? 0) + 0.25;
          }
          this.checkDuplicates(all);
        } catch {
          // a host restart between the flag and the call
        }
      }
      await sleep(Math.max(0, 250 - (Date.now() - t)));
    }
  }

  /** Two live processes for one agent would be two agents: counted from /proc by the agent script's cwd. */
  checkDuplicates(_all: Agent[]): void {
    for (const pids of agentProcesses().values()) if (pids.length > 1) this.duplicateAgentsSeen++;
  }

  async sender(until: number): Promise<void> {
    let n = 0;
    while (Date.now() < until) {
      if (!this.hostDown) {
        const id = `soak-${seed}-${n}`;
        try {
          await this.call('msg:send', { from: 'soak', to: pick(this.names), body: `message ${n}`, id });
          this.sent.push(id);
          n++;
        } catch {
          // host down: the message was not accepted, so it is not counted as sent
        }
      }
      await sleep(100);
    }
  }

  async inject(kind: FaultKind): Promise<void> {
    const agents = await this.agents();
    const running = agents.filter((a) => a.status === 'running' && !this.planned.has(a.name));
    switch (kind) {
      case 'kill-agent': {
        const a = pick(running);
        if (!a?.pid) return;
        // The agent's own process: in a container that is not the pid the host records (the container's
        // init, docker-init), but its child's child (init → the shell that records the exit status → agent).
        const own = agentProcesses().get(a.name)?.[0];
        if (own === undefined) this.notes.push(`kill-agent ${a.name}: its own process was not found in /proc; killed the pid the host records`);
        try {
          process.kill(own ?? a.pid, 'SIGKILL');
        } catch {
          return;
        }
        const ms = await this.waitRunning([a.name], 10_000, new Map([[a.name, a.pid]]));
        this.record(kind, ms);
        if (ms !== null) (this.killRecovery[a.backend] ??= []).push(ms);
        return;
      }
      case 'kill-container': {
        const a = pick(running.filter((x) => x.backend === 'docker'));
        if (!a?.pid) return;
        try {
          process.kill(a.pid, 'SIGKILL');
        } catch {
          return;
        }
        this.record(kind, await this.waitRunning([a.name], 10_000, new Map([[a.name, a.pid]])));
        return;
      }
      case 'sleep-wake':
      case 'restart': {
        const a = pick(running);
        if (!a) return;
        return this.plannedOutage(kind, a, async () => {
          if (kind === 'sleep-wake') {
            await this.call('agents:sleep', { name: a.name });
            await sleep(500);
            // Asleep is what the user asked for: its recovery is the wake click → running.
            const woken = Date.now();
            await this.call('agents:wake', { name: a.name });
            return woken;
          }
          await this.call('agents:restart', { name: a.name });
          return null;
        });
      }
      case 'corrupt-snapshot': {
        // Sleep an agent, corrupt its newest snapshot's blob on disk, and wake: it must be refused, never
        // loaded. Then the previous good snapshot is restored (as the error message says) and the wake works.
        const a = pick(running);
        if (!a) return;
        return this.plannedOutage(kind, a, async () => {
          await this.call('agents:sleep', { name: a.name });
          const snaps = await this.call<SnapshotMeta[]>('snapshots:list', { name: a.name });
          const newest = snaps[0]!;
          const blob = path.join(this.dataDir, 'snapshots', newest.sha256.slice(0, 2), `${newest.sha256}.snap.gz`);
          const good = readFileSync(blob);
          const bad = Buffer.from(good);
          const at = Math.floor(bad.length / 2);
          bad[at] = bad[at]! ^ 0xff;
          writeFileSync(blob, bad);
          const woken = Date.now();
          try {
            await this.call('agents:wake', { name: a.name });
            this.corruptLoaded++;
            this.notes.push(`corrupt snapshot of ${a.name} was loaded`);
          } catch (err) {
            if ((err as { code?: string }).code !== 'SNAPSHOT_CORRUPT') throw err;
            this.corruptRefused++;
            const previous = snaps.find((s, i) => i > 0 && s.sha256 !== newest.sha256);
            if (previous) await this.call('snapshots:restore', { id: previous.id });
            else writeFileSync(blob, good); // no earlier snapshot: put the good bytes back
            await this.call('agents:wake', { name: a.name });
          }
          return woken;
        });
      }
      case 'redis-restart': {
        const t0 = Date.now();
        await this.stopRedis();
        await sleep(1000);
        await this.startRedis();
        // Back when the bus says connected again.
        let ms: number | null = null;
        for (let i = 0; i < 400; i++) {
          const s = await this.call<{ state: string }>('bus:state').catch(() => null);
          if (s?.state === 'connected') {
            ms = Date.now() - t0;
            break;
          }
          await sleep(50);
        }
        this.record(kind, ms);
        return;
      }
      case 'tmux-server-kill': {
        const tmuxAgents = running.filter((a) => a.backend === 'tmux');
        const pids = new Map(tmuxAgents.map((a) => [a.name, a.pid]));
        try {
          execFileSync('tmux', ['-L', tmuxSocketFor(this.dataDir), 'kill-server'], { stdio: 'ignore' });
        } catch {
          return;
        }
        this.record(kind, await this.waitRunning(tmuxAgents.map((a) => a.name), 20_000, pids));
        return;
      }
      case 'dockerd-restart': {
        // The engine stopped as a service restart would (SIGTERM) and started again. With live-restore
        // (dockerLiveRestore) its containers run on meanwhile and are found alive; without it they stop with
        // the engine and are started again once it answers.
        const dockerAgents = this.names.filter((n) => agents.find((a) => a.name === n)?.backend === 'docker' && !this.planned.has(n));
        const pid = Number(readFileSync('/var/run/docker.pid', 'utf8').trim());
        this.engineDown = true;
        try {
          process.kill(pid, 'SIGTERM');
          for (let i = 0; i < 600 && existsSync(`/proc/${pid}`); i++) await sleep(50);
          // start-dockerd.sh returns once the engine answers (`docker info`).
          execFileSync('bash', [path.join(repoRoot, '.ci', 'start-dockerd.sh')], { stdio: 'ignore', timeout: 120_000 });
        } finally {
          this.engineDown = false;
        }
        // Recovery: the engine answers again → every docker agent running (the engine's own down time is
        // engineDownMs, apart, like the host's).
        this.record(kind, await this.waitRunning(dockerAgents, 60_000));
        return;
      }
      case 'host-kill': {
        this.hostDown = true;
        const h = this.host!;
        const gone = new Promise((r) => h.once('exit', r));
        h.kill('SIGKILL');
        await gone;
        this.checkIntegrity();
        await sleep(500);
        const t0 = Date.now();
        await this.startHost();
        this.hostDown = false;
        // The host's own start (process start to its API answering) is host-down time, reported apart
        // (hostStartMs); recovery is from the API answering to every agent running (adopted, or recovered if
        // it died meanwhile), as for dockerd-restart from the engine answering.
        this.hostStarts.push(Date.now() - t0);
        this.record(kind, await this.waitRunning(this.names.filter((n) => !this.planned.has(n)), 30_000));
        return;
      }
    }
  }

  /** A fault that takes an agent down on purpose: planned downtime, timed until it runs again. */
  /** `fn` returns when its recovery starts (the wake click after a sleep), or null: from the click it makes first. */
  async plannedOutage(kind: FaultKind, agent: { name: string; backend: string }, fn: () => Promise<number | null>): Promise<void> {
    const { name } = agent;
    this.planned.add(name);
    const t0 = Date.now();
    try {
      const from = (await fn()) ?? t0;
      const ms = (await this.waitRunning([name], 20_000)) === null ? null : Date.now() - from;
      this.record(kind, ms);
      if (ms !== null) ((this.plannedRecovery[kind] ??= {})[agent.backend] ??= []).push(ms);
    } catch (err) {
      this.notes.push(`${kind} ${name}: ${(err as Error).message}`);
      this.record(kind, null);
    } finally {
      this.planned.delete(name);
    }
  }

  checkIntegrity(): void {
    try {
      const db = new Database(path.join(this.dataDir, 'hive.db'), { readonly: true });
      const r = db.pragma('integrity_check', { simple: true });
      db.close();
      if (r === 'ok') this.integrity.passed++;
      else {
        this.integrity.failed++;
        this.notes.push(`integrity_check: ${String(r)}`);
      }
    } catch (err) {
      this.integrity.failed++;
      this.notes.push(`integrity_check could not run: ${(err as Error).message}`);
    }
  }

  async run(): Promise<Record<string, unknown>> {
    const started = Date.now();
    await this.setup();
    const until = Date.now() + minutes * 60_000;
    const background = [this.sampler(until), this.sender(until)];
    while (Date.now() < until) {
      await sleep(2000 + rand() * 4000);
      if (Date.now() >= until) break;
      const kind = pickFault();
      this.lastFault = kind;
      await this.inject(kind).catch((err: Error) => this.notes.push(`${kind}: ${err.message}`));
    }
    await Promise.all(background);
    // Let the last messages arrive, then read what the agents recorded.
    await this.waitRunning(this.names, 30_000);
    const deadline = Date.now() + 30_000;
    let received = new Set<string>();
    let duplicates = 0;
    while (Date.now() < deadline) {
      ({ received, duplicates } = this.readReceived());
      if (this.sent.every((id) => received.has(id))) break;
      await sleep(500);
    }
    this.checkIntegrity();
    const context = this.contextChecks();
    const lost = this.sent.filter((id) => !received.has(id)).length;
    const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : null);
    const stats = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) });
    const recoveryMs = Object.fromEntries(Object.entries(this.recovery).map(([k, xs]) => [k, stats(xs)]));
    const killRecoveryMsByBackend = Object.fromEntries(Object.entries(this.killRecovery).map(([k, xs]) => [k, stats(xs)]));
    const uptimePercent = this.expectedSamples ? Math.round((this.upSamples / this.expectedSamples) * 100_000) / 1000 : null;
    const all = this.expectedSamples + this.engineDownSamples;
    const uptimeWithEngineDownPercent = all ? Math.round((this.upSamples / all) * 100_000) / 1000 : null;
    return {
      benchmark: 'soak',
      date: new Date(started).toISOString(),
      minutes,
      agents: agentCount,
      backends: Object.fromEntries(['tmux', 'process', 'docker'].map((b) => [b, Array.from({ length: agentCount }, (_, i) => backendOf(i)).filter((x) => x === b).length])),
      seed,
      dockerLiveRestore,
      faults: this.faults,
      uptimePercent,
      uptimeWithEngineDownPercent,
      hostDownMs: this.hostDownMs,
      engineDownMs: this.engineDownMs,
      hostStartMs: this.hostStarts.length ? { n: this.hostStarts.length, p50: pct(this.hostStarts, 50), max: Math.max(...this.hostStarts) } : null,
      recoveryMs,
      killRecoveryMsByBackend,
      plannedRecoveryMsByBackend: Object.fromEntries(Object.entries(this.plannedRecovery).map(([k, by]) => [k, Object.fromEntries(Object.entries(by).map(([b, xs]) => [b, stats(xs)]))])),
      // Where the unplanned down time went: agent-seconds down, by the fault injected last before each sample.
      downAgentSecondsByFault: Object.fromEntries(Object.entries(this.downByFault).map(([k, v]) => [k, Math.round(v)])),
      messagesSent: this.sent.length,
      lostMessages: lost,
      duplicateMessages: duplicates,
      duplicateAgents: this.duplicateAgentsSeen,
      contextChecks: context,
      integrityChecks: this.integrity,
      corruptSnapshotsRefused: this.corruptRefused,
      corruptSnapshotsLoaded: this.corruptLoaded,
      notes: this.notes,
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadAverageAfter: os.loadavg() },
      how: 'Uptime: every 250 ms the agents list; an agent counts as up while the host records it running and its process is alive in /proc (not a zombie: a killed agent counts as down from the kill, not from its detection), and while no fault has taken it down on purpose (sleep/wake, restart, corrupt-snapshot windows are planned downtime); host-down time (kill -9 of the host until its API answers) is hostDownMs, not in the uptime; likewise engine-down time (dockerd stopped until it answers again) is engineDownMs, and samples of docker agents then are not in uptimePercent but are in uptimeWithEngineDownPercent. downAgentSecondsByFault: agent-seconds an agent that should run was not running, by the fault injected last before the sample (faults overlap, so this is where the time went, roughly). Recovery per fault kind: fault injected → the agent(s) running again (a new process for kills), for host-kill from the restarted host answering on its API (its start is hostStartMs, part of the host-down time), for dockerd-restart from the engine answering again (dockerLiveRestore: whether the engine kept its containers running across its restarts); killRecoveryMsByBackend: the kill -9 recoveries by the backend of the killed agent. Planned outages (plannedRecoveryMsByBackend, by backend): restart from its click, sleep-wake and corrupt-snapshot from the wake click (being asleep is what was asked for; the refused wake of a corrupt snapshot, the restore of the previous one and the second wake all count). Messages: one every 100 ms to a random agent through the API; lost = accepted by the API but never recorded by its recipient; duplicateMessages = deliveries of an id the agent had already recorded (a crash between record and ack). Context: each start logs the sequence number it resumed from; a start below the previous start is a failure.',
    };
  }

  readReceived(): { received: Set<string>; duplicates: number } {
    const received = new Set<string>();
    let duplicates = 0;
    for (const n of this.names) {
      const wt = path.join(this.dataDir, 'worktrees', n);
      const f = path.join(wt, 'soak-received.log');
      if (existsSync(f)) for (const id of readFileSync(f, 'utf8').split('\n').filter(Boolean)) received.add(id);
      const d = path.join(wt, 'soak-duplicates.log');
      if (existsSync(d)) duplicates += readFileSync(d, 'utf8').split('\n').filter(Boolean).length;
    }
    return { received, duplicates };
  }

  contextChecks(): { passed: number; failed: number } {
    let passed = 0;
    let failed = 0;
    for (const n of this.names) {
      const f = path.join(this.dataDir, 'worktrees', n, 'soak-starts.log');
      if (!existsSync(f)) continue;
      const starts = readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[2]));
      for (let i = 1; i < starts.length; i++) {
        if (starts[i]! >= starts[i - 1]!) passed++;
        else {
          failed++;
          this.notes.push(`${n}: start ${i} resumed at ${starts[i]} after a start at ${starts[i - 1]}`);
        }
      }
    }
    return { passed, failed };
  }

  async cleanup(): Promise<void> {
    for (const n of this.names) await this.call('agents:stop', { name: n }).catch(() => {});
    if (this.host && this.host.exitCode === null) {
      const h = this.host;
      const gone = new Promise((r) => h.once('exit', r));
      h.kill('SIGTERM');
      await gone;
    }
    try {
      execFileSync('tmux', ['-L', tmuxSocketFor(this.dataDir), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // gone
    }
    await this.stopRedis();
    if (dockerHere) {
      // Containers of this data dir that outlived the stop (a dockerd restart at the very end).
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=agent-hive.data-dir=${dataDirHash(this.dataDir)}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    }
    if (keep) process.stderr.write(`soak: data kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

const soak = new Soak();
process.on('SIGINT', () => void soak.cleanup().then(() => process.exit(130)));
try {
  process.stderr.write(`soak: ${minutes} min, ${agentCount} agents, seed ${seed}, data in ${soak.dir}\n`);
  const result = await soak.run();
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  const r = result as { faults: Record<string, number>; uptimePercent: number; recoveryMs: Record<string, { p50: number; p99: number; max: number }>; killRecoveryMsByBackend?: Record<string, { n: number; p50: number; p99: number }>; plannedRecoveryMsByBackend?: Record<string, Record<string, { n: number; p50: number; p99: number }>>; lostMessages: number; duplicateMessages: number; duplicateAgents: number; contextChecks: { passed: number; failed: number }; integrityChecks: { passed: number; failed: number }; corruptSnapshotsRefused: number; messagesSent: number; hostDownMs: number; hostStartMs?: { p50: number | null; max: number } | null; engineDownMs?: number; uptimeWithEngineDownPercent?: number | null; downAgentSecondsByFault?: Record<string, number> };
  process.stderr.write(
    [
      `faults: ${Object.entries(r.faults).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `uptime: ${r.uptimePercent} % (host down ${Math.round(r.hostDownMs / 1000)} s, engine down ${Math.round((r.engineDownMs ?? 0) / 1000)} s, reported apart; ${r.uptimeWithEngineDownPercent} % counting the engine's down time)`,
      ...Object.entries(r.recoveryMs).map(([k, v]) => `recovery ${k}: p50 ${v.p50} ms, p99 ${v.p99} ms, max ${v.max} ms`),
      ...Object.entries(r.killRecoveryMsByBackend ?? {}).map(([k, v]) => `  kill-agent on ${k}: p50 ${v.p50} ms, p99 ${v.p99} ms (n ${v.n})`),
      ...Object.entries(r.plannedRecoveryMsByBackend ?? {}).flatMap(([kind, by]) => Object.entries(by).map(([k, v]) => `  ${kind} on ${k}: p50 ${v.p50} ms, p99 ${v.p99} ms (n ${v.n})`)),
      `down (agent-seconds) by the fault before: ${Object.entries(r.downAgentSecondsByFault ?? {}).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      ...(r.hostStartMs ? [`host start after a kill (host-down time): p50 ${r.hostStartMs.p50} ms, max ${r.hostStartMs.max} ms`] : []),
      `messages: ${r.messagesSent} sent, ${r.lostMessages} lost, ${r.duplicateMessages} delivered twice; duplicate agents: ${r.duplicateAgents}`,
      `context checks: ${r.contextChecks.passed} passed, ${r.contextChecks.failed} failed; integrity: ${r.integrityChecks.passed} passed, ${r.integrityChecks.failed} failed; corrupt snapshots refused: ${r.corruptSnapshotsRefused}`,
      `written to ${out}`,
    ].join('\n') + '\n',
  );
} finally {
  await soak.cleanup();
}

/**
 * The agents' own processes (node running the soak script, not a shell, a container's init or a standby
 * that names it), by the agent name in their environment; a zombie (exited, not reaped yet) is not one.
 */
function agentProcesses(): Map<string, number[]> {
  const perAgent = new Map<string, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!/(^|\/)node$/.test(argv[0] ?? '') || !argv.some((a) => a.endsWith('soak-agent.mjs'))) continue;
      const state = procStatFields(entry, 1)?.[0];
      if (state === undefined || state === 'Z') continue;
      const name = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').find((v) => v.startsWith('HIVE_AGENT='))?.slice(11);
      if (name) perAgent.set(name, [...(perAgent.get(name) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  return perAgent;
}
