import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { killAgentProcesses } from '../core/agent-procs.js';

/**
 * An agent outlives its host. When the next host listens on another port, the HIVE_URL in the agent's
 * environment is stale: `hive` inside the agent must still find the running host through the data dir.
 */
describe('`hive heartbeat` inside an agent after the host restarted on another port', () => {
  const dataDir = tempDir('hive-rehost-');
  const repo = makeGitRepo();
  let host: HostProcess | undefined;
  afterAll(async () => {
    await host?.stop();
    killAgentProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('keeps reaching the API', async () => {
    host = await startHostProcess(dataDir);
    const firstUrl = host.url;
    await hiveJson(dataDir, ['agents', 'spawn', '--name', 'beat', '--repo', repo, '--backend', 'process', '--cmd', 'while :; do hive heartbeat || echo HB-FAIL; sleep 0.3; done']);
    const heartbeat = async () => (await hiveJson<{ name: string; lastHeartbeatAt: string | null }[]>(dataDir, ['agents', 'list']))[0]!.lastHeartbeatAt;
    await waitFor(heartbeat, 30_000, 250, 'a first heartbeat');

    await host.stop();
    host = await startHostProcess(dataDir);
    expect(host.url).not.toBe(firstUrl); // port 0: a new port
    const since = Date.now();
    const hb = await waitFor(async () => {
      const at = await heartbeat();
      return at && Date.parse(at) > since ? at : null;
    }, 45_000, 500, 'a heartbeat through the new host');
    expect(Date.parse(hb)).toBeGreaterThan(since);
    await hive(dataDir, ['agents', 'stop', 'beat']);
  }, 150_000);
});
