import { afterEach, describe, expect, it } from 'vitest';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { waitFor } from '../../support/host-process.js';
import { agentProcesses, eventsOf, readMemory, sleeperCmd, spawnAgent, startsOf, waitRecovered, writeMemory } from './watchdog-helpers.js';

/**
 * The watchdog's net under the backends' exit reports: when a report is lost (simulated here by making
 * the process backend forget the child, so its exit is reported to nobody), a running agent whose process
 * is gone is still noticed by the periodic check and recovered once, with its memory.
 */
describe('an agent whose exit report was lost (real process, report dropped on purpose)', () => {
  let f: CoreFixture | null = null;
  afterEach(async () => {
    await f?.cleanup();
    f = null;
  });

  it('is recovered by the periodic check after two checks see its process gone', async () => {
    f = await makeCore();
    const { core } = f;
    const a = await spawnAgent(core, f.repo, 'lost', 'process', sleeperCmd());
    writeMemory(a.worktree, 'notes.md', 'keep me\n');
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    const pid = core.repo.get('lost').pid!;
    // The backend forgets the child: its exit event finds nothing tracked and reports nothing.
    (core.backends.process as unknown as { agents: Map<string, unknown> }).agents.delete('lost');
    process.kill(-pid, 'SIGKILL');
    await waitRecovered(core, 'lost', 1);
    const crashed = eventsOf(core, 'lost', ['status']).find((e) => e.to === 'crashed')!;
    expect(crashed.cause).toContain('vanished without an exit report');
    expect(core.repo.get('lost').pid).not.toBe(pid);
    await waitFor(() => startsOf(a.worktree).length === 2, 5000, 20, 'replacement');
    expect(agentProcesses(f.dataDir, 'lost')).toEqual([core.repo.get('lost').pid]);
    expect(eventsOf(core, 'lost', ['recovery'])).toHaveLength(1);
    expect(readMemory(a.worktree, 'notes.md')).toBe('keep me\n');
  });

  it('two lost at once are recovered one right after the other; their crash snapshots follow', async () => {
    // A long quiet time: a recovery that waited for its own crash snapshot before the next agent's restart
    // (the periodic check recovers one agent after another) would put 4 s between the two.
    f = await makeCore({ crashSnapshotQuietMs: 4000 });
    const { core } = f;
    const names = ['lost1', 'lost2'];
    const trees = Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await spawnAgent(core, f!.repo, n, 'process', sleeperCmd())).worktree] as const)));
    for (const n of names) await waitFor(() => startsOf(trees[n]!).length === 1, 5000, 20, `${n} started`);
    for (const n of names) {
      const pid = core.repo.get(n).pid!;
      (core.backends.process as unknown as { agents: Map<string, unknown> }).agents.delete(n);
      process.kill(-pid, 'SIGKILL');
    }
    for (const n of names) await waitRecovered(core, n, 1);
    const at = names.map((n) => Date.parse(eventsOf(core, n, ['recovery'])[0]!.at));
    expect(Math.abs(at[0]! - at[1]!)).toBeLessThan(2000);
    expect(names.flatMap((n) => core.snapshots.list(n).filter((m) => m.type === 'crash'))).toEqual([]);
    await waitFor(() => names.every((n) => core.snapshots.list(n).some((m) => m.type === 'crash')), 10_000, 50, 'the crash snapshots');
  });

  it('leaves a running agent alone while its process lives', async () => {
    f = await makeCore();
    const { core } = f;
    await spawnAgent(core, f.repo, 'fine', 'process', sleeperCmd());
    await new Promise((r) => setTimeout(r, 1500)); // six checks at 250 ms
    expect(core.repo.get('fine')).toMatchObject({ status: 'running', restarts: 0 });
    expect(eventsOf(core, 'fine', ['status']).map((e) => e.to)).not.toContain('crashed');
  });
});
