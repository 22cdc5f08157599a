import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Disposable } from '../ports/disposable.js';
import type { Db } from './database.js';

export interface WalCheckpointerOptions {
  /** How often the worker copies the WAL back into the database file. */
  intervalMs?: number;
  /** WAL length (pages) past which the worker makes writers wait for one full checkpoint (a bound, rarely hit). */
  limitPages?: number;
  /** Called once if the worker stops on its own (SQLite's own checkpoints are back on by then). */
  onFailure?: (err: Error) => void;
}

/** SQLite's default: a commit that leaves the WAL this many pages long runs a checkpoint itself. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

// Plain CommonJS run by `new Worker(code, { eval: true })`: a worker file next to this one would not exist
// when the sources run under vitest, and this is small enough to keep here.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true, nativeBinding: workerData.nativeBinding });
// Never wait on a lock: a PASSIVE checkpoint copies what it can and the next one copies the rest.
db.pragma('busy_timeout = 0');
const tick = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // A writer that never pauses keeps the WAL from being rewritten from its start (that needs one moment
    // with everything copied back), so past the limit one RESTART checkpoint makes new writers wait for it.
    // Waiting here for a gap between commits costs this thread only.
    if (r && r.log > workerData.limitPages) {
      db.pragma('busy_timeout = 200');
      try { db.pragma('wal_checkpoint(RESTART)'); } finally { db.pragma('busy_timeout = 0'); }
    }
  } catch (err) {
    // SQLITE_BUSY (another checkpoint runs) is harmless; anything else ends the worker and the main
    // connection checkpoints by itself again.
    if (!/busy|locked/i.test(String(err && err.message))) throw err;
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try { tick(); } finally { db.close(); parentPort.close(); }
});
`;

/**
 * Runs the WAL checkpoints of `db` on a worker thread with its own connection, and turns SQLite's automatic
 * checkpoint off on `db`. Why: with `synchronous = NORMAL` a commit only writes the WAL, but every ~1000
 * pages the commit that crosses the limit also copies the WAL back and fsyncs twice, on the event loop:
 * 5–15 ms every second at 1,000 messages/s, the bus's latency tail. A PASSIVE checkpoint on another
 * connection never blocks the writer (SQLite's WAL lets both run at once), and durability is the same:
 * commits still reach the WAL exactly as before; only who copies them into the main file changes.
 *
 * The WAL stays bounded: past `limitPages` (16 MB by default) one RESTART checkpoint makes writers wait.
 * If the worker cannot start or stops, the connection's automatic checkpoint is switched back on.
 * In-memory and read-only databases are left alone (no WAL to checkpoint).
 */
export class WalCheckpointer implements Disposable {
  private worker: Worker | null = null;
  private stopped = false;

  constructor(
    private readonly db: Db,
    opts: WalCheckpointerOptions = {},
  ) {
    if (db.memory || db.readonly || String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return;
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module: createRequire(import.meta.url).resolve('better-sqlite3'),
          file: db.name,
          nativeBinding: process.env.HIVE_SQLITE_NATIVE_BINDING || undefined,
          intervalMs: Math.max(10, Math.trunc(opts.intervalMs ?? 1000)),
          limitPages: Math.max(100, Math.trunc(opts.limitPages ?? 4 * SQLITE_DEFAULT_AUTOCHECKPOINT)),
        },
      });
    } catch (err) {
      opts.onFailure?.(err as Error);
      return;
    }
    this.worker = worker;
    db.pragma('wal_autocheckpoint = 0');
    // A worker does not keep the process alive: a CLI or test that forgets dispose() still exits.
    worker.unref();
    const fail = (err: Error): void => {
      if (this.stopped || this.worker !== worker) return;
      this.worker = null;
      this.restoreAutoCheckpoint();
      opts.onFailure?.(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the WAL checkpoint worker exited with code ${code}`)));
  }

  /** True while checkpoints run on the worker (false: SQLite's own automatic checkpoints are in use). */
  get active(): boolean {
    return this.worker !== null;
  }

  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const worker = this.worker;
    this.worker = null;
    if (worker) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      // A last checkpoint and close take milliseconds; never let a wedged worker hold up shutdown.
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    }
    this.restoreAutoCheckpoint();
  }

  private restoreAutoCheckpoint(): void {
    try {
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    } catch {
      // The database is closing: nothing left to checkpoint from this connection.
    }
  }
}
