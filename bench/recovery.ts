/**
 * `npm run bench:recovery` (after `npm run build:core`): how fast a crashed agent is back, on the tmux and
 * process backends through a real core (watchdog, state machine, SQLite, snapshots), against PM2 restarting
 * the very same script in the same run on the same machine.
 *
 * The agent is one bash script. Its FIRST act appends `S <$EPOCHREALTIME>` to a marker file; after a random
 * 0.5–2 s it appends `C <$EPOCHREALTIME>` and exits 3. So every system is timed from the same moment (the
 * crash line, written just before the exit) to the same moment (the replacement's start line):
 *
 *   replacement  crash → replacement started (marker C[i] → S[i+1])       all systems
 *   detection    crash → the `crashed` status change in the core           hive only
 *   running      crash → `running` again in the store (recovering→running)  hive only
 *
 * The backoff is disabled for the benchmark through the agent's own policy (initialDelayMs 0, minUptimeMs
 * 100 so every crash after ≥ 0.5 s of uptime starts a fresh streak, maxRestarts 10,000); PM2 gets the
 * equivalent (restart_delay 0, min_uptime 100, max_restarts 1e6). Systems run one after another.
 *
 *   node dist/bench/recovery.js [--crashes 200] [--systems tmux,process,pm2,docker] [--docker-crashes 20] [--out bench/results/recovery.json]
 *
 * docker (bench/recovery-docker.ts): hive's docker backend against Docker's own --restart=on-failure on the
 * same image and script, kills spaced ≥ 10.5 s (Docker's backoff resets after 10 s), so it has its own count.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BackendKind, RestartPolicy } from '../shared/contract/agents.js';
import { HiveCore } from '../electron/core/hive-core.js';
import { TmuxBackend } from '../electron/core/supervisor/tmux-backend.js';
import { useExecHelper } from '../electron/core/ports/exec.js';
import { benchDockerRecovery } from './recovery-docker.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const CRASHES = Number(arg('crashes', '200'));
const SYSTEMS = arg('systems', 'tmux,process,pm2,docker').split(',') as ('tmux' | 'process' | 'pm2' | 'docker')[];
const DOCKER_CRASHES = Number(arg('docker-crashes', '20'));
/** exit: the agent exits by itself; kill: it lives on and the bench kill -9s it from outside. */
const MODE = arg('mode', 'exit') as 'exit' | 'kill';
const OUT = path.resolve(arg('out', path.join(repoRoot, 'bench', 'results', MODE === 'kill' ? 'recovery-kill.json' : 'recovery.json')));

const SCRIPT = `#!/bin/bash
# First act: the start marker. Then live 0.5-2 s, write the crash marker and exit non-zero.
printf 'S %s %s\\n' "$EPOCHREALTIME" "$$" >> "$1"
ms=$((500 + RANDOM % 1501))
sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
printf 'C %s %s\\n' "$EPOCHREALTIME" "$$" >> "$1"
exit 3
`;

/**
 * kill mode: the agent only writes its start line and lives on; the bench, 0.5–2 s after each start, appends
 * the crash line (its own clock, the same $EPOCHREALTIME base) and kill -9s the pid from the start line.
 */
const KILL_SCRIPT = `#!/bin/bash
printf 'S %s %s\\n' "$EPOCHREALTIME" "$$" >> "$1"
exec sleep 100000
`;

function startKiller(marker: string): () => void {
  let stopped = false;
  let handled = 0;
  void (async () => {
    while (!stopped) {
      const starts = existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter((l) => l.startsWith('S ')) : [];
      if (starts.length <= handled) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      handled = starts.length;
      const pid = Number(starts.at(-1)!.split(' ')[2]);
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
      if (stopped) break;
      appendFileSync(marker, `C ${(epochMs() / 1000).toFixed(6)} ${pid}\n`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  })();
  return () => {
    stopped = true;
  };
}

/** Benchmark policy: no backoff (see the header). */
const POLICY: Partial<RestartPolicy> = { initialDelayMs: 0, minUptimeMs: 100, maxRestarts: 10_000, unstableWindowMs: 1000, factor: 1, hangTimeoutMs: 0 };

/** Wall clock in ms with sub-ms precision, comparable to bash's $EPOCHREALTIME. */
const epochMs = () => performance.timeOrigin + performance.now();

interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] ?? NaN;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: v.length, p50: r(q(50)), p90: r(q(90)), p99: r(q(99)), mean: r(v.reduce((a, b) => a + b, 0) / (v.length || 1)), min: r(v[0] ?? NaN), max: r(v.at(-1) ?? NaN) };
}

