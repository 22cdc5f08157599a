import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { HiveError } from '../../../shared/errors.js';

/** One entry of `git diff-tree -r -z` raw output: what a side did to a path. */
export interface TreeChange {
  status: string;
  oldMode: string;
  newMode: string;
  old: string;
  new: string;
  /** The path, or for renames and copies the source and destination paths. */
  paths: string[];
}

interface Pending {
  resolve: (changes: TreeChange[]) => void;
  reject: (e: Error) => void;
}

// diff-tree echoes a line that is not an object id and flushes its output: that line ends each answer.
// It cannot start with ':' (every raw record does), so it is recognised only where a record could start.
const END = '--hive-end--\n';

/**
 * One long-lived `git diff-tree --stdin -r -M -z`: the replay diffs two commit pairs per merge, and a
 * process per diff cost more than everything else the replay does (a fork of this process each time).
 * Each query is "SIDE BASE", i.e. SIDE diffed against BASE given as its only parent: the same raw output
 * as `git diff-tree -r -M -l1000 -z BASE SIDE`. `--no-commit-id` drops the commit header.
 */
export class DiffTreeBatch {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private records: TreeChange[] = [];
  private closed = false;
  private stderr = '';

  constructor(cwd: string, env: NodeJS.ProcessEnv, gitBin = 'git', extraArgs: string[] = []) {
    // -l1000 is git's default rename limit, spelled out so a diff.renameLimit in the user's or the
    // repository's config cannot change which files count as renames (and so the replay's counts).
    this.child = spawn(gitBin, [...extraArgs, 'diff-tree', '--stdin', '-r', '-M', '-l1000', '-z', '--no-commit-id'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-2000);
    });
    this.child.on('close', () => {
      this.closed = true;
      const why = this.stderr.trim() ? ` (${this.stderr.trim()})` : '';
      for (const p of this.queue.splice(0)) p.reject(new HiveError('INTERNAL', `git diff-tree stopped unexpectedly${why}.`));
    });
    this.child.on('error', () => {});
    this.child.stdin.on('error', () => {});
  }

  /** What `side` changed relative to `base` (both full commit ids), in git's output order. */
  diff(base: string, side: string): Promise<TreeChange[]> {
    if (this.closed) return Promise.reject(new HiveError('INTERNAL', 'git diff-tree is closed.'));
    if (!/^[0-9a-f]{40,64}$/.test(base) || !/^[0-9a-f]{40,64}$/.test(side)) {
      return Promise.reject(new HiveError('INVALID_INPUT', `diff-tree needs full commit ids, got "${side}" and "${base}".`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.child.stdin.write(`${side} ${base}\n${END}`);
    });
  }

  private drain(): void {
    // Records are parsed as they arrive: ":meta\0path\0" (two paths for renames and copies).
    let pos = 0;
    for (;;) {
      if (pos >= this.buf.length || this.queue.length === 0) break;
      if (this.buf[pos] !== 0x3a /* ':' */) {
        if (this.buf.length - pos < END.length) break;
        const line = this.buf.toString('utf8', pos, pos + END.length);
        if (line !== END) {
          this.fail(`unexpected output from git diff-tree: ${JSON.stringify(this.buf.toString('utf8', pos, pos + 80))}`);
          return;
        }
        pos += END.length;
        const done = this.records;
        this.records = [];
        this.queue.shift()!.resolve(done);
        continue;
      }
      const metaEnd = this.buf.indexOf(0, pos);
      if (metaEnd < 0) break;
      const [oldMode, newMode, oldOid, newOid, status] = this.buf.toString('utf8', pos + 1, metaEnd).split(' ') as [string, string, string, string, string];
      const twoPaths = status[0] === 'R' || status[0] === 'C';
      const p1End = this.buf.indexOf(0, metaEnd + 1);
      if (p1End < 0) break;
      const p2End = twoPaths ? this.buf.indexOf(0, p1End + 1) : p1End;
      if (p2End < 0) break;
      const paths = [this.buf.toString('utf8', metaEnd + 1, p1End)];
      if (twoPaths) paths.push(this.buf.toString('utf8', p1End + 1, p2End));
      this.records.push({ status: status[0]!, oldMode, newMode, old: oldOid, new: newOid, paths });
      pos = p2End + 1;
    }
    this.buf = pos >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  private fail(message: string): void {
    for (const p of this.queue.splice(0)) p.reject(new HiveError('INTERNAL', message));
    this.dispose();
  }

  dispose(): void {
    if (!this.closed) this.child.stdin.end();
  }
}
