/**
 * The wire protocol of the local API, shared by the host, the CLI and the renderer's WebSocket client.
 *
 * HTTP:      POST /api/invoke/<channel>   body: JSON request   → 200 { result } | 4xx/5xx { error }
 *            auth: `Authorization: Bearer <token>` (or `?token=<token>` on the URL; the UI page sets a cookie)
 * WebSocket: GET /ws?token=<token>
 *            client → { id, channel, payload }
 *            server → { id, result } | { id, error: { code, message } } | { event, payload }
 */
export interface WireCall {
  id: number;
  channel: string;
  payload: unknown;
}

export type WireReply =
  | { id: number; result: unknown }
  | { id: number; error: { code: string; message: string } }
  | { event: string; payload: unknown };

export const API_PREFIX = '/api/invoke/';
export const WS_PATH = '/ws';
export const TOKEN_COOKIE = 'hive_token';
/** Written to the data dir by a running host: `{ url, port, pid, startedAt }` (token in `api.token`, mode 0600). */
export const HOST_FILE = 'host.json';
export const TOKEN_FILE = 'api.token';
