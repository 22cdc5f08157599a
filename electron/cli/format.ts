import { readFileSync } from 'node:fs';
import { HiveError } from '../../shared/errors.js';

/** Plain aligned columns for terminals; --json is the format for scripts. */
export function formatTable(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c ?? '').replace(/\n/g, ' ⏎ ')))];
  const widths = headers.map((_, i) => Math.min(60, cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0)));
  return cells.map((r) => r.map((c, i) => (c.length > widths[i]! ? c.slice(0, widths[i]! - 1) + '…' : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/**
 * A commander parser for a numeric option that refuses what is not a number, naming the flag and the value
 * (`--cpus abc` went to the API as null: "expected number, received null"; `--memory-mb 12abc` was 12).
 */
/**
 * A number as people write it on a command line: decimal digits, a sign, a point. NaN for anything else —
 * `Number()` took '' for 0 (`--hang-timeout ''` turned hang detection off), and '0x10', '1e3' for numbers.
 */
export function decimal(v: string): number {
  return /^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$/.test(v) ? Number(v) : Number.NaN;
}

export function numberOption(flag: string, opts: { integer?: boolean; min?: number; max?: number } = {}): (v: string) => number {
  return (v: string) => {
    const n = decimal(v);
    const { integer = false, min = -Infinity, max = Infinity } = opts;
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      const range = min > -Infinity && max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` of at least ${min}` : '';
      throw new HiveError('INVALID_INPUT', `${flag} takes ${integer ? 'a whole number' : 'a number'}${range}, not ${JSON.stringify(v)}.`);
    }
    return n;
  };
}

/** A text file a flag names ("-" = standard input), or an error that says which flag and why. */
export function readTextFile(file: string, flag: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new HiveError('INVALID_INPUT', `Cannot read ${flag} ${file}: ${why}. Give the path of a readable text file${flag === '--file' ? ' ("-" for standard input)' : ''}.`);
  }
}
