import os from 'node:os';
import path from 'node:path';

/** `--data-dir`, else HIVE_DATA_DIR, else ~/.agent-hive. */
export function resolveDataDir(flag?: string | null): string {
  const dir = flag || process.env.HIVE_DATA_DIR || path.join(os.homedir(), '.agent-hive');
  return path.resolve(dir);
}
