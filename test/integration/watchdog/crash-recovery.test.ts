import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendKind } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { hasService } from '../../support/services.js';
import { waitFor } from '../../support/host-process.js';
import {
  agentProcesses,
  eventsOf,
  killTmuxServer,
  pidAlive,
  readMemory,
  sleep,
  sleeperCmd,
  spawnAgent,
  startsOf,
  tmuxSessions,
  transitionsOf,
  waitRecovered,
  waitStatus,
  writeMemory,
} from './watchdog-helpers.js';

const hasTmux = hasService('tmux');
const backends: BackendKind[] = hasTmux ? ['tmux', 'process'] : ['process'];

describe.each(backends)('kill -9 of a %s agent', (backend) => {
  let f: CoreFixture | null = null;
  afterEach(async () => {
    await f?.cleanup();
    f = null;
  });

  it('goes crashed → recovering → running with a new process, counts the restart and records the recovery', async () => {
    f = await makeCore();
    const { core } = f;
    const a = await spawnAgent(core, f.repo, 'victim', backend, sleeperCmd());
    expect(a.status).toBe('running');
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    const first = core.repo.get('victim').pid!;
    expect(startsOf(a.worktree)).toEqual([first]);
    writeMemory(a.worktree, 'notes.md', 'remember: the answer is 42\n');

    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    const back = await waitRecovered(core, 'victim', 1);
    const backAt = Date.now();

    expect(back.pid).not.toBe(first);
    expect(pidAlive(back.pid!)).toBe(true);
    expect(pidAlive(first)).toBe(false);
    await waitFor(() => startsOf(a.worktree).length === 2, 5000, 20, 'second start');
    expect(startsOf(a.worktree)).toEqual([first, back.pid]);
    expect(agentProcesses(f.dataDir, 'victim')).toEqual([back.pid]);

    expect(transitionsOf(core, 'victim')).toEqual(['registered->starting', 'starting->running', 'running->crashed', 'crashed->recovering', 'recovering->running']);
    const crashed = eventsOf(core, 'victim', ['status']).find((e) => e.to === 'crashed')!;
    expect(crashed.actor).toBe('watchdog');
    expect(crashed.data).toMatchObject({ signal: 'SIGKILL', code: null, reason: 'killed' });
    expect(crashed.cause).toContain('SIGKILL');

    const [recovery, ...more] = eventsOf(core, 'victim', ['recovery']);
    expect(more).toEqual([]);
    const d = recovery!.data as { detectedAt: number; delayMs: number; restartMs: number; downtimeMs: number };
    // Detection happened after the kill and quickly; the whole recovery within the time we waited.
    expect(d.detectedAt).toBeGreaterThanOrEqual(killedAt);
    expect(d.detectedAt - killedAt).toBeLessThan(1000);
    expect(d.delayMs).toBe(0);
    expect(d.restartMs).toBeGreaterThanOrEqual(0);
    expect(d.downtimeMs).toBeGreaterThanOrEqual(d.restartMs);
    expect(d.downtimeMs).toBeLessThanOrEqual(backAt - killedAt);
    expect(back.restarts).toBe(1);
    expect(back.lastRecoveryMs).toBe(d.downtimeMs);
    expect(core.agents.get('victim')).toMatchObject({ restarts: 1, lastRecoveryMs: d.downtimeMs });

    // Context: the memory file is still in the worktree, the new process read it, and the crash snapshot
    // (taken after the restart, with git state) holds it too.
    expect(readMemory(a.worktree, 'notes.md')).toBe('remember: the answer is 42\n');
    await waitFor(() => core.agents.output('victim', 100_000).text.includes('memory: remember: the answer is 42'), 5000, 50, 'the new process to print its memory');
    expect(core.agents.output('victim', 100_000).text).toMatch(/resume file: \/.*victim\.resume\.md/);
    const snap = await waitFor(() => core.snapshots.list('victim').find((s) => s.type === 'crash'), 5000, 50, 'crash snapshot');
    const contents = core.snapshots.read(snap.id).contents;
    expect(contents.memoryFiles.map((m) => m.path)).toContain('.hive/memory/notes.md');
    expect(contents.git?.branch).toBe('hive/victim');
  });

  it('recovers every time across repeated kills, with the memory file present after each one', async () => {
    f = await makeCore();
    const { core } = f;
    // minUptimeMs small so every kill is a fresh streak (no backoff between them).
    const a = await spawnAgent(core, f.repo, 'again', backend, sleeperCmd(), { minUptimeMs: 50 });
    for (let i = 1; i <= 4; i++) {
      writeMemory(a.worktree, 'notes.md', `round ${i}\n`);
      await waitFor(() => startsOf(a.worktree).length === i, 5000, 20, `start ${i}`);
      await new Promise((r) => setTimeout(r, 100));
      process.kill(core.repo.get('again').pid!, 'SIGKILL');
      await waitRecovered(core, 'again', i);
      expect(readMemory(a.worktree, 'notes.md')).toBe(`round ${i}\n`);
      await waitFor(() => startsOf(a.worktree).length === i + 1, 5000, 20, `restart ${i}`);
      expect(agentProcesses(f.dataDir, 'again')).toEqual([core.repo.get('again').pid]);
    }
    expect(eventsOf(core, 'again', ['recovery'])).toHaveLength(4);
    await waitStatus(core, 'again', 'running');
  });

  it('a process that dies while a restart holds the agent is not taken for a crash of the new one (no second copy)', async () => {
    f = await makeCore();
    const { core } = f;
    const a = await spawnAgent(core, f.repo, 'twice', backend, sleeperCmd());
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    const old = core.repo.get('twice').pid!;
    // Dies (the OOM killer, a kill -9) just as the user's restart begins: its exit waits for the restart.
    const restarted = core.agents.restart('twice', 'user');
    process.kill(old, 'SIGKILL');
    const back = await restarted;
    expect(back.status).toBe('running');
    await sleep(1500);
    expect(core.repo.get('twice')).toMatchObject({ status: 'running', pid: back.pid, restarts: 0 });
    expect(agentProcesses(f.dataDir, 'twice')).toEqual([back.pid]);
    expect(transitionsOf(core, 'twice').slice(2)).toEqual(['running->stopping', 'stopping->starting', 'starting->running']);
  });

  it('recovers even when its crash snapshot cannot be taken (memory files over the 64 MB limit), and says so', async () => {
    f = await makeCore();
    const { core } = f;
    const a = await spawnAgent(core, f.repo, 'hoarder', backend, sleeperCmd());
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    // The agent's memory grew past what a snapshot holds: taking one fails (a sleep would refuse with this).
    mkdirSync(path.join(a.worktree, '.hive', 'memory'), { recursive: true });
    writeFileSync(path.join(a.worktree, '.hive', 'memory', 'dump.bin'), Buffer.alloc(65 * 1024 * 1024, 1));
    process.kill(core.repo.get('hoarder').pid!, 'SIGKILL');
    const back = await waitRecovered(core, 'hoarder', 1).catch((err) => {
      console.log('DBG', JSON.stringify(eventsOf(core, 'hoarder').map((e) => [e.kind, e.to, e.cause])));
      throw err;
    });
    expect(pidAlive(back.pid!)).toBe(true);
    await waitFor(() => startsOf(a.worktree).length === 2, 5000, 20, 'second start');
    const [failed, ...more] = eventsOf(core, 'hoarder', ['snapshot-failed']);
    expect(more).toEqual([]);
    expect(failed!.cause).toMatch(/^crash snapshot not taken \(The memory files of .* exceed 64 MB; trim \.hive\/memory\.\); restarted without it$/);
    expect(existsSync(path.join(a.worktree, '.hive', 'memory', 'dump.bin'))).toBe(true);
  });
});

