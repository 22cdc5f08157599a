import type { IpcMainInvokeEvent } from 'electron';
import { agentsChannels, busChannels, CHANNEL_NAMES, conflictsChannels, eventsChannels, snapshotsChannels, type ChannelName, type Envelope, type Res } from '../../../shared/contract/index.js';
import { HiveError, toErrorPayload } from '../../../shared/errors.js';
import type { AllHandlers, Handler } from '../../core/handlers.js';
import { dispatch } from '../../host/api-server.js';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown> | unknown): void;
  removeHandler(channel: string): void;
}

/** The contract's domains, each registered from its own channel map so a new domain cannot be forgotten. */
export const IPC_DOMAINS = {
  agents: agentsChannels,
  snapshots: snapshotsChannels,
  events: eventsChannels,
  bus: busChannels,
  conflicts: conflictsChannels,
} as const;

/**
 * `ipcMain.handle` for one channel, typed from the contract: `fn` only compiles if it matches the channel's
 * request and response. Every call is checked against the sender guard, validated with the channel's zod
 * schema (inside dispatch), and answered with the `{ result } | { error }` envelope the preload unwraps.
 */
export function handle<C extends ChannelName>(
  ipc: IpcMainLike,
  channel: C,
  fn: Handler<C>,
  trusted: (e: IpcMainInvokeEvent) => boolean,
): void {
  ipc.handle(channel, async (event, payload): Promise<Envelope<Res<C>>> => {
    try {
      if (!trusted(event)) throw new HiveError('UNAUTHORIZED', 'This window is not allowed to call Agent Hive.');
      const result = (await dispatch({ [channel]: fn } as unknown as AllHandlers, channel, payload, { actor: 'gui' })) as Res<C>;
      return { result };
    } catch (err) {
      return { error: toErrorPayload(err) };
    }
  });
}

/** Registers every contract channel, domain by domain; returns the names (the preload test compares them). */
export function registerIpc(ipc: IpcMainLike, handlers: AllHandlers, trusted: (e: IpcMainInvokeEvent) => boolean): { channels: ChannelName[]; dispose(): void } {
  const registered: ChannelName[] = [];
  for (const domain of Object.values(IPC_DOMAINS)) {
    for (const channel of Object.keys(domain) as ChannelName[]) {
      handle(ipc, channel, handlers[channel] as Handler<typeof channel>, trusted);
      registered.push(channel);
    }
  }
  // A domain added to the contract but not listed above is still served, never silently missing.
  for (const channel of CHANNEL_NAMES) {
    if (registered.includes(channel)) continue;
    handle(ipc, channel, handlers[channel] as Handler<typeof channel>, trusted);
    registered.push(channel);
  }
  return {
    channels: registered,
    dispose: () => {
      for (const c of registered) ipc.removeHandler(c);
    },
  };
}
