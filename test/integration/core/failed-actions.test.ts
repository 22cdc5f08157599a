import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { killAgentProcesses, pidRunning } from './agent-procs.js';

/** An action that fails half-way must not strand the agent in a state where nothing is allowed. */
describe('actions that fail while taking the snapshot', () => {
  let f: CoreFixture;
  beforeEach(async () => {
    f = await makeCore();
  });
  afterEach(async () => {
    killAgentProcesses(f.dataDir);
    await f.cleanup();
  });

  it('memory files over the limit: sleep is refused with a clear error and the agent keeps running; stop still stops it', async () => {
    const { core } = f;
    const a = await core.agents.spawn(SpawnRequest.parse({ name: 'big', repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
    mkdirSync(path.join(a.worktree, '.hive', 'memory'), { recursive: true });
    writeFileSync(path.join(a.worktree, '.hive', 'memory', 'huge.bin'), Buffer.alloc(65 * 1024 * 1024, 1));

    await expect(core.agents.sleep('big', 'test')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/exceed 64 MB/) });
    expect(core.agents.get('big').status).toBe('running');
    expect(pidRunning(a.pid)).toBe(true);

    await expect(core.agents.restart('big', 'test')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(core.agents.get('big')).toMatchObject({ status: 'running', pid: a.pid });
    expect(pidRunning(a.pid)).toBe(true);

    // Stopping must always be possible, whatever the snapshot says; the missing checkpoint is on record.
    const stopped = await core.agents.stop('big', 'test');
    expect(stopped.status).toBe('stopped');
    expect(pidRunning(a.pid)).toBe(false);
    expect(core.events.list({ agent: 'big', limit: 20 }).find((e) => e.kind === 'snapshot-failed')?.cause).toMatch(/no checkpoint at stop: .*64 MB/);
    expect(core.snapshots.list('big')).toEqual([]);
  }, 60_000);
});
