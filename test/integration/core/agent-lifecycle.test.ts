import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest, type BackendKind } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { waitFor } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { expectStatusChain, killAgentProcesses, pidRunning, readText } from './agent-procs.js';

const TICKER = `printf 'ENV agent=%s url=%s token=%s data=%s\\n' "$HIVE_AGENT" "$HIVE_URL" "$HIVE_TOKEN" "$HIVE_DATA_DIR"; while :; do echo tick; sleep 0.2; done`;

const backends: { kind: BackendKind; has: boolean }[] = [
  { kind: 'process', has: true },
  { kind: 'tmux', has: hasService('tmux') },
];

for (const { kind, has } of backends) {
  describe.skipIf(!has)(`agent lifecycle in-process on the ${kind} backend (real ${kind}, git, SQLite)`, () => {
    let f: CoreFixture;
    beforeEach(async () => {
      f = await makeCore({ apiUrl: () => 'http://127.0.0.1:9', apiToken: () => 'tok-for-agents' });
    });
    afterEach(async () => {
      killAgentProcesses(f.dataDir);
      await f.cleanup();
    });

    const log = (name: string) => readText(f.core.agents.logPath(name));
    const ticks = (name: string) => (log(name).match(/^tick/gm) ?? []).length;

    it('spawn → sleep → wake → restart → stop → wake → stop → remove, with output, env and events', async () => {
      const { core } = f;
      const spawned = await core.agents.spawn(
        SpawnRequest.parse({ name: 'ticker', repo: f.repo, role: 'tester', task: 'tick', backend: kind, preset: 'custom', cmd: TICKER }),
        'test',
      );
      expect(spawned).toMatchObject({ name: 'ticker', status: 'running', backend: kind, branch: 'hive/ticker', role: 'tester' });
      expect(spawned.worktree).toBe(path.join(f.dataDir, 'worktrees', 'ticker'));
      expect(existsSync(path.join(spawned.worktree, 'README.md'))).toBe(true);
      expect(execFileSync('git', ['worktree', 'list'], { cwd: f.repo, encoding: 'utf8' })).toContain(spawned.worktree);
      expect(pidRunning(spawned.pid)).toBe(true);

      // Output reaches the log file and the output API; the agent sees its environment.
      await waitFor(() => ticks('ticker') >= 2, 20_000, 50, 'ticks in the log');
      expect(log('ticker')).toContain(`ENV agent=ticker url=http://127.0.0.1:9 token=tok-for-agents data=${f.dataDir}`);
      expect(core.agents.output('ticker', 65536).text).toContain('tick');

      // Sleep: process gone, sleep snapshot recorded.
      const firstPid = spawned.pid;
      const slept = await core.agents.sleep('ticker', 'test');
      expect(slept).toMatchObject({ status: 'sleeping', pid: null });
      await waitFor(() => !pidRunning(firstPid), 15_000, 50, 'the agent process to end on sleep');
      expect(await core.backends[kind]!.isAlive('ticker')).toBe(false);
      const afterSleep = ticks('ticker');
      await new Promise((r) => setTimeout(r, 500));
      expect(ticks('ticker')).toBe(afterSleep);
      const snaps = core.snapshots.list('ticker');
      expect(snaps.map((s) => s.type)).toEqual(['sleep']);
      expect(core.snapshots.read(snaps[0]!.id).contents.outputTail).toContain('tick');

      // Wake: a new process, output resumes.
      const woken = await core.agents.wake('ticker', 'test');
      expect(woken.status).toBe('running');
      expect(pidRunning(woken.pid)).toBe(true);
      await waitFor(() => ticks('ticker') > afterSleep + 1, 20_000, 50, 'ticks after wake');

      // Restart: checkpoint, new process.
      const restarted = await core.agents.restart('ticker', 'test');
      expect(restarted.status).toBe('running');
      expect(restarted.pid).not.toBe(woken.pid);
      await waitFor(() => !pidRunning(woken.pid), 15_000, 50, 'the old process to end on restart');
      expect(pidRunning(restarted.pid)).toBe(true);
      expect(core.snapshots.list('ticker').map((s) => s.type)).toEqual(['checkpoint', 'sleep']);

      // Stop, wake from stopped, stop again.
      const stopped = await core.agents.stop('ticker', 'test');
      expect(stopped).toMatchObject({ status: 'stopped', pid: null });
      await waitFor(() => !pidRunning(restarted.pid), 15_000, 50, 'the process to end on stop').catch((err: Error) => {
        // Say what is left (process tree, tmux panes) so a failure here can be diagnosed.
        const ps = execFileSync('ps', ['-o', 'pid,ppid,pgid,stat,etime,cmd', '-g', String(restarted.pid)], { encoding: 'utf8' });
        throw new Error(`${err.message}\n${ps}\nevents:\n${core.events.list({ agent: 'ticker', limit: 30 }).reverse().map((e) => `${e.kind} ${e.from}>${e.to} ${e.cause}`).join('\n')}`);
      });
      const again = await core.agents.wake('ticker', 'test');
      expect(again.status).toBe('running');
      await core.agents.stop('ticker', 'test');
      expect(core.agents.get('ticker').status).toBe('stopped');

      // Nothing the watchdog did in between: every status change came from us.
      const events = core.events.list({ agent: 'ticker', limit: 1000 }).reverse();
      const chain = expectStatusChain(events);
      expect(chain.map((c) => `${c.from}>${c.to}`)).toEqual([
        'registered>starting',
        'starting>running',
        'running>stopping',
        'stopping>sleeping',
        'sleeping>starting',
        'starting>running',
        'running>stopping',
        'stopping>starting',
        'starting>running',
        'running>stopping',
        'stopping>stopped',
        'stopped>starting',
        'starting>running',
        'running>stopping',
        'stopping>stopped',
      ]);
      expect(events.filter((e) => e.kind === 'status').every((e) => e.actor === 'test')).toBe(true);

      // Remove: nothing unsaved, so the worktree and the (fully merged) branch go.
      const removed = await core.agents.remove('ticker', false, 'test');
      expect(removed).toEqual({ removed: true, archive: null });
      expect(core.repo.find('ticker')).toBeNull();
      expect(existsSync(spawned.worktree)).toBe(false);
      expect(execFileSync('git', ['branch', '--list', 'hive/ticker'], { cwd: f.repo, encoding: 'utf8' }).trim()).toBe('');
      expect(core.events.list({ agent: 'ticker', limit: 1 })[0]).toMatchObject({ kind: 'removed' });
      expect(() => core.agents.get('ticker')).toThrowError(expect.objectContaining({ code: 'AGENT_NOT_FOUND' }));
    }, 120_000);

    it('actions that do not fit the status are ILLEGAL_TRANSITION and change nothing', async () => {
      const { core } = f;
      await core.agents.spawn(SpawnRequest.parse({ name: 'busy', repo: f.repo, backend: kind, preset: 'custom', cmd: TICKER }), 'test');
      const before = core.events.list({ agent: 'busy', limit: 100 });
      await expect(core.agents.wake('busy', 'test')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      await expect(core.agents.remove('busy', false, 'test')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      await expect(core.agents.remove('busy', true, 'test')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      expect(core.agents.get('busy').status).toBe('running');
      expect(await core.backends[kind]!.isAlive('busy')).toBe(true);
      await core.agents.sleep('busy', 'test');
      await expect(core.agents.sleep('busy', 'test')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      await expect(core.agents.restart('busy', 'test')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
      expect(core.events.list({ agent: 'busy', limit: 100 }).length).toBe(before.length + 2);
    }, 60_000);

    it('an agent that exits by itself with code 0 is stopped (not restarted), its output kept', async () => {
      const { core } = f;
      await core.agents.spawn(SpawnRequest.parse({ name: 'oneshot', repo: f.repo, backend: kind, preset: 'custom', cmd: 'echo done-and-dusted; sleep 0.3' }), 'test');
      await waitFor(() => core.agents.get('oneshot').status === 'stopped', 20_000, 50, 'oneshot to be stopped');
      expect(core.agents.get('oneshot').lastExitCode).toBe(0);
      expect(log('oneshot')).toContain('done-and-dusted');
    }, 60_000);
  });
}
