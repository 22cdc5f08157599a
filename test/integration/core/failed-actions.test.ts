import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { validateRequest } from '../../../electron/host/api-server.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { tempDir } from '../../support/git-repo.js';
import { ProcessBackend } from '../../../electron/core/supervisor/process-backend.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { HiveCore } from '../../../electron/core/hive-core.js';
import { killAgentProcesses, pidRunning } from './agent-procs.js';

/** A core of its own for each test (its agents' processes killed after). */
function coreForEachTest(): () => CoreFixture {
  let f: CoreFixture;
  beforeEach(async () => {
    f = await makeCore();
  });
  afterEach(async () => {
    killAgentProcesses(f.dataDir);
    await f.cleanup();
  });
  return () => f;
}

/** An action that fails half-way must not strand the agent in a state where nothing is allowed. */
describe('actions that fail while taking the snapshot', () => {
  const fixture = coreForEachTest();
  let f: CoreFixture;
  beforeEach(() => {
    f = fixture();
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

/** Bad input is refused before anything exists: no agent row, no worktree, no branch, no file written. */
describe('bad input to spawn and memory:save (real git, real files)', () => {
  const fixture = coreForEachTest();
  let f: CoreFixture;
  beforeEach(() => {
    f = fixture();
  });

  const refused = (channel: string, payload: unknown) => {
    try {
      validateRequest(channel, payload);
    } catch (err) {
      return err as { code: string; message: string };
    }
    throw new Error(`${channel} accepted ${JSON.stringify(payload)}`);
  };

  it('NUL characters and a base that is a git option are refused by the contract', () => {
    const base = { name: 'x', repo: f.repo, backend: 'process', cmd: 'sleep 1' };
    expect(refused('agents:spawn', { ...base, cmd: 'echo a\0b; sleep 100' }).message).toMatch(/cmd: must not contain NUL/);
    expect(refused('agents:spawn', { ...base, repo: `${f.repo}\0` }).message).toMatch(/repo: must not contain NUL/);
    expect(refused('agents:spawn', { ...base, baseBranch: '--no-checkout' }).message).toMatch(/baseBranch: a branch name cannot start with "-"/);
    expect(refused('agents:input', { name: 'x', text: 'hello\0world' }).code).toBe('INVALID_INPUT');
    expect(refused('memory:save', { name: 'x', files: [{ path: 'a.md', contentBase64: '!!!not base64***' }] }).message).toMatch(/contentBase64: must be base64/);
    expect(refused('memory:save', { name: 'x', files: [{ path: 'a\0.md', contentBase64: '' }] }).message).toMatch(/path: must not contain NUL/);
  });

  it('a base that names nothing: a clear error, and no row, worktree or branch is left', async () => {
    const { core } = f;
    await expect(core.agents.spawn(SpawnRequest.parse({ name: 'nobase', repo: f.repo, backend: 'process', cmd: 'sleep 600', baseBranch: 'no-such-branch' }), 'test')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^The base "no-such-branch" is not a branch, tag or commit of /),
    });
    expect(core.repo.find('nobase')).toBeNull();
    expect(existsSync(path.join(f.dataDir, 'worktrees', 'nobase'))).toBe(false);
    expect(execFileSync('git', ['-C', f.repo, 'branch', '--list', 'hive/nobase'], { encoding: 'utf8' })).toBe('');
    // A real branch still works, given as a name.
    const ok = await core.agents.spawn(SpawnRequest.parse({ name: 'based', repo: f.repo, backend: 'process', cmd: 'sleep 600', baseBranch: 'HEAD' }), 'test');
    expect(ok.status).toBe('running');
  }, 60_000);

  it('memory:save with one bad path writes none of the files', async () => {
    const { core } = f;
    const a = await core.agents.spawn(SpawnRequest.parse({ name: 'mem', repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(() => core.agents.saveMemory('mem', [{ path: 'first.md', contentBase64: b64('one') }, { path: 'a/../../escape.md', contentBase64: b64('two') }], 'test')).toThrow(/points outside/);
    expect(() => core.agents.saveMemory('mem', [{ path: 'first.md', contentBase64: b64('one') }, { path: '.', contentBase64: b64('two') }], 'test')).toThrow(/names the memory folder itself/);
    expect(existsSync(path.join(a.worktree, '.hive', 'memory', 'first.md'))).toBe(false);
    expect(core.agents.saveMemory('mem', [{ path: 'first.md', contentBase64: b64('one') }], 'test')).toEqual([path.join('.hive', 'memory', 'first.md')]);
  }, 60_000);
});

/** The real process backend with one injected fault: its next stop() throws (as a tmux call that timed out does). */
class StopFailsOnce extends ProcessBackend {
  failNext = false;
  override async stop(name: string, opts: { killTimeoutMs?: number } = {}): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('injected: kill-session timed out');
    }
    return super.stop(name, opts);
  }
}

describe('a stop that fails (injected fault in the real process backend) never leaves the agent in stopping', () => {
  let f: CoreFixture;
  let backend: StopFailsOnce;
  beforeEach(async () => {
    const dataDir = tempDir('hive-data-');
    backend = new StopFailsOnce(dataDir, systemClock);
    f = await makeCore({ dataDir, backends: { process: backend } });
  });
  afterEach(async () => {
    killAgentProcesses(f.dataDir);
    await f.cleanup();
  });

  it.each(['stop', 'sleep', 'restart'] as const)('%s: the agent goes back to running with the reason, and every action works again', async (action) => {
    const { core } = f;
    const a = await core.agents.spawn(SpawnRequest.parse({ name: 'sticky', repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
    backend.failNext = true;
    await expect(core.agents[action]('sticky', 'test')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/^Could not stop sticky: injected: kill-session timed out\. It is still running; try again\.$/) });
    expect(core.agents.get('sticky')).toMatchObject({ status: 'running', pid: a.pid });
    expect(pidRunning(a.pid)).toBe(true);
    const last = core.events.list({ agent: 'sticky', limit: 1 })[0]!;
    expect(last).toMatchObject({ from: 'stopping', to: 'running' });
    expect(last.cause).toBe(`${action} failed: the stop did not work (injected: kill-session timed out); it is still running`);
    // Not stuck: the same action now works.
    const done = await core.agents[action]('sticky', 'test');
    expect(done.status).toBe(action === 'stop' ? 'stopped' : action === 'sleep' ? 'sleeping' : 'running');
    expect(pidRunning(a.pid)).toBe(false);
  }, 60_000);
});

/** The real process backend with one injected fault: adopting one agent throws (its process went away meanwhile, a call timed out). */
class AdoptFailsFor extends ProcessBackend {
  constructor(dataDir: string, private readonly failing: string) {
    super(dataDir, systemClock);
  }
  override async adopt(agent: { name: string; pid: number | null; logPath: string }): Promise<void> {
    if (agent.name === this.failing) throw new Error('injected: could not attach');
    return super.adopt(agent);
  }
}

describe('host start when one agent cannot be adopted (injected fault in the real process backend)', () => {
  it('the host starts, the other agents are adopted, the one is recorded and left to the periodic check', async () => {
    const first = await makeCore();
    const second: { core: HiveCore | null } = { core: null };
    let firstDisposed = false;
    try {
      for (const name of ['keep', 'odd']) {
        await first.core.agents.spawn(SpawnRequest.parse({ name, repo: first.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
      }
      const pids = Object.fromEntries(['keep', 'odd'].map((n) => [n, first.core.repo.get(n).pid!]));
      // The host goes away; its agents keep running (as after `hive serve` is stopped).
      await first.core.dispose();
      firstDisposed = true;
      second.core = new HiveCore({ dataDir: first.dataDir, checkIntervalMs: 250, backends: { process: new AdoptFailsFor(first.dataDir, 'odd') } });
      const result = await second.core.start();
      expect(result.adopted).toEqual(['keep']);
      expect(second.core.repo.get('keep')).toMatchObject({ status: 'running', pid: pids.keep });
      const failed = second.core.events.list({ agent: 'odd', limit: 5 }).find((e) => e.kind === 'adopt-failed');
      expect(failed?.cause).toBe('could not re-attach at host start (injected: could not attach); its state is checked again shortly');
      expect(pidRunning(pids.odd!)).toBe(true);
    } finally {
      await second.core?.dispose();
      if (!firstDisposed) await first.core.dispose();
      killAgentProcesses(first.dataDir);
      rmSync(first.dataDir, { recursive: true, force: true });
      rmSync(first.repo, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The real process backend with one injected fault: listing its agents fails (a call that timed out). */
class ListFails extends ProcessBackend {
  override async listAlive(): Promise<{ name: string; pid: number | null }[]> {
    throw new Error('injected: listing timed out');
  }
}

describe('host start when a backend cannot list its agents (injected fault in the real process backend)', () => {
  it('nothing is restarted blind; a stop cut short is finished, a start cut short is errored with the reason, a running agent is left to the check', async () => {
    const first = await makeCore();
    let second: HiveCore | null = null;
    let firstDisposed = false;
    try {
      for (const name of ['run', 'half-stopped', 'half-started']) {
        await first.core.agents.spawn(SpawnRequest.parse({ name, repo: first.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
      }
      const pids = Object.fromEntries(['run', 'half-stopped', 'half-started'].map((n) => [n, first.core.repo.get(n).pid!]));
      // A host killed in the middle of a stop and of a start.
      first.core.db.prepare("UPDATE agents SET status = 'stopping' WHERE name = 'half-stopped'").run();
      first.core.db.prepare("UPDATE agents SET status = 'starting' WHERE name = 'half-started'").run();
      await first.core.dispose();
      firstDisposed = true;
      second = new HiveCore({ dataDir: first.dataDir, checkIntervalMs: 250, backends: { process: new ListFails(first.dataDir, systemClock) } });
      const before = second.events.list({ limit: 1 })[0]!.id;
      const result = await second.start();
      expect(result).toEqual({ adopted: [], crashed: [] });
      expect(second.repo.get('run')).toMatchObject({ status: 'running', pid: pids.run });
      expect(second.repo.get('half-stopped').status).toBe('stopped');
      expect(second.repo.get('half-started')).toMatchObject({ status: 'errored', lastError: expect.stringMatching(/^its state could not be checked at host start \(listing its agents failed: injected: listing timed out\); not restarted while it may still run\. Restart or stop it\.$/) });
      // Not started a second time.
      expect(second.events.list({ limit: 100 }).filter((e) => e.id > before && (e.to === 'starting' || e.to === 'recovering'))).toEqual([]);
      expect(pidRunning(pids['half-started']!)).toBe(true);
    } finally {
      await second?.dispose();
      if (!firstDisposed) await first.core.dispose();
      killAgentProcesses(first.dataDir);
      rmSync(first.dataDir, { recursive: true, force: true });
      rmSync(first.repo, { recursive: true, force: true });
    }
  }, 60_000);
});
