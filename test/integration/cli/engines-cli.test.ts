import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirHash } from '../../../electron/core/supervisor/docker/docker-labels.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../support/busybox-image.js';
import { releaseDockerShared, useDockerShared } from '../../support/docker-engine-lock.js';
import { removeDataDirResources } from '../../support/docker-cleanup.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';

const docker = new Dockerode();
const has = hasService('docker');

/**
 * `hive engines` and `--engine` as a user types them, through a real `hive serve`. The added engine is this
 * machine's own engine under another name: the host treats every added engine as another machine (workspace
 * in a volume, synced over the API), which is what this checks end to end. The second real engine, TLS and
 * SSH are covered in test/integration/engines.
 */
describe.skipIf(!has)('hive engines through a real `hive serve`', () => {
  let dataDir: string;
  let repo: string;
  let host: HostProcess;

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage();
    dataDir = tempDir('hive-engines-cli-');
    repo = makeGitRepo();
    host = await startHostProcess(dataDir);
  });

  afterAll(async () => {
    await host?.stop();
    await removeDataDirResources(docker, dataDirHash(dataDir));
    releaseDockerShared();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('adds, lists, places on, moves off and removes an engine; says why when it refuses', async () => {
    const added = await hiveJson<{ name: string; reachable: boolean; workspace: string }>(dataDir, ['engines', 'add', 'builder', '--url', 'unix:///var/run/docker.sock']);
    expect(added).toMatchObject({ name: 'builder', reachable: true, workspace: 'volume' });

    const human = await hive(dataDir, ['engines', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^NAME\s+URL\s+REACHABLE\s+VERSION\s+CPUS\s+MEMORY\s+RUNNING\s+AGENTS\s+ERROR/);
    expect(human.stdout).toMatch(/\nbuilder\s+unix:\/\/\/var\/run\/docker\.sock\s+yes\s+\d+\./);

    // Plain TCP off the machine: refused with the reason; a TLS key never reaches the host's log.
    const plain = await hive(dataDir, ['engines', 'add', 'far', '--url', 'tcp://192.0.2.10:2375']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/plain TCP to 192\.0\.2\.10 is refused/);
    const keyDir = tempDir('hive-engines-key-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=x', '-keyout', path.join(keyDir, 'key.pem'), '-out', path.join(keyDir, 'cert.pem')], { stdio: 'ignore' });
    const tls = await hive(dataDir, ['engines', 'add', 'tls1', '--url', 'tcp://127.0.0.1:1', '--tls-ca', path.join(keyDir, 'cert.pem'), '--tls-cert', path.join(keyDir, 'cert.pem'), '--tls-key', path.join(keyDir, 'key.pem')]);
    expect(tls.code).toBe(1);
    expect(tls.stderr).toMatch(/does not answer.*Nothing was added/);
    const missing = await hive(dataDir, ['engines', 'add', 'tls2', '--url', 'tcp://127.0.0.1:1', '--tls-ca', '/nonexistent/ca.pem', '--tls-cert', 'x', '--tls-key', 'y']);
    expect(missing.stderr).toMatch(/Cannot read the CA certificate file \/nonexistent\/ca\.pem/);
    rmSync(keyDir, { recursive: true, force: true });

    const spawned = await hiveJson<{ engine: string; status: string }>(dataDir, ['agents', 'spawn', '--name', 'e1', '--repo', repo, '--backend', 'docker', '--image', BUSYBOX_IMAGE, '--engine', 'builder', '--cmd', 'echo hi > from-engine.txt; echo up; sleep 600']);
    expect(spawned).toMatchObject({ engine: 'builder', status: 'running' });
    const wrong = await hive(dataDir, ['agents', 'spawn', '--name', 'e2', '--repo', repo, '--backend', 'process', '--engine', 'builder', '--cmd', 'sleep 1']);
    expect(wrong.stderr).toMatch(/--engine places a container on a Docker engine: use it with --backend docker/);
    const list = await hiveJson<{ name: string; engine: string | null }[]>(dataDir, ['agents', 'list']);
    expect(list.find((a) => a.name === 'e1')!.engine).toBe('builder');
    const engines = await hiveJson<{ name: string; runningAgents: number }[]>(dataDir, ['engines', 'list']);
    expect(engines.find((e) => e.name === 'builder')!.runningAgents).toBe(1);

    const busy = await hive(dataDir, ['engines', 'remove', 'builder']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/Engine builder runs e1\. Stop them or move them first/);
    const running = await hive(dataDir, ['agents', 'move', 'e1', '--engine', 'local']);
    expect(running.stderr).toMatch(/e1 is running\. Sleep or stop it first/);

    await waitFor(() => readFileSync(path.join(dataDir, 'logs', 'e1.log'), 'utf8').includes('up'), 15_000);
    const synced = await hiveJson<{ files: number }>(dataDir, ['agents', 'sync', 'e1']);
    expect(synced.files).toBe(1);
    const worktree = path.join(dataDir, 'worktrees', 'e1');
    expect(readFileSync(path.join(worktree, 'from-engine.txt'), 'utf8')).toBe('hi\n');

    expect((await hive(dataDir, ['agents', 'sleep', 'e1'])).code).toBe(0);
    const moved = await hiveJson<{ engine: string; status: string }>(dataDir, ['agents', 'move', 'e1', '--engine', 'local']);
    expect(moved).toMatchObject({ engine: 'local', status: 'sleeping' });
    expect((await hive(dataDir, ['engines', 'remove', 'builder'])).code).toBe(0);
    expect((await hiveJson<{ name: string }[]>(dataDir, ['engines', 'list', '--json'])).map((e) => e.name)).toEqual(['local']);

    const log = readFileSync(path.join(dataDir, 'logs', 'hive.log'), 'utf8');
    expect(log).not.toContain('PRIVATE KEY');
    expect(log).not.toContain('BEGIN CERTIFICATE');
    expect((await hive(dataDir, ['agents', 'stop', 'e1'])).code).toBe(0);
  }, 120_000);
});
