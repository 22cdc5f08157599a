import { endTmuxServer } from '../../support/tmux-cleanup.js';
import { tmuxSocketFor } from '../../../electron/core/supervisor/tmux-backend.js';
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Agent, BackendKind } from '../../../shared/contract/agents.js';
import type { HiveEvent } from '../../../shared/contract/events.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import {
  agentProcesses,
  invoke,
  pidAlive,
  readMemory,
  sleep,
  sleeperCmd,
  startsOf,
  tmuxSessions,
  writeMemory,
} from './watchdog-helpers.js';

const hasTmux = hasService('tmux');
// Real hosts (node starts) on a possibly loaded machine.
vi.setConfig({ testTimeout: 120_000 });
const backends: BackendKind[] = hasTmux ? ['tmux', 'process'] : ['process'];

/** The agent row as the database has it, read directly (works while no host is running). */
function dbAgent(dataDir: string, name: string): { status: string; pid: number | null; restarts: number } {
  const db = new Database(path.join(dataDir, 'hive.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT status, pid, restarts FROM agents WHERE name = ?').get(name) as { status: string; pid: number | null; restarts: number };
  } finally {
    db.close();
  }
}

function dbEvents(dataDir: string, name: string): HiveEvent[] {
  const db = new Database(path.join(dataDir, 'hive.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT kind, from_status AS "from", to_status AS "to", cause, data FROM events WHERE agent = ? ORDER BY id').all(name) as (HiveEvent & { data: string | null })[]).map((e) => ({
      ...e,
      data: e.data ? (JSON.parse(e.data as unknown as string) as Record<string, unknown>) : null,
    }));
  } finally {
    db.close();
  }
}

interface Ctx {
  dataDir: string;
  repo: string;
  hosts: HostProcess[];
}

function setup(): Ctx {
  return { dataDir: tempDir('hive-wd-host-'), repo: makeGitRepo(), hosts: [] };
}

