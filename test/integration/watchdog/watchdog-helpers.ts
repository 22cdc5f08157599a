import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BackendKind, RestartPolicy } from '../../../shared/contract/agents.js';
import type { HiveEvent } from '../../../shared/contract/events.js';
import type { AgentStatus } from '../../../shared/lifecycle.js';
import type { HiveCore } from '../../../electron/core/hive-core.js';
import { tmuxSocketFor } from '../../../electron/core/supervisor/tmux-backend.js';
import { CONTROL_SESSION } from '../../../electron/core/supervisor/tmux-control.js';
import { waitFor } from '../../support/host-process.js';

/**
 * A long-running agent command. It prints what its memory file holds, appends its pid to
 * `<worktree>/.hive/starts` (one line per start, so a test can count starts and see which process is
 * current), then `exec`s into a sleeper, so the recorded pid is the process the backend watches. The pid is
 * written last: once a start is counted, the `$(cat …)` subshell is gone (a count of the agent's processes
 * taken between the two saw it as a second copy of the agent).
 */
export function sleeperCmd(extra = ''): string {
  return [
    'mkdir -p .hive',
    'echo "memory: $(cat .hive/memory/notes.md 2>/dev/null)"',
    'echo "resume file: ${HIVE_RESUME_FILE:-none}"',
    extra,
    'echo $$ >> .hive/starts',
    'exec sleep 100000',
  ]
    .filter(Boolean)
    .join('; ');
}

export async function spawnAgent(
  core: HiveCore,
  repo: string,
  name: string,
  backend: BackendKind,
  cmd: string,
  policy: Partial<RestartPolicy> = {},
) {
  return core.agents.spawn(
    { name, repo, backend, preset: 'custom', cmd, role: 'tester', task: 'survive', policy } as Parameters<HiveCore['agents']['spawn']>[0],
    'test',
  );
}

/** Events of one agent, oldest first. */
export function eventsOf(core: HiveCore, name: string, kinds?: string[]): HiveEvent[] {
  return core.events.list({ agent: name, kinds, limit: 5000 }).reverse();
}

export function transitionsOf(core: HiveCore, name: string): string[] {
  return eventsOf(core, name, ['status']).map((e) => `${e.from}->${e.to}`);
}

export async function waitStatus(core: HiveCore, name: string, status: AgentStatus, timeoutMs = 10_000) {
  return waitFor(
    () => {
      const a = core.repo.find(name);
      return a?.status === status ? a : null;
    },
    timeoutMs,
    20,
    `${name} to be ${status} (is ${core.repo.find(name)?.status})`,
  );
}

/** Waits until the agent has been recovered `n` times in total (restarts counter) and is running again. */
export async function waitRecovered(core: HiveCore, name: string, n: number, timeoutMs = 15_000) {
  return waitFor(
    () => {
      const a = core.repo.find(name);
      return a && a.restarts >= n && a.status === 'running' ? a : null;
    },
    timeoutMs,
    20,
    `${name} recovered ${n} time(s) (is ${core.repo.find(name)?.status}, restarts ${core.repo.find(name)?.restarts})`,
  );
}

/** pids written by every start of the agent's command, oldest first. */
export function startsOf(worktree: string): number[] {
  const f = path.join(worktree, '.hive', 'starts');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number);
}

export function writeMemory(worktree: string, rel: string, content: string): void {
  const p = path.join(worktree, '.hive', 'memory', rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
}

export function readMemory(worktree: string, rel: string): string | null {
  const p = path.join(worktree, '.hive', 'memory', rel);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Live processes whose environment says they are this agent of this data dir (any backend). */
export function agentProcesses(dataDir: string, name: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n');
  } catch {
    return pids;
  }
  for (const e of entries) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (env.includes(`HIVE_AGENT=${name}`) && env.includes(`HIVE_DATA_DIR=${dataDir}`) && pidAlive(pid)) pids.push(pid);
    } catch {}
  }
  return pids;
}

/** Session names on this data dir's tmux server (empty when the server is not running). */
export function tmuxSessions(dataDir: string): string[] {
  try {
    return execFileSync('tmux', ['-L', tmuxSocketFor(dataDir), 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((n) => n && n !== CONTROL_SESSION);
  } catch {
    return [];
  }
}

export function killTmuxServer(dataDir: string): void {
  try {
    execFileSync('tmux', ['-L', tmuxSocketFor(dataDir), 'kill-server'], { stdio: 'ignore' });
  } catch {}
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls one invoke channel of a running host over HTTP (what the CLI does), for requests the CLI has no flags for. */
export async function invoke<T>(host: { url: string; token: string }, channel: string, payload: unknown): Promise<T> {
  const r = await fetch(`${host.url}/api/invoke/${channel}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = (await r.json()) as { result?: T; error?: { code: string; message: string } };
  if (!r.ok || body.error) throw new Error(`${channel}: ${body.error?.code} ${body.error?.message}`);
  return body.result as T;
}

/**
 * A busy agent: records its start like sleeperCmd, then runs a worker child that writes its pid to
 * `.hive/worker` and prints a line every 200 ms. Tests stop the worker, not the agent's first process:
 * tmux sends SIGCONT to a pane's own process as soon as it is stopped, so only a descendant can hang there.
 */
export function tickerCmd(): string {
  return 'mkdir -p .hive; echo $$ >> .hive/starts; sh -c \'echo $$ > .hive/worker; while :; do echo tick; sleep 0.2; done\'';
}

export function workerPid(worktree: string): number | null {
  const f = path.join(worktree, '.hive', 'worker');
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) || null : null;
}
