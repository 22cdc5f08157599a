import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { HiveError } from '../../../shared/errors.js';

interface Pending {
  resolve: (b: Buffer | null) => void;
  reject: (e: Error) => void;
}

/** One long-lived `git cat-file --batch`: reading thousands of blobs costs one process, not thousands. */
export class CatFileBatch {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `buf`: a large blob arrives in many chunks, joined once it is complete. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes `buf` must hold before the answer at its head can be read (0: not known yet). */
  private needed = 0;
  private closed = false;

  constructor(cwd: string, env: NodeJS.ProcessEnv, gitBin = 'git') {
    this.child = spawn(gitBin, ['cat-file', '--batch'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      // Joining every chunk to what came before was quadratic in a blob's size (a profile of a replay:
      // 18 s of Buffer.concat on mongoose's history).
      this.chunks.push(d);
      this.chunkBytes += d.length;
      if (this.buf.length + this.chunkBytes < this.needed) return;
      this.buf = this.buf.length === 0 && this.chunks.length === 1 ? d : Buffer.concat([this.buf, ...this.chunks]);
      this.chunks = [];
      this.chunkBytes = 0;
      this.drain();
    });
    this.child.on('close', () => {
      this.closed = true;
      for (const p of this.queue.splice(0)) p.reject(new HiveError('INTERNAL', 'git cat-file stopped unexpectedly.'));
    });
    this.child.stdin.on('error', () => {});
  }

  /** The object's bytes, or null when it does not exist. */
  read(spec: string): Promise<Buffer | null> {
    if (this.closed) return Promise.reject(new HiveError('INTERNAL', 'git cat-file is closed.'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.child.stdin.write(spec.replace(/\n/g, ' ') + '\n');
    });
  }

  async readText(spec: string): Promise<string | null> {
    const b = await this.read(spec);
    return b === null ? null : b.toString('utf8');
  }

  private drain(): void {
    for (;;) {
      const nl = this.buf.indexOf(10);
      if (nl < 0 || this.queue.length === 0) return;
      const header = this.buf.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buf = this.buf.subarray(nl + 1);
        this.queue.shift()!.resolve(null);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (this.buf.length < nl + 1 + size + 1) {
        this.needed = nl + 1 + size + 1;
        return;
      }
      this.needed = 0;
      const body = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.queue.shift()!.resolve(body);
    }
  }

  dispose(): void {
    if (!this.closed) this.child.stdin.end();
  }
}
