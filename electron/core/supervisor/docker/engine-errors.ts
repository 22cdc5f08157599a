import { constants } from 'node:os';
import { HiveError } from '../../../../shared/errors.js';
import { describe } from './engine-events.js';

interface EngineError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  message?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EPIPE', 'ENOTFOUND']);

/** Where dockerode connects: DOCKER_HOST when set (tcp, ssh, unix), else the local socket. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

export function unreachableReason(err: unknown): string {
  return (
    `The Docker engine at ${engineAddress()} does not answer (${describe(err)}). ` +
    'Start it (for example `sudo systemctl start docker` or `dockerd`), or point DOCKER_HOST at a running engine.'
  );
}

export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as EngineError;
  return e.json?.message ?? e.message ?? String(err);
}

export function isNotFound(err: unknown): boolean {
  return ((err ?? {}) as EngineError).statusCode === 404;
}

export function isConnectionError(err: unknown): boolean {
  const e = (err ?? {}) as EngineError;
  return (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) || /no answer within/.test(e.message ?? '');
}

/** Turns an engine failure into a sentence for the user; `what` says what we were doing. */
export function toHiveError(err: unknown, what: string): HiveError {
  if (err instanceof HiveError) return err;
  if (isConnectionError(err)) return new HiveError('BACKEND_UNAVAILABLE', unreachableReason(err));
  const status = ((err ?? {}) as EngineError).statusCode;
  const msg = engineMessage(err);
  if (status === 400) return new HiveError('INVALID_INPUT', `Docker refused to ${what}: ${msg}`);
  return new HiveError('SPAWN_FAILED', `Docker could not ${what}: ${msg}`);
}

export function imageNotFound(image: string): HiveError {
  return new HiveError(
    'IMAGE_NOT_FOUND',
    `The image ${JSON.stringify(image)} is not on the Docker engine at ${engineAddress()}. ` +
      `Build it (\`docker build -t ${image} docker/\`, see docker/README.md) or pull it (\`docker pull ${image}\`), then spawn again.`,
  );
}

const SIGNAL_BY_NUMBER = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Docker reports a death by signal N as exit code 128+N, as a shell does. */
export function splitExitCode(code: number | null): { code: number | null; signal: string | null } {
  if (code !== null && code > 128 && code <= 128 + 64) {
    const signal = SIGNAL_BY_NUMBER.get(code - 128);
    if (signal) return { code: null, signal };
  }
  return { code, signal: null };
}
