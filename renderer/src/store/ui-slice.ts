import type { StateCreator } from 'zustand';
import type { AgentAction, AgentStatus } from '../../../shared/lifecycle';
import type { ConnectionState } from '../lib/ws-client';

export type Route =
  | { page: 'fleet' }
  | { page: 'agent'; name: string }
  | { page: 'metrics' }
  | { page: 'conflicts' }
  | { page: 'messages' };

export interface Toast {
  id: number;
  level: 'info' | 'warning' | 'error';
  title: string;
  body: string;
}

export interface UiSlice {
  ui: {
    route: Route;
    filter: string;
    statusFilter: AgentStatus[];
    /** Only agents on this Docker engine (null: every agent). */
    engineFilter: string | null;
    selected: string[];
    focused: string | null;
    spawnOpen: boolean;
    helpOpen: boolean;
    toasts: Toast[];
    connection: ConnectionState;
    connectionDetail: string | null;
    /** Actions in flight per agent, so a double click does not send two restarts. */
    pending: Record<string, AgentAction>;
  };
}

export const createUiSlice: StateCreator<UiSlice, [], [], UiSlice> = () => ({
  ui: {
    route: { page: 'fleet' },
    filter: '',
    statusFilter: [],
    engineFilter: null,
    selected: [],
    focused: null,
    spawnOpen: false,
    helpOpen: false,
    toasts: [],
    connection: 'connecting',
    connectionDetail: null,
    pending: {},
  },
});
