import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../electron/core/ports/clock.js';
import type { ExitInfo, StartSpec } from '../../../electron/core/supervisor/backend.js';
import { TmuxBackend } from '../../../electron/core/supervisor/tmux-backend.js';
import { tempDir } from '../../support/git-repo.js';
import { waitFor } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';

/** The tmux backend on its own (no core): starts, exit reports, the restart of a crash, a lost server. */
describe.skipIf(!hasService('tmux'))('TmuxBackend against real tmux', () => {
  let dir = '';
  let b: TmuxBackend | null = null;
  const exits: ExitInfo[] = [];
  afterEach(async () => {
    await b?.killServer();
    b?.dispose();
    b = null;
    exits.length = 0;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const setup = () => {
    dir = tempDir('hive-tmux-backend-');
    b = new TmuxBackend(dir, systemClock, { socket: `hive-tb-${process.pid}-${Math.random().toString(36).slice(2, 8)}` });
    b.onDidExit((e) => exits.push(e));
    return b;
  };
  /** A script that prints a line with its run number and environment, then exits with `code` after `ms`. */
  const spec = (name: string, run: string, opts: { code?: number; ms?: number; env?: Record<string, string> } = {}): StartSpec => {
    const script = path.join(dir, 'agent.sh');
    writeFileSync(script, '#!/bin/sh\necho "run $1 pid $$ X=${HIVE_T_X-unset} Y=${HIVE_T_Y-unset} HOME=$HOME"\nsleep "$2"\nexit "$3"\n', { mode: 0o755 });
    return {
      name,
      argv: [script, run, String((opts.ms ?? 300) / 1000), String(opts.code ?? 3)],
      cwd: dir,
      env: { ...(process.env as Record<string, string>), ...opts.env },
      logPath: path.join(dir, `${name}.log`),
    };
  };
  const log = (name: string) => (existsSync(path.join(dir, `${name}.log`)) ? readFileSync(path.join(dir, `${name}.log`), 'utf8') : '');
  const panes = (socket: string) => execFileSync('tmux', ['-L', socket, 'list-panes', '-a', '-F', '#{session_name} #{session_id} #{pane_pid} #{pane_dead}'], { encoding: 'utf8' });

  it('reports an exit with its code; the restart that follows respawns the same pane, and its output still reaches the log', async () => {
    const backend = setup();
    const first = await backend.start(spec('a1', 'one', { env: { HIVE_T_X: 'x1', HIVE_T_Y: 'y1' } }));
    const exit1 = await waitFor(() => exits.find((e) => e.name === 'a1'), 10_000, 5, 'the first exit');
    expect(exit1).toMatchObject({ name: 'a1', code: 3, reason: 'exit', pid: first.pid });
    const idBefore = panes(backend.socket).split('\n').find((l) => l.startsWith('a1 '))!.split(' ')[1];
    // The watchdog's restart: right after the report (the dead session is kept for it). HIVE_T_Y is dropped.
    const second = await backend.start(spec('a1', 'two', { env: { HIVE_T_X: 'x2' } }));
    expect(second.pid).not.toBe(first.pid);
    const row = panes(backend.socket).split('\n').find((l) => l.startsWith('a1 '))!;
    expect(row.split(' ')[1]).toBe(idBefore); // respawned in place, not a new session
    await waitFor(() => log('a1').includes('run two'), 10_000, 10, 'the second run in the log');
    expect(log('a1')).toMatch(/run one pid \d+ X=x1 Y=y1 HOME=/);
    // The new run has the new environment: the changed value, the dropped one gone, the inherited ones there.
    expect(log('a1')).toContain(`run two pid ${second.pid} X=x2 Y=unset HOME=${process.env.HOME}`);
    const exit2 = await waitFor(() => exits.filter((e) => e.name === 'a1')[1], 10_000, 5, 'the second exit');
    expect(exit2).toMatchObject({ code: 3, pid: second.pid });
    expect(exits.filter((e) => e.name === 'a1')).toHaveLength(2);
  });

  it('opens a new pipe when the log was moved aside (rotated) between the crash and the restart', async () => {
    const backend = setup();
    await backend.start(spec('rot', 'one'));
    await waitFor(() => exits.find((e) => e.name === 'rot'), 10_000, 5, 'the exit');
    renameSync(path.join(dir, 'rot.log'), path.join(dir, 'rot.log.1'));
    await backend.start(spec('rot', 'two'));
    await waitFor(() => log('rot').includes('run two'), 10_000, 10, 'the second run in the new log');
    expect(readFileSync(path.join(dir, 'rot.log.1'), 'utf8')).not.toContain('run two');
  });

  it('a start long after the exit (dead session already removed) creates a new session', async () => {
    const backend = setup();
    await backend.start(spec('late', 'one', { ms: 50 }));
    await waitFor(() => exits.find((e) => e.name === 'late'), 10_000, 5, 'the exit');
    await waitFor(() => !panes(backend.socket).includes('late '), 5000, 50, 'the dead session to be removed');
    await backend.start(spec('late', 'two', { ms: 5000 }));
    await waitFor(() => log('late').includes('run two'), 10_000, 10, 'the second run in the log');
    expect(await backend.isAlive('late')).toBe(true);
    await backend.stop('late', { killTimeoutMs: 1000 });
    expect(await backend.isAlive('late')).toBe(false);
    expect(exits.filter((e) => e.name === 'late')).toHaveLength(1); // a stop is not reported
  });

  it('after the server is killed, the sessions restarted on a new server are never killed by the old server\'s session ids', async () => {
    // Session ids ($N) are numbered per server: a new server hands the old ids to other sessions. The dead
    // ids kept for a restart once made a recovery kill another agent's new session (SIGHUP).
    const backend = setup();
    const names = ['r0', 'r1', 'r2', 'r3', 'r4'];
    for (const n of names) await backend.start(spec(n, 'one', { ms: 60_000 }));
    await backend.killServer();
    await waitFor(() => names.every((n) => exits.some((e) => e.name === n)), 10_000, 10, 'every session reported');
    // What the watchdog does: restart each, in the order the exits came (here in reverse, so ids cross).
    for (const n of [...names].reverse()) await backend.start(spec(n, 'two', { ms: 60_000 }));
    exits.length = 0;
    // Past the 1.5 s after which unclaimed dead sessions are removed.
    await new Promise((r) => setTimeout(r, 2500));
    expect(exits).toEqual([]);
    for (const n of names) expect(await backend.isAlive(n), n).toBe(true);
  });

  it('after the server is killed, every session it held is reported once, even with a new one started at once', async () => {
    const backend = setup();
    await backend.start(spec('s1', 'one', { ms: 60_000 }));
    await backend.start(spec('s2', 'one', { ms: 60_000 }));
    await backend.killServer();
    // What a first recovery does: start at once, on a new server.
    await backend.start(spec('s3', 'one', { ms: 60_000 }));
    await waitFor(() => ['s1', 's2'].every((n) => exits.some((e) => e.name === n)), 10_000, 10, 's1 and s2 reported');
    await new Promise((r) => setTimeout(r, 300));
    expect(exits.map((e) => e.name).sort()).toEqual(['s1', 's2']);
    expect(await backend.isAlive('s3')).toBe(true);
    // s3 is watched on the new server: its death is reported too.
    execFileSync('tmux', ['-L', backend.socket, 'kill-session', '-t', '=s3']);
    await waitFor(() => exits.some((e) => e.name === 's3'), 10_000, 10, 's3 reported');
  });

  it('a session of a server that has exited is reported at the next listing even when the server-loss check missed it', async () => {
    // The check (on a control client closing) waits up to 1 s for the server's pid to go, then asks tmux; a
    // server that exited during that question was taken for alive, and its sessions stayed tracked and
    // unreported for good (listings of the new server skip sessions of another server). Here the check is
    // switched off, and so is the pid watch (a zombie it might catch would report them another way): only
    // a listing of the new server is left to notice.
    const backend = setup();
    const internals = backend as unknown as { onServerMaybeLost: () => Promise<void>; pidWatch: NodeJS.Timeout | null };
    await backend.start(spec('m1', 'one', { ms: 60_000 }));
    await backend.start(spec('m2', 'one', { ms: 60_000 }));
    internals.onServerMaybeLost = async () => {};
    clearInterval(internals.pidWatch!);
    const oldServer = Number(execFileSync('tmux', ['-L', backend.socket, 'display-message', '-p', '#{pid}'], { encoding: 'utf8' }).trim());
    // SIGKILL, not kill-server: the server is gone for sure (tmux 3.3 can linger in its exiting state after
    // kill-server while a client is mid-command, and this test has no loss check to end it).
    process.kill(oldServer, 'SIGKILL');
    await waitFor(() => !existsSync(`/proc/${oldServer}`) || readFileSync(`/proc/${oldServer}/stat`, 'utf8').includes(') Z '), 5000, 10, 'the old server gone');
    await backend.start(spec('m3', 'one', { ms: 60_000 }));
    await backend.reapDeadPanes();
    await waitFor(() => ['m1', 'm2'].every((n) => exits.some((e) => e.name === n)), 5000, 10, 'm1 and m2 reported');
    expect(exits.map((e) => [e.name, e.reason]).sort()).toEqual([
      ['m1', 'server-lost'],
      ['m2', 'server-lost'],
    ]);
    expect(await backend.isAlive('m3')).toBe(true);
  });
});
