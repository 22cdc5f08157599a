import { performance } from 'node:perf_hooks';
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, WebSocket } from 'ws';
import { channels, isChannel, type ChannelName } from '../../shared/contract/index.js';
import { API_PREFIX, TOKEN_COOKIE, WS_PATH } from '../../shared/contract/wire.js';
import { HiveError, toErrorPayload, type ErrorCode } from '../../shared/errors.js';
import type { HiveCore } from '../core/hive-core.js';
import type { Telemetry } from '../core/observability/telemetry.js';
import type { AllHandlers, CallContext } from '../core/handlers.js';
import { AGENT_CHANNELS, agentToken } from '../core/agents/agent-token.js';

export interface ApiServerOptions {
  core: Pick<HiveCore, 'onDidPush'>;
  handlers: AllHandlers;
  token: string;
  host?: string;
  port?: number;
  /** The built renderer (dist/renderer); the UI is served from here when present. */
  staticDir?: string | null;
  /**
   * For read channels whose answer only changes when the core writes: a key for the current state (null = do
   * not cache). The serialized answer is reused while the key stays the same (`agents:list` with 1,000 agents
   * is 700 KB of JSON; building it per request cost ~20 ms).
   */
  cacheKey?: (channel: string, payload: unknown) => string | null;
  /** API spans, request metrics, error log lines and GET /metrics. */
  telemetry?: Telemetry;
  /** The agents that hold their own token (agent-token.ts): known by it even when they do not name themselves. */
  agentNames?: () => Iterable<string>;
}

