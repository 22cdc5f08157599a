import type { StateCreator } from 'zustand';
import type { Agent } from '../../../shared/contract/index';

export interface AgentsSlice {
  agents: {
    byName: Record<string, Agent>;
    /** Names sorted for a stable fleet order; rows subscribe to their own agent by name. */
    order: string[];
    loaded: boolean;
    loadError: string | null;
  };
}

export const createAgentsSlice: StateCreator<AgentsSlice, [], [], AgentsSlice> = () => ({
  agents: { byName: {}, order: [], loaded: false, loadError: null },
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
