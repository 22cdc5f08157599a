import type { RestartPolicy } from '../../../shared/contract/agents.js';
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

export function restartsInWindow(times: number[], now: number, windowMs: number): number[] {
  return times.filter((t) => now - t < windowMs);
}