interface Marks {
  starts: number[];
  crashes: number[];
}

function readMarks(file: string): Marks {
  const m: Marks = { starts: [], crashes: [] };
  if (!existsSync(file)) return m;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [kind, t] = line.split(' ');
    if (!t) continue;
    const ms = Number(t) * 1000;
    if (kind === 'S') m.starts.push(ms);
    if (kind === 'C') m.crashes.push(ms);
  }
  return m;
}

/** crash i → start i+1, for every crash that has a replacement. */
function replacementLatencies(m: Marks, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(n, m.crashes.length, m.starts.length - 1); i++) out.push(m.starts[i + 1]! - m.crashes[i]!);
  return out;
}

/**
 * The command line a user would type: the script and the marker as plain words (hive then runs it without
 * a shell, as PM2 runs its script with interpreter "none"); quoted through the shell only if a path needs it.
 */
function commandLine(script: string, marker: string): string {
  const plain = /^[A-Za-z0-9_./:@%+,=-]+$/;
  return plain.test(script) && plain.test(marker) ? `${script} ${marker}` : `exec '${script}' '${marker}'`;
}

async function waitUntil(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const progress = (label: string, m: () => number) => {
  const t = setInterval(() => process.stderr.write(`\r${label}: ${m()}/${CRASHES} crashes`), 2000);
  return () => {
    clearInterval(t);
    process.stderr.write(`\r${label}: ${m()}/${CRASHES} crashes\n`);
  };
};

function makeRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(dir, 'README.md'), '# bench\n');
  git('add', '-A');
  git('-c', 'user.email=bench@agent-hive.local', '-c', 'user.name=bench', 'commit', '-q', '-m', 'init');
}

async function benchHive(backend: BackendKind, work: string, script: string) {
  const dataDir = path.join(work, `data-${backend}`);
  const repo = path.join(work, `repo-${backend}`);
  makeRepo(repo);
  // As in a host (startHost): programs start from the helper process, not from this one.
  const releaseExec = useExecHelper();
  const core = new HiveCore({ dataDir, checkIntervalMs: 1000 });
  await core.start();
  const name = `crasher-${backend}`;
  const seen: { to: string; from: string | null; at: number }[] = [];
  core.machine.onDidChange(({ agent, event }) => {
    if (agent.name === name) seen.push({ to: event.to!, from: event.from, at: epochMs() });
  });
  // A memory file, so each recovery carries real context (it is read before the restart).
  const agent = await core.agents.spawn(
    { name, repo, backend, preset: 'custom', role: 'bench', task: 'crash', cmd: commandLine(script, path.join(work, `marker-${backend}`)), policy: POLICY } as Parameters<HiveCore['agents']['spawn']>[0],
    'bench',
  );
  mkdirSync(path.join(agent.worktree, '.hive', 'memory'), { recursive: true });
  writeFileSync(path.join(agent.worktree, '.hive', 'memory', 'notes.md'), '# notes\n'.repeat(200));
  const marker = path.join(work, `marker-${backend}`);
  const stopKiller = MODE === 'kill' ? startKiller(marker) : () => {};
  const done = progress(`hive ${backend}`, () => readMarks(marker).crashes.length);
  await waitUntil(`${CRASHES} recoveries on ${backend}`, () => readMarks(marker).starts.length > CRASHES, CRASHES * 2000 + 60_000).finally(stopKiller);
  done();
  // Let the last recovery's bookkeeping (running, recovery event, crash snapshot) land.
  await new Promise((r) => setTimeout(r, 500));
  await core.agents.stop(name, 'bench').catch(() => {});
  const m = readMarks(marker);
  const crashed = seen.filter((e) => e.to === 'crashed').map((e) => e.at);
  const running = seen.filter((e) => e.to === 'running' && e.from === 'recovering').map((e) => e.at);
  const recovering = seen.filter((e) => e.to === 'recovering').map((e) => e.at);
  const n = Math.min(CRASHES, m.crashes.length);
  const detection: number[] = [];
  const toRunning: number[] = [];
  const toRecovering: number[] = [];
  for (let i = 0; i < n; i++) {
    if (crashed[i] !== undefined) detection.push(crashed[i]! - m.crashes[i]!);
    if (running[i] !== undefined) toRunning.push(running[i]! - m.crashes[i]!);
    if (recovering[i] !== undefined) toRecovering.push(recovering[i]! - m.crashes[i]!);
  }
  const recoveryEvents = core.events.list({ agent: name, kinds: ['recovery'], limit: 100_000 }).reverse();
  const crashSnapshots = core.snapshots.list(name).filter((s) => s.type === 'crash').length;
  const r = {
    crashes: n,
    replacementStartedMs: stats(replacementLatencies(m, n)),
    detectionMs: stats(detection),
    crashToRecoveringMs: stats(toRecovering),
    crashToRunningMs: stats(toRunning),
    hiveRecoveryEvents: {
      count: recoveryEvents.length,
      restartMs: stats(recoveryEvents.map((e) => Number(e.data?.restartMs))),
      downtimeMs: stats(recoveryEvents.map((e) => Number(e.data?.downtimeMs))),
    },
    restartsCounted: core.repo.get(name).restarts,
    crashSnapshotsKept: crashSnapshots,
  };
  const tmux = core.backends.tmux;
  await core.dispose();
  releaseExec();
  if (tmux instanceof TmuxBackend) await tmux.killServer();
  return r;
}

