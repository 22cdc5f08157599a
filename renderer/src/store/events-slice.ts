import type { StateCreator } from 'zustand';
import type { HiveEvent } from '../../../shared/contract/index';

/** The newest events across the fleet; agent pages load their own history on demand. */
export const RECENT_EVENTS_MAX = 500;

export interface EventsSlice {
  events: { recent: HiveEvent[] };
}

export const createEventsSlice: StateCreator<EventsSlice, [], [], EventsSlice> = () => ({
  events: { recent: [] },
});
