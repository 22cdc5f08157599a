import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import type { Clock } from '../ports/clock.js';
import { Emitter } from '../ports/disposable.js';
import { run } from '../ports/exec.js';
import type { Availability, Backend, ExitInfo, RunningAgent, StartSpec } from './backend.js';
import { ProcessTreeSampler, pidAlive, groupAlive, signalGroup } from './process-tree.js';
import { paneTarget, sessionTarget, tmuxArg } from './tmux-args.js';

const DIED_CHANNEL = 'hive-pane-died';
/** One row per pane; the session id tells a dead old session from a new one of the same name. */
const PANES_FORMAT = '#{session_name}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{pane_pid}\t#{session_id}';

/** The constant server configuration: no user string is in here. */
const TMUX_CONF = [
  'set -g exit-empty off',
  'set -g remain-on-exit on',
  'set -g history-limit 50000',
  'set -g default-terminal "xterm-256color"',
  `set-hook -g pane-died "wait-for -S ${DIED_CHANNEL}"`,
  '',
].join('\n');

/** The default data dir uses `tmux -L agent-hive`; any other gets its own server so fleets never mix. */
export function tmuxSocketFor(dataDir: string): string {
  if (process.env.HIVE_TMUX_SOCKET) return process.env.HIVE_TMUX_SOCKET;
  const def = path.join(os.homedir(), '.agent-hive');
  if (path.resolve(dataDir) === def) return 'agent-hive';
  return `agent-hive-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 10)}`;
}

/**
 * Agents as tmux sessions on a dedicated server socket. Output goes to the agent's log through pipe-pane;
 * pane death is noticed at once: a `pane-died` hook signals a wait-for channel that a waiting client holds.
 */
