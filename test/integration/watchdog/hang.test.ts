import { afterEach, describe, expect, it } from 'vitest';
import type { BackendKind } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { tempDir } from '../../support/git-repo.js';
import { ProcessBackend } from '../../../electron/core/supervisor/process-backend.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { hasService } from '../../support/services.js';
import { waitFor } from '../../support/host-process.js';
import { agentProcesses, eventsOf, pidAlive, readMemory, sleep, spawnAgent, startsOf, tickerCmd, waitRecovered, workerPid, writeMemory } from './watchdog-helpers.js';

const hasTmux = hasService('tmux');
const backends: BackendKind[] = hasTmux ? ['tmux', 'process'] : ['process'];
const HANG = { hangTimeoutMs: 1500, killTimeoutMs: 500 };

describe.each(backends)('hang detection on the %s backend (SIGSTOP)', (backend) => {
  let f: CoreFixture | null = null;
  afterEach(async () => {
    await f?.cleanup();
    f = null;
  });

  it('never touches a busy agent that prints, and recovers it after two missed checks once it is stopped', async () => {
    f = await makeCore({ checkIntervalMs: 250 });
    const { core } = f;
    const a = await spawnAgent(core, f.repo, 'busy', backend, tickerCmd(), HANG);
    writeMemory(a.worktree, 'plan.md', 'step 3 of 7\n');
    // Well past the hang timeout while it keeps printing: no miss, no restart.
    await sleep(4000);
    expect(eventsOf(core, 'busy', ['heartbeat-missed'])).toEqual([]);
    expect(core.repo.get('busy')).toMatchObject({ status: 'running', restarts: 0, pid: a.pid });
    expect(core.repo.get('busy').lastOutputAt).not.toBeNull();

    const worker = workerPid(a.worktree)!;
    expect(worker).toBeGreaterThan(0);
    const stoppedAt = Date.now();
    process.kill(worker, 'SIGSTOP');
    const back = await waitRecovered(core, 'busy', 1, 15_000);

    const misses = eventsOf(core, 'busy', ['heartbeat-missed']);
    expect(misses.map((m) => m.cause.replace(/for \d+ s/, 'for N s'))).toEqual([
      'no heartbeat or output for N s (miss 1 of 2)',
      'no heartbeat or output for N s (miss 2 of 2)',
    ]);
    const [m1, m2] = misses.map((m) => Date.parse(m.at));
    // Output is recorded at most once a second, so the first miss comes at least hangTimeout - 1 s after the stop.
    expect(m1!).toBeGreaterThanOrEqual(stoppedAt + HANG.hangTimeoutMs - 1000);
    expect(m2! - m1!).toBeGreaterThanOrEqual(200);
    const crash = eventsOf(core, 'busy', ['status']).find((e) => e.to === 'crashed')!;
    expect(crash.cause).toMatch(/^hung/);
    expect(Date.parse(crash.at)).toBeGreaterThanOrEqual(m2!);
    // Not acted on at the first miss: the crash follows the second.
    expect(eventsOf(core, 'busy').findIndex((e) => e.to === 'crashed')).toBeGreaterThan(eventsOf(core, 'busy').findIndex((e) => e.cause.includes('miss 2 of 2')));

    // The hung process tree is gone (the stopped worker too), and one fresh one runs.
    await waitFor(() => !pidAlive(a.pid!) && !pidAlive(worker), 5000, 20, 'the hung processes to be gone');
    expect(back.pid).not.toBe(a.pid);
    await waitFor(() => startsOf(a.worktree).length === 2 && workerPid(a.worktree) !== worker, 5000, 20, 'the replacement to start');
    expect(pidAlive(back.pid!)).toBe(true);
    expect(eventsOf(core, 'busy', ['recovery'])).toHaveLength(1);
    expect(readMemory(a.worktree, 'plan.md')).toBe('step 3 of 7\n');

    // The replacement is busy again and left alone.
    await sleep(3000);
    expect(eventsOf(core, 'busy', ['heartbeat-missed'])).toHaveLength(2);
    expect(core.repo.get('busy')).toMatchObject({ status: 'running', restarts: 1, pid: back.pid });
  });
});

/** The real process backend with one injected fault: stop() throws (as a tmux call that timed out does). */
class StopAlwaysFails extends ProcessBackend {
  failing = true;
  override async stop(name: string, opts: { killTimeoutMs?: number } = {}): Promise<void> {
    if (this.failing) throw new Error('injected: kill timed out');
    return super.stop(name, opts);
  }
}

describe('a hung agent that cannot be stopped (injected fault in the real process backend)', () => {
  let f: CoreFixture | null = null;
  afterEach(async () => {
    await f?.cleanup();
    f = null;
  });

  it('is errored with the reason, not left crashed nor restarted beside the hung one; stop and restart work after', async () => {
    const dataDir = tempDir('hive-data-');
    const backend = new StopAlwaysFails(dataDir, systemClock);
    f = await makeCore({ dataDir, checkIntervalMs: 250, backends: { process: backend } });
    const { core } = f;
    const a = await spawnAgent(core, f.repo, 'frozen', 'process', tickerCmd(), HANG);
    await waitFor(() => workerPid(a.worktree) !== null, 5000, 20, 'the worker');
    const worker = workerPid(a.worktree)!;
    process.kill(worker, 'SIGSTOP');
    const errored = await waitFor(() => (core.repo.get('frozen').status === 'errored' ? core.repo.get('frozen') : null), 15_000, 20, 'errored');
    expect(errored.lastError).toBe('hung, and could not be stopped (injected: kill timed out); not restarted while it may still run. Stop it, then restart it.');
    expect(pidAlive(a.pid!)).toBe(true);
    expect(eventsOf(core, 'frozen', ['recovery'])).toEqual([]);
    expect(startsOf(a.worktree)).toHaveLength(1);
    backend.failing = false;
    process.kill(worker, 'SIGCONT');
    // A restart from errored ends the process that is still there first (it started a second copy).
    const back = await core.agents.restart('frozen', 'test');
    expect(back.status).toBe('running');
    expect(pidAlive(a.pid!)).toBe(false);
    await waitFor(() => !pidAlive(worker), 5000, 20, 'the hung worker to be gone');
    // (The ticker's own worker and sleep run beside its new leader.)
    expect(agentProcesses(f.dataDir, 'frozen')).toContain(back.pid);
    expect(agentProcesses(f.dataDir, 'frozen')).not.toContain(a.pid);
    await waitFor(() => startsOf(a.worktree).length === 2, 5000, 20, 'the one restart');
  }, 60_000);
});
