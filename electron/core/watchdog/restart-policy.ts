import type { BackendKind, RestartPolicy } from '../../../shared/contract/agents.js';
import type { ExitInfo } from '../supervisor/backend.js';

export type ExitVerdict = 'crashed' | 'stopped' | 'not-found';

/** Exit codes 126/127 from a shell mean "not executable" / "not found": retrying cannot help. */
export function classifyExit(e: ExitInfo, policy: RestartPolicy, uptimeMs: number): ExitVerdict {
  if (e.reason === 'exit' && e.code !== null && policy.stopExitCodes.includes(e.code)) return 'stopped';
  if (e.reason === 'exit' && (e.code === 126 || e.code === 127) && uptimeMs < 10_000) return 'not-found';
  return 'crashed';
}

/**
 * The delay before restart number `streak + 1` of a quick-crash streak. The first restart is immediate
 * (initialDelayMs, 0 by default); later ones grow by `factor` from at least 100 ms, capped at maxDelayMs,
 * so a crash loop costs bounded CPU even with a zero initial delay.
 */
export function backoffDelay(p: RestartPolicy, streak: number): number {
  if (streak === 0) return p.initialDelayMs;
  const base = Math.max(p.initialDelayMs, 100);
  return Math.min(p.maxDelayMs, Math.round(base * Math.pow(p.factor, streak - 1)));
}

/**
 * Whether an exit counts toward the agent's quick-crash streak (the backoff exponent). An exit the agent did
 * not cause itself does not: its session or container was removed from outside, or — on tmux — its tmux
 * server went away or its terminal hung up (SIGHUP: tmux ends a pane's process so when its session or
 * server is killed). Those restart at once however soon after the last start they come; the crash-loop
 * guard (maxRestarts within unstableWindowMs) still counts them. Elsewhere a lost server is judged like any
 * exit (a process or container that vanished while no host watched may have crashed by itself; a container
 * has no terminal, so its 129 is its own), and a kill -9 always counts: the kernel's OOM killer sends it too,
 * and an agent that runs out of memory on every start is a crash loop.
 */
export function countsAsQuickCrash(e: ExitInfo, backend: BackendKind): boolean {
  if (e.reason === 'removed') return false;
  if (backend !== 'tmux') return true;
  return e.reason !== 'server-lost' && !(e.reason === 'killed' && e.signal === 'SIGHUP');
}

export function restartsInWindow(times: number[], now: number, windowMs: number): number[] {
  return times.filter((t) => now - t < windowMs);
}