export class TmuxBackend implements Backend {
  readonly kind = 'tmux' as const;
  readonly socket: string;
  private readonly confPath: string;
  private readonly onDidExitEmitter = new Emitter<ExitInfo>();
  readonly onDidExit = this.onDidExitEmitter.event;
  /**
   * Sessions we started or adopted and have not yet reported as exited: name → tmux session id (null when
   * unknown) and the generation it was tracked at (a pane listing older than that cannot judge it).
   */
  private readonly tracked = new Map<string, { id: string | null; gen: number; pid?: number | null }>();
  private gen = 0;
  /** Dead sessions being removed, by name: a new session of that name waits for it. */
  private readonly killing = new Map<string, Promise<void>>();
  /**
   * Dead sessions just reported, kept a moment for the restart that usually follows: it removes the dead
   * session in the same tmux call that creates the new one (one process start on the restart path).
   */
  private readonly deadIds = new Map<string, string>();
  private availableCache = false;
  /** Sessions being stopped on purpose: their death is not reported. */
  /** name → the mark of the stop in progress (a later stop's mark is never cleared by an earlier stop's timer). */
  private readonly stopping = new Map<string, number>();
  private stopMarks = 0;
  /** Sessions being created: a dead pane of one is not yet ours to report, nor to remove (see start). */
  private readonly starting = new Set<string>();
  private readonly diedWhileStarting = new Set<string>();
  private waiter: ChildProcess | null = null;
  private disposed = false;
  private readonly sampler = new ProcessTreeSampler();

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
    opts: { socket?: string } = {},
  ) {
    this.socket = opts.socket ?? tmuxSocketFor(dataDir);
    this.confPath = path.join(dataDir, 'tmux.conf');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(this.confPath, TMUX_CONF);
  }

  private tmux(args: string[], opts: { allowFailure?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
    return run('tmux', ['-L', this.socket, '-f', this.confPath, ...args], {
      allowFailure: opts.allowFailure,
      timeoutMs: opts.timeoutMs ?? 10_000,
      env: opts.env,
    });
  }

  async availability(): Promise<Availability> {
    try {
      await run('tmux', ['-V'], { timeoutMs: 5000 });
      return { available: true, reason: null };
    } catch {
      return { available: false, reason: 'tmux is not installed (Debian/Ubuntu: apt-get install tmux; macOS: brew install tmux). Use the process backend meanwhile.' };
    }
  }

  async start(spec: StartSpec): Promise<{ pid: number | null }> {
    // Every tmux call costs a process start, which is most of a restart's time: once tmux is known to be
    // there, availability is not asked again; the dead session is normally removed already (reaped).
    if (!this.availableCache) {
      const avail = await this.availability();
      if (!avail.available) throw new HiveError('BACKEND_UNAVAILABLE', avail.reason!);
      this.availableCache = true;
    }
    const deadId = this.deadIds.get(spec.name);
    this.deadIds.delete(spec.name);
    await this.killing.get(spec.name);
    const env = Object.entries(spec.env).flatMap(([k, v]) => ['-e', tmuxArg(`${k}=${v}`)]);
    const newSession = (killFirst: string | undefined) => this.tmux(
      [
        ...(killFirst ? ['kill-session', '-t', killFirst, ';'] : []),
        'new-session', '-d', '-s', spec.name, '-x', '220', '-y', '50', '-c', tmuxArg(spec.cwd), ...env, '--',
        ...spec.argv.map(tmuxArg),
        ';', 'set-option', '-t', paneTarget(spec.name), '@hive_log', tmuxArg(spec.logPath),
        ';', 'set-option', '-g', 'remain-on-exit', 'on',
        ';', 'set-hook', '-g', 'pane-died', `wait-for -S ${DIED_CHANNEL}`,
        ';', 'pipe-pane', '-o', '-t', paneTarget(spec.name), 'exec cat >> #{q:@hive_log}',
        ';', 'display-message', '-p', '-t', paneTarget(spec.name), '#{pane_pid}\t#{session_id}',
      ],
      // tmux gives a new pane the PATH of the client that asked for it, over `-e PATH=…`: so the client
      // runs with the agent's PATH (else the `hive` shim prepended to it is not found inside the agent).
      { allowFailure: true, env: spec.env.PATH ? { ...process.env, PATH: spec.env.PATH } : undefined },
    );
    let r;
    // A command that dies at once (exit 127: not found) can be reaped before it is tracked below: the
    // reaper then leaves it (and says so) instead of removing it unreported, which looked like a crash.
    this.starting.add(spec.name);
    try {
      r = await newSession(deadId);
      // tmux stops at a failing command: if the dead session was already gone, create without removing it.
      // On a server that has just started (the old one was killed) tmux says "no current target" instead.
      if (r.code !== 0 && deadId && /can't find session|no current target|no server running/.test(r.stderr)) r = await newSession(undefined);
      if (r.code !== 0 && /duplicate session/.test(r.stderr)) {
        // A dead pane of a run we did not reap (e.g. a previous host's) holds the name: remove it, try again.
        await this.tmux(['kill-session', '-t', sessionTarget(spec.name)], { allowFailure: true });
        r = await newSession(undefined);
      }
      if (r.code !== 0) {
        throw new HiveError('SPAWN_FAILED', `tmux could not start agent ${spec.name}: ${r.stderr.trim() || `exit ${r.code}`}.`);
      }
    } finally {
      this.starting.delete(spec.name);
    }
    const [pidText, sessionId] = (r.stdout.trim().split('\n').pop() ?? '').split('\t');
    const pid = Number(pidText);
    this.tracked.set(spec.name, { id: sessionId || null, gen: ++this.gen, pid: Number.isFinite(pid) && pid > 0 ? pid : null });
    this.ensurePidWatch();
    this.stopping.delete(spec.name);
    this.ensureWaiter();
    if (this.diedWhileStarting.delete(spec.name)) void this.reapDeadPanes();
    return { pid: Number.isFinite(pid) && pid > 0 ? pid : null };
  }

  async adopt(agent: RunningAgent & { logPath: string }): Promise<void> {
    // The pipe may have closed with the previous host's server state intact; -o re-opens only if closed.
    const r = await this.tmux(
      ['pipe-pane', '-o', '-t', paneTarget(agent.name), 'exec cat >> #{q:@hive_log}', ';', 'display-message', '-p', '-t', paneTarget(agent.name), '#{session_id}'],
      { allowFailure: true },
    );
    this.tracked.set(agent.name, { id: r.stdout.trim() || null, gen: ++this.gen, pid: agent.pid });
    this.ensurePidWatch();
    this.ensureWaiter();
  }

  /**
   * Pane pids are watched in /proc (no process start). An exited pane process stays a zombie until the tmux
   * server reaps it, and the zombie holds its exit status: reporting from it is faster than the server's
   * hook → waiter round trip, and covers the SIGCHLD tmux 3.3 sometimes misses (then pane-died waits for
   * an unrelated later one). A pid gone (reaped) but not reported by the waiter within a tick is reaped here.
   */
  private ensurePidWatch(): void {
    if (this.pidWatch || this.disposed) return;
    let busy = false;
    let suspects = new Set<string>();
    this.pidWatch = setInterval(() => {
      if (this.tracked.size === 0) return;
      const gone = new Set<string>();
      for (const [name, t] of [...this.tracked]) {
        if (!t.pid || this.stopping.has(name)) continue;
        const ws = zombieWaitStatus(t.pid);
        if (ws !== null) {
          this.tracked.delete(name);
          this.keepForRestart(name, t.id ?? '');
          const sig = (ws & 0x7f) === 0 ? 0 : ws & 0x7f;
          this.onDidExitEmitter.fire({ name, pid: t.pid, code: sig ? null : (ws >> 8) & 0xff, signal: sig ? signalName(sig) : null, at: this.clock.now(), reason: sig ? 'killed' : 'exit' });
        } else if (!pidAlive(t.pid)) {
          gone.add(name);
        }
      }
      const overdue = [...gone].some((name) => suspects.has(name));
      suspects = gone;
      if (!overdue || busy) return;
      busy = true;
      void this.reapDeadPanes().finally(() => (busy = false));
    }, 50);
    this.pidWatch.unref();
  }

  private pidWatch: NodeJS.Timeout | null = null;

  /** One waiting client per backend; re-armed after every signal; its death means the server is gone. */
  private ensureWaiter(): void {
    if (this.waiter || this.disposed) return;
    // Once signalled, the same client lists the panes inside the server: the exit is known without
    // starting another tmux process (a signal sent while no client waits is kept for the next one).
    const child = spawn('tmux', ['-L', this.socket, '-f', this.confPath, 'wait-for', DIED_CHANNEL, ';', 'list-panes', '-a', '-F', PANES_FORMAT], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.waiter = child;
    const gen = this.gen;
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += String(d)));
    child.stderr?.on('data', (d) => (stderr += String(d)));
    child.on('close', (code) => {
      this.waiter = null;
      if (this.disposed) return;
      if (code === 0) {
        // Report first; starting the next waiter blocks the event loop for a process start, so it waits
        // until the restart this report triggers has started its own tmux call.
        void this.reapDeadPanes({ stdout, gen });
        setImmediate(() => this.ensureWaiter());
      } else {
        void this.onServerMaybeLost(stderr);
      }
    });
  }

  private async onServerMaybeLost(_why: string): Promise<void> {
    const alive = await this.serverAlive();
    if (alive) {
      this.ensureWaiter();
      void this.reapDeadPanes();
      return;
    }
    const at = this.clock.now();
    for (const name of [...this.tracked.keys()]) {
      this.tracked.delete(name);
      if (this.stopping.has(name)) continue;
      this.onDidExitEmitter.fire({ name, code: null, signal: null, at, reason: 'server-lost' });
    }
  }

  private async serverAlive(): Promise<boolean> {
    const r = await this.tmux(['list-sessions', '-F', '#{session_name}'], { allowFailure: true });
    return r.code === 0;
  }

  /**
   * Reports every dead pane once, then removes its session. Also the periodic liveness path. `listing` is a
   * pane list the waiter already has; `gen` says which tracked sessions existed when it was taken.
   */
  async reapDeadPanes(listing?: { stdout: string; gen: number }): Promise<void> {
    let stdout = listing?.stdout;
    const gen = listing?.gen ?? this.gen;
    if (stdout === undefined) {
      const r = await this.tmux(['list-panes', '-a', '-F', PANES_FORMAT], { allowFailure: true });
      if (r.code !== 0) return;
      stdout = r.stdout;
    }
    const at = this.clock.now();
    const present = new Set<string>();
    for (const line of stdout.split('\n')) {
      const [name, dead, ...rest] = line.split('\t');
      let [status, signal] = rest;
      const sessionId = rest[3] ?? '';
      if (!name) continue;
      present.add(name);
      if (dead !== '1') continue;
      const t = this.tracked.get(name);
      // A row of an older session of this name (a stale listing) says nothing about the current one.
      const ours = t !== undefined && (t.id === null || t.id === sessionId);
      if (ours) this.tracked.delete(name);
      const expected = this.stopping.has(name);
      if (ours && !expected && !status && !signal) [status, signal] = await this.lateExitStatus(name, Number(rest[2]));
      if (t === undefined && this.starting.has(name)) {
        this.diedWhileStarting.add(name);
        continue;
      }
      if (!ours || expected) {
        // Not (or no longer) reported by us: remove it (by id, never a new session of the same name),
        // unless it is being kept for the restart of its agent.
        if (t === undefined && this.deadIds.get(name) !== sessionId) this.removeDeadSession(name, sessionId);
        continue;
      }
      this.keepForRestart(name, sessionId);
      const sig = signal ? Number(signal) : 0;
      this.onDidExitEmitter.fire({
        name,
        pid: Number(rest[2]) || null,
        code: sig ? null : status === '' || status === undefined ? null : Number(status),
        signal: sig ? signalName(sig) : null,
        at,
        reason: sig ? 'killed' : 'exit',
      });
    }
    // A tracked session that vanished without a dead pane (killed from outside) is an exit too — judged
    // only for sessions that existed when the listing was taken.
    for (const [name, t] of [...this.tracked]) {
      if (t.gen <= gen && !present.has(name) && !this.stopping.has(name)) {
        this.tracked.delete(name);
        this.onDidExitEmitter.fire({ name, code: null, signal: null, at, reason: 'removed' });
      }
    }
  }

  private keepForRestart(name: string, sessionId: string): void {
    if (!sessionId) return this.removeDeadSession(name, sessionId);
    this.deadIds.set(name, sessionId);
    // No restart came (a stop exit code, a backoff, errored): remove it on our own.
    setTimeout(() => {
      if (this.deadIds.get(name) !== sessionId) return;
      this.deadIds.delete(name);
      this.removeDeadSession(name, sessionId);
    }, 1500).unref();
  }

  private removeDeadSession(name: string, sessionId: string): void {
    const prev = this.killing.get(name) ?? Promise.resolve();
    const p = prev
      .then(() => this.tmux(['kill-session', '-t', sessionId || sessionTarget(name)], { allowFailure: true }))
      .then(() => undefined, () => undefined);
    this.killing.set(name, p);
    void p.then(() => {
      if (this.killing.get(name) === p) this.killing.delete(name);
    });
  }

  /**
   * tmux 3.3 sometimes marks a pane dead (its pty closed) without having reaped the process — it missed the
   * SIGCHLD, seen on a freshly started server — and then never has an exit status. The unreaped zombie
   * still holds it (/proc/PID/stat field 52, a wait status). A stop exit code must not be taken for a crash.
   */
  private async lateExitStatus(name: string, pid: number): Promise<[string, string]> {
    for (let i = 0; i < 10; i++) {
      const fromZombie = zombieWaitStatus(pid);
      if (fromZombie !== null) {
        return (fromZombie & 0x7f) === 0 ? [String((fromZombie >> 8) & 0xff), ''] : ['', String(fromZombie & 0x7f)];
      }
      const again = await this.tmux(['display-message', '-p', '-t', paneTarget(name), '#{pane_dead_status}\t#{pane_dead_signal}'], { allowFailure: true });
      const [status = '', signal = ''] = again.stdout.trim().split('\t');
      if (again.code !== 0 || status || signal) return [status, signal];
      await sleep(5);
    }
    return ['', ''];
  }

  async stop(name: string, opts: { killTimeoutMs?: number } = {}): Promise<void> {
    const mark = ++this.stopMarks;
    this.stopping.set(name, mark);
    try {
      const pid = await this.panePid(name);
      if (pid !== null && pidAlive(pid)) {
        signalGroup(pid, 'SIGTERM');
        // A stopped (hung) descendant acts on SIGTERM only once continued; without this it outlives the stop.
        signalGroup(pid, 'SIGCONT');
        const deadline = this.clock.now() + (opts.killTimeoutMs ?? 5000);
        // The pane's whole process group, not just the pane process: children must not be left behind.
        while (this.clock.now() < deadline && (groupAlive(pid) || (await this.isAlive(name)))) await sleep(25);
        if (groupAlive(pid) || (await this.isAlive(name))) signalGroup(pid, 'SIGKILL');
      }
      await this.tmux(['kill-session', '-t', sessionTarget(name)], { allowFailure: true });
      this.tracked.delete(name);
    } finally {
      // Keep the mark briefly: the pane-died signal for this stop may still be in flight.
      // Only this stop's own mark: the timer of an earlier stop must not clear the mark of a later one
      // (a sleep then a quick wake and restart: the old process's death was taken for a crash).
      setTimeout(() => {
        if (this.stopping.get(name) === mark) this.stopping.delete(name);
      }, 2000).unref();
    }
  }

  private async panePid(name: string): Promise<number | null> {
    const r = await this.tmux(['display-message', '-p', '-t', paneTarget(name), '#{pane_pid}'], { allowFailure: true });
    const pid = Number(r.stdout.trim());
    return r.code === 0 && pid > 0 ? pid : null;
  }

  async isAlive(name: string): Promise<boolean> {
    const r = await this.tmux(['display-message', '-p', '-t', paneTarget(name), '#{pane_dead}'], { allowFailure: true });
    return r.code === 0 && r.stdout.trim() === '0';
  }

  async listAlive(): Promise<RunningAgent[]> {
    const r = await this.tmux(['list-panes', '-a', '-F', '#{session_name}\t#{pane_dead}\t#{pane_pid}'], { allowFailure: true });
    if (r.code !== 0) return [];
    return r.stdout
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([n, dead]) => n && dead === '0')
      .map(([name, , pid]) => ({ name: name!, pid: Number(pid) || null }));
  }

  /**
   * Types text and presses Enter, checking each step took: the text must show on the screen before Enter
   * goes, and the screen must change after Enter; Enter is re-sent when it did not (never the text, which
   * would duplicate it).
   */
  async sendInput(name: string, text: string, opts: { enter: boolean }): Promise<number> {
    if (!(await this.isAlive(name))) throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} has no live pane to type into.`);
    let attempts = 0;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const last = i === lines.length - 1;
      if (line.length > 0) {
        attempts++;
        await this.tmux(['send-keys', '-t', paneTarget(name), '-l', '--', tmuxArg(line)]);
        const probe = line.slice(-24);
        await this.waitForScreen(name, (screen) => screen.includes(probe), 1000);
      }
      if (!last || opts.enter) {
        const before = await this.capture(name);
        for (let k = 0; k < 3; k++) {
          attempts++;
          await this.tmux(['send-keys', '-t', paneTarget(name), 'Enter']);
          if (await this.waitForScreen(name, (s) => s !== before, 400)) break;
        }
      }
    }
    return attempts;
  }

  private async capture(name: string): Promise<string> {
    const r = await this.tmux(['capture-pane', '-p', '-t', paneTarget(name), '-S', '-20', '-e'], { allowFailure: true });
    const cursor = await this.tmux(['display-message', '-p', '-t', paneTarget(name), '#{cursor_x},#{cursor_y}'], { allowFailure: true });
    return `${r.stdout}\n@${cursor.stdout.trim()}`;
  }

  private async waitForScreen(name: string, ok: (screen: string) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    do {
      if (ok(await this.capture(name))) return true;
      await sleep(30);
    } while (Date.now() < deadline);
    return false;
  }

  async stats(name: string): Promise<{ cpuPercent: number | null; memoryBytes: number | null }> {
    const pid = await this.panePid(name);
    return pid ? this.sampler.sample(pid) : { cpuPercent: null, memoryBytes: null };
  }

  /** Ends our server (tests; `hive serve` leaves agents running on purpose). */
  async killServer(): Promise<void> {
    await this.tmux(['kill-server'], { allowFailure: true });
  }

  dispose(): void {
    this.disposed = true;
    if (this.pidWatch) clearInterval(this.pidWatch);
    this.waiter?.kill();
    this.waiter = null;
  }
}

/** The wait status a zombie left in /proc (Linux 3.5+), or null when the pid is not a zombie. */
function zombieWaitStatus(pid: number): number | null {
  if (!(pid > 0)) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' && fields[49] !== undefined ? Number(fields[49]) : null;
  } catch {
    return null;
  }
}

function signalName(n: number): string {
  const entry = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : `SIG${n}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
