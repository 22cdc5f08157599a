import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName, dataDirHash, LABEL_DATA_DIR } from '../../../electron/core/supervisor/docker/docker-labels.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../../support/busybox-image.js';
import { releaseDockerShared, useDockerShared } from '../../support/docker-engine-lock.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';

const docker = new Dockerode();
const has = hasService('docker');

/**
 * The agent calls the API the way an agent in a container would: to $HIVE_URL (rewritten to
 * host.docker.internal, forwarded to the loopback-only API) with $HIVE_TOKEN, using busybox nc.
 */
const AGENT_CMD = [
  'echo "url=$HIVE_URL"',
  'body="{\\"name\\":\\"$HIVE_AGENT\\"}"',
  'hp=${HIVE_URL#http://}',
  'printf "POST /api/invoke/agents:heartbeat HTTP/1.0\\r\\nHost: %s\\r\\nAuthorization: Bearer %s\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s" "$hp" "$HIVE_TOKEN" ${#body} "$body" | nc -w 5 ${hp%:*} ${hp##*:} | head -1',
  'while read line; do echo "got:$line"; done',
].join('; ');

describe.skipIf(!has)('hive CLI spawning a docker agent through a real `hive serve`', () => {
  let dataDir: string;
  let repo: string;
  let host: HostProcess;

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage();
    dataDir = tempDir('hive-docker-cli-');
    repo = makeGitRepo();
    host = await startHostProcess(dataDir);
  });

  afterAll(async () => {
    await host?.stop();
    const left = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_DATA_DIR}=${dataDirHash(dataDir)}`] }) });
    for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    releaseDockerShared();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('spawns with image, limits, network and sleep mode; the agent reaches the API from its container; pause sleep and wake', async () => {
    const spawned = await hiveJson<{ status: string; backend: string; sleepMode: string; image: string }>(dataDir, [
      'agents', 'spawn', '--name', 'c1', '--repo', repo, '--backend', 'docker', '--image', BUSYBOX_IMAGE,
      '--cmd', AGENT_CMD, '--cpus', '0.5', '--memory-mb', '96', '--network', 'bridge', '--sleep-mode', 'pause',
    ]);
    expect(spawned).toMatchObject({ status: 'running', backend: 'docker', sleepMode: 'pause', image: BUSYBOX_IMAGE });
    const info = await docker.getContainer(containerName(dataDirHash(dataDir), 'c1')).inspect();
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.Memory).toBe(96 * 1024 * 1024);

    // The heartbeat arrived over host.docker.internal with the token.
    const withBeat = await waitFor(async () => {
      const a = await hiveJson<{ lastHeartbeatAt: string | null }>(dataDir, ['agents', 'show', 'c1']).catch(() => null);
      return a?.lastHeartbeatAt ? a : null;
    }, 20_000, 200, 'the heartbeat from inside the container').catch(async (err: unknown) => {
      console.log('AGENT OUTPUT:', (await hive(dataDir, ['agents', 'logs', 'c1'])).stdout, host.output());
      const i = await docker.getContainer(containerName(dataDirHash(dataDir), 'c1')).inspect();
      console.log('DOCKER LOGS', execFileSync('docker', ['logs', i.Id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
      console.log('CMD', JSON.stringify(i.Config.Cmd), JSON.stringify(i.Config.Env), JSON.stringify(i.State));
      throw err;
    });
    expect(withBeat.lastHeartbeatAt).toBeTruthy();
    const out = await hive(dataDir, ['agents', 'logs', 'c1']);
    expect(out.stdout).toMatch(/url=http:\/\/host\.docker\.internal:\d+/);
    expect(out.stdout).toContain('HTTP/1.1 200 OK');

    expect((await hive(dataDir, ['agents', 'send', 'c1', 'hello'])).code).toBe(0);
    await waitFor(async () => (await hive(dataDir, ['agents', 'logs', 'c1'])).stdout.includes('got:hello'), 10_000, 200, 'input echoed');

    expect((await hiveJson<{ status: string }>(dataDir, ['agents', 'sleep', 'c1'])).status).toBe('sleeping');
    expect((await docker.getContainer(info.Id).inspect()).State.Paused).toBe(true);
    expect((await hiveJson<{ status: string }>(dataDir, ['agents', 'wake', 'c1'])).status).toBe('running');
    expect((await docker.getContainer(info.Id).inspect()).State.Paused).toBe(false);

    const bad = await hive(dataDir, ['agents', 'spawn', '--name', 'c2', '--repo', repo, '--backend', 'docker', '--image', 'agent-hive/nope:1', '--cmd', 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('agent-hive/nope:1');
    expect(bad.stderr).toMatch(/docker build|docker pull/);
  }, 120_000);
});
