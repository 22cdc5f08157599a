import { closeSync, copyFileSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, watch, writeSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../ports/clock.js';
import { Emitter, type Disposable } from '../ports/disposable.js';

export interface OutputChunk {
  name: string;
  data: string;
  at: number;
  /** Byte offset in the log just after this chunk; lets a reader of the log tail drop what it already has. */
  end: number;
}

/** A running agent's log past this size is moved aside to `<name>.log.1` (see `bound`). */
export const LOG_ROTATE_BYTES = 64 * 1024 * 1024;

/**
 * Follows every agent log in `<dataDir>/logs` (one inotify watch for the folder) and announces new
 * output. The logs are written by tmux's pipe-pane, the child processes or the Docker stream; this reads
 * them, and keeps each one bounded while its agent runs.
 */
export class OutputTailer implements Disposable {
  private readonly onDidOutputEmitter = new Emitter<OutputChunk>();
  readonly onDidOutput = this.onDidOutputEmitter.event;
  private readonly offsets = new Map<string, number>();
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly logDir: string,
    private readonly clock: Clock,
    private readonly maxBytes = LOG_ROTATE_BYTES,
  ) {}

  start(): void {
    mkdirSync(this.logDir, { recursive: true });
    this.watcher = watch(this.logDir, (_event, file) => {
      if (file && file.endsWith('.log')) this.read(file.slice(0, -4));
    });
    this.watcher.on('error', () => {});
    // inotify can coalesce or miss events on some filesystems; a slow sweep catches up.
    this.poll = setInterval(() => this.sweep(), 2000);
    this.poll.unref();
  }

  /** Starts following a log from its current end (history is read with `agents:output`). */
  follow(name: string): void {
    const file = path.join(this.logDir, `${name}.log`);
    this.offsets.set(name, existsSync(file) ? sizeOf(file) : 0);
  }

  unfollow(name: string): void {
    this.offsets.delete(name);
  }

  private sweep(): void {
    for (const name of this.offsets.keys()) {
      this.read(name);
      this.bound(name);
    }
  }

  /**
   * A log past maxBytes while its agent runs (a loop printing without end filled the disk: logs were only
   * moved aside at the next start) is copied to `<name>.log.1` and emptied in place. Every writer appends
   * (O_APPEND: tmux's `cat >>`, the process backend's fd, the Docker stream), so each goes on at the new
   * end, with no hole. What was appended during the copy is added to the copy before the file is emptied;
   * only a write in the microseconds between that last read and the truncate can be lost. On disk: at
   * most twice maxBytes, plus what the agent writes between two sweeps.
   */
  private bound(name: string): void {
    const file = path.join(this.logDir, `${name}.log`);
    try {
      if (statSync(file).size <= this.maxBytes) return;
      const aside = `${file}.1`;
      try {
        copyFileSync(file, aside);
      } catch (err) {
        // No room for the copy (the disk this log filled): emptied all the same, or the disk stays full.
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        const fd = openSync(file, 'r+');
        ftruncateSync(fd, 0);
        closeSync(fd);
        this.offsets.set(name, 0);
        return;
      }
      const fd = openSync(file, 'r+');
      const out = openSync(aside, 'a');
      try {
        let copied = fstatSync(out).size;
        for (let size = fstatSync(fd).size; size > copied; size = fstatSync(fd).size) {
          const buf = Buffer.alloc(Math.min(size - copied, 1024 * 1024));
          const n = readSync(fd, buf, 0, buf.length, copied);
          if (n === 0) break;
          writeSync(out, buf, 0, n);
          copied += n;
        }
        ftruncateSync(fd, 0);
      } finally {
        closeSync(out);
        closeSync(fd);
      }
      this.offsets.set(name, 0);
    } catch {
      // Gone, or no room for the copy: tried again at the next sweep.
    }
  }

  private read(name: string): void {
    const offset = this.offsets.get(name);
    if (offset === undefined) return;
    const file = path.join(this.logDir, `${name}.log`);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < offset) {
        this.offsets.set(name, 0); // truncated or replaced
        return;
      }
      if (size === offset) return;
      const len = Math.min(size - offset, 1024 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, offset);
      // Do not split a UTF-8 sequence: an incomplete trailing character waits for the rest of its bytes.
      const end = completeUtf8Length(buf);
      if (end === 0) return;
      this.offsets.set(name, offset + end);
      this.onDidOutputEmitter.fire({ name, data: buf.subarray(0, end).toString('utf8'), at: this.clock.now(), end: offset + end });
    } finally {
      closeSync(fd);
    }
  }

  dispose(): void {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
  }
}

/** The length of `buf` without a trailing, incomplete UTF-8 sequence (at most 3 bytes are held back). */
export function completeUtf8Length(buf: Buffer): number {
  let lead = buf.length - 1;
  while (lead >= 0 && lead > buf.length - 4 && (buf[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return buf.length;
  const b = buf[lead]!;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  // Invalid bytes (a stray continuation, an ASCII byte followed by continuations) are passed on as they are.
  if (need === 1 || (b & 0xc0) !== 0xc0) return buf.length;
  return lead + need > buf.length ? lead : buf.length;
}

function sizeOf(file: string): number {
  const fd = openSync(file, 'r');
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
