import { create } from 'zustand';
import { createAgentsSlice, type AgentsSlice } from './agents-slice';
import { createEventsSlice, type EventsSlice } from './events-slice';
import { createMetricsSlice, type MetricsSlice } from './metrics-slice';
import { createUiSlice, type UiSlice } from './ui-slice';

export type HiveState = AgentsSlice & EventsSlice & MetricsSlice & UiSlice;

/** One store of slices. State only: the actions that change it live in store/actions.ts. */
export const useHive = create<HiveState>()((...a) => ({
  ...createAgentsSlice(...a),
  ...createEventsSlice(...a),
  ...createMetricsSlice(...a),
  ...createUiSlice(...a),
}));

const initial = useHive.getState();

/** Back to a fresh store (tests, and a reconnect to a different host). */
export function resetHiveStore(): void {
  useHive.setState(initial, true);
}
