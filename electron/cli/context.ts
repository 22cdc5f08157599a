import type { Command } from 'commander';
import { resolveDataDir } from '../host/data-dir.js';
import { ApiClient } from './api-client.js';

/** What every command file gets: the data dir and a lazily made client for the running host. */
export interface CliContext {
  dataDir(): string;
  api(): ApiClient;
  /** Prints a value: JSON with --json, otherwise the given human rendering. */
  print(value: unknown, opts: { json?: boolean }, human?: (v: never) => string): void;
}

export function makeContext(program: Command): CliContext {
  return {
    dataDir: () => resolveDataDir(program.opts<{ dataDir?: string }>().dataDir),
    api() {
      return ApiClient.fromDataDir(this.dataDir());
    },
    print(value, opts, human) {
      if (opts.json || !human) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
      else process.stdout.write(human(value as never) + '\n');
    },
  };
}