describe.skipIf(!hasTmux)('kill of the whole tmux server', () => {
  let f: CoreFixture | null = null;
  afterEach(async () => {
    await f?.cleanup();
    f = null;
  });

  it('recovers every agent that lived on it, each exactly once, on a fresh server; crash snapshots written after the last restart', async () => {
    // (A long quiet time, so that a slow detection in a loaded run cannot come after it: the test is of
    // the order, the default is tuned in the soak.)
    f = await makeCore({ crashSnapshotQuietMs: 1500 });
    const { core } = f;
    const names = ['ant', 'bee', 'cat', 'eel', 'fox', 'gnu'];
    const worktrees: Record<string, string> = {};
    for (const n of names) {
      worktrees[n] = (await spawnAgent(core, f.repo, n, 'tmux', sleeperCmd())).worktree;
      writeMemory(worktrees[n]!, 'notes.md', `I am ${n}\n`);
    }
    // A process agent on the same core is not touched by the tmux server's death.
    const bystander = await spawnAgent(core, f.repo, 'dog', 'process', sleeperCmd());
    for (const n of names) await waitFor(() => startsOf(worktrees[n]!).length === 1, 5000, 20, `${n} started`);
    expect(tmuxSessions(f.dataDir).sort()).toEqual(names);
    const before = Object.fromEntries(names.map((n) => [n, core.repo.get(n).pid!]));

    // When the first crash snapshot is written: its git part (four git processes, each blocking the host's
    // thread while it forks) waits until the burst of restarts is over.
    let firstSnapshotAt: number | null = null;
    const watch = setInterval(() => {
      if (firstSnapshotAt === null && names.some((n) => core.snapshots.list(n).some((m) => m.type === 'crash'))) firstSnapshotAt = Date.now();
    }, 5);
    killTmuxServer(f.dataDir);
    try {
      for (const n of names) await waitRecovered(core, n, 1);
    } catch (err) {
      // What each agent went through, for the failure report.
      for (const n of names) {
        const a = core.repo.get(n);
        console.log('agent', n, a.status, a.pid, a.pid ? pidAlive(a.pid) : null, 'before', before[n], pidAlive(before[n]!), JSON.stringify(eventsOf(core, n).map((e) => [e.kind, e.from, e.to, e.cause])));
      }
      console.log('tmux sessions now', tmuxSessions(f.dataDir));
      throw err;
    }

    if (tmuxSessions(f.dataDir).length !== names.length) {
      await new Promise((r) => setTimeout(r, 500));
      for (const n of names) console.log('DBG', n, JSON.stringify(eventsOf(core, n).map((e) => [e.kind, e.to, e.cause, (e.data as { reason?: string } | null)?.reason])));
    }
    expect(tmuxSessions(f.dataDir).sort()).toEqual(names);
    for (const n of names) {
      const a = core.repo.get(n);
      expect(a.pid).not.toBe(before[n]);
      expect(pidAlive(before[n]!)).toBe(false);
      await waitFor(() => startsOf(worktrees[n]!).length === 2, 5000, 20, `${n} restarted`).catch((err) => {
        console.log('DBG', n, startsOf(worktrees[n]!).length, JSON.stringify(eventsOf(core, n).map((e) => [e.kind, e.to, e.cause])));
        throw err;
      });
      expect(agentProcesses(f.dataDir, n)).toEqual([a.pid]);
      expect(eventsOf(core, n, ['recovery'])).toHaveLength(1);
      const crashed = eventsOf(core, n, ['status']).find((e) => e.to === 'crashed')!;
      // 'server-lost' when the waiter notices first; 'removed' when a pane listing (taken once the first
      // recovery started a new server) no longer has the session; 'killed' (SIGHUP) when the dying server's
      // own pane listing or the pid watch saw the pane process end first. Either way: gone from outside.
      expect(['server-lost', 'removed', 'killed']).toContain((crashed.data as { reason: string }).reason);
      expect(readMemory(worktrees[n]!, 'notes.md')).toBe(`I am ${n}\n`);
    }
    expect(core.repo.get('dog')).toMatchObject({ status: 'running', restarts: 0, pid: bystander.pid });
    await waitFor(() => names.every((n) => core.snapshots.list(n).some((m) => m.type === 'crash')), 5000, 20, 'the crash snapshots');
    clearInterval(watch);
    const lastRunning = Math.max(...names.map((n) => Date.parse(eventsOf(core, n, ['recovery'])[0]!.at)));
    expect(firstSnapshotAt).not.toBeNull();
    if (firstSnapshotAt! < lastRunning) {
      // Which agent came late and why (its crash reason and time), for the next failure to name its cause.
      for (const n of names) {
        const crashed = eventsOf(core, n, ['status']).find((e) => e.to === 'crashed');
        const snap = core.snapshots.list(n).find((m) => m.type === 'crash');
        console.log('order', n, 'crashed', crashed?.at, (crashed?.data as { reason?: string } | null)?.reason, 'recovered', eventsOf(core, n, ['recovery'])[0]?.at, 'snapshot', snap?.createdAt, 'first snapshot seen', new Date(firstSnapshotAt!).toISOString());
      }
    }
    expect(firstSnapshotAt!).toBeGreaterThanOrEqual(lastRunning);

    // The recovered agents are watched again: a kill -9 on the new server is noticed and recovered too.
    process.kill(core.repo.get('bee').pid!, 'SIGKILL');
    await waitRecovered(core, 'bee', 2);
    await waitFor(() => startsOf(worktrees.bee!).length === 3, 5000, 20, 'bee restarted again');
    expect(agentProcesses(f.dataDir, 'bee')).toEqual([core.repo.get('bee').pid]);
  });
});
