import { z } from 'zod';
import { Agent, agentsChannels } from './agents.js';
import { BusState, busChannels } from './bus.js';
import { conflictsChannels } from './conflicts.js';
import { enginesChannels } from './engines.js';
import { HiveEvent, eventsChannels, SystemInfo } from './events.js';
import { snapshotsChannels } from './snapshots.js';
import { settingsChannels } from './settings.js';

export * from './agents.js';
export * from './events.js';
export * from './snapshots.js';
export * from './settings.js';
export * from './bus.js';
export * from './conflicts.js';
export * from './engines.js';

/**
 * Every invoke channel: name → request schema → response schema. Electron's ipcMain handlers, the
 * preload bridge, the WebSocket server and the renderer's client are all typed from this one map.
 */
export const channels = {
  ...agentsChannels,
  ...snapshotsChannels,
  ...settingsChannels,
  ...eventsChannels,
  ...busChannels,
  ...conflictsChannels,
  ...enginesChannels,
} as const;

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type Req<C extends ChannelName> = z.input<Channels[C]['req']>;
export type ParsedReq<C extends ChannelName> = z.output<Channels[C]['req']>;
export type Res<C extends ChannelName> = z.output<Channels[C]['res']>;

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];

export function isChannel(name: string): name is ChannelName {
  return Object.prototype.hasOwnProperty.call(channels, name);
}

/** Pushed events: name → payload. Hosts forward these from the core; services never know who listens. */
export const pushEvents = {
  'agent:status': z.object({ agent: Agent, event: HiveEvent.nullable() }),
  'agent:removed': z.object({ name: z.string() }),
  /** `end`: byte offset in the agent's log just after `data` (compare with `agents:output`'s `bytes`). */
  'agent:output': z.object({ name: z.string(), data: z.string(), end: z.number().int().nonnegative() }),
  /** Every 2 s for running agents: the sampled usage and the signs of life, which change without a status event. */
  'agents:usage': z.array(
    z.object({ name: z.string(), cpuPercent: z.number().nullable(), memoryBytes: z.number().nullable(), lastHeartbeatAt: z.string().nullable(), lastOutputAt: z.string().nullable() }),
  ),
  'event:appended': HiveEvent,
  'system:info': SystemInfo,
  'notify': z.object({ level: z.enum(['info', 'warning', 'error']), title: z.string(), body: z.string() }),
  'bus:message': z.object({ id: z.string(), from: z.string(), to: z.string().nullable(), topic: z.string().nullable() }),
  'bus:state': BusState,
  'conflict:changed': z.object({ id: z.string(), status: z.string() }),
} as const;

export type PushEvents = typeof pushEvents;
export type PushEventName = keyof PushEvents;
export type PushPayload<E extends PushEventName> = z.output<PushEvents[E]>;
export const PUSH_EVENT_NAMES = Object.keys(pushEvents) as PushEventName[];

/** The API as a client sees it: one `invoke` per channel and `on` for pushed events. */
export interface HiveApi {
  invoke<C extends ChannelName>(channel: C, payload: Req<C>): Promise<Res<C>>;
  on<E extends PushEventName>(event: E, listener: (payload: PushPayload<E>) => void): () => void;
}

/** Wire envelopes: `{ result } | { error }` for calls, `{ event, payload }` for pushes. */
export type Envelope<T> = { result: T } | { error: { code: string; message: string } };
