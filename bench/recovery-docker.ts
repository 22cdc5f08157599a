/**
 * Crash → replacement started, for agents in Docker containers: Agent Hive (docker backend + watchdog)
 * against Docker's own `--restart=on-failure`, same image, same script, same crash, same marker.
 *
 * The agent script's first act appends the wall clock (µs, from the kernel via busybox adjtimex) to a marker
 * file in its mounted worktree; each system is timed from the SIGKILL of the container's PID 1 (docker-init)
 * to that line. Kills of one system are spaced ≥ 10.5 s apart so Docker's restart backoff (100 ms doubling,
 * reset after 10 s of uptime) is at its minimum every time, and hive's restart policy is past minUptimeMs.
 *
 *   npm run build:core && node dist/bench/recovery-docker.js [--samples 20] [--spacing-ms 10500]
 *
 * Writes bench/results/recovery-docker.json. Needs a Docker engine; builds its image locally (no pulls).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { SpawnRequest } from '../shared/contract/agents.js';
import { HiveCore } from '../electron/core/hive-core.js';
import { DockerBackend } from '../electron/core/supervisor/docker-backend.js';
import { containerName } from '../electron/core/supervisor/docker/docker-labels.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../test/support/busybox-image.js';

const MARKER = '.bench-marker';
/** First act: one line with the time in µs. Then idle until killed. */
const SCRIPT =
  `adjtimex | awk '/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d%06d\\n", s, u}' >> /workspace/${MARKER}; ` +
  'exec sleep 100000';

export interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] ?? NaN;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: v.length,
    p50: r(q(50)),
    p90: r(q(90)),
    p99: r(q(99)),
    mean: r(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)),
    min: r(v[0] ?? NaN),
    max: r(v.at(-1) ?? NaN),
  };
}

function markers(file: string): number[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l) / 1000);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface System {
  name: string;
  markerFile: string;
  container(): Promise<Dockerode.ContainerInspectInfo>;
  lastStart: number;
}

/** Kills PID 1 of the system's container and returns ms from the kill to the next marker line. */
async function crashOnce(docker: Dockerode, sys: System): Promise<{ ms: number; killAt: number }> {
  const before = markers(sys.markerFile).length;
  const info = await waitFor(async () => {
    const i = await sys.container().catch(() => null);
    return i?.State.Running && i.State.Pid ? i : null;
  }, `${sys.name} running`);
  const killAt = Date.now();
  process.kill(info.State.Pid, 'SIGKILL');
  const line = await waitFor(() => markers(sys.markerFile)[before], `${sys.name} replacement marker`);
  sys.lastStart = line;
  void docker;
  return { ms: line - killAt, killAt };
}

function makeRepo(dir: string): string {
  const repo = path.join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, 'README.md'), '# bench\n');
  git('add', '-A');
  git('-c', 'user.email=bench@agent-hive.local', '-c', 'user.name=bench', 'commit', '-q', '-m', 'initial');
  return repo;
}

export interface DockerRecoveryResult {
  when: string;
  machine: { cpus: number; kernel: string; engine: string; loadAvg1m: number };
  samples: number;
  spacingMs: number;
  /** Hive with the warm standby (the default): a crash costs one write to the standby's stdin. */
  hive: { crashToReplacementMs: Stats; detectionMs: Stats; crashToRunningMs: Stats };
  /** Hive with `warmStandby: false`: remove + create + start of a container after each crash. */
  hiveCold: { crashToReplacementMs: Stats; detectionMs: Stats; crashToRunningMs: Stats };
  dockerRestartOnFailure: { crashToReplacementMs: Stats };
  ratioP50: number;
  ratioColdP50: number;
  raw: Record<string, number[]>;
}

interface HiveSystem extends System {
  core: HiveCore;
  detection: number[];
  running: number[];
  replacement: number[];
}

async function makeHive(dir: string, label: string, warmStandby: boolean, image: string, docker: Dockerode): Promise<HiveSystem> {
  const dataDir = path.join(dir, `data-${label}`);
  const backend = new DockerBackend({ dataDir, warmStandby });
  const core = new HiveCore({ dataDir, backends: { docker: backend }, checkIntervalMs: 1000 });
  await core.start();
  const repo = makeRepo(path.join(dir, `repo-${label}`));
  const agent = await core.agents.spawn(
    SpawnRequest.parse({
      name: 'bench',
      repo,
      backend: 'docker',
      image,
      cmd: SCRIPT,
      policy: { maxRestarts: 10_000, initialDelayMs: 0, minUptimeMs: 10_000 },
    }),
    'bench',
  );
  return {
    name: label,
    core,
    markerFile: path.join(agent.worktree, MARKER),
    container: () => docker.getContainer(containerName(backend.hash, 'bench')).inspect(),
    lastStart: 0,
    detection: [],
    running: [],
    replacement: [],
  };
}

