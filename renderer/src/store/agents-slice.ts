import type { StateCreator } from 'zustand';
import type { Agent } from '../../../shared/contract/index';
import type { AgentStatus } from '../../../shared/lifecycle';

export interface AgentsSlice {
  agents: {
    byName: Record<string, Agent>;
    /** Names sorted for a stable fleet order; rows subscribe to their own agent by name. */
    order: string[];
    /** Agents per status, kept up to date by the actions so no component counts 500 rows per event. */
    counts: Partial<Record<AgentStatus, number>>;
    loaded: boolean;
    loadError: string | null;
  };
}

export const createAgentsSlice: StateCreator<AgentsSlice, [], [], AgentsSlice> = () => ({
  agents: { byName: {}, order: [], counts: {}, loaded: false, loadError: null },
});

export function insertSorted(order: string[], name: string): string[] {
  if (order.includes(name)) return order;
  const next = order.slice();
  let lo = 0;
  let hi = next.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (next[mid]!.localeCompare(name) < 0) lo = mid + 1;
    else hi = mid;
  }
  next.splice(lo, 0, name);
  return next;
}

export function adjustCounts(
  counts: Partial<Record<AgentStatus, number>>,
  from: AgentStatus | undefined,
  to: AgentStatus | undefined,
): Partial<Record<AgentStatus, number>> {
  if (from === to) return counts;
  const next = { ...counts };
  if (from) next[from] = Math.max(0, (next[from] ?? 0) - 1);
  if (to) next[to] = (next[to] ?? 0) + 1;
  return next;
}
