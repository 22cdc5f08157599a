import { useCallback, useSyncExternalStore } from 'react';
import type { Agent } from '../../../shared/contract/index';
import type { AgentAction } from '../../../shared/lifecycle';
import { useHive, type HiveState } from './hive-store';

/** What one fleet row shows from the store. */
export interface RowSlice {
  readonly agent: Agent | undefined;
  readonly selected: boolean;
  readonly focused: boolean;
  readonly pending: AgentAction | undefined;
}

/**
 * Row subscriptions keyed by agent name. A store subscription per row means every store update (50 pushed
 * statuses a second) runs 500 selectors, and `selected.includes(name)` in each makes that quadratic once the
 * user selects the fleet. Instead one store listener works out which names an update touched (the agent
 * records that changed identity, the names added to or dropped from the selection, the focus that moved, the
 * actions that started or ended) and wakes only those rows.
 */
const rows = new Map<string, Set<() => void>>();
const slices = new Map<string, RowSlice>();
let unsubscribeStore: (() => void) | null = null;

function wake(name: string): void {
  const set = rows.get(name);
  if (set) for (const l of set) l();
}

function touched(s: HiveState, prev: HiveState): Set<string> {
  const names = new Set<string>();
  const a = s.agents.byName;
  const b = prev.agents.byName;
  if (a !== b) {
    // Only names with a mounted row are checked; a push replaces one record, a reload all of them.
    for (const name of rows.keys()) if (a[name] !== b[name]) names.add(name);
  }
  if (s.ui.selected !== prev.ui.selected) {
    const now = new Set(s.ui.selected);
    const was = new Set(prev.ui.selected);
    for (const n of now) if (!was.has(n)) names.add(n);
    for (const n of was) if (!now.has(n)) names.add(n);
  }
  if (s.ui.focused !== prev.ui.focused) {
    if (s.ui.focused !== null) names.add(s.ui.focused);
    if (prev.ui.focused !== null) names.add(prev.ui.focused);
  }
  if (s.ui.pending !== prev.ui.pending) {
    for (const n of Object.keys(s.ui.pending)) if (s.ui.pending[n] !== prev.ui.pending[n]) names.add(n);
    for (const n of Object.keys(prev.ui.pending)) if (s.ui.pending[n] !== prev.ui.pending[n]) names.add(n);
  }
  return names;
}

function ensureStoreListener(): void {
  if (unsubscribeStore) return;
  unsubscribeStore = useHive.subscribe((s, prev) => {
    const names = touched(s, prev);
    for (const n of names) wake(n);
  });
}

function subscribeRow(name: string, listener: () => void): () => void {
  ensureStoreListener();
  let set = rows.get(name);
  if (!set) rows.set(name, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) {
      rows.delete(name);
      slices.delete(name);
    }
    if (rows.size === 0 && unsubscribeStore) {
      unsubscribeStore();
      unsubscribeStore = null;
    }
  };
}

// The selection as a Set, rebuilt when the selection array changes (not once per row).
let selectedArray: readonly string[] | null = null;
let selectedSet = new Set<string>();
function isSelected(s: HiveState, name: string): boolean {
  if (s.ui.selected !== selectedArray) {
    selectedArray = s.ui.selected;
    selectedSet = new Set(selectedArray);
  }
  return selectedSet.has(name);
}

/** The row's slice of the store; the same object until one of its four values changes. */
function rowSlice(s: HiveState, name: string): RowSlice {
  const agent = s.agents.byName[name];
  const selected = isSelected(s, name);
  const focused = s.ui.focused === name;
  const pending = s.ui.pending[name];
  const cached = slices.get(name);
  if (cached && cached.agent === agent && cached.selected === selected && cached.focused === focused && cached.pending === pending) return cached;
  const next = { agent, selected, focused, pending };
  slices.set(name, next);
  return next;
}

export function useAgentRow(name: string): RowSlice {
  const subscribe = useCallback((l: () => void) => subscribeRow(name, l), [name]);
  const snapshot = () => rowSlice(useHive.getState(), name);
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}
