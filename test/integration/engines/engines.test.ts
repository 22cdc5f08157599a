import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { LABEL_DATA_DIR } from '../../../electron/core/supervisor/docker/docker-labels.js';
import { HiveCore } from '../../../electron/core/hive-core.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage, GIT_IMAGE } from '../../support/busybox-image.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { removeDataDirResources } from '../../support/docker-cleanup.js';
import { releaseDockerShared, useDockerShared } from '../../support/docker-engine-lock.js';
import { startSecondEngine, type SecondEngine } from '../../support/second-engine.js';
import { hasService } from '../../support/services.js';

const has = hasService('docker');

async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe.skipIf(!has)('agents on a second Docker engine (a real dockerd in its own network namespace)', () => {
  let e2: SecondEngine;
  let f: CoreFixture | null = null;
  const local = new Dockerode();
  let remote: Dockerode;

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage();
    e2 = await startSecondEngine({ tls: true, ssh: true });
    ensureBusyboxImage(BUSYBOX_IMAGE, { dockerHost: e2.unixUrl });
    ensureBusyboxImage(GIT_IMAGE, { dockerHost: e2.unixUrl, withGit: true });
    remote = new Dockerode({ socketPath: e2.socket });
    process.env.HIVE_SSH_CONFIG = e2.sshConfig!;
  }, 240_000);

  afterAll(async () => {
    delete process.env.HIVE_SSH_CONFIG;
    await e2?.destroy();
    releaseDockerShared();
  }, 60_000);

  afterEach(async () => {
    if (!f) return;
    const hash = f.core.dockerEngines!.hash;
    // No more exits reach the watchdog; containers outlive the core on purpose and are removed here.
    await f.core.dockerEngines!.dispose();
    for (const d of [local, remote]) await removeDataDirResources(d, hash);
    await f.cleanup();
    f = null;
  }, 60_000);

  const spawn = (req: Record<string, unknown>) => f!.core.agents.spawn(SpawnRequest.parse({ repo: f!.repo, backend: 'docker', ...req }), 'test');
  const containersOf = async (d: Dockerode, agent: string) =>
    (await d.listContainers({ all: true, filters: JSON.stringify({ label: [`agent-hive.agent=${agent}`, `${LABEL_DATA_DIR}=${f!.core.dockerEngines!.hash}`] }) })).filter((c) => !c.Names.some((n) => n.includes('.sync-') || n.includes('.standby-')));

  it('adds engines over a unix socket, TCP with TLS and SSH, lists them, and refuses what would not work or is unsafe', async () => {
    f = await makeCore();
    const s = f.core.engines!;
    const unix = await s.add({ name: 'e2', url: e2.unixUrl }, 'test');
    expect(unix).toMatchObject({ name: 'e2', reachable: true, tls: false, workspace: 'volume', runningAgents: 0 });
    expect(unix.serverVersion).toMatch(/^\d+\./);
    expect(unix.cpus).toBeGreaterThan(0);
    expect(unix.memoryBytes).toBeGreaterThan(0);

    const pem = (p: string) => readFileSync(p, 'utf8');
    const tls = await s.add({ name: 'e2-tls', url: e2.tcpUrl!, tlsCa: pem(e2.tls!.ca), tlsCert: pem(e2.tls!.cert), tlsKey: pem(e2.tls!.key) }, 'test');
    expect(tls).toMatchObject({ reachable: true, tls: true, serverVersion: unix.serverVersion });
    const ssh = await s.add({ name: 'e2-ssh', url: e2.sshUrl! }, 'test');
    expect(ssh).toMatchObject({ reachable: true, serverVersion: unix.serverVersion });

    const names = (await s.list()).map((e) => `${e.name}:${e.reachable}`);
    expect(names).toEqual(['local:true', 'e2:true', 'e2-tls:true', 'e2-ssh:true']);

    // Plain TCP leaves this machine in clear and unauthenticated: refused with the reason.
    await expect(s.add({ name: 'plain', url: 'tcp://10.20.30.40:2375' }, 'test')).rejects.toThrow(/plain TCP to 10\.20\.30\.40 is refused.*--tls-ca/);
    // The same TLS engine without a client certificate: dockerd --tlsverify refuses it; nothing is kept.
    await expect(s.add({ name: 'no-client-cert', url: e2.tcpUrl!, tlsCa: pem(e2.tls!.ca) }, 'test')).rejects.toThrow(/TLS needs all three files/);
    const otherCa = pem(e2.tls!.cert); // a certificate, but not the CA that signed the engine's
    await expect(s.add({ name: 'wrong-ca', url: e2.tcpUrl!, tlsCa: otherCa, tlsCert: pem(e2.tls!.cert), tlsKey: pem(e2.tls!.key) }, 'test')).rejects.toThrow(/does not answer.*Nothing was added/);
    await expect(s.add({ name: 'e2', url: e2.unixUrl }, 'test')).rejects.toThrow(/exists/);
    await expect(s.add({ name: 'local', url: e2.unixUrl }, 'test')).rejects.toThrow(/this machine's engine/);
    expect((await s.list()).map((e) => e.name)).toEqual(['local', 'e2', 'e2-tls', 'e2-ssh']);

    // Credentials never reach the event log.
    const events = JSON.stringify(f.core.events.list({ limit: 1000 }));
    expect(events).toContain('engine-added');
    expect(events).not.toContain('PRIVATE KEY');
    expect(events).not.toContain('BEGIN CERTIFICATE');

    await s.remove('e2-tls', 'test');
    expect((await s.list()).map((e) => e.name)).toEqual(['local', 'e2', 'e2-ssh']);
    await expect(s.remove('local', 'test')).rejects.toThrow(/cannot be removed/);
  }, 120_000);

  it('places an agent on the engine that has its image, and a commit made inside it arrives on hive/NAME', async () => {
    f = await makeCore();
    await f.core.engines!.add({ name: 'e2', url: e2.unixUrl }, 'test');
    // Only the second engine has this image (a name made for this run): placement picks it without --engine.
    const only = `agent-hive-test/e2-only:${process.pid}`;
    e2.docker(['tag', GIT_IMAGE, only]);
    const cmd =
      'echo made > inside.txt && git add inside.txt && git -c user.name=agent -c user.email=agent@example.com commit -q -m "made inside" && echo draft > draft.txt && echo committed; sleep 600';
    const a = await spawn({ name: 'g1', image: only, cmd });
    expect(a.engine).toBe('e2');
    expect(f.core.agents.list().find((x) => x.name === 'g1')!.engine).toBe('e2');
    const log = path.join(f.dataDir, 'logs', 'g1.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('committed'), 'the commit inside the container');
    expect(await containersOf(local, 'g1')).toHaveLength(0);
    expect(await containersOf(remote, 'g1')).toHaveLength(1);

    const r = await f.core.engines!.sync('g1');
    expect(r.commits).toBe(1);
    expect(git(f.repo, 'log', '-1', '--format=%s', 'hive/g1')).toBe('made inside');
    expect(git(f.repo, 'show', 'hive/g1:inside.txt')).toBe('made');
    // Uncommitted work comes back into the worktree, uncommitted.
    const wt = f.core.agents.get('g1').worktree;
    expect(readFileSync(path.join(wt, 'draft.txt'), 'utf8')).toBe('draft\n');
    expect(git(wt, 'status', '--porcelain')).toBe('?? draft.txt');

    // Pre-flight sees the agent's branch as synced (a second sync has nothing new).
    await f.core.handlers['conflicts:preflight']({ agent: 'g1' } as never, { actor: 'test' } as never);
    expect((await f.core.engines!.sync('g1')).commits).toBe(0);
  }, 120_000);

  it('copies the image from the engine that has it to the engine an agent is placed on (no registry)', async () => {
    f = await makeCore();
    await f.core.engines!.add({ name: 'e2', url: e2.unixUrl }, 'test');
    const localOnly = `agent-hive-test/local-only:${process.pid}`;
    execFileSync('docker', ['tag', BUSYBOX_IMAGE, localOnly]);
    try {
      const a = await spawn({ name: 'c1', image: localOnly, engine: 'e2', cmd: 'echo up; sleep 600' });
      expect(a).toMatchObject({ engine: 'e2', status: 'running' });
      expect(e2.docker(['image', 'inspect', '--format', '{{.Id}}', localOnly]).trim()).toBe(execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', localOnly], { encoding: 'utf8' }).trim());
      // An image no engine has: refused with what to do, nothing half made.
      await expect(spawn({ name: 'c2', image: 'agent-hive-test/nowhere:1', cmd: 'true' })).rejects.toThrow(/No Docker engine fits this agent: local has no image agent-hive-test\/nowhere:1; e2 has no image .*docker -H URL build/);
      expect(f.core.agents.list().map((x) => x.name)).toEqual(['c1']);
    } finally {
      execFileSync('docker', ['rmi', localOnly], { stdio: 'ignore' });
      try {
        e2.docker(['rmi', '-f', localOnly]);
      } catch {}
    }
  }, 120_000);

  it('gives an image without git its workspace, recovers a kill -9 inside on that engine, and brings the work back on sleep', async () => {
    f = await makeCore({ enginePingIntervalMs: 300 });
    await f.core.engines!.add({ name: 'e2', url: e2.unixUrl }, 'test');
    // The local worktree carries uncommitted work before the first start: it travels too.
    const cmd = 'cat README.md; cat local-draft.txt; echo "run $(date +%s%N)" >> runs.txt; echo up; sleep 600';
    const a = await f.core.agents.spawn(SpawnRequest.parse({ name: 'b1', repo: f.repo, backend: 'docker', image: BUSYBOX_IMAGE, engine: 'e2', cmd, task: '' }), 'test');
    expect(a.engine).toBe('e2');
    const log = path.join(f.dataDir, 'logs', 'b1.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('up'), 'the agent up on e2');
    expect(readFileSync(log, 'utf8')).toContain('# test repo');

    const [c] = await containersOf(remote, 'b1');
    const info = await remote.getContainer(c!.Id).inspect();
    process.kill(info.State.Pid, 'SIGKILL');
    await waitFor(() => f!.core.agents.get('b1').restarts === 1 && f!.core.agents.get('b1').status === 'running', 'recovered on e2');
    await waitFor(async () => (await containersOf(remote, 'b1')).some((x) => x.State === 'running'), 'a running container on e2');
    expect(await containersOf(local, 'b1')).toHaveLength(0);
    await waitFor(() => readFileSync(log, 'utf8').split('\nup').length >= 3, 'the second run');

    await f.core.agents.sleep('b1', 'test');
    const wt = f.core.agents.get('b1').worktree;
    // Two runs wrote into the same workspace volume, and both lines are back here.
    expect(readFileSync(path.join(wt, 'runs.txt'), 'utf8').trim().split('\n')).toHaveLength(2);
    const snap = f.core.snapshots.list('b1')[0]!;
    expect(snap.type).toBe('sleep');
    // Wake: the same engine, the same workspace (a third run line), its resume context copied in.
    await f.core.agents.wake('b1', 'test');
    await waitFor(() => readFileSync(log, 'utf8').split('\nup').length >= 4, 'the run after wake');
    expect(f.core.agents.get('b1')).toMatchObject({ status: 'running', engine: 'e2' });
    await f.core.engines!.sync('b1');
    expect(readFileSync(path.join(wt, 'runs.txt'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 120_000);

  it('marks agents unreachable while their engine is stopped (the host unaffected), then adopts them with no second container', async () => {
    f = await makeCore({ enginePingIntervalMs: 300 });
    const pem = (p: string) => readFileSync(p, 'utf8');
    await f.core.engines!.add({ name: 'e2-tls', url: e2.tcpUrl!, tlsCa: pem(e2.tls!.ca), tlsCert: pem(e2.tls!.cert), tlsKey: pem(e2.tls!.key) }, 'test');
    await spawn({ name: 'r1', image: BUSYBOX_IMAGE, engine: 'e2-tls', cmd: 'echo up; sleep 600' });
    const p1 = await f.core.agents.spawn(SpawnRequest.parse({ name: 'p1', repo: f.repo, backend: 'process', cmd: 'sleep 600' }), 'test');
    expect(p1.status).toBe('running');

    await e2.stop();
    await waitFor(() => f!.core.agents.get('r1').status === 'unreachable', 'r1 unreachable');
    expect(f.core.agents.get('r1').lastError).toMatch(/^engine e2-tls: /);
    // The host answers and its other agents run on.
    expect(f.core.agents.get('p1').status).toBe('running');
    const listed = (await f.core.engines!.list()).find((e) => e.name === 'e2-tls')!;
    expect(listed).toMatchObject({ reachable: false });
    expect(listed.unreachableSince).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1500));
    expect(f.core.agents.get('r1').status).toBe('unreachable');
    expect(f.core.agents.get('r1').restarts).toBe(0);

    await e2.start();
    await waitFor(() => f!.core.agents.get('r1').status === 'running', 'r1 adopted', 60_000);
    expect(f.core.agents.get('r1').restarts).toBe(0);
    expect(await containersOf(remote, 'r1')).toHaveLength(1);
    expect(await containersOf(local, 'r1')).toHaveLength(0);
    await f.core.agents.stop('p1', 'test');
  }, 180_000);

  it('moves a sleeping agent from an SSH engine to the local one, keeping its work', async () => {
    f = await makeCore();
    await f.core.engines!.add({ name: 'e2-ssh', url: e2.sshUrl! }, 'test');
    const cmd = 'test -f notes.txt && echo "found: $(cat notes.txt)"; echo "written on $(hostname)" > notes.txt; echo up; sleep 600';
    await spawn({ name: 'm1', image: BUSYBOX_IMAGE, engine: 'e2-ssh', cmd });
    const log = path.join(f.dataDir, 'logs', 'm1.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('up'), 'm1 up on the ssh engine');
    await f.core.agents.sleep('m1', 'test');
    const wt = f.core.agents.get('m1').worktree;
    const written = readFileSync(path.join(wt, 'notes.txt'), 'utf8');
    expect(written).toMatch(/^written on /);

    await expect(f.core.engines!.move('m1', 'nowhere', 'test')).rejects.toThrow(/No Docker engine named "nowhere"/);
    const moved = await f.core.engines!.move('m1', 'local', 'test');
    expect(moved).toMatchObject({ engine: 'local', status: 'sleeping' });
    // Nothing of it is left on the engine it left.
    expect(await containersOf(remote, 'm1')).toHaveLength(0);
    expect((await remote.listVolumes()).Volumes?.some((v) => v.Name.includes('-m1-ws')) ?? false).toBe(false);

    await f.core.agents.wake('m1', 'test');
    await waitFor(() => readFileSync(log, 'utf8').includes(`found: ${written.trim()}`), 'the work found on the local engine');
    expect(await containersOf(local, 'm1')).toHaveLength(1);
  }, 120_000);

  it('fails over: with failover on, the agents of an engine that stays away start on another engine, and their old container is stopped when it is back', async () => {
    f = await makeCore({ enginePingIntervalMs: 300 });
    f.core.settings.set({ failover: { enabled: true, afterSec: 1 } });
    await f.core.engines!.add({ name: 'e2', url: e2.unixUrl }, 'test');
    const cmd = 'echo "up on $(cat /etc/hostname)"; sleep 600';
    await spawn({ name: 'fo1', image: BUSYBOX_IMAGE, engine: 'e2', cmd });
    const log = path.join(f.dataDir, 'logs', 'fo1.log');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('up on'), 'fo1 up on e2');

    await e2.stop();
    await waitFor(() => f!.core.agents.get('fo1').engine === 'local' && f!.core.agents.get('fo1').status === 'running', 'fo1 failed over to local', 30_000);
    const kinds = f.core.events.list({ agent: 'fo1', limit: 50 }).map((e) => e.kind);
    expect(kinds).toContain('failover');
    expect(await containersOf(local, 'fo1')).toHaveLength(1);

    await e2.start();
    // The container it left on e2 (alive there: live-restore) is stopped once e2 answers: one agent, one container.
    await waitFor(async () => (await containersOf(remote, 'fo1')).length === 0, 'the old container on e2 removed', 60_000);
    expect(f.core.agents.get('fo1')).toMatchObject({ engine: 'local', status: 'running' });
  }, 180_000);

  it('a host that starts while an engine is away marks its agents unreachable (never crashed or started twice), and adopts them when it is back', async () => {
    f = await makeCore({ enginePingIntervalMs: 300 });
    await f.core.engines!.add({ name: 'e2', url: e2.unixUrl }, 'test');
    await spawn({ name: 'h1', image: BUSYBOX_IMAGE, engine: 'e2', cmd: 'echo up; sleep 600' });
    const dataDir = f.dataDir;
    const repo = f.repo;
    // The host goes away; its agent's container runs on. Then the engine goes away too.
    await f.core.dispose();
    await e2.stop();
    const core = new HiveCore({ dataDir, checkIntervalMs: 250, enginePingIntervalMs: 300 });
    f = { ...f, core, cleanup: async () => { await core.dispose(); rmSync(dataDir, { recursive: true, force: true }); rmSync(repo, { recursive: true, force: true }); } };
    const r = await core.start();
    expect(r.crashed).not.toContain('h1');
    expect(core.agents.get('h1').status).toBe('unreachable');
    expect(core.agents.get('h1').lastError).toMatch(/engine e2/);

    await e2.start();
    await waitFor(() => core.agents.get('h1').status === 'running', 'h1 adopted', 60_000);
    expect(core.agents.get('h1').restarts).toBe(0);
    expect(await containersOf(remote, 'h1')).toHaveLength(1);
  }, 180_000);

  it('an engine restart that stops its containers leaves its agents unreachable, not errored, and recovers them when it is back', async () => {
    f = await makeCore({ enginePingIntervalMs: 300 });
    await f.core.engines!.add({ name: 'e2', url: e2.unixUrl }, 'test');
    // This time the engine runs without live-restore: stopping it stops its containers first (SIGTERM), as a
    // `systemctl restart docker` does; the agent sees its container die while the engine still answers.
    await e2.stop();
    await e2.start({ liveRestore: false });
    try {
      await spawn({ name: 's1', image: BUSYBOX_IMAGE, engine: 'e2', cmd: 'echo up; sleep 600', policy: { initialDelayMs: 0 } });
      await e2.stop();
      await waitFor(() => f!.core.agents.get('s1').status === 'unreachable', 's1 unreachable after the engine stopped it');
      await new Promise((r) => setTimeout(r, 1000));
      expect(f.core.agents.get('s1').status).toBe('unreachable');
      await e2.start({ liveRestore: false });
      await waitFor(() => f!.core.agents.get('s1').status === 'running', 's1 recovered once the engine is back', 60_000);
      expect(await containersOf(remote, 's1')).toHaveLength(1);
    } finally {
      await e2.stop();
      await e2.start();
    }
  }, 180_000);
});
