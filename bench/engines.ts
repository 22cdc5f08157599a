/**
 * `npm run bench:engines` (after `npm run build:core`; root, Docker, openssh-server, iproute2): how long an
 * agent takes to spawn, to recover from a kill -9, and for a commit made inside it to be visible on
 * `hive/NAME`, on this machine's engine and on a second real dockerd reached three ways (its unix socket,
 * TCP with TLS, SSH). The second engine runs in its own network namespace on this same machine (see
 * test/support/second-engine.ts), so the numbers are the protocol's and the workspace sync's cost, not a
 * network's.
 *
 *   spawn    agents:spawn called → the agent's first line in its log (includes seeding the workspace volume)
 *   recover  kill -9 of the container's process → the replacement's first line in the log (bench polls 5 ms)
 *   sync     the agent's commit done (its log says so) → the commit on hive/NAME here. Local engine: the
 *            worktree is bind-mounted, so the commit is in the repository at once (measured the same way);
 *            other engines: one `agents sync` (archive download, fetch, mirror) — what sleep, stop, merge and
 *            the periodic sync each do.
 *
 *   node dist/bench/engines.js [--runs 5] [--out bench/results/engines.json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Dockerode from 'dockerode';
import { SpawnRequest } from '../shared/contract/agents.js';
import { HiveCore } from '../electron/core/hive-core.js';
import { ensureBusyboxImage, GIT_IMAGE } from '../test/support/busybox-image.js';
import { removeDataDirResources } from '../test/support/docker-cleanup.js';
import { makeGitRepo, tempDir } from '../test/support/git-repo.js';
import { startSecondEngine } from '../test/support/second-engine.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const runs = Number(arg('runs', '5'));
const out = arg('out', 'bench/results/engines.json');

function quantiles(xs: number[]): { n: number; p50: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: Math.round(q(0.5)), p90: Math.round(q(0.9)), max: Math.round(s[s.length - 1]!) };
}

async function until(fn: () => boolean | Promise<boolean>, what: string, ms = 60_000, every = 5): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const count = (file: string, needle: string) => (existsSync(file) ? readFileSync(file, 'utf8').split(needle).length - 1 : 0);

async function main(): Promise<void> {
  const e2 = await startSecondEngine({ tls: true, ssh: true });
  process.env.HIVE_SSH_CONFIG = e2.sshConfig!;
  const dataDir = tempDir('hive-bench-engines-');
  const repo = makeGitRepo({ 'README.md': '# bench\n' });
  const core = new HiveCore({ dataDir, processMetrics: false, syncIntervalMs: 0, enginePingIntervalMs: 500 });
  const local = new Dockerode();
  const results: Record<string, { spawnMs: ReturnType<typeof quantiles>; recoverMs: ReturnType<typeof quantiles>; syncMs: ReturnType<typeof quantiles> }> = {};
  try {
    ensureBusyboxImage(GIT_IMAGE, { withGit: true });
    ensureBusyboxImage(GIT_IMAGE, { withGit: true, dockerHost: e2.unixUrl });
    await core.start();
    const pem = (p: string) => readFileSync(p, 'utf8');
    await core.engines!.add({ name: 'e2-unix', url: e2.unixUrl }, 'bench');
    await core.engines!.add({ name: 'e2-tls', url: e2.tcpUrl!, tlsCa: pem(e2.tls!.ca), tlsCert: pem(e2.tls!.cert), tlsKey: pem(e2.tls!.key) }, 'bench');
    await core.engines!.add({ name: 'e2-ssh', url: e2.sshUrl! }, 'bench');
    // Each run the agent commits a new file once (only in its first run), then waits.
    const cmd =
      'echo up; if [ ! -f made.txt ]; then date > made.txt && git add made.txt && git -c user.name=a -c user.email=a@b commit -qm made && echo committed; fi; sleep 600';
    for (const engine of ['local', 'e2-unix', 'e2-tls', 'e2-ssh']) {
      const spawn: number[] = [];
      const recover: number[] = [];
      const sync: number[] = [];
      for (let i = 0; i < runs; i++) {
        const name = `b-${engine}-${i}`;
        const log = path.join(dataDir, 'logs', `${name}.log`);
        let t = performance.now();
        await core.agents.spawn(SpawnRequest.parse({ name, repo, backend: 'docker', image: GIT_IMAGE, engine, cmd, policy: { initialDelayMs: 0 } }), 'bench');
        await until(() => count(log, 'up\n') >= 1, `${name} up`);
        spawn.push(performance.now() - t);

        await until(() => count(log, 'committed') >= 1, `${name} committed`);
        t = performance.now();
        if (engine === 'local') await until(() => git(repo, 'cat-file', '-e', `hive/${name}:made.txt`), `${name} commit on the branch`, 10_000, 1);
        else await core.engines!.sync(name);
        if (!git(repo, 'cat-file', '-e', `hive/${name}:made.txt`)) throw new Error(`${name}: the commit is not on hive/${name}`);
        sync.push(performance.now() - t);

        const docker = engine === 'local' ? local : core.dockerEngines!.dockerOf(engine);
        const info = await docker.getContainer(core.dockerEngines!.containerName(name)).inspect();
        t = performance.now();
        process.kill(info.State.Pid, 'SIGKILL');
        await until(() => count(log, 'up\n') >= 2, `${name} back`);
        recover.push(performance.now() - t);

        await core.agents.stop(name, 'bench');
        await core.agents.remove(name, true, 'bench');
      }
      results[engine] = { spawnMs: quantiles(spawn), recoverMs: quantiles(recover), syncMs: quantiles(sync) };
      console.log(engine, JSON.stringify(results[engine]));
    }
  } finally {
    await core.dispose();
    await removeDataDirResources(local, core.dockerEngines!.hash);
    await e2.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
  const report = {
    benchmark: 'engines',
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 1024 ** 3), docker: execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim() },
    method:
      'One core in-process; a second real dockerd (own data root, own network namespace, live-restore) on the same machine, reached over its unix socket, TCP+TLS through a loopback forwarder, and SSH (OpenSSH, docker system dial-stdio). Image: busybox + git, made locally. Per run: spawn → first log line; commit inside → on hive/NAME (local: bind mount, polled; others: one agents sync); kill -9 of the container process → replacement\'s first log line. Warm standby is on for the local engine only.',
    runsPerEngine: runs,
    results,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written ${out}`);
}

function git(cwd: string, ...args: string[]): boolean {
  try {
    execFileSync('git', args, { cwd, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
