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
import { ProcessTreeSampler, pidAlive } from './process-tree.js';
import { paneTarget, sessionTarget, tmuxArg } from './tmux-args.js';

const DIED_CHANNEL = 'hive-pane-died';

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
  /** Sessions we started or adopted and have not yet reported as exited. */
  private readonly tracked = new Set<string>();
  /** Sessions being stopped on purpose: their death is not reported. */
  private readonly stopping = new Set<string>();
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
    const avail = await this.availability();
    if (!avail.available) throw new HiveError('BACKEND_UNAVAILABLE', avail.reason!);
    // A dead pane of a previous run under the same name must go first.
    await this.tmux(['kill-session', '-t', sessionTarget(spec.name)], { allowFailure: true });
    const env = Object.entries(spec.env).flatMap(([k, v]) => ['-e', tmuxArg(`${k}=${v}`)]);
    const r = await this.tmux(
      [
        'new-session', '-d', '-s', spec.name, '-x', '220', '-y', '50', '-c', tmuxArg(spec.cwd), ...env, '--',
        ...spec.argv.map(tmuxArg),
        ';', 'set-option', '-t', paneTarget(spec.name), '@hive_log', tmuxArg(spec.logPath),
        ';', 'set-option', '-g', 'remain-on-exit', 'on',
        ';', 'set-hook', '-g', 'pane-died', `wait-for -S ${DIED_CHANNEL}`,
        ';', 'pipe-pane', '-o', '-t', paneTarget(spec.name), 'exec cat >> #{q:@hive_log}',
        ';', 'display-message', '-p', '-t', paneTarget(spec.name), '#{pane_pid}',
      ],
      // tmux gives a new pane the PATH of the client that asked for it, over `-e PATH=…`: so the client
      // runs with the agent's PATH (else the `hive` shim prepended to it is not found inside the agent).
      { allowFailure: true, env: spec.env.PATH ? { ...process.env, PATH: spec.env.PATH } : undefined },
    );
    if (r.code !== 0) {
      throw new HiveError('SPAWN_FAILED', `tmux could not start agent ${spec.name}: ${r.stderr.trim() || `exit ${r.code}`}.`);
    }
    const pid = Number(r.stdout.trim().split('\n').pop());
    this.tracked.add(spec.name);
    this.stopping.delete(spec.name);
    this.ensureWaiter();
    return { pid: Number.isFinite(pid) && pid > 0 ? pid : null };
  }

  async adopt(agent: RunningAgent & { logPath: string }): Promise<void> {
    this.tracked.add(agent.name);
    // The pipe may have closed with the previous host's server state intact; -o re-opens only if closed.
    await this.tmux(['pipe-pane', '-o', '-t', paneTarget(agent.name), 'exec cat >> #{q:@hive_log}'], { allowFailure: true });
    this.ensureWaiter();
  }

  /** One waiting client per backend; re-armed after every signal; its death means the server is gone. */
  private ensureWaiter(): void {
    if (this.waiter || this.disposed) return;
    const child = spawn('tmux', ['-L', this.socket, '-f', this.confPath, 'wait-for', DIED_CHANNEL], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.waiter = child;
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => {
      this.waiter = null;
      if (this.disposed) return;
      if (code === 0) {
        this.ensureWaiter();
        void this.reapDeadPanes();
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
    for (const name of [...this.tracked]) {
      this.tracked.delete(name);
      if (this.stopping.has(name)) continue;
      this.onDidExitEmitter.fire({ name, code: null, signal: null, at, reason: 'server-lost' });
    }
  }

  private async serverAlive(): Promise<boolean> {
    const r = await this.tmux(['list-sessions', '-F', '#{session_name}'], { allowFailure: true });
    return r.code === 0;
  }

  /** Reports every dead pane once, then removes its session. Also the periodic liveness path. */
  async reapDeadPanes(): Promise<void> {
    const r = await this.tmux(
      ['list-panes', '-a', '-F', '#{session_name}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{pane_pid}'],
      { allowFailure: true },
    );
    if (r.code !== 0) return;
    const at = this.clock.now();
    const present = new Set<string>();
    for (const line of r.stdout.split('\n')) {
      const [name, dead, ...rest] = line.split('\t');
      let [status, signal] = rest;
      if (!name) continue;
      present.add(name);
      if (dead !== '1') continue;
      const wasTracked = this.tracked.delete(name);
      const expected = this.stopping.has(name);
      if (wasTracked && !expected && !status && !signal) [status, signal] = await this.lateExitStatus(name, Number(rest[2]));
      await this.tmux(['kill-session', '-t', sessionTarget(name)], { allowFailure: true });
      if (!wasTracked || expected) continue;
      const sig = signal ? Number(signal) : 0;
      this.onDidExitEmitter.fire({
        name,
        code: sig ? null : status === '' || status === undefined ? null : Number(status),
        signal: sig ? signalName(sig) : null,
        at,
        reason: sig ? 'killed' : 'exit',
      });
    }
    // A tracked session that vanished without a dead pane (killed from outside) is an exit too.
    for (const name of [...this.tracked]) {
      if (!present.has(name) && !this.stopping.has(name)) {
        this.tracked.delete(name);
        this.onDidExitEmitter.fire({ name, code: null, signal: null, at, reason: 'removed' });
      }
    }
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
    this.stopping.add(name);
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
      setTimeout(() => this.stopping.delete(name), 2000).unref();
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
    this.waiter?.kill();
    this.waiter = null;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
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

/** Does any process of the group still exist? */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalName(n: number): string {
  const entry = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : `SIG${n}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
