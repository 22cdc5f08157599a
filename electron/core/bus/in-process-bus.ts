import type { BusMessage, BusState } from '../../../shared/contract/bus.js';
import { BusBase, type BusOptions } from './bus-base.js';

/**
 * The bus of a hive without Redis: SQLite is both the record and the backlog, long-polls are woken in this
 * process, presence lives in memory. Everything the agents can do works; only other processes that share
 * no SQLite file cannot listen in.
 */
export class InProcessBus extends BusBase {
  readonly kind = 'in-process' as const;

  constructor(opts: BusOptions) {
    super(opts);
  }

  state(): BusState {
    return {
      kind: 'in-process',
      state: this.disposed ? 'disconnected' : 'connected',
      detail: 'No Redis configured (--redis URL or HIVE_REDIS_URL): messages are carried in this process and kept in SQLite.',
    };
  }

  protected async pushTransport(_message: BusMessage, _recipients: string[]): Promise<void> {
    // The SQLite row written by send() is the backlog; nothing else to hand over.
  }

  protected async dropTransport(_name: string, _ids: string[]): Promise<void> {}
}