async function benchPm2(work: string, script: string) {
  const home = path.join(work, 'pm2-home');
  mkdirSync(home, { recursive: true });
  process.env.PM2_HOME = home;
  const require = createRequire(import.meta.url);
  const pm2 = require('pm2') as typeof import('pm2');
  const call = <T>(fn: (cb: (err: Error | null, v: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
  await call<void>((cb) => pm2.connect(false, cb as (err: Error) => void));
  const marker = path.join(work, 'marker-pm2');
  try {
    await call((cb) =>
      pm2.start(
        {
          name: 'crasher',
          script,
          args: [marker],
          interpreter: 'none',
          exec_mode: 'fork',
          autorestart: true,
          restart_delay: 0,
          min_uptime: 100,
          max_restarts: 1_000_000,
          cwd: work,
        },
        cb,
      ),
    );
    const stopKiller = MODE === 'kill' ? startKiller(marker) : () => {};
    const done = progress('pm2', () => readMarks(marker).crashes.length);
    await waitUntil(`${CRASHES} PM2 restarts`, () => readMarks(marker).starts.length > CRASHES, CRASHES * 2000 + 60_000).finally(stopKiller);
    done();
  } finally {
    await call((cb) => pm2.delete('crasher', cb)).catch(() => {});
    await call((cb) => pm2.killDaemon(cb)).catch(() => {});
    pm2.disconnect();
  }
  const m = readMarks(marker);
  const version = (JSON.parse(readFileSync(require.resolve('pm2/package.json'), 'utf8')) as { version: string }).version;
  return { version, crashes: Math.min(CRASHES, m.crashes.length), replacementStartedMs: stats(replacementLatencies(m, CRASHES)) };
}

function machine(loadStart: number[]) {
  const tmuxVersion = (() => {
    try {
      return execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  })();
  return {
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    tmux: tmuxVersion,
    loadAverageAtStart: loadStart.map((x) => Math.round(x * 100) / 100),
    loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : null);

async function main(): Promise<void> {
  const loadStart = os.loadavg();
  const work = mkdtempSync(path.join(os.tmpdir(), 'hive-bench-recovery-'));
  const script = path.join(work, 'crash.sh');
  writeFileSync(script, MODE === 'kill' ? KILL_SCRIPT : SCRIPT);
  chmodSync(script, 0o755);
  const results: Record<string, unknown> = {};
  const started = Date.now();
  try {
    for (const s of SYSTEMS) {
      if (s === 'pm2') results.pm2 = await benchPm2(work, script);
      else if (s === 'docker') results.docker = await benchDocker();
      else results[s] = await benchHive(s, work, script);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  type HiveR = Awaited<ReturnType<typeof benchHive>>;
  const tmux = results.tmux as HiveR | undefined;
  const proc = results.process as HiveR | undefined;
  const pm2 = results.pm2 as Awaited<ReturnType<typeof benchPm2>> | undefined;
  const pm2p50 = pm2?.replacementStartedMs.p50;
  const out = {
    bench: 'recovery',
    generatedAt: new Date().toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine: machine(loadStart),
    method: {
      crashesPerSystem: CRASHES,
      mode: MODE,
      script:
        MODE === 'kill'
          ? 'bash: first act appends S $EPOCHREALTIME $$ to a marker file, then execs sleep; 0.5–2 s (random) after each start the bench appends C <its clock> and kill -9s that pid from outside'
          : 'bash: first act appends S $EPOCHREALTIME to a marker file; after 0.5–2 s (random) appends C $EPOCHREALTIME and exits 3',
      start: 'the crash line (written just before exit), the same for every system',
      end: { replacement: 'the next start line of the script', detection: 'the core’s crashed status change', running: 'the core’s recovering → running change' },
      backoff: 'disabled for the benchmark via the agent policy: initialDelayMs 0, minUptimeMs 100, maxRestarts 10000 (PM2: restart_delay 0, min_uptime 100)',
      hivePolicy: POLICY,
      hiveCore: 'in this process, with programs started from the exec helper process as in a host (startHost)',
      order: SYSTEMS,
    },
    results,
    ratiosToPm2: {
      processP50: ratio(proc?.replacementStartedMs.p50, pm2p50),
      tmuxP50: ratio(tmux?.replacementStartedMs.p50, pm2p50),
      processP99: ratio(proc?.replacementStartedMs.p99, pm2?.replacementStartedMs.p99),
      tmuxP99: ratio(tmux?.replacementStartedMs.p99, pm2?.replacementStartedMs.p99),
    },
    ratiosToDockerRestart: dockerRatios(results.docker),
    targets: {
      detectionP99LeMs200: { tmux: tmux ? tmux.detectionMs.p99 <= 200 : null, process: proc ? proc.detectionMs.p99 <= 200 : null },
      replacementP99LeMs1000: { tmux: tmux ? tmux.replacementStartedMs.p99 <= 1000 : null, process: proc ? proc.replacementStartedMs.p99 <= 1000 : null },
      processToPm2P50Le1: proc && pm2p50 ? proc.replacementStartedMs.p50 / pm2p50 <= 1 : null,
      tmuxToPm2P50Le1_5: tmux && pm2p50 ? tmux.replacementStartedMs.p50 / pm2p50 <= 1.5 : null,
    },
  };
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
  process.stdout.write(JSON.stringify({ results: out.results, ratiosToPm2: out.ratiosToPm2, targets: out.targets, load: [out.machine.loadAverageAtStart, out.machine.loadAverageAtEnd] }, null, 2) + '\n');
  process.stdout.write(`written to ${OUT}\n`);
}

/** The docker column: null with the reason when no engine answers (the other columns still run). */
async function benchDocker(): Promise<unknown> {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return { skipped: 'no Docker engine answers (docker info failed)' };
  }
  const r = await benchDockerRecovery({ samples: DOCKER_CRASHES, spacingMs: 10_500, log: (l) => process.stderr.write(`${l}\n`) });
  const { raw: _raw, ...summary } = r;
  return summary;
}

function dockerRatios(d: unknown): { hiveP50: number; hiveColdP50: number; targetHiveP50Le0_8: boolean } | null {
  const r = d as { ratioP50?: number; ratioColdP50?: number } | undefined;
  if (r?.ratioP50 === undefined) return null;
  return { hiveP50: r.ratioP50, hiveColdP50: r.ratioColdP50 ?? NaN, targetHiveP50Le0_8: r.ratioP50 <= 0.8 };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench:recovery failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
