import {
  isChannel,
  pushEvents,
  type ChannelName,
  type HiveApi,
  type PushEventName,
  type PushPayload,
  type Req,
  type Res,
} from '../../../shared/contract/index';
import { WS_PATH, type WireReply } from '../../../shared/contract/wire';
import { HiveError } from '../../../shared/errors';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A HiveApi that also reports the state of its transport (the WebSocket; Electron IPC is always open). */
export interface HiveClient extends HiveApi {
  readonly kind: 'websocket' | 'electron';
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState, detail: string | null) => void): () => void;
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  channel: string;
}

type AnyListener = (payload: unknown) => void;

export interface WsClientOptions {
  url: string;
  /** Injected so tests can pass a fake socket; defaults to the browser's WebSocket. */
  WebSocketImpl?: typeof WebSocket;
  maxBackoffMs?: number;
}

/**
 * The WebSocket transport of the contract: one socket, calls matched to replies by id, pushed events fanned
 * out to listeners. A dropped socket is reopened with backoff; calls in flight fail with a sentence that says
 * the connection was lost, so the UI can show it instead of hanging.
 */
export function createWsClient(opts: WsClientOptions): HiveClient {
  const Impl = opts.WebSocketImpl ?? WebSocket;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<AnyListener>>();
  const connListeners = new Set<(s: ConnectionState, d: string | null) => void>();
  let nextId = 1;
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let attempts = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closedByUser = false;
  const queue: string[] = [];

  const setState = (s: ConnectionState, detail: string | null = null): void => {
    state = s;
    for (const l of connListeners) l(s, detail);
  };

  const open = (): void => {
    const ws = new Impl(opts.url);
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
      setState('open');
      for (const msg of queue.splice(0)) ws.send(msg);
    };
    ws.onmessage = (ev: MessageEvent) => handleMessage(String(ev.data));
    ws.onclose = (ev: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      failPending(
        ev.code === 4401 || ev.code === 1008
          ? new HiveError('UNAUTHORIZED', 'The host refused the connection: the token in the page address is missing or wrong. Open the URL that `hive serve` printed.')
          : new HiveError('HOST_NOT_RUNNING', 'The connection to the Agent Hive host was lost before it answered. The request may or may not have run; check the agent and try again.'),
      );
      if (closedByUser) return setState('closed');
      const delay = Math.min(maxBackoff, 250 * 2 ** attempts);
      attempts += 1;
      setState('reconnecting', `Connection lost${ev.reason ? ` (${ev.reason})` : ''}; retrying in ${Math.ceil(delay / 1000)} s.`);
      timer = setTimeout(open, delay);
    };
    ws.onerror = () => {
      // The close event that follows carries the reconnect; nothing to add here.
    };
  };

  const failPending = (err: HiveError): void => {
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(err);
    }
  };

  const handleMessage = (raw: string): void => {
    let msg: WireReply;
    try {
      msg = JSON.parse(raw) as WireReply;
    } catch {
      return;
    }
    if ('event' in msg) {
      const set = listeners.get(msg.event);
      if (!set || set.size === 0) return;
      const schema = pushEvents[msg.event as PushEventName];
      if (!schema) return;
      // The host is a process boundary: a payload that does not match the contract is dropped, not rendered.
      const parsed = schema.safeParse(msg.payload);
      if (!parsed.success) {
        console.warn(`Dropped a malformed '${msg.event}' event from the host.`);
        return;
      }
      for (const l of set) l(parsed.data);
      return;
    }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if ('error' in msg) p.reject(HiveError.fromPayload(msg.error as never));
    else p.resolve(msg.result);
  };

  open();

  return {
    kind: 'websocket',
    invoke<C extends ChannelName>(channel: C, payload: Req<C>): Promise<Res<C>> {
      if (!isChannel(channel)) {
        return Promise.reject(new HiveError('UNKNOWN_CHANNEL', `The UI asked for '${String(channel)}', which the contract does not have.`));
      }
      if (closedByUser) return Promise.reject(new HiveError('HOST_NOT_RUNNING', 'The connection to the host is closed.'));
      const id = nextId++;
      const text = JSON.stringify({ id, channel, payload: payload ?? {} });
      return new Promise<Res<C>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, channel });
        if (socket && socket.readyState === Impl.OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on<E extends PushEventName>(event: E, listener: (payload: PushPayload<E>) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as AnyListener);
      return () => set.delete(listener as AnyListener);
    },
    connection: () => state,
    onConnection(listener) {
      connListeners.add(listener);
      return () => connListeners.delete(listener);
    },
    close() {
      closedByUser = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      socket = null;
      failPending(new HiveError('HOST_NOT_RUNNING', 'The connection to the host was closed.'));
      setState('closed');
    },
  };
}

/**
 * Takes the token out of the address bar once the page has it (the server set its cookie with this page,
 * and the WebSocket URL was built from it): left there, it sat in the history, bookmarks, synced history
 * and screen shares. A reload is authorized by the cookie.
 */
export function dropTokenFromAddress(win: Pick<Window, 'location' | 'history'>): void {
  const u = new URL(win.location.href);
  if (!u.searchParams.has('token')) return;
  u.searchParams.delete('token');
  win.history.replaceState(null, '', `${u.pathname}${u.search}${u.hash}`);
}

/** `ws://<host>/ws?token=<token>` for a page served at `http://<host>/?token=<token>`. */
export function wsUrlFor(loc: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const token = new URLSearchParams(loc.search).get('token') ?? '';
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
}
