import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { HiveError } from '../../../shared/errors.js';

/**
 * Secret values (API keys for the presets' tools) in one JSON file readable by its owner only (0600),
 * written atomically. The database only records that a secret exists and its last four characters, so a
 * copy of hive.db, an exported event log or a snapshot never carries a key.
 */
export class SecretFile {
  constructor(private readonly file: string) {}

  private read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {};
    } catch (err) {
      throw new HiveError('INVALID_INPUT', `${this.file} is not valid JSON (${(err as Error).message}). Fix it or remove it and set the secrets again (hive settings env …).`);
    }
  }

  private write(all: Record<string, string>): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  get(id: string): string | undefined {
    return this.read()[id];
  }

  set(id: string, value: string): void {
    this.write({ ...this.read(), [id]: value });
  }

  delete(id: string): void {
    const all = this.read();
    if (!(id in all)) return;
    delete all[id];
    this.write(all);
  }

  values(): string[] {
    return Object.values(this.read());
  }
}
