import type { HiveApi } from '../../../shared/contract/index';
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
      invoke: (channel, payload) => bridge.invoke(channel, payload),
      on: (event, listener) => bridge.on(event, listener),
      connection: (): ConnectionState => 'open',
      onConnection: () => () => {},
      close: () => {},
      pickDirectory: bridge.pickDirectory ? () => bridge.pickDirectory!() : undefined,
    };
  }
  return createWsClient({ url: wsUrlFor(win.location) });
}