export async function benchDockerRecovery(opts: { samples: number; spacingMs: number; log?: (s: string) => void }): Promise<DockerRecoveryResult> {
  const log = opts.log ?? (() => {});
  const docker = new Dockerode();
  const image = ensureBusyboxImage(BUSYBOX_IMAGE);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-bench-docker-'));
  const dockerName = `hive-bench-restart-${process.pid}`;
  const hives: HiveSystem[] = [];
  const dockerMs: number[] = [];
  try {
    hives.push(await makeHive(dir, 'hive', true, image, docker));
    hives.push(await makeHive(dir, 'hive-cold', false, image, docker));
    // Docker's own restart, the same image, script and PID 1 (docker-init), its own worktree-like dir.
    const dockerDir = path.join(dir, 'docker-workspace');
    mkdirSync(dockerDir);
    const c = await docker.createContainer({
      name: dockerName,
      Image: image,
      Entrypoint: [],
      Cmd: ['/bin/sh', '-c', SCRIPT],
      WorkingDir: '/workspace',
      OpenStdin: true,
      HostConfig: { Binds: [`${dockerDir}:/workspace:rw`], Init: true, RestartPolicy: { Name: 'on-failure' }, NetworkMode: 'bridge' },
    });
    await c.start();
    const own: System = { name: 'docker', markerFile: path.join(dockerDir, MARKER), container: () => c.inspect(), lastStart: 0 };
    const systems: System[] = [...hives, own];

    await waitFor(() => systems.every((s) => markers(s.markerFile).length > 0), 'every first start');
    for (const s of systems) s.lastStart = markers(s.markerFile)[0]!;
    for (let i = 0; i < opts.samples; i++) {
      for (const sys of systems) {
        const wait = sys.lastStart + opts.spacingMs - Date.now();
        if (wait > 0) await sleep(wait);
        const { ms, killAt } = await crashOnce(docker, sys);
        const hive = hives.find((h) => h === sys);
        if (hive) {
          hive.replacement.push(ms);
          // The watchdog's own record: when the backend noticed, and when the store said running.
          const rec = await waitFor(
            () =>
              hive.core.events
                .list({ agent: 'bench', kinds: ['recovery'], limit: 1 })
                .find((e) => Number((e.data as { detectedAt?: number }).detectedAt) >= killAt),
            'the recovery event',
          );
          const data = rec.data as { detectedAt: number; downtimeMs: number };
          hive.detection.push(data.detectedAt - killAt);
          hive.running.push(data.detectedAt + data.downtimeMs - killAt);
        } else {
          dockerMs.push(ms);
        }
        log(`${sys.name} #${i + 1}: ${ms.toFixed(1)} ms`);
      }
    }
    const summary = (h: HiveSystem) => ({ crashToReplacementMs: stats(h.replacement), detectionMs: stats(h.detection), crashToRunningMs: stats(h.running) });
    const [warm, cold] = hives as [HiveSystem, HiveSystem];
    const d = stats(dockerMs);
    const version = await docker.version();
    return {
      when: new Date().toISOString(),
      machine: { cpus: os.cpus().length, kernel: os.release(), engine: `Docker ${version.Version} (API ${version.ApiVersion})`, loadAvg1m: os.loadavg()[0]! },
      samples: opts.samples,
      spacingMs: opts.spacingMs,
      hive: summary(warm),
      hiveCold: summary(cold),
      dockerRestartOnFailure: { crashToReplacementMs: d },
      ratioP50: Math.round((stats(warm.replacement).p50 / d.p50) * 100) / 100,
      ratioColdP50: Math.round((stats(cold.replacement).p50 / d.p50) * 100) / 100,
      raw: { hive: warm.replacement, hiveCold: cold.replacement, docker: dockerMs, hiveDetection: warm.detection, hiveColdDetection: cold.detection },
    };
  } finally {
    await docker.getContainer(dockerName).remove({ force: true }).catch(() => {});
    for (const h of hives) {
      await h.core.agents.stop('bench', 'bench').catch(() => {});
      await h.core.dispose();
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const arg = (name: string, def: number) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  const samples = arg('--samples', 20);
  const spacingMs = Math.max(10_500, arg('--spacing-ms', 10_500));
  const result = await benchDockerRecovery({ samples, spacingMs, log: (s) => process.stderr.write(`${s}\n`) });
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const out = path.join(root, 'bench', 'results', 'recovery-docker.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  const fmt = (s: Stats) => `p50 ${s.p50} / p90 ${s.p90} / p99 ${s.p99} ms`;
  process.stdout.write(
    [
      `docker recovery, ${samples} crashes each, kills spaced ${spacingMs} ms`,
      `  hive, warm standby (default):     ${fmt(result.hive.crashToReplacementMs)}`,
      `    detection ${fmt(result.hive.detectionMs)}; crash → running in the store ${fmt(result.hive.crashToRunningMs)}`,
      `  hive, cold (warmStandby: false):  ${fmt(result.hiveCold.crashToReplacementMs)}`,
      `    detection ${fmt(result.hiveCold.detectionMs)}; crash → running in the store ${fmt(result.hiveCold.crashToRunningMs)}`,
      `  docker --restart=on-failure:      ${fmt(result.dockerRestartOnFailure.crashToReplacementMs)}`,
      `  ratio hive/docker at p50: ${result.ratioP50} (target ≤ 0.8); cold: ${result.ratioColdP50}`,
      `  load average (1 min) at the end: ${result.machine.loadAvg1m.toFixed(1)} on ${result.machine.cpus} CPUs`,
      `  → ${out}`,
      '',
    ].join('\n'),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
