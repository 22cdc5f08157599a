import type { HiveApi } from '../../../shared/contract/index';
import { HiveError } from '../../../shared/errors';
import { createWsClient, wsUrlFor, type ConnectionState, type HiveClient } from './ws-client';

export type { ConnectionState, HiveClient } from './ws-client';

/** What the Electron preload puts on `window.hive` (see electron/main/preload.ts). */
export interface DesktopBridge extends HiveApi {
  /** Native folder picker; only in the desktop app. */
  pickDirectory?: () => Promise<string | null>;
}

declare global {
  interface Window {
    hive?: DesktopBridge;
  }
}

/**
 * The renderer's one way to reach the core: `window.hive` in Electron, the WebSocket of `hive serve` in a
 * browser. Nothing else in the renderer knows which.
 */
export function createApi(win: Window = window): HiveClient & { pickDirectory?: () => Promise<string | null> } {
  const bridge = win.hive;
  if (bridge) {
    return {
      kind: 'electron',
      // The preload rejects with a plain { code, message } (an Error's class does not survive contextBridge).
      invoke: (channel, payload) => bridge.invoke(channel, payload).catch((err: unknown) => Promise.reject(toHiveError(err))),
      on: (event, listener) => bridge.on(event, listener),
      connection: (): ConnectionState => 'open',
      onConnection: () => () => {},
      close: () => {},
      pickDirectory: bridge.pickDirectory ? () => bridge.pickDirectory!() : undefined,
    };
  }
  return createWsClient({ url: wsUrlFor(win.location) });
}

function toHiveError(err: unknown): unknown {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const { code, message } = err as { code: unknown; message: unknown };
    if (typeof code === 'string' && typeof message === 'string') return HiveError.fromPayload({ code: code as never, message });
  }
  return err;
}
