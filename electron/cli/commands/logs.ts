import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { prettyFactory } from 'pino-pretty';
import { HiveError } from '../../../shared/errors.js';
import { LOG_DIR, LOG_FILE, logFiles } from '../../core/observability/log-file.js';
import type { CliContext } from '../context.js';
import { decimal } from '../format.js';

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

interface Filter {
  minLevel: number;
  agent: string | null;
}

/** A parsed line when it passes the filter; null otherwise (and for anything that is not a JSON object). */
function pick(line: string, f: Filter): Record<string, unknown> | null {
  if (!line.trim()) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.level === 'number' && o.level < f.minLevel) return null;
  if (f.agent !== null && o.agent !== f.agent) return null;
  return o;
}

/** `hive logs`: reads the host's log files (`<data-dir>/logs/hive*.log`) directly; no host needed. */
export function registerLogsCommands(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("the host's log (<data-dir>/logs/hive.log and its rotated files): the last lines, or --follow")
    .option('-f, --follow', 'keep printing new lines as they are written (follows rotation)')
    .option('--level <level>', 'only this level and above: trace, debug, info, warn, error, fatal', 'trace')
    .option('--agent <name>', "only lines about this agent")
    .option('-n, --lines <n>', 'how many of the last matching lines to print first (0 = all)', '200')
    .option('--json', 'print the JSON lines as written (one object per line)')
    .action(async (o: { follow?: boolean; level: string; agent?: string; lines: string; json?: boolean }) => {
      const minLevel = LEVELS[o.level.toLowerCase()];
      if (minLevel === undefined) throw new HiveError('INVALID_INPUT', `--level takes one of ${Object.keys(LEVELS).join(', ')}, not ${JSON.stringify(o.level)}.`);
      const lines = decimal(o.lines);
      if (!Number.isInteger(lines) || lines < 0) throw new HiveError('INVALID_INPUT', `--lines takes a whole number (0 = all), not ${JSON.stringify(o.lines)}.`);
      const dataDir = ctx.dataDir();
      const filter: Filter = { minLevel, agent: o.agent ?? null };
      const pretty = prettyFactory({ colorize: !!process.stdout.isTTY, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname' });
      const show = (raw: string, parsed: Record<string, unknown>) => process.stdout.write(o.json ? raw + '\n' : pretty(parsed));

      const files = logFiles(dataDir);
      if (files.length === 0 && !o.follow) {
        throw new HiveError('INVALID_INPUT', `No log in ${path.join(dataDir, LOG_DIR)} yet: the host writes it once \`hive serve\` (or the app) has run on this data dir.`);
      }
      // With --follow the live file is opened first: the last lines are read up to where following starts, so
      // a line written in between is neither missed nor printed twice.
      const current = path.join(dataDir, LOG_DIR, LOG_FILE);
      let fd: number | null = o.follow && existsSync(current) ? openSync(current, 'r') : null;
      let offset = fd !== null ? fstatSync(fd).size : 0;
      const matched: { raw: string; parsed: Record<string, unknown> }[] = [];
      for (const file of files) {
        let text = readFileSync(file, 'utf8');
        if (fd !== null && file === current) text = readFileSync(file).subarray(0, offset).toString('utf8');
        for (const raw of text.split('\n')) {
          const parsed = pick(raw, filter);
          if (!parsed) continue;
          matched.push({ raw, parsed });
          if (lines > 0 && matched.length > lines * 2) matched.splice(0, matched.length - lines);
        }
      }
      for (const m of lines > 0 ? matched.slice(-lines) : matched) show(m.raw, m.parsed);
      if (!o.follow) return;
      // Waiting for a host that has not written anything yet: said once, on stderr (stdout stays the log).
      if (files.length === 0) process.stderr.write(`hive: no log in ${path.join(dataDir, LOG_DIR)} yet; waiting for a host to write one (\`hive serve\`, or the app, on this data dir). Ctrl-C to stop.\n`);

      // Follow the live file by path, holding it open: a rotation renames it away (the open file is read to
      // its end first, so nothing written just before the rotation is missed) and a new one starts at 0.
      let partial = '';
      const open = () => {
        if (!existsSync(current)) return;
        fd = openSync(current, 'r');
        offset = 0;
        partial = '';
      };
      const drain = () => {
        if (fd === null) return;
        const size = fstatSync(fd).size;
        if (size < offset) offset = 0; // truncated in place
        if (size === offset) return;
        const buf = Buffer.alloc(size - offset);
        const n = readSync(fd, buf, 0, buf.length, offset);
        offset += n;
        const parts = (partial + buf.subarray(0, n).toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const raw of parts) {
          const parsed = pick(raw, filter);
          if (parsed) show(raw, parsed);
        }
      };
      const poll = () => {
        drain();
        const now = existsSync(current) ? statSync(current).ino : null;
        if (fd !== null && now === fstatSync(fd).ino) return;
        // Rotated (or not there yet): finish the old file, then follow the new one from its start.
        if (fd !== null) closeSync(fd);
        fd = null;
        if (now !== null) {
          open();
          drain();
        }
      };
      const timer = setInterval(poll, 200);
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearInterval(timer);
          if (fd !== null) closeSync(fd);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
