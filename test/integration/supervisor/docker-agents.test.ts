import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { DockerBackend } from '../../../electron/core/supervisor/docker-backend.js';
import { containerName, LABEL_DATA_DIR } from '../../../electron/core/supervisor/docker/docker-labels.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../support/busybox-image.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { DockerEngineProxy } from '../../support/docker-engine-proxy.js';
import { releaseDockerShared, useDockerShared } from '../../support/docker-engine-lock.js';
import { hasService } from '../../support/services.js';

const docker = new Dockerode();
const has = hasService('docker');

async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The agent prints its memory file and the resume context it was started with, then waits.
const AGENT_CMD =
  'echo "run started"; cat .hive/memory/notes.md 2>/dev/null; ' +
  '[ -n "$HIVE_RESUME_FILE" ] && [ -f "$HIVE_RESUME_FILE" ] && echo "resume: $(head -1 "$HIVE_RESUME_FILE")"; ' +
  'while read line; do echo "got:$line"; done; sleep 600';

describe.skipIf(!has)('docker agents through the agent service and the watchdog (real dockerd)', () => {
  let f: CoreFixture;

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage();
  });

  afterAll(() => releaseDockerShared());

  afterEach(async () => {
    const backend = f.core.backends.docker as DockerBackend;
    const hash = backend.hash;
    // No more exits reach the watchdog (disposing twice is fine; the core disposes it again).
    await backend.dispose();
    // Containers outlive the core on purpose; remove them before their worktrees go.
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_DATA_DIR}=${hash}`] }) });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    await f.cleanup();
  });

  async function spawn(name: string, sleepMode: 'snapshot' | 'pause' = 'snapshot') {
    f = await makeCore();
    const agent = await f.core.agents.spawn(
      SpawnRequest.parse({ name, repo: f.repo, backend: 'docker', image: BUSYBOX_IMAGE, cmd: AGENT_CMD, sleepMode, memoryMb: 64, cpus: 0.5 }),
      'test',
    );
    f.core.agents.saveMemory(name, [{ path: 'notes.md', contentBase64: Buffer.from('remember: the cache is in redis\n').toString('base64') }], 'test');
    const log = () => readFileSync(f.core.agents.logPath(name), 'utf8');
    return { agent, log, backend: f.core.backends.docker as DockerBackend };
  }

  async function containerOf(backend: DockerBackend, name: string) {
    return docker.getContainer(containerName(backend.hash, name)).inspect();
  }

  it('spawns, takes input, mounts the repository git dir, and stops without a restart', async () => {
    const { agent, log, backend } = await spawn('d1');
    expect(agent.status).toBe('running');
    expect(agent.backend).toBe('docker');
    await waitFor(() => log().includes('run started'), 'first output');
    await f.core.agents.input('d1', 'hello', true, 'test');
    await waitFor(() => log().includes('got:hello'), 'input echoed');
    const info = await containerOf(backend, 'd1');
    expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(info.HostConfig.Binds!.some((b) => b.startsWith(`${execFileSync('realpath', [f.repo], { encoding: 'utf8' }).trim()}/.git:`))).toBe(true);

    const stopped = await f.core.agents.stop('d1', 'test');
    expect(stopped.status).toBe('stopped');
    await new Promise((r) => setTimeout(r, 500));
    expect(f.core.agents.get('d1').status).toBe('stopped');
    expect(await backend.listAlive()).toEqual([]);
  });

  it('recovers a container whose process was killed with SIGKILL, with its memory file and resume context', async () => {
    const { log, backend } = await spawn('d2');
    await waitFor(() => log().includes('remember: the cache is in redis') || log().includes('run started'), 'first run');
    const before = await containerOf(backend, 'd2');
    process.kill(before.State.Pid, 'SIGKILL');
    await waitFor(() => f.core.agents.get('d2').restarts === 1 && f.core.agents.get('d2').status === 'running', 'recovery');
    const second = () => (log().split('run started').length === 3 ? log().slice(log().lastIndexOf('run started')) : '');
    await waitFor(() => second().includes('resume: '), 'second run output');
    expect(second()).toContain('remember: the cache is in redis');
    expect(second()).toContain('resume: # Resume context for d2');
    // A warm standby took over; it gets the agent's container name right after.
    const after = await waitFor(async () => {
      const c = await containerOf(backend, 'd2').catch(() => null);
      return c && c.Id !== before.Id ? c : null;
    }, 'the replacement under the agent name');
    expect(after.State.Running).toBe(true);
    // The watchdog saves the crash snapshot (with git state) after the restart; let it finish before cleanup.
    await waitFor(() => f.core.snapshots.list('d2').some((m) => m.type === 'crash'), 'the crash snapshot');
    const kinds = f.core.events.list({ agent: 'd2' }).map((e) => e.kind);
    expect(kinds).toContain('recovery');
  });

  it('recovers an agent whose container was removed with docker rm -f from outside', async () => {
    const { log, backend } = await spawn('d3');
    await waitFor(() => log().includes('run started'), 'first run');
    execFileSync('docker', ['rm', '-f', containerName(backend.hash, 'd3')], { stdio: 'ignore' });
    await waitFor(() => f.core.agents.get('d3').restarts === 1 && f.core.agents.get('d3').status === 'running', 'recovery');
    await waitFor(async () => (await containerOf(backend, 'd3').catch(() => null))?.State.Running, 'the replacement under the agent name');
    await waitFor(() => f.core.snapshots.list('d3').some((m) => m.type === 'crash'), 'the crash snapshot');
    const crash = f.core.events.list({ agent: 'd3' }).find((e) => e.kind === 'crashed' || /removed from outside/.test(JSON.stringify(e)));
    expect(JSON.stringify(crash)).toMatch(/removed from outside/);
  });

  it('sleeps in pause mode (docker pause, same container) and wakes instantly', async () => {
    const { log, backend } = await spawn('d4', 'pause');
    await waitFor(() => log().includes('run started'), 'first run');
    const id = (await containerOf(backend, 'd4')).Id;
    expect((await f.core.agents.sleep('d4', 'test')).status).toBe('sleeping');
    expect((await containerOf(backend, 'd4')).State.Paused).toBe(true);
    const t = Date.now();
    expect((await f.core.agents.wake('d4', 'test')).status).toBe('running');
    expect(Date.now() - t).toBeLessThan(2000);
    const info = await containerOf(backend, 'd4');
    expect(info.Id).toBe(id);
    expect(info.State.Paused).toBe(false);
    expect(f.core.agents.get('d4').restarts).toBe(0);
  });

  it('sleeps in snapshot mode (container removed) and wakes into a new container with the context', async () => {
    const { log, backend } = await spawn('d5', 'snapshot');
    await waitFor(() => log().includes('run started'), 'first run');
    expect((await f.core.agents.sleep('d5', 'test')).status).toBe('sleeping');
    await expect(containerOf(backend, 'd5')).rejects.toMatchObject({ statusCode: 404 });
    expect((await f.core.agents.wake('d5', 'test')).status).toBe('running');
    await waitFor(() => log().split('run started').length === 3 && log().slice(log().lastIndexOf('run started')).includes('resume: '), 'second run');
    expect(log().slice(log().lastIndexOf('run started'))).toContain('resume: # Resume context for d5');
    expect(f.core.agents.get('d5').restarts).toBe(0);
  });
});

describe.skipIf(!has)('docker agents while the engine is away (real dockerd behind a cuttable socket)', () => {
  let f: CoreFixture;
  let proxy: DockerEngineProxy;

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage();
  });

  afterAll(() => releaseDockerShared());

  afterEach(async () => {
    const backend = f.core.backends.docker as DockerBackend;
    await backend.dispose();
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_DATA_DIR}=${backend.hash}`] }) });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    await proxy.cut();
    await f.cleanup();
  });

  it('shows docker agents unreachable (with the engine\'s error) while the engine is away, then running again, or recovered if they died meanwhile', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hive-data-'));
    proxy = new DockerEngineProxy(path.join(dataDir, 'engine.sock'));
    await proxy.listen();
    const backend = new DockerBackend({ dataDir, docker: new Dockerode({ socketPath: proxy.socketPath }), pingIntervalMs: 300 });
    f = await makeCore({ dataDir, backends: { docker: backend } });
    await f.core.agents.spawn(SpawnRequest.parse({ name: 'u1', repo: f.repo, backend: 'docker', image: BUSYBOX_IMAGE, cmd: AGENT_CMD }), 'test');
    const status = () => f.core.agents.get('u1').status;

    await proxy.cut();
    await waitFor(() => status() === 'unreachable', 'unreachable while the engine is away');
    expect(f.core.agents.get('u1').lastError).toMatch(/^engine local: /);
    await proxy.listen();
    await waitFor(() => status() === 'running', 'running again');
    expect(f.core.agents.get('u1').restarts).toBe(0);

    await proxy.cut();
    await waitFor(() => status() === 'unreachable', 'unreachable again');
    const info = await docker.getContainer(containerName(backend.hash, 'u1')).inspect();
    process.kill(info.State.Pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(status()).toBe('unreachable');
    await proxy.listen();
    await waitFor(() => f.core.agents.get('u1').restarts === 1 && status() === 'running', 'recovered after the engine came back');
    await waitFor(() => f.core.snapshots.list('u1').some((m) => m.type === 'crash'), 'the crash snapshot');
    const alive = await backend.listAlive();
    expect(alive.map((a) => a.name)).toEqual(['u1']);
  });
});
