import type { BusMessage } from '../../../shared/contract/bus.js';
import type { Clock } from '../ports/clock.js';
import { DisposableStore, type Disposable } from '../ports/disposable.js';
import type { Bus } from './bus.js';

/** Types `text` into the agent's terminal and presses Enter; throws when it could not verify it arrived. */
export type SendInput = (name: string, text: string) => Promise<unknown>;

export interface PaneDeliveryOptions {
  bus: Bus;
  clock: Clock;
  /** Supplied by the tmux backend (it verifies the text reached the pane and retries the Enter key). */
  sendInput: SendInput;
  /** Tries per message before leaving it in the inbox for the next round. */
  attempts?: number;
  retryDelayMs?: number;
  /** How often the opted-in agents' inboxes are checked (also catches messages from other processes). */
  pollMs?: number;
}

/**
 * Opt-in delivery into a pane, for agents that only read their terminal. A message is acknowledged only
 * after `sendInput` succeeded, so a failed typing attempt leaves it waiting (at-least-once, never lost);
 * one agent's pane is written by one loop at a time so lines never interleave.
 */
export class PaneDelivery implements Disposable {
  private readonly disposables = new DisposableStore();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private timer: { cancel(): void } | null = null;
  private disposed = false;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: PaneDeliveryOptions) {
    this.attempts = opts.attempts ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.pollMs = opts.pollMs ?? 2000;
    this.disposables.add(
      opts.bus.onDidSend(({ recipients }) => {
        const enabled = new Set(opts.bus.paneDeliveryAgents());
        for (const r of recipients) if (enabled.has(r)) void this.deliver(r);
      }),
    );
    this.schedule();
  }

  /** Delivers everything waiting for `name` now (also called when delivery is switched on). */
  deliver(name: string): Promise<void> {
    const running = this.busy.get(name);
    if (running) {
      this.again.add(name);
      return running;
    }
    const run = (async () => {
      do {
        this.again.delete(name);
        await this.deliverOnce(name);
      } while (this.again.has(name) && !this.disposed);
    })().finally(() => this.busy.delete(name));
    this.busy.set(name, run);
    return run;
  }

  private async deliverOnce(name: string): Promise<void> {
    const waiting = await this.opts.bus.inbox(name, { ack: false, limit: 100 });
    for (const m of waiting) {
      if (this.disposed) return;
      if (!(await this.tryType(name, formatForPane(m)))) return; // keep order: stop at the first failure
      await this.opts.bus.ack(name, [m.id]);
    }
  }

  private async tryType(name: string, text: string): Promise<boolean> {
    for (let i = 0; i < this.attempts; i++) {
      try {
        await this.opts.sendInput(name, text);
        return true;
      } catch {
        if (i + 1 < this.attempts) await new Promise<void>((r) => this.opts.clock.setTimeout(r, this.retryDelayMs * (i + 1)));
      }
    }
    return false;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      if (this.disposed) return;
      const names = this.opts.bus.paneDeliveryAgents().filter((n) => this.opts.bus.pendingFor(n).length > 0);
      void Promise.all(names.map((n) => this.deliver(n))).finally(() => {
        if (!this.disposed) this.schedule();
      });
    }, this.pollMs);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.timer?.cancel();
    await this.disposables.dispose();
    await Promise.allSettled([...this.busy.values()]);
  }
}

/** One line per message, so a terminal-only agent can tell who wrote and reply with `hive msg send`. */
export function formatForPane(m: BusMessage): string {
  const where = m.to !== null ? '' : m.topic !== null ? ` on #${m.topic}` : ' to all';
  const body = m.body.replace(/\r?\n/g, ' ⏎ ');
  return `[hive message from ${m.from}${where}] ${body}`;
}

/** The messages that waited while an agent slept, as text for its resume context. */
export function formatPendingForResume(messages: BusMessage[]): string {
  if (messages.length === 0) return '';
  const lines = messages.map((m) => `- ${m.createdAt} ${formatForPane(m)}`);
  return `Messages that arrived while you were away (read them with \`hive msg inbox\`):\n${lines.join('\n')}`;
}
