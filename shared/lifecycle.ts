/**
 * The agent lifecycle as data. The state machine in the core, the watchdog and the GUI's enabled
 * buttons all read this one table.
 */
export const AGENT_STATUSES = [
  'registered',
  'starting',
  'running',
  'sleeping',
  'stopping',
  'stopped',
  'crashed',
  'recovering',
  'errored',
  'unknown',
  /** A docker agent whose engine does not answer: nothing is known, nothing is restarted elsewhere by surprise. */
  'unreachable',
] as const;

export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const TRANSITIONS: Readonly<Record<AgentStatus, readonly AgentStatus[]>> = {
  registered: ['starting', 'errored', 'stopped'],
  starting: ['running', 'errored', 'crashed', 'stopping', 'stopped'],
  running: ['sleeping', 'stopping', 'stopped', 'crashed', 'recovering', 'errored', 'unknown', 'unreachable'],
  sleeping: ['starting', 'stopped', 'errored', 'running'],
  // running: the stop failed and the process still runs (never left in stopping, where nothing is allowed).
  stopping: ['stopped', 'sleeping', 'starting', 'crashed', 'errored', 'running'],
  stopped: ['starting', 'errored'],
  crashed: ['recovering', 'errored', 'stopped', 'starting'],
  recovering: ['running', 'crashed', 'errored', 'stopped', 'unreachable'],
  errored: ['starting', 'stopped'],
  unknown: ['running', 'crashed', 'stopped', 'sleeping', 'errored'],
  unreachable: ['running', 'crashed', 'stopped', 'sleeping', 'errored'],
};

export function canTransition(from: AgentStatus, to: AgentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export type AgentAction = 'sleep' | 'wake' | 'restart' | 'stop' | 'remove';

/** Which user actions make sense in which state; the GUI disables the rest. */
export const ACTIONS_BY_STATUS: Readonly<Record<AgentStatus, readonly AgentAction[]>> = {
  registered: ['stop', 'remove'],
  starting: ['stop'],
  running: ['sleep', 'restart', 'stop'],
  sleeping: ['wake', 'stop', 'remove'],
  stopping: [],
  stopped: ['wake', 'restart', 'remove'],
  crashed: ['restart', 'stop', 'remove'],
  recovering: ['stop'],
  errored: ['restart', 'stop', 'remove'],
  unknown: ['stop'],
  unreachable: ['stop'],
};

export function actionAllowed(status: AgentStatus, action: AgentAction): boolean {
  return ACTIONS_BY_STATUS[status].includes(action);
}
