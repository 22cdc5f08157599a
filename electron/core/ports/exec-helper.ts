import { spawn, type ChildProcess } from 'node:child_process';
import type { ExecOptions, ExecResult } from './exec.js';

/**
 * Starting a process blocks the event loop of the process that starts it: Node forks there, and a fork
 * costs in proportion to the memory mapped (measured on these VMs: 9 ms at 50 MB resident, 36 ms at
 * 370 MB). A host runs git dozens of times a second when agents crash together (crash snapshots, pre-flight),
 * and those forks held its event loop 0.6–0.9 s at a time in the chaos soak, delaying every recovery. A
 * long-lived host therefore starts its programs through this helper: a small Node process of its own,
 * reached over an IPC channel, that runs each request with execFile exactly as `run` would. Its forks cost
 * its own (small) memory and block only it.
 *
 * The helper's code is passed with `-e` (no file to find: the same under tsx, in dist and inside an asar).
 * It exits when the channel closes, so a host killed with -9 leaves nothing behind.
 */
const HELPER_SOURCE = `
const { execFile } = require('node:child_process');
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
process.on('message', (m) => {
  let child;
  try {
    child = execFile(m.file, m.args, { cwd: m.cwd, env: m.env, timeout: m.timeoutMs, maxBuffer: m.maxBuffer, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (process.connected) process.send({ id: m.id, stdout, stderr, code, message: err ? err.message : null });
    });
  } catch (err) {
    if (process.connected) process.send({ id: m.id, stdout: '', stderr: '', code: -1, message: String(err && err.message || err) });
    return;
  }
  if (m.input !== undefined && m.input !== null) child.stdin && child.stdin.end(m.input);
});
`;

/** The command never reached a running helper, so it never ran: `run` runs it itself. */
export class HelperNotStarted extends Error {
  constructor() {
    super('the process helper did not start');
  }
}

function channelOf(child: ChildProcess): { ref(): void; unref(): void } | undefined {
  return (child as unknown as { channel?: { ref(): void; unref(): void } }).channel;
}

interface Reply {
  id: number;
  stdout: string;
  stderr: string;
  code: number;
  /** execFile's error message (null when the program exited 0). */
  message: string | null;
}

/** What the helper answers: execFile's outcome, for `run` to turn into its result or error. */
export interface HelperOutcome extends ExecResult {
  message: string | null;
}

export class ExecHelper {
  /** `execPath` is for tests (a program that is not Node: a helper that never starts). */
  constructor(private readonly execPath = process.execPath) {}

  private child: ChildProcess | null = null;
  /** The current helper's state: whether it said it is ready, and what was sent to it (a helper that died has its own). */
  private state: { ready: boolean; ids: Set<number> } = { ready: false, ids: new Set() };
  private readonly pending = new Map<number, { resolve: (r: HelperOutcome) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private disposed = false;
  /**
   * The helper could not start at all (it exited before saying it was ready: an Electron build whose
   * RunAsNode fuse is off, say). Then nothing it was sent ran, and from then on `run` runs programs itself.
   */
  broken = false;

  /** Runs one program in the helper (started on first use, and again after it died). */
  run(file: string, args: readonly string[], opts: ExecOptions): Promise<HelperOutcome> {
    const child = this.ensure();
    const state = this.state;
    const id = this.nextId++;
    return new Promise<HelperOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      state.ids.add(id);
      // Held open while an answer is awaited, not longer (never what keeps a host process alive).
      if (state.ids.size === 1) channelOf(child)?.ref();
      // The host's environment now (settings can change it), not the one the helper started with.
      child.send(
        { id, file, args, cwd: opts.cwd, env: opts.env ?? process.env, timeoutMs: opts.timeoutMs ?? 60_000, maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024, input: opts.input ?? null },
        (err) => {
          if (!err || !this.pending.has(id)) return;
          // It never reached the helper, so it never ran: run here instead.
          this.settle(state, id)?.reject(new HelperNotStarted());
        },
      );
    });
  }

  /** The helper's pid while it runs (tests check it goes with the host). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private settle(state: { ids: Set<number> }, id: number) {
    const p = this.pending.get(id);
    this.pending.delete(id);
    state.ids.delete(id);
    return p;
  }

  private ensure(): ChildProcess {
    if (this.disposed) throw new Error('the process helper was stopped');
    if (this.child && this.child.connected) return this.child;
    const env = { ...process.env };
    // Inside Electron the executable is Electron's: this makes it plain Node.
    if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
    const child = spawn(this.execPath, ['-e', HELPER_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      env,
      // Not the host's own flags (an inspector port, a profiler): the helper is plain.
      execArgv: [],
    } as Parameters<typeof spawn>[2]);
    const state = { ready: false, ids: new Set<number>() };
    child.on('message', (m: Reply | { ready: true }) => {
      if ('ready' in m) {
        state.ready = true;
        return;
      }
      const p = this.settle(state, m.id);
      if (state.ids.size === 0) channelOf(child)?.unref();
      p?.resolve({ stdout: m.stdout, stderr: m.stderr, code: m.code, message: m.message });
    });
    const gone = () => {
      if (this.child === child) this.child = null;
      // Only what was sent to this helper: a new one may be running already.
      for (const id of [...state.ids]) {
        // Never started: nothing it was sent ran, and it is run here instead. Started: what was in flight
        // cannot be known to have run or not, so it is said, never run a second time.
        this.settle(state, id)?.reject(state.ready ? new Error('the process helper exited while running this command; it was not retried') : new HelperNotStarted());
      }
      if (!state.ready) this.broken = true;
    };
    child.on('exit', gone);
    child.on('error', gone);
    child.unref();
    channelOf(child)?.unref();
    this.child = child;
    this.state = state;
    return child;
  }

  dispose(): void {
    this.disposed = true;
    const c = this.child;
    this.child = null;
    if (c?.connected) c.disconnect();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error('the process helper was stopped'));
    }
  }
}
