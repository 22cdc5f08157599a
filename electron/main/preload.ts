import { contextBridge, ipcRenderer } from 'electron';
import {
  isChannel,
  PUSH_EVENT_NAMES,
  type ChannelName,
  type Envelope,
  type HiveApi,
  type PushEventName,
  type PushPayload,
  type Req,
  type Res,
} from '../../shared/contract/index.js';
import { PICK_DIRECTORY_CHANNEL } from './ipc/desktop-channels.js';

/**
 * The preload bridge: `window.hive` with one `invoke` for exactly the contract's channels, `on` for exactly
 * its push events, and the native folder picker. Raw ipcRenderer never reaches the page. Bundled to CommonJS
 * (scripts/build-preload.mjs) because sandboxed preloads cannot load ES modules or other files.
 */
const pushNames = new Set<string>(PUSH_EVENT_NAMES);

const api = {
  async invoke<C extends ChannelName>(channel: C, payload: Req<C>): Promise<Res<C>> {
    if (typeof channel !== 'string' || !isChannel(channel)) {
      // Rejected with the same { code, message } shape the main process uses; renderer/src/lib/api.ts rewraps it.
      throw { code: 'UNKNOWN_CHANNEL', message: `There is no API channel named ${JSON.stringify(channel)}.` };
    }
    const envelope = (await ipcRenderer.invoke(channel, payload ?? {})) as Envelope<Res<C>>;
    if ('error' in envelope) throw { code: envelope.error.code, message: envelope.error.message };
    return envelope.result;
  },
  on<E extends PushEventName>(event: E, listener: (payload: PushPayload<E>) => void): () => void {
    if (typeof event !== 'string' || !pushNames.has(event)) throw new Error(`There is no push event named ${JSON.stringify(event)}.`);
    if (typeof listener !== 'function') throw new Error('on(event, listener) needs a function.');
    const wrapped = (_e: unknown, payload: PushPayload<E>): void => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => {
      ipcRenderer.removeListener(event, wrapped);
    };
  },
  async pickDirectory(): Promise<string | null> {
    const r = (await ipcRenderer.invoke(PICK_DIRECTORY_CHANNEL)) as Envelope<string | null>;
    return 'error' in r ? null : r.result;
  },
} satisfies HiveApi & { pickDirectory(): Promise<string | null> };

export type DesktopHiveApi = typeof api;

contextBridge.exposeInMainWorld('hive', api);