export interface ApiServer {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;
const STATUS: Partial<Record<ErrorCode, number>> = {
  AGENT_NOT_FOUND: 404,
  SNAPSHOT_NOT_FOUND: 404,
  CONFLICT_NOT_FOUND: 404,
  UNKNOWN_CHANNEL: 404,
  INVALID_INPUT: 400,
  INVALID_NAME: 400,
  NOT_A_GIT_REPO: 400,
  IMAGE_NOT_FOUND: 400,
  ILLEGAL_TRANSITION: 409,
  AGENT_EXISTS: 409,
  ENGINE_NOT_FOUND: 404,
  ENGINE_EXISTS: 409,
  ENGINE_IN_USE: 409,
  WORKTREE_DIRTY: 409,
  SNAPSHOT_CORRUPT: 409,
  UNAUTHORIZED: 401,
  BACKEND_UNAVAILABLE: 503,
  BUS_UNAVAILABLE: 503,
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Validates a request against its channel's schema and runs the handler: the one path every transport uses. */
/** The request checked against its channel's schema (thrown: UNKNOWN_CHANNEL, INVALID_INPUT). */
export function validateRequest(channel: string, payload: unknown): unknown {
  if (!isChannel(channel)) throw new HiveError('UNKNOWN_CHANNEL', `There is no API channel named ${JSON.stringify(channel)}.`);
  const schema = channels[channel].req;
  const parsed = schema.safeParse(payload ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
    throw new HiveError('INVALID_INPUT', `Invalid request for ${channel}: ${issues}.`);
  }
  return parsed.data;
}

export async function dispatch(handlers: AllHandlers, channel: string, payload: unknown, ctx: CallContext): Promise<unknown> {
  const request = validateRequest(channel, payload);
  const handler = handlers[channel as ChannelName] as (req: unknown, ctx: CallContext) => unknown;
  return await handler(request, ctx);
}

/** Thrown by readBody past MAX_BODY: answered 413, then the connection is closed. */
class BodyTooLarge extends Error {}

/**
 * The local API: HTTP + WebSocket on loopback, every request authenticated with the token, and the built
 * renderer for the browser UI. The Electron main process and `hive serve` both use it.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const tokenBuf = Buffer.from(opts.token);
  const tokenOk = (t: string | null | undefined): boolean => {
    if (!t) return false;
    const b = Buffer.from(t);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };
  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && tokenOk(auth.slice(7))) return true;
    if (tokenOk(url.searchParams.get('token'))) return true;
    return tokenOk(cookie(req, TOKEN_COOKIE));
  };
  /** The agent a request's agent token belongs to (the one it names in x-hive-actor first), or null. */
  const agentOf = (req: IncomingMessage): string | null => {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) return null;
    const given = Buffer.from(auth.slice(7));
    const matches = (name: string) => {
      const expected = Buffer.from(agentToken(opts.token, name));
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
    const actor = String(req.headers['x-hive-actor'] ?? '');
    const named = actor.startsWith('agent:') ? actor.slice('agent:'.length) : actor;
    if (named && matches(named)) return named;
    for (const name of opts.agentNames?.() ?? []) if (matches(name)) return name;
    return null;
  };
  let port = 0;
  const cache = new Map<string, { key: string; body: Buffer }>();
  // Bound to every interface (0.0.0.0 or ::, only with --allow-remote): the machine's own addresses and
  // name are what other machines connect with. Read when a request comes (interfaces come and go).
  const wildcard = host === '0.0.0.0' || host === '::';
  const ownNames = (): string[] => [
    os.hostname().toLowerCase(),
    ...Object.values(os.networkInterfaces())
      .flat()
      .flatMap((i) => (i ? [i.family === 'IPv6' ? `[${i.address.replace(/%.*$/, '')}]` : i.address] : [])),
  ];
  /**
   * A browser sends Origin with every WebSocket upgrade and every POST. The token cookie goes to every port
   * of 127.0.0.1 (cookies ignore ports, and SameSite counts other ports as the same site), so a page served
   * by any other local server could open the API's WebSocket or POST to it with the user's cookie. Only the
   * API's own pages may: an Origin that is present must name this server. (The CLI and agents send none.)
   */
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    let host: string;
    try {
      host = new URL(origin).host.toLowerCase();
    } catch {
      return false;
    }
    return hostOk({ headers: { host } } as IncomingMessage);
  };
  const hostOk = (req: IncomingMessage): boolean => {
    // Refuse other Host names (DNS rebinding: a web page must not reach the API through a name it controls).
    const h = (req.headers.host ?? '').toLowerCase();
    // host.docker.internal: docker agents reach the API through the docker backend's bridge forwarder under
    // that name (a fixed name, not one a web page can point at this machine; the token is still required).
    if ([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`, `host.docker.internal:${port}`].includes(h)) return true;
    return wildcard && ownNames().some((n) => h === `${n}:${port}`);
  };

  const tel = opts.telemetry ?? null;
  /** Runs one API call in a span, timed in hive_api_request_seconds; failures get one log line. */
  /** Runs one API call in a span, timed in hive_api_request_seconds; failures get one log line. */
  const call = async <T>(channel: string, actor: string, transport: 'http' | 'ws', work: () => Promise<T>): Promise<T> => {
    if (!tel) return work();
    const label = isChannel(channel) ? channel : 'unknown';
    const started = performance.now();
    try {
      return await tel.step(`api ${label}`, work, { 'hive.channel': label, 'hive.transport': transport, 'hive.actor': actor });
    } catch (err) {
      const payload = toErrorPayload(err);
      const level = (STATUS[payload.code] ?? 500) >= 500 ? 'error' : 'warn';
      tel.log[level]({ action: 'api', channel: label, actor, code: payload.code, reason: payload.message, durationMs: Math.round(performance.now() - started) }, `API ${label} failed: ${payload.code}`);
      throw err;
    } finally {
      tel.metrics.apiRequest.observe({ channel: label }, (performance.now() - started) / 1000);
    }
  };

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err) => sendJson(res, 500, { error: toErrorPayload(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostOk(req)) {
      const message = wildcard
        ? `Unknown Host header ${JSON.stringify(req.headers.host ?? '')}: connect with this machine's name or one of its addresses (${ownNames().join(', ')}).`
        : `Unknown Host header ${JSON.stringify(req.headers.host ?? '')}: this host listens on ${host}; connect to ${host.includes(':') ? `[${host}]` : host}:${port}.`;
      return sendJson(res, 403, { error: { code: 'UNAUTHORIZED', message } });
    }
    if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
    if (!originOk(req)) return sendJson(res, 403, { error: { code: 'UNAUTHORIZED', message: `Requests from pages of another origin (${req.headers.origin}) are refused; open the UI at the URL that \`hive serve\` printed.` } });
    const full = authorized(req, url);
    const agent = full ? null : agentOf(req);
    if (agent !== null) {
      // An agent's own token: its API calls only, never the /metrics text or the UI.
      const channel = url.pathname.startsWith(API_PREFIX) ? decodeOrNull(url.pathname.slice(API_PREFIX.length)) : null;
      if (channel === null || !AGENT_CHANNELS.has(channel)) {
        return sendJson(res, 403, { error: { code: 'UNAUTHORIZED', message: `An agent's token cannot call ${channel ?? url.pathname}; ask a person (or the host's token) for that.` } });
      }
    } else if (!full) {
      return sendJson(res, 401, { error: { code: 'UNAUTHORIZED', message: 'A valid token is required: open the URL that `hive serve` printed, or send Authorization: Bearer <token>.' } });
    }
    if (url.pathname === '/metrics' && tel) {
      if (req.method !== 'GET') return sendJson(res, 405, { error: { code: 'INVALID_INPUT', message: 'Use GET.' } });
      const text = await tel.metrics.text();
      res.writeHead(200, { 'content-type': tel.metrics.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (url.pathname.startsWith(API_PREFIX)) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: { code: 'INVALID_INPUT', message: 'Use POST.' } });
      const channel = decodeOrNull(url.pathname.slice(API_PREFIX.length));
      if (channel === null) return sendJson(res, 404, { error: { code: 'UNKNOWN_CHANNEL', message: 'The channel name in the path is not valid percent-encoding.' } });
      let body: unknown;
      try {
        const raw = await readBody(req);
        body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('connection', 'close');
          return sendJson(res, 413, { error: { code: 'INVALID_INPUT', message: `The request body is larger than ${MAX_BODY / 1024 / 1024} MB.` } });
        }
        return sendJson(res, 400, { error: { code: 'INVALID_INPUT', message: `The request body is not valid JSON (${(err as Error).message}).` } });
      }
      const actor = agent !== null ? `agent:${agent}` : String(req.headers['x-hive-actor'] ?? 'api').slice(0, 100);
      // The caller gone before its answer (a long-poll's client killed): the handler is told, so a waiting
      // inbox stops without claiming the next message for nobody.
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      try {
        const data = await call(channel, actor, 'http', async () => {
          const key = opts.cacheKey?.(channel, body) ?? null;
          // A cached answer only for a request that is valid (else a bad request got the last good answer).
          if (key !== null) validateRequest(channel, body);
          const hit = key !== null ? cache.get(channel) : undefined;
          if (hit && hit.key === key) return hit.body;
          const result = await dispatch(opts.handlers, channel, body, { actor, signal: gone.signal });
          const fresh = Buffer.from(JSON.stringify({ result: result ?? null }));
          if (key !== null) cache.set(channel, { key, body: fresh });
          return fresh;
        });
        return sendBody(res, 200, data);
      } catch (err) {
        const payload = toErrorPayload(err);
        return sendJson(res, STATUS[payload.code] ?? 500, { error: payload });
      }
    }
    if (req.method !== 'GET') return sendJson(res, 405, { error: { code: 'INVALID_INPUT', message: 'Use GET.' } });
    return serveStatic(req, res, url);
  }

