import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsc, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import { plainText } from '../output/plain-text.js';
import type { Clock } from '../ports/clock.js';
import { Emitter } from '../ports/disposable.js';
import type { Availability, Backend, ExitInfo, RunningAgent, StartSpec } from './backend.js';
import { ProcessTreeSampler, pidAlive, pidGoneOrZombie, groupAlive, procStatFields, signalGroup } from './process-tree.js';

interface Tracked {
  pid: number;
  child: ChildProcess | null;
  poll: NodeJS.Timeout | null;
  /** A stop was asked for this process: its exit is not reported. */
  stopping: boolean;
}

/** How long a stop waits for a process after SIGKILL. */
const KILL_WAIT_MS = 10_000;

/**
 * Agents as plain child processes, for machines without tmux. Each runs in its own process group with its
 * output written straight to its log file, so it keeps logging if the host goes away; a host that comes
 * back adopts it by pid (checked against the HIVE_AGENT in its environment) and polls its liveness.
 *
 * Input goes through a named pipe, `<dataDir>/run/<agent>.stdin`, that the agent holds open for reading
 * and writing: its stdin never reaches end-of-file when a host goes away (an agent reading its input would
 * otherwise take that as "quit"), and any later host can open the pipe and type into an adopted agent.
 * Where named pipes cannot be made (Windows), stdin is a pipe from this host, as before.
 */
