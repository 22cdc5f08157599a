import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { expectStatusChain, killAgentProcesses } from './agent-procs.js';

/** Ten agents spawned at once on one repo: git worktree creation and SQLite writes must not collide. */
describe('concurrent spawns on one repository', () => {
  let f: CoreFixture;
  beforeEach(async () => {
    f = await makeCore();
  });
  afterEach(async () => {
    killAgentProcesses(f.dataDir);
    await f.cleanup();
  });

  it('all start, each on its own worktree and branch; the same name twice at once yields exactly one agent', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `par${i}`);
    const results = await Promise.allSettled([
      ...names.map((name) => f.core.agents.spawn(SpawnRequest.parse({ name, repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test')),
      f.core.agents.spawn(SpawnRequest.parse({ name: 'par0', repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test'),
    ]);
    const failures = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as { code: string; message: string });
    expect(failures.map((e) => e.code), failures.map((e) => e.message).join(' / ')).toEqual(['AGENT_EXISTS']);
    const list = f.core.agents.list();
    expect(list.map((a) => a.name).sort()).toEqual(names.sort());
    expect(list.every((a) => a.status === 'running')).toBe(true);
    expect(new Set(list.map((a) => a.worktree)).size).toBe(10);
    for (const n of names) expectStatusChain(f.core.events.list({ agent: n, limit: 100 }).reverse());
    await Promise.all(names.map((n) => f.core.agents.sleep(n, 'test')));
    await Promise.all(names.map((n) => f.core.agents.wake(n, 'test')));
    expect(f.core.agents.list().every((a) => a.status === 'running')).toBe(true);
    await Promise.all(names.map((n) => f.core.agents.stop(n, 'test')));
    await Promise.all(names.map((n) => f.core.agents.remove(n, false, 'test')));
    expect(f.core.agents.list()).toEqual([]);
  }, 120_000);
});
