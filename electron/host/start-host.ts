import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOST_FILE, TOKEN_FILE } from '../../shared/contract/wire.js';
import { HiveError } from '../../shared/errors.js';
import { createCore } from '../core/create-core.js';
import type { HiveCore } from '../core/hive-core.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { HostLock } from './host-lock.js';
import { maskSecrets, openLogFile, parseLogLevel, type LogFile, type LogLevel } from '../core/observability/log-file.js';
import { logMixin } from '../core/observability/telemetry.js';
import { startTracing } from '../core/observability/tracing.js';
import { HIVE_VERSION } from '../core/hive-core.js';
import { useExecHelper } from '../core/ports/exec.js';

export interface HostOptions {
  dataDir: string;
  port?: number;
  host?: string;
  allowRemote?: boolean;
  redisUrl?: string | null;
  staticDir?: string | null;
  checkIntervalMs?: number;
  /** `--log-level`; else HIVE_LOG_LEVEL; else the `logLevel` setting (default info). */
  logLevel?: LogLevel;
  /** Also write readable log lines here (`hive serve` in a terminal). */
  prettyLog?: NodeJS.WritableStream | null;
}

export interface RunningHost {
  core: HiveCore;
  server: ApiServer;
  token: string;
  /** The URL that opens the UI, token included. */
  uiUrl: string;
  reconciled: { adopted: string[]; crashed: string[] };
  close(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer');

/** Reads the data dir's API token, making one (mode 0600) the first time. */
export function loadOrCreateToken(dataDir: string): string {
  const file = path.join(dataDir, TOKEN_FILE);
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t.length >= 32) {
      chmodSync(file, 0o600);
      return t;
    }
  }
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || net.isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Starts a host on a data dir: the lock (one host per data dir), the core, the API, host.json for the CLI,
 * then reconciliation with what is really running. Used by `hive serve` and the Electron main process.
 */
export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const dataDir = path.resolve(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.allowRemote) {
    throw new HiveError(
      'INVALID_INPUT',
      `--host ${host} is not a loopback address. The API controls processes on this machine; add --allow-remote if you really want it reachable from the network (anyone with the token gets full control).`,
    );
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = await HostLock.acquire(dataDir);
  // Programs (git above all) start in a helper process: a fork here blocked the API and every recovery.
  const releaseExec = useExecHelper();
  let core: HiveCore | null = null;
  let server: ApiServer | null = null;
  let log: LogFile | null = null;
  const tracing = startTracing(HIVE_VERSION);
  try {
    const token = loadOrCreateToken(dataDir);
    const fixedLevel = opts.logLevel ?? (process.env.HIVE_LOG_LEVEL ? parseLogLevel(process.env.HIVE_LOG_LEVEL, 'HIVE_LOG_LEVEL') : null);
    // Secrets never reach the file: the API token, every tool secret, and any Redis URL's password.
    let secrets: string[] = [token];
    const mask = (line: string): string => maskSecrets(line, secrets);
    log = openLogFile({ dataDir, level: fixedLevel ?? 'info', pretty: opts.prettyLog ?? null, mixin: logMixin, mask });
    let apiUrl: string | null = null;
    core = createCore({
      dataDir,
      redisUrl: opts.redisUrl,
      apiUrl: () => apiUrl,
      apiToken: () => token,
      checkIntervalMs: opts.checkIntervalMs,
      logger: log.logger,
    }).core;
    const c0 = core;
    const logger = log.logger;
    const refresh = () => {
      secrets = [token, ...c0.settings.secretValues()];
      if (!fixedLevel) logger.level = c0.settings.get().logLevel;
    };
    refresh();
    c0.disposables.add(c0.events.onDidAppend((e) => e.kind === 'settings' && refresh()));
    logger.info({ action: 'host.start', dataDir, tracing: tracing.enabled, logLevel: logger.level }, `host starting for ${dataDir}`);
    server = await listen(core, token, host, opts);
    logger.info({ action: 'host.listen', url: server.url }, `API listening on ${server.url}`);
    apiUrl = server.url;
    const hostFile = path.join(dataDir, HOST_FILE);
    const tmp = `${hostFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ url: server.url, port: server.port, pid: process.pid, startedAt: new Date().toISOString() }, null, 2), { mode: 0o600 });
    renameSync(tmp, hostFile);
    const reconciled = await core.start();
    const c = core;
    const s = server;
    const l = log;
    return {
      core: c,
      server: s,
      token,
      uiUrl: `${s.url}/?token=${token}`,
      reconciled,
      close: async () => {
        await s.close();
        await c.dispose();
        rmSync(hostFile, { force: true });
        l.logger.info({ action: 'host.stop' }, 'host stopped');
        await tracing.flush();
        await l.close();
        releaseExec();
        lock.release();
      },
    };
  } catch (err) {
    await server?.close().catch(() => {});
    await core?.dispose().catch(() => {});
    log?.logger.error({ action: 'host.start', reason: err instanceof Error ? err.message : String(err) }, 'host failed to start');
    await log?.close().catch(() => {});
    releaseExec();
    lock.release();
    throw err;
  }
}

async function listen(core: HiveCore, token: string, host: string, opts: HostOptions): Promise<ApiServer> {
  const base = {
    core,
    handlers: core.handlers,
    token,
    host,
    staticDir: opts.staticDir === undefined ? DEFAULT_STATIC_DIR : opts.staticDir,
    telemetry: core.telemetry,
    // The fleet list changes only when an agent row is written; every write bumps the repo's version.
    cacheKey: (channel: string) => (channel === 'agents:list' ? String(core.repo.version) : null),
    agentNames: () => core.repo.list().filter((a) => a.backend === 'docker').map((a) => a.name),
  };
  try {
    return await startApiServer({ ...base, port: opts.port ?? 0 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new HiveError('INVALID_INPUT', `Port ${opts.port} on ${host} is already in use. Pick another with --port, or --port 0 for any free port.`);
    }
    throw err;
  }
}
