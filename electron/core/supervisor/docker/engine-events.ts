import type Dockerode from 'dockerode';
import { z } from 'zod';
import { Emitter, type Disposable } from '../../ports/disposable.js';

/** The part of a Docker engine event we use; validated because it comes from outside the process. */
export const EngineEvent = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()).default({}) }),
  timeNano: z.number().optional(),
});
export type EngineEvent = z.infer<typeof EngineEvent>;

export interface EngineEventsOptions {
  /** Engine-side filters (`label`, `type`, `event`), as in `docker events --filter`. */
  filters: Record<string, string[]>;
  minRetryMs?: number;
  maxRetryMs?: number;
  /** A silent half-open connection (remote engine, laptop sleep) is only noticed by asking. */
  pingIntervalMs?: number;
}

/**
 * The engine's events stream, kept open: reconnects with backoff after a drop and says so through
 * onDidConnect, so the owner can catch up on what happened while it was away.
 */
export class EngineEvents implements Disposable {
  private readonly eventEmitter = new Emitter<EngineEvent>();
  private readonly connectEmitter = new Emitter<{ reconnect: boolean }>();
  private readonly disconnectEmitter = new Emitter<{ error: string }>();
  readonly onDidEvent = this.eventEmitter.event;
  readonly onDidConnect = this.connectEmitter.event;
  readonly onDidDisconnect = this.disconnectEmitter.event;

  private stream: NodeJS.ReadableStream | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryMs: number;
  private everConnected = false;
  private connecting = false;
  private disposed = false;
  private started = false;
  private firstConnect: Promise<void> | null = null;
  private resolveFirst: (() => void) | null = null;

  constructor(
    private readonly docker: Dockerode,
    private readonly options: EngineEventsOptions,
  ) {
    this.retryMs = options.minRetryMs ?? 200;
  }

  get connected(): boolean {
    return this.stream !== null;
  }

  /** Starts watching; resolves once connected the first time (or never, while the engine is away). */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.firstConnect = new Promise((resolve) => (this.resolveFirst = resolve));
      void this.connect();
      const every = this.options.pingIntervalMs ?? 5000;
      this.pingTimer = setInterval(() => void this.checkAlive(), every);
      this.pingTimer.unref();
    }
    return this.firstConnect!;
  }

  private async connect(): Promise<void> {
    if (this.disposed || this.connecting || this.stream) return;
    this.connecting = true;
    try {
      const stream = await this.docker.getEvents({ filters: JSON.stringify(this.options.filters) } as Dockerode.GetEventsOptions);
      if (this.disposed) {
        destroyStream(stream);
        return;
      }
      this.stream = stream;
      this.retryMs = this.options.minRetryMs ?? 200;
      let buffered = '';
      stream.on('data', (chunk: Buffer | string) => {
        buffered += chunk.toString();
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) this.parse(line);
        }
      });
      const lost = (err?: unknown) => this.lost(stream, err);
      stream.on('end', () => lost());
      stream.on('close', () => lost());
      stream.on('error', (err: unknown) => lost(err));
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.connectEmitter.fire({ reconnect });
      this.resolveFirst?.();
      this.resolveFirst = null;
    } catch (err) {
      this.scheduleRetry();
      if (!this.everConnected) this.disconnectEmitter.fire({ error: describe(err) });
    } finally {
      this.connecting = false;
    }
  }

  private parse(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const parsed = EngineEvent.safeParse(raw);
    if (parsed.success) this.eventEmitter.fire(parsed.data);
  }

  private lost(stream: NodeJS.ReadableStream, err?: unknown): void {
    if (this.stream !== stream) return;
    this.stream = null;
    destroyStream(stream);
    if (this.disposed) return;
    this.disconnectEmitter.fire({ error: err ? describe(err) : 'the engine closed the events stream' });
    this.scheduleRetry(true);
  }

  private scheduleRetry(immediate = false): void {
    if (this.disposed || this.retryTimer) return;
    const delay = immediate ? 0 : this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.options.maxRetryMs ?? 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private async checkAlive(): Promise<void> {
    if (!this.stream || this.disposed) return;
    const stream = this.stream;
    try {
      await withTimeout(this.docker.ping(), 3000);
    } catch (err) {
      this.lost(stream, err);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.stream) destroyStream(this.stream);
    this.stream = null;
  }
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  const s = stream as NodeJS.ReadableStream & { destroy?: () => void };
  s.removeAllListeners?.('data');
  s.destroy?.();
}

export function describe(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string' && typeof e.message === 'string') return `${e.code}: ${e.message}`;
    if (typeof e.message === 'string') return e.message;
  }
  return String(err);
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