async function teardown(c: Ctx | null): Promise<void> {
  if (!c) return;
  for (const h of c.hosts) await h.kill().catch(() => {});
  for (const name of ['phoenix', 'survivor', 'lonely', 'beat', 'silent']) {
    for (const pid of agentProcesses(c.dataDir, name)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  await endTmuxServer(tmuxSocketFor(c.dataDir));
  rmSync(c.dataDir, { recursive: true, force: true });
  rmSync(c.repo, { recursive: true, force: true });
}

async function host(c: Ctx): Promise<HostProcess> {
  const h = await startHostProcess(c.dataDir);
  c.hosts.push(h);
  return h;
}

const spawn = (h: HostProcess, c: Ctx, name: string, backend: BackendKind, cmd: string, policy: Record<string, unknown> = {}) =>
  invoke<Agent>(h, 'agents:spawn', { name, repo: c.repo, backend, preset: 'custom', cmd, policy });

const agentOf = (h: HostProcess, name: string) => invoke<Agent>(h, 'agents:get', { name });

describe.each(backends)('the host and a %s agent', (backend) => {
  let c: Ctx | null = null;
  afterEach(async () => {
    await teardown(c);
    c = null;
  });

  it('host SIGKILLed while a recovery waits out its backoff: the next host recovers the agent exactly once', async () => {
    c = setup();
    const h1 = await host(c);
    const a = await spawn(h1, c, 'phoenix', backend, sleeperCmd(), { initialDelayMs: 1500 });
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    writeMemory(a.worktree, 'notes.md', 'survives the host too\n');

    process.kill(a.pid!, 'SIGKILL');
    await waitFor(() => dbEvents(c!.dataDir, 'phoenix').some((e) => e.kind === 'backoff'), 5000, 10, 'the backoff to be scheduled');
    await h1.kill();
    expect(dbAgent(c.dataDir, 'phoenix').status).toBe('crashed');
    await sleep(2000); // longer than the backoff: the dead host must not have restarted anything
    expect(startsOf(a.worktree)).toHaveLength(1);

    const h2 = await host(c);
    await waitFor(async () => (await agentOf(h2, 'phoenix')).status === 'running', 15_000, 50, 'the new host to recover it');
    await waitFor(() => startsOf(a.worktree).length === 2, 5000, 20, 'the replacement start');
    await sleep(3000); // and nothing more follows
    expect(startsOf(a.worktree)).toHaveLength(2);
    const now = await agentOf(h2, 'phoenix');
    expect(now.pid).toBe(startsOf(a.worktree)[1]);
    expect(agentProcesses(c.dataDir, 'phoenix')).toEqual([now.pid]);
    if (backend === 'tmux') expect(tmuxSessions(c.dataDir)).toEqual(['phoenix']);
    expect(readMemory(a.worktree, 'notes.md')).toBe('survives the host too\n');
    expect(dbEvents(c.dataDir, 'phoenix').filter((e) => e.kind === 'recovery')).toHaveLength(1);
  });

  it('host SIGKILLed in the middle of the restart itself (agent recovering): exactly one copy afterwards', async () => {
    c = setup();
    let h = await host(c);
    const a = await spawn(h, c, 'phoenix', backend, sleeperCmd(), { minUptimeMs: 50 });
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    // The window between `recovering` and `running` is short: poll the database and retry until we hit it.
    const db = new Database(path.join(c.dataDir, 'hive.db'), { readonly: true });
    const statusOf = db.prepare('SELECT status, pid FROM agents WHERE name = ?');
    let hit = false;
    for (let attempt = 0; attempt < 8 && !hit; attempt++) {
      const before = startsOf(a.worktree).length;
      const { pid } = await waitFor(() => {
        const row = statusOf.get('phoenix') as { status: string; pid: number | null };
        return row.status === 'running' && row.pid ? (row as { pid: number }) : null;
      }, 10_000, 10, 'running with a pid');
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      for (;;) {
        const s = (statusOf.get('phoenix') as { status: string }).status;
        if (s === 'recovering') {
          await h.kill();
          hit = true;
          break;
        }
        if (s === 'running' && (statusOf.get('phoenix') as { pid: number }).pid !== pid) break;
        if (Date.now() > deadline) throw new Error(`stuck in ${s}`);
        await new Promise((r) => setImmediate(r));
      }
      if (!hit) await waitFor(() => startsOf(a.worktree).length === before + 1, 5000, 20, 'the replacement');
    }
    db.close();
    expect(hit, 'the host was killed while the agent was recovering').toBe(true);
    expect(dbAgent(c.dataDir, 'phoenix').status).toBe('recovering');

    h = await host(c);
    await waitFor(async () => (await agentOf(h, 'phoenix')).status === 'running', 15_000, 50, 'the new host to settle it');
    await sleep(2500);
    const now = await agentOf(h, 'phoenix');
    expect(now.status).toBe('running');
    // Whether the dead host got the new process started or not, exactly one copy runs and it is the one on record.
    const live = agentProcesses(c.dataDir, 'phoenix');
    expect(live).toHaveLength(1);
    expect(now.pid).toBe(live[0]);
    expect(startsOf(a.worktree).at(-1)).toBe(live[0]);
    if (backend === 'tmux') expect(tmuxSessions(c.dataDir)).toEqual(['phoenix']);
    // And it is still watched: another crash is recovered by the new host.
    process.kill(now.pid!, 'SIGKILL');
    const again = await waitFor(async () => {
      const x = await agentOf(h, 'phoenix');
      return x.status === 'running' && x.pid !== now.pid ? x : null;
    }, 15_000, 50, 'recovery under the new host');
    // (Running is reported once the process exists; its start line, written after the command's own
    // subshells, says it has settled into the one process to count.)
    await waitFor(() => startsOf(a.worktree).at(-1) === again.pid, 5000, 20, 'the replacement started');
    expect(agentProcesses(c.dataDir, 'phoenix')).toEqual([again.pid]);
  });

  it('host stopped with SIGTERM: the agent keeps running and the next host adopts it without a second copy', async () => {
    c = setup();
    const h1 = await host(c);
    const a = await spawn(h1, c, 'survivor', backend, sleeperCmd());
    await waitFor(() => startsOf(a.worktree).length === 1, 5000, 20, 'first start');
    await h1.stop();
    expect(h1.child.exitCode).toBe(0);
    await sleep(500);
    expect(pidAlive(a.pid!)).toBe(true);
    expect(dbAgent(c.dataDir, 'survivor')).toMatchObject({ status: 'running', pid: a.pid });

    const h2 = await host(c);
    expect(h2.output()).toContain('Re-attached to 1 running agent(s): survivor');
    await sleep(2500);
    const now = await agentOf(h2, 'survivor');
    expect(now).toMatchObject({ status: 'running', pid: a.pid, restarts: 0 });
    expect(startsOf(a.worktree)).toEqual([a.pid]);
    expect(agentProcesses(c.dataDir, 'survivor')).toEqual([a.pid]);
    const statuses = dbEvents(c.dataDir, 'survivor').filter((e) => e.kind === 'status').map((e) => `${e.from}->${e.to}`);
    expect(statuses).toEqual(['registered->starting', 'starting->running']);

    // Adopted means watched: a kill -9 now is noticed and recovered by the new host.
    process.kill(a.pid!, 'SIGKILL');
    await waitFor(async () => {
      const x = await agentOf(h2, 'survivor');
      return x.status === 'running' && x.restarts === 1;
    }, 15_000, 50, 'recovery of the adopted agent');
    await waitFor(() => startsOf(a.worktree).length === 2, 5000, 20, 'replacement');
    expect(agentProcesses(c.dataDir, 'survivor')).toHaveLength(1);
  });
});

describe('two hosts on one data dir', () => {
  let c: Ctx | null = null;
  afterEach(async () => {
    await teardown(c);
    c = null;
  });

  it('the second fails, naming the first one’s pid, and the first keeps serving', async () => {
    c = setup();
    const first = await host(c);
    const err = await startHostProcess(c.dataDir).then(
      (h) => {
        c!.hosts.push(h);
        return null;
      },
      (e: Error) => e.message,
    );
    expect(err).not.toBeNull();
    expect(err).toContain(`pid ${first.child.pid}`);
    expect(err).toMatch(/already running/);
    expect((await hive(c.dataDir, ['agents', 'list', '--json'])).code).toBe(0);
  });

  it('started at the same moment, exactly one wins', async () => {
    c = setup();
    const results = await Promise.allSettled([startHostProcess(c.dataDir), startHostProcess(c.dataDir), startHostProcess(c.dataDir)]);
    const won = results.filter((r): r is PromiseFulfilledResult<HostProcess> => r.status === 'fulfilled').map((r) => r.value);
    c.hosts.push(...won);
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/already running/);
  });
});

describe.skipIf(!hasTmux)('heartbeats through the API (`hive heartbeat`)', () => {
  let c: Ctx | null = null;
  afterEach(async () => {
    await teardown(c);
    c = null;
  });

  it('an agent that prints nothing but sends `hive heartbeat` is never killed; a silent one is', async () => {
    c = setup();
    const h = await host(c);
    // Generous: on a loaded machine one `hive heartbeat` (a node start) can take seconds.
    const policy = { hangTimeoutMs: 10_000, killTimeoutMs: 500 };
    const beat = await spawn(h, c, 'beat', 'tmux', 'mkdir -p .hive; echo $$ >> .hive/starts; while :; do hive heartbeat >/dev/null 2>&1; done', policy);
    const silent = await spawn(h, c, 'silent', 'tmux', sleeperCmd().replace(/echo "[^"]*"; /g, ''), policy);
    await waitFor(async () => (await agentOf(h, 'silent')).restarts >= 1, 40_000, 100, 'the silent agent to be taken for hung');
    await sleep(3000);
    const b = await agentOf(h, 'beat');
    expect(b).toMatchObject({ status: 'running', restarts: 0, pid: beat.pid });
    expect(Date.now() - Date.parse(b.lastHeartbeatAt!)).toBeLessThan(10_000);
    expect(startsOf(beat.worktree)).toHaveLength(1);
    const events = await invoke<HiveEvent[]>(h, 'events:list', { agent: 'beat', limit: 1000 });
    expect(events.filter((e) => e.kind === 'heartbeat-missed')).toEqual([]);
    const silentEvents = await invoke<HiveEvent[]>(h, 'events:list', { agent: 'silent', limit: 1000 });
    expect(silentEvents.filter((e) => e.kind === 'heartbeat-missed').length).toBeGreaterThanOrEqual(2);
    expect(silentEvents.some((e) => e.to === 'crashed' && e.cause.startsWith('hung'))).toBe(true);
    expect(startsOf(silent.worktree).length).toBeGreaterThanOrEqual(2);
  });
});