export class ProcessBackend implements Backend {
  readonly kind = 'process' as const;
  private readonly onDidExitEmitter = new Emitter<ExitInfo>();
  readonly onDidExit = this.onDidExitEmitter.event;
  private readonly agents = new Map<string, Tracked>();
  private readonly sampler = new ProcessTreeSampler();

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
  ) {}

  async availability(): Promise<Availability> {
    return { available: true, reason: null };
  }

  start(spec: StartSpec): Promise<{ pid: number | null }> {
    return new Promise((resolve, reject) => {
      const fd = openSync(spec.logPath, 'a');
      const inFd = this.openInputPipe(spec.name);
      let child: ChildProcess;
      try {
        child = spawn(spec.argv[0]!, spec.argv.slice(1), {
          cwd: spec.cwd,
          env: spec.env,
          detached: true,
          stdio: [inFd ?? 'pipe', fd, fd],
        });
      } finally {
        closeSync(fd);
        if (inFd !== null) closeSync(inFd);
      }
      let settled = false;
      child.once('error', (err) => {
        if (settled) return;
        settled = true;
        reject(new HiveError('SPAWN_FAILED', `Could not start ${spec.argv[0]}: ${err.message}. Check that the command is installed and on PATH.`));
      });
      child.once('spawn', () => {
        settled = true;
        this.agents.set(spec.name, { pid: child.pid!, child, poll: null, stopping: false });
        child.stdin?.on('error', () => {});
        resolve({ pid: child.pid ?? null });
      });
      child.once('exit', (code, signal) => {
        const t = this.agents.get(spec.name);
        if (!t || t.child !== child) return;
        this.agents.delete(spec.name);
        // Asked to stop: not an exit to report. The mark is this process's, not the name's: a timer that
        // cleared a name's mark 1 s after a stop once cleared it inside the next stop of the same agent (a
        // wake and a restart within the second), and the restarted process's SIGTERM was taken for a crash.
        if (t.stopping) return;
        this.onDidExitEmitter.fire({
          name: spec.name,
          pid: child.pid ?? null,
          code: signal ? null : code,
          signal: signal ?? null,
          at: this.clock.now(),
          reason: signal ? 'killed' : 'exit',
        });
      });
    });
  }

  async adopt(agent: RunningAgent & { logPath: string }): Promise<void> {
    if (agent.pid === null || !this.isOurs(agent.pid, agent.name)) return;
    const t: Tracked = { pid: agent.pid, child: null, poll: null, stopping: false };
    t.poll = setInterval(() => {
      if (!pidGoneOrZombie(agent.pid!)) return;
      clearInterval(t.poll!);
      if (this.agents.get(agent.name) === t) this.agents.delete(agent.name);
      if (!t.stopping) this.onDidExitEmitter.fire({ name: agent.name, pid: agent.pid, code: null, signal: null, at: this.clock.now(), reason: 'exit' });
    }, 200);
    t.poll.unref();
    this.agents.set(agent.name, t);
  }

  /** A pid is ours only if its environment names this agent and this data dir (pids get reused). */
  private isOurs(pid: number, name: string): boolean {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return env.includes(`HIVE_AGENT=${name}`) && env.includes(`HIVE_DATA_DIR=${this.dataDir}`);
    } catch {
      return false;
    }
  }

  async stop(name: string, opts: { killTimeoutMs?: number } = {}): Promise<void> {
    const t = this.agents.get(name);
    if (!t) return;
    t.stopping = true;
    signalGroup(t.pid, 'SIGTERM');
    // A stopped (hung) process acts on SIGTERM only once continued; without this it outlives the stop.
    signalGroup(t.pid, 'SIGCONT');
    const deadline = this.clock.now() + (opts.killTimeoutMs ?? 5000);
    // The whole process group, not just its leader: children of the agent must not be left behind.
    while (this.clock.now() < deadline && (!pidGoneOrZombie(t.pid) || groupAlive(t.pid))) await sleep(20);
    if (!pidGoneOrZombie(t.pid) || groupAlive(t.pid)) signalGroup(t.pid, 'SIGKILL');
    // SIGKILL cannot end a process in uninterruptible sleep (stuck in the kernel on a hung disk or network
    // mount) until the kernel lets it go: waiting without a bound held the agent's lock, and with it every
    // later action on the agent, for as long.
    const killDeadline = this.clock.now() + KILL_WAIT_MS;
    while (!pidGoneOrZombie(t.pid)) {
      if (this.clock.now() > killDeadline) {
        t.stopping = false;
        throw new HiveError('BACKEND_UNAVAILABLE', `Process ${t.pid} of ${name} did not end ${KILL_WAIT_MS / 1000} s after SIGKILL: it is stuck in the kernel (uninterruptible sleep, e.g. on a hung disk or network mount) and ends when the kernel lets it go. Try the stop again later.`);
      }
      await sleep(10);
    }
    if (t.poll) clearInterval(t.poll);
    if (this.agents.get(name) === t) this.agents.delete(name);
  }

  async isAlive(name: string): Promise<boolean> {
    const t = this.agents.get(name);
    return !!t && !pidGoneOrZombie(t.pid);
  }

  async listAlive(): Promise<RunningAgent[]> {
    const tracked = [...this.agents.entries()].filter(([, t]) => pidAlive(t.pid)).map(([name, t]) => ({ name, pid: t.pid }));
    // Agents a previous host started but never recorded (killed between spawn and the `running` commit):
    // without this a new host would start a second copy of them.
    const known = new Set(tracked.map((a) => a.name));
    return [...tracked, ...this.findLeftBehind().filter((a) => !known.has(a.name))];
  }

  /** Process-group leaders whose environment names this data dir: agent processes, whoever started them. */
  private findLeftBehind(): RunningAgent[] {
    const found: RunningAgent[] = [];
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return found;
    }
    for (const entry of entries) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
      const fields = procStatFields(pid, 3);
      if (!fields || fields[0] === 'Z' || Number(fields[2]) !== pid) continue;
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        if (!env.includes(`HIVE_DATA_DIR=${this.dataDir}`)) continue;
        const name = env.find((e) => e.startsWith('HIVE_AGENT='))?.slice('HIVE_AGENT='.length);
        // A tmux pane of the same data dir looks the same; its parent is the tmux server.
        if (!name || readFileSync(`/proc/${fields[1]}/comm`, 'utf8').startsWith('tmux')) continue;
        found.push({ name, pid });
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return found;
  }

  /** Finds an agent process left by a previous host (used at reconciliation before adopt). */
  isRunningFromBefore(name: string, pid: number | null): boolean {
    return pid !== null && pidAlive(pid) && !pidGoneOrZombie(pid) && this.isOurs(pid, name);
  }

  async sendInput(name: string, text: string, opts: { enter: boolean }): Promise<number> {
    const t = this.agents.get(name);
    const data = Buffer.from(text + (opts.enter ? '\n' : ''));
    if (t && !t.child?.stdin) {
      await this.writeInputPipe(name, data);
      return 1;
    }
    if (!t?.child?.stdin || t.child.stdin.destroyed) {
      throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} has no input pipe: it is not running under this host. Restart it to type into it.`);
    }
    const stdin = t.child.stdin;
    await new Promise<void>((resolve, reject) => stdin.write(data, (err) => (err ? reject(err) : resolve())));
    return 1;
  }

  /** The end of its output log, as plain text: a process has no screen, only what it printed last. */
  async screen(name: string): Promise<string | null> {
    const file = path.join(this.dataDir, 'logs', `${name}.log`);
    try {
      const { size } = statSync(file);
      const fd = openSync(file, 'r');
      try {
        const n = Math.min(size, 4096);
        const buf = Buffer.alloc(n);
        readSync(fd, buf, 0, n, size - n);
        return plainText(buf.toString('utf8')).split('\n').slice(-25).join('\n');
      } finally {
        closeSync(fd);
      }
    } catch {
      return null;
    }
  }

  async sendKeys(name: string, keys: string[]): Promise<void> {
    for (const k of keys) await this.sendInput(name, k === 'Enter' ? '\n' : k === 'Escape' ? '\x1b' : k, { enter: false });
  }

  private inputPipePath(name: string): string {
    return path.join(this.dataDir, 'run', `${name}.stdin`);
  }

  /**
   * The agent's end of its input pipe, opened read-write (so the agent never sees end-of-file), or null
   * where no named pipe can be made. The pipe is made once and kept: a restart does not pay for mkfifo.
   */
  private openInputPipe(name: string): number | null {
    if (process.platform === 'win32') return null;
    const file = this.inputPipePath(name);
    try {
      if (!isFifo(file)) {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        rmSync(file, { force: true });
        // Names are [A-Za-z0-9_-] (checked at spawn); the path is an argument, never a shell string.
        execFileSync('mkfifo', ['-m', '600', file], { stdio: 'ignore' });
      }
      // Blocking mode: the agent reads it as an ordinary stdin. (Opening a FIFO read-write never waits.)
      return openSync(file, fsc.O_RDWR);
    } catch {
      return null;
    }
  }

  /** Writes into the named pipe of an agent this host did not start (adopted after a host restart). */
  private async writeInputPipe(name: string, data: Buffer): Promise<void> {
    let fd: number;
    try {
      // Non-blocking: opening for writing fails at once (ENXIO) when no process holds the pipe for reading.
      fd = openSync(this.inputPipePath(name), fsc.O_WRONLY | fsc.O_NONBLOCK);
    } catch {
      throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} has no input pipe (it was started before input pipes existed). Restart it to type into it.`);
    }
    try {
      let at = 0;
      const deadline = this.clock.now() + 5000;
      while (at < data.length) {
        try {
          at += writeSync(fd, data, at);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
          if (this.clock.now() > deadline) {
            throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} is not reading its input (the pipe has been full for 5 s); ${at} of ${data.length} bytes were sent.`);
          }
          await sleep(20);
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  async stats(name: string): Promise<{ cpuPercent: number | null; memoryBytes: number | null }> {
    const t = this.agents.get(name);
    return t ? this.sampler.sample(t.pid) : { cpuPercent: null, memoryBytes: null };
  }

  dispose(): void {
    for (const t of this.agents.values()) {
      if (t.poll) clearInterval(t.poll);
      // Detach: the agents keep running; a later host adopts them.
      t.child?.stdin?.destroy();
      t.child?.unref();
    }
    this.agents.clear();
  }
}

function isFifo(file: string): boolean {
  try {
    return lstatSync(file).isFIFO();
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
