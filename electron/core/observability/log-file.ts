import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pino, { type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';
import PinoPretty from 'pino-pretty';
import { HiveError } from '../../../shared/errors.js';

import { LogLevel as LogLevelSchema, type LogLevel } from '../../../shared/contract/settings.js';

export const LOG_LEVELS = LogLevelSchema.options;
export type { LogLevel };
export const LOG_FILE = 'hive.log';
export const LOG_DIR = 'logs';

export function parseLogLevel(value: string, from: string): LogLevel {
  const v = value.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new HiveError('INVALID_INPUT', `${from} is ${JSON.stringify(value)}; give one of ${LOG_LEVELS.join(', ')}.`);
}

export interface LogFileOptions {
  dataDir: string;
  level: LogLevel;
  /** Also write readable lines to this stream (a terminal). */
  pretty?: NodeJS.WritableStream | null;
  /** Rotate when the current file reaches this size (default 20 MB). */
  maxBytes?: number;
  /** Files kept in all, the current one included (default 10). */
  maxFiles?: number;
  /** Fields added to every line (action and trace ids). */
  mixin?: () => object;
  /** Masks secrets in a finished line before it is written. */
  mask?: (line: string) => string;
}

export interface LogFile {
  logger: Logger;
  file: string;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/**
 * The host's log: JSON lines in `<dataDir>/logs/hive.log`, rotated by size to hive.1.log … hive.N.log
 * (logrotate's naming, so `tail -F logs/hive.log` follows across rotations). pino-roll was tried first: it
 * names the live file hive.<n>.log, which leaves no stable path to read or follow.
 */
export function openLogFile(opts: LogFileOptions): LogFile {
  const dir = path.join(opts.dataDir, LOG_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, LOG_FILE);
  const maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  const maxFiles = Math.max(1, opts.maxFiles ?? 10);
  const dest = pino.destination({ dest: file, sync: false, mkdir: true, mode: 0o600 });
  let size = existsSync(file) ? statSync(file).size : 0;
  let rolling = false;
  let closing = false;
  dest.on('write', (n: number) => {
    size += n;
    if (size < maxBytes || rolling || closing) return;
    rolling = true;
    dest.flush((err) => {
      if (err) {
        rolling = false;
        return;
      }
      try {
        rotate(file, maxFiles);
        size = 0;
        // Lines written meanwhile are buffered and land in the new file once it is open.
        dest.once('ready', () => (rolling = false));
        dest.reopen();
      } catch {
        // A rotation that fails (disk full, permissions) keeps writing to the same file; the next write tries again.
        rolling = false;
      }
    });
  });
  const streams: { level: Level; stream: DestinationStream }[] = [{ level: 'trace', stream: dest }];
  if (opts.pretty) {
    streams.push({ level: 'trace', stream: PinoPretty({ destination: opts.pretty, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', sync: true }) });
  }
  const options: LoggerOptions = {
    level: opts.level,
    base: { pid: process.pid },
    // pino's default epoch-ms `time` (ISO strings cost ~3 µs a line here); `hive logs` and the terminal show it readable.
    ...(opts.mixin ? { mixin: opts.mixin } : {}),
    ...(opts.mask ? { hooks: { streamWrite: opts.mask } } : {}),
  };
  // One destination: write to it directly (multistream costs a few µs a line, and every event is a line).
  const logger = streams.length === 1 ? pino(options, dest) : pino(options, pino.multistream(streams));
  return {
    logger,
    file,
    close: async () => {
      // A rotation under way finishes first (it reopens the file); end() then writes what is buffered and closes.
      closing = true;
      while (rolling) await new Promise((r) => setTimeout(r, 5));
      await new Promise<void>((resolve) => {
        dest.once('close', () => resolve());
        dest.once('error', () => resolve());
        dest.end();
      });
    },
  };
}

/** hive.log → hive.1.log → hive.2.log …; the oldest beyond `maxFiles` is deleted. */
function rotate(file: string, maxFiles: number): void {
  const base = file.slice(0, -'.log'.length);
  const nth = (i: number) => (i === 0 ? file : `${base}.${i}.log`);
  rmSync(nth(maxFiles - 1), { force: true });
  for (let i = maxFiles - 2; i >= 0; i--) if (existsSync(nth(i))) renameSync(nth(i), nth(i + 1));
}

/** A log line with the password of any Redis URL in it masked, and every given secret value. */
export function maskSecrets(line: string, secrets: readonly string[]): string {
  let out = line.replace(/(rediss?:\/\/[^:@/\s"]*:)[^@/\s"]+@/g, '$1***@');
  for (const v of secrets) if (v.length >= 6 && out.includes(v)) out = out.split(v).join('***');
  return out;
}

/** Every log file of a data dir, oldest first (what `hive logs` reads). */
export function logFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, LOG_DIR);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (let i = 50; i >= 1; i--) {
    const f = path.join(dir, `hive.${i}.log`);
    if (existsSync(f)) out.push(f);
  }
  const current = path.join(dir, LOG_FILE);
  if (existsSync(current)) out.push(current);
  return out;
}

/** A logger that writes nothing (cores built without a host: tests, `hive migrate`). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