  function serveStatic(_req: IncomingMessage, res: ServerResponse, url: URL): void {
    const dir = opts.staticDir;
    const headers: Record<string, string> = {
      'content-security-policy':
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    if (url.searchParams.get('token')) {
      headers['set-cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(opts.token)}; HttpOnly; SameSite=Strict; Path=/`;
    }
    if (!dir || !existsSync(path.join(dir, 'index.html'))) {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Agent Hive</title><p>The UI is not built. Run <code>npm run build</code> in the agent-hive folder, then reload.</p>');
      return;
    }
    const rel = url.pathname === '/' ? 'index.html' : (decodeOrNull(url.pathname) ?? '\0').replace(/^\/+/, '');
    const file = path.resolve(dir, rel);
    if (rel.includes('\0') || !file.startsWith(path.resolve(dir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH || !hostOk(req) || !originOk(req) || !authorized(req, url)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (raw) => {
      // Anything but a JSON object gets an error answer (id -1); `null` once ended the whole host here.
      let msg: { id?: unknown; channel?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(String(raw)) as typeof msg;
      } catch (err) {
        send(ws, { id: -1, error: { code: 'INVALID_INPUT', message: `The message is not valid JSON (${(err as Error).message}).` } });
        return;
      }
      if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
        send(ws, { id: -1, error: { code: 'INVALID_INPUT', message: 'A message is a JSON object: {"id": number, "channel": string, "payload": …}.' } });
        return;
      }
      const id = typeof msg.id === 'number' ? msg.id : -1;
      const channel = String(msg.channel);
      void call(channel, 'gui', 'ws', () => dispatch(opts.handlers, channel, msg.payload, { actor: 'gui' })).then(
        (result) => send(ws, { id, result: result ?? null }),
        (err) => send(ws, { id, error: toErrorPayload(err) }),
      );
    });
  });
  const pushSub = opts.core.onDidPush(({ event, payload }) => {
    if (wss.clients.size === 0) return;
    const data = JSON.stringify({ event, payload });
    for (const ws of wss.clients) {
      // A slow client loses live output rather than growing our memory; it re-reads the log on reconnect.
      if (event === 'agent:output' && ws.bufferedAmount > 8 * 1024 * 1024) continue;
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    host,
    close: async () => {
      void pushSub.dispose();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(ws: WebSocket, msg: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendBody(res, status, Buffer.from(JSON.stringify(body)));
}

function sendBody(res: ServerResponse, status: number, data: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length, 'cache-control': 'no-store' });
  res.end(data);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and dropped, and the 413 sent once the upload is over: destroying
      // the connection at once reset it before the client could read why. Past four times the limit it is
      // cut off.
      if (size > 4 * MAX_BODY) req.destroy();
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
    // Cut off (past four times the limit) or gone: only 'close' comes; settled so the request is not left pending.
    req.on('close', () => reject(tooLarge ? new BodyTooLarge() : new Error('the client closed the connection')));
  });
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeOrNull(v.join('='));
  }
  return null;
}

/** decodeURIComponent, or null for text that is not valid percent-encoding (a URIError, once a 500). */
function decodeOrNull(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
