import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Disposable } from '../../ports/disposable.js';

/**
 * One attached connection to a container: stdout and stderr demultiplexed into the agent's log file,
 * stdin for input. The container keeps its stdin open (StdinOnce false), so dropping this connection never
 * ends the agent's input.
 */
export class ContainerIo implements Disposable {
  private ended = false;
  private retireTimer: NodeJS.Timeout | null = null;
  /**
   * Where a resume starts reading the engine's log: when the last output arrived (a line the engine logged
   * after that never reached us), else when the connection closed. Clocks of host and engine are taken to
   * agree (a remote engine with a skewed clock repeats or misses the lines of the skew).
   */
  private lastDataAt: number | null = null;
  closedAt: number | null = null;

  get resumeFrom(): number | null {
    return this.lastDataAt ?? this.closedAt;
  }
  /** The log-following stream of a resumed connection (output), beside the attached one (input only). */
  private follower: (NodeJS.ReadableStream & { destroy?: () => void }) | null = null;

  private constructor(
    private readonly stream: NodeJS.ReadWriteStream,
    private readonly log: LogSink,
  ) {}

  /**
   * Writes the output to the file now at the log's path: the log may have been moved aside since this
   * connection opened it (past 64 MB at a start), and a warm standby's connection opened it when the standby
   * was made — its agent wrote to `<name>.log.1` after taking over.
   */
  reopenLog(): void {
    if (!this.ended) this.log.reopen();
  }

  /** Attach before `start()` so the first line the agent prints is not lost. */
  static async attach(docker: Dockerode, container: Dockerode.Container, logPath: string): Promise<ContainerIo> {
    mkdirSync(path.dirname(logPath), { recursive: true });
    const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const log = new LogSink(logPath);
    const io = new ContainerIo(stream, log);
    // Both streams go to one log, in the order the engine sends them, like a terminal would show them.
    docker.modem.demuxStream(stream, log, log);
    // +1: Date.now() is whole milliseconds and the engine's timestamps are not; a line that reached us in
    // the millisecond it was logged must not come back from the log. (A line logged in that same
    // millisecond that never reached us is then missed: a burst cut by the engine's stop, at worst.)
    stream.on('data', () => (io.lastDataAt = Date.now() + 1));
    io.closeWith(stream);
    return io;
  }

  /**
   * A connection again after the engine went away with the container still running (dockerd restarted with
   * live-restore): output from the engine's log of the container, from the moment the last connection
   * closed on (what the agent printed while the engine was down included, nothing twice), and a new
   * connection for input. Needs a log driver the engine can read back (json-file, local, journald).
   */
  static async resume(docker: Dockerode, container: Dockerode.Container, logPath: string, sinceMs: number): Promise<ContainerIo> {
    mkdirSync(path.dirname(logPath), { recursive: true });
    const input = await container.attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true });
    const follower = (await container.logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: Math.floor(sinceMs / 1000) })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    const log = new LogSink(logPath);
    const io = new ContainerIo(input, log);
    io.follower = follower;
    io.lastDataAt = sinceMs;
    const frames = new LogFrames((ts, payload) => {
      if (ts <= sinceMs) return;
      io.lastDataAt = ts;
      log.write(payload);
    });
    follower.on('data', (chunk: Buffer) => frames.push(chunk));
    io.closeWith(input);
    io.closeWith(follower);
    return io;
  }

  get open(): boolean {
    return !this.ended;
  }

  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) {
        reject(new Error('the connection to the container is closed'));
        return;
      }
      this.stream.write(text, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Its container has ended, and its last output may still be on its way: the engine closes the connection
   * once it has copied everything (with the engine's clean-up, 70 ms to ~1 s after the end). Closed then, or
   * after `maxMs` at the latest. (Closed at once, a crash's last lines — its error — could miss the log.)
   */
  retire(maxMs: number): Promise<void> {
    if (this.ended) {
      this.dispose();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.retireTimer ??= setTimeout(() => this.dispose(), maxMs);
      this.retireTimer.unref?.();
      this.retired.push(resolve);
    });
  }

  private readonly retired: (() => void)[] = [];

  /** The connection is over when this stream errs, ends or closes. */
  private closeWith(s: NodeJS.EventEmitter): void {
    for (const ev of ['error', 'end', 'close']) s.on(ev, () => this.close());
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    this.closedAt = Date.now();
    this.log.end();
    this.follower?.destroy?.();
    if (this.retireTimer) {
      clearTimeout(this.retireTimer);
      (this.stream as NodeJS.ReadWriteStream & { destroy?: () => void }).destroy?.();
    }
    for (const r of this.retired.splice(0)) r();
  }

  dispose(): void {
    const s = this.stream as NodeJS.ReadWriteStream & { destroy?: () => void };
    this.close();
    s.destroy?.();
  }
}

/** The agent's log file (appended to) as one stream whose file can be opened again at the same path. */
class LogSink extends Writable {
  private file: WriteStream;

  constructor(private readonly logPath: string) {
    super();
    this.file = LogSink.open(logPath);
    // Output arriving after the connection was closed (a write after end) must not take the host down.
    this.on('error', () => {});
  }

  private static open(logPath: string): WriteStream {
    const file = createWriteStream(logPath, { flags: 'a' });
    // A log write error (disk full) must not take the host down; the agent keeps running.
    file.on('error', () => {});
    return file;
  }

  reopen(): void {
    const old = this.file;
    this.file = LogSink.open(this.logPath);
    // What was written before goes where it was meant to (the file moved aside), then the old one closes.
    old.end();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.file.write(chunk);
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.file.end(() => done());
  }
}

/**
 * The engine's multiplexed log stream (a container without a TTY): frames of an 8-byte header (stream,
 * 0, 0, 0, payload length big-endian) and a payload, here each an RFC 3339 timestamp, a space, one line.
 */
export class LogFrames {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onLine: (tsMs: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const frame = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      const space = frame.indexOf(0x20);
      if (space < 0) continue;
      this.onLine(timestampMs(frame.subarray(0, space).toString('latin1')), frame.subarray(space + 1));
    }
  }
}

/** Milliseconds of an RFC 3339 timestamp with nanoseconds (Date.parse keeps only what it can). */
export function timestampMs(ts: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return Number.NaN;
  const frac = m[2] ? Number(`0${m[2]}`) : 0;
  return Date.parse(`${m[1]}${m[3]}`) + frac * 1000;
}
