import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HiveError } from '../../../shared/errors.js';
import type { Clock } from '../ports/clock.js';
import { Emitter } from '../ports/disposable.js';
import { run, type ExecResult } from '../ports/exec.js';
import type { Availability, Backend, ExitInfo, RunningAgent, StartSpec } from './backend.js';
import { ProcessTreeSampler, pidAlive, pidGoneOrZombie, groupAlive, signalGroup, signalName, zombieWaitStatus } from './process-tree.js';
import { paneTarget, sessionTarget, tmuxArg } from './tmux-args.js';
import { CONTROL_SESSION, TmuxControlClient } from './tmux-control.js';
import { TmuxEnvPlanner } from './tmux-env.js';

const DIED_CHANNEL = 'hive-pane-died';
/** The pane's output pipe: appends to the log named by the pane option @hive_log (never a user string). */
const PIPE_TO_LOG = 'exec cat >> #{q:@hive_log}';
/** What a start reads back. #{pid}: the server's, so a lost server is judged from /proc for exactly the sessions it held. */
const STARTED_FORMAT = '#{pane_pid}\t#{session_id}\t#{pid}';
/** One row per pane; the session id tells a dead old session from a new one of the same name. */
const PANES_FORMAT = '#{session_name}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t#{pane_pid}\t#{session_id}\t#{pid}';

/** The constant server configuration: no user string is in here. */
const TMUX_CONF = [
  'set -g exit-empty off',
  'set -g remain-on-exit on',
  'set -g history-limit 50000',
  // Fewer notifications to control clients (see TmuxBackend.handshakes): window names are never used here.
  'set -g automatic-rename off',
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
 * Commands go through a persistent control-mode client (no tmux process start per command; the CLI is
 * the fallback), and the waiter is one too (re-arming it is a line written, not a process started).
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
  private readonly tracked = new Map<string, { id: string | null; gen: number; pid?: number | null; server?: number | null }>();
  private gen = 0;
  /** Dead sessions being removed, by name: a new session of that name waits for it. */
  private readonly killing = new Map<string, Promise<void>>();
  /**
   * Dead sessions just reported, kept a moment for the restart that usually follows: it removes the dead
   * session in the same tmux call that creates the new one (one process start on the restart path).
   */
  private readonly deadIds = new Map<string, string>();
  /**
   * The server each dead id belongs to. Session ids ($N) are numbered per server: after a server dies, a
   * new one hands the same ids to other sessions, and a `kill-session -t $3` meant for a dead session of
   * the old server killed another agent's live session on the new one (seen in the soak after a server
   * kill). An id is used only while the server it came from is alive.
   */
  private readonly deadServers = new Map<string, number | null>();
  private availableCache = false;
  /** Sessions being stopped on purpose: their death is not reported. */
  /** name → the mark of the stop in progress (a later stop's mark is never cleared by an earlier stop's timer). */
  private readonly stopping = new Map<string, number>();
  private stopMarks = 0;
  /** Sessions being created: a dead pane of one is not yet ours to report, nor to remove (see start). */
  private readonly starting = new Set<string>();
  private readonly diedWhileStarting = new Set<string>();
  private waiter: TmuxControlClient | null = null;
  /**
   * Control clients still connecting. tmux 3.3a writes notifications (a session created, a window renamed)
   * to a control client that is connected but has not finished identifying, and crashes on it (NULL
   * control state: "segfault at 20" in the kernel log, every session lost). The waiter connecting while a
   * start created a session did that in 1 of 3 server-kill recoveries. Commands that create, change or
   * remove sessions wait until every client has finished connecting.
   */
  private handshakes: Promise<void> = Promise.resolve();
  private control: TmuxControlClient | null = null;
  private controlStarting: Promise<TmuxControlClient | null> | null = null;
  /** What the server's environment gives a pane already (fewer `-e` per start). */
  private readonly env = new TmuxEnvPlanner();
  /** Inode of the log each agent's output pipe appends to: a respawn re-opens the pipe if it changed. */
  private readonly logIno = new Map<string, number | null>();
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

  private get serverArgs(): string[] {
    return ['-L', this.socket, '-f', this.confPath];
  }

  private tmux(args: string[], opts: { allowFailure?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
    return run('tmux', [...this.serverArgs, ...args], {
      allowFailure: opts.allowFailure,
      timeoutMs: opts.timeoutMs ?? 10_000,
      env: opts.env,
    });
  }

  /**
   * A command list (failures answered, not thrown) through the control client when one is up, else as one
   * tmux CLI call. Only a start may start the control client (`spawnControl`): that can start the server.
   */
  private async call(commands: string[][], opts: { spawnControl?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<ExecResult> {
    const control = opts.spawnControl ? await this.ensureControl() : this.control && !this.control.closed ? this.control : null;
    if (control) {
      await this.handshakes;
      const r = await control.request(commands);
      if (r.code !== -1) return r;
      // The client went away with the request (the server died?): ask again the way that always works.
    }
    return this.tmux(cliArgs(commands), { allowFailure: true, env: opts.env });
  }

  private ensureControl(): Promise<TmuxControlClient | null> {
    if (this.control && !this.control.closed) return Promise.resolve(this.control);
    if (this.disposed) return Promise.resolve(null);
    this.controlStarting ??= (async () => {
      let c = this.newControl();
      try {
        await c.ready.catch(async (err: Error) => {
          // The last server is still exiting (a kill-server a moment ago): it refuses every client until it
          // is gone, and no new server can start on the socket meanwhile. Wait for it (ended if stuck), then
          // a new client starts the new server. Falling back to one tmux CLI process per start here made
          // every recovery after a server kill 0.5–2.5 s instead of one request each.
          if (this.disposed || !/control client exited|server exited unexpectedly|lost server/.test(err.message)) throw err;
          await this.unstickServer();
          c = this.newControl();
          await c.ready;
        });
        const [g, u, p] = await Promise.all([
          c.request([['show-environment', '-g']]),
          c.request([['show-options', '-gv', 'update-environment']]),
          c.request([['display-message', '-p', '#{pid}']]),
        ]);
        this.env.learn(g.code === 0 ? g.stdout : null, u.code === 0 ? u.stdout : null);
        if (p.code === 0) this.lastServer = Number(p.stdout.trim()) || this.lastServer;
        this.control = c;
        return c;
      } catch {
        c.dispose();
        return null;
      } finally {
        this.controlStarting = null;
      }
    })();
    return this.controlStarting;
  }

  /** A control client, counted as connecting until it answers (or fails). */
  private connectClient(): TmuxControlClient {
    const c = new TmuxControlClient(this.serverArgs);
    const prev = this.handshakes;
    // Bounded: a client that neither answers nor fails (a server stuck exiting) holds no command up for long.
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.race([c.ready.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]).finally(() => clearTimeout(timer));
    this.handshakes = Promise.all([prev, settled]).then(() => undefined);
    return c;
  }

  private newControl(): TmuxControlClient {
    const c = this.connectClient();
    c.onDidClose(() => {
      if (this.control === c) this.control = null;
      this.env.forget();
      if (!this.disposed) void this.onServerMaybeLost();
    });
    return c;
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
    // From here until tracked: a dead pane of this name is not ours to report, nor to remove (a command
    // that dies at once, exit 127, can be reaped before it is tracked; the dead session about to be reused).
    this.starting.add(spec.name);
    let r: ExecResult;
    try {
      let deadId = this.liveDeadId(spec.name);
      const deadServer = this.deadServers.get(spec.name) ?? null;
      this.deadIds.delete(spec.name);
      this.deadServers.delete(spec.name);
      await this.killing.get(spec.name);
      // The log exists before the pipe appends to it: its inode tells a rotated log at the next respawn.
      closeSync(openSync(spec.logPath, 'a'));
      const ino = inodeOf(spec.logPath);
      const control = await this.ensureControl();
      // The server may have changed while we waited (it was being killed): the dead session went with it,
      // and its id may name another agent's new session on the new server.
      if (deadId && this.serverChanged(deadServer)) deadId = undefined;
      r = (deadId && control ? await this.respawn(control, spec, deadId, ino) : null) ?? (await this.createSession(spec, deadId, deadServer));
      this.logIno.set(spec.name, ino);
    } finally {
      this.starting.delete(spec.name);
    }
    const [pidText, sessionId, serverText] = (r.stdout.trim().split('\n').pop() ?? '').split('\t');
    const pid = Number(pidText);
    this.lastServer = Number(serverText) || this.lastServer;
    this.tracked.set(spec.name, { id: sessionId || null, gen: ++this.gen, pid: Number.isFinite(pid) && pid > 0 ? pid : null, server: Number(serverText) || null });
    this.ensurePidWatch();
    this.stopping.delete(spec.name);
    this.ensureWaiter();
    if (this.diedWhileStarting.delete(spec.name)) void this.reapDeadPanes();
    return { pid: Number.isFinite(pid) && pid > 0 ? pid : null };
  }

  /**
   * The restart of a crash (its dead session kept a moment for it): a new process in the same pane. No
   * session to remove and create, and the pane's output pipe stays open (a new one was a second process
   * start on the restart path). Null when it cannot be done: then a new session is created.
   */
  private async respawn(control: TmuxControlClient, spec: StartSpec, deadId: string, logIno: number | null): Promise<ExecResult | null> {
    if (!this.env.knows(spec.name)) return null;
    const target = `${deadId}:`;
    const { args, unset } = this.env.plan(spec.name, spec.env, true);
    const rotated = this.logIno.get(spec.name) !== logIno;
    await this.handshakes;
    const r = await control.request([
      ...unset.map((k) => ['set-environment', '-u', '-t', deadId, k]),
      // Without -k: a pane that is not dead is never killed here.
      ['respawn-pane', '-t', target, '-c', spec.cwd, ...args, '--', ...spec.argv],
      // A log moved aside (rotated) since the pipe opened it: a new pipe to the new file.
      ...(rotated ? [['set-option', '-t', target, '@hive_log', spec.logPath], ['pipe-pane', '-t', target, PIPE_TO_LOG]] : []),
      ['display-message', '-p', '-t', target, STARTED_FORMAT],
    ]);
    if (r.code !== 0) return null;
    this.env.unsetIn(spec.name, unset);
    return r;
  }

  private async createSession(spec: StartSpec, deadId: string | undefined, deadServer: number | null = null): Promise<ExecResult> {
    const commands = (killFirst: string | undefined, env: string[]) => [
      ...(killFirst ? [['kill-session', '-t', killFirst]] : []),
      ['new-session', '-d', '-s', spec.name, '-x', '220', '-y', '50', '-c', spec.cwd, ...env, '--', ...spec.argv],
      ['set-option', '-t', paneTarget(spec.name), '@hive_log', spec.logPath],
      ['set-option', '-g', 'remain-on-exit', 'on'],
      ['set-hook', '-g', 'pane-died', `wait-for -S ${DIED_CHANNEL}`],
      ['pipe-pane', '-o', '-t', paneTarget(spec.name), PIPE_TO_LOG],
      ['display-message', '-p', '-t', paneTarget(spec.name), STARTED_FORMAT],
    ];
    const attempt = async (deadFirst: string | undefined): Promise<ExecResult> => {
      let killFirst = deadFirst;
      // A server being killed answers a client with "server exited unexpectedly" (or the control client goes
      // away with the request): a moment later a new client starts a new server. At most three rounds.
      for (let round = 0; ; round++) {
        // A round after the first means the server that held the dead session died: the session went with
        // it, and its id (`$N`) may by now name another agent's recovered session on the new server —
        // removing it by id killed that agent (a second recovery in the tmux server-kill test).
        if (round > 0) killFirst = undefined;
        // The control client the start began with may have gone since (the server was killed): a new one,
        // once the old server has exited. The CLI only where no control client can start.
        const control = await this.ensureControl();
        if (killFirst && this.serverChanged(deadServer)) killFirst = undefined;
        if (control) {
          const { args } = this.env.plan(spec.name, spec.env, false);
          await this.handshakes;
          // Our control session first, as a canary: a server being killed has destroyed every session, ours
          // included, but a client still connected to it could create new ones there, to die with it. (A
          // guard: the SIGHUP deaths first blamed on this were the tmux crash described at `handshakes`.)
          const r = await control.request([['has-session', '-t', `=${CONTROL_SESSION}`], ...commands(killFirst, args)]);
          if (r.code !== 0 && r.stderr.includes(CONTROL_SESSION)) {
            if (this.control === control) this.control = null;
            control.dispose();
            await this.unstickServer();
            if (round < 3) continue;
          } else {
            if (r.code === 0) this.env.created(spec.name, args);
            if (r.code !== -1) return r;
            if (round < 3) continue;
          }
        }
        // The CLI: every variable, and a client not attached to a session gives a new pane its own PATH over
        // `-e PATH=…`, so it runs with the agent's PATH (else the `hive` shim on it is not found in the agent).
        // (The control client is attached, to CONTROL_SESSION, and there `-e PATH=…` applies as given.)
        this.env.dropSession(spec.name);
        const all = Object.entries(spec.env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
        const r = await this.tmux(cliArgs(commands(killFirst, all)), { allowFailure: true, env: spec.env.PATH ? { ...process.env, PATH: spec.env.PATH } : undefined });
        if (round >= 3 || !/server exited unexpectedly|lost server/.test(r.stderr)) return r;
        await this.unstickServer();
        await sleep(20 * (round + 1));
      }
    };
    let r = await attempt(deadId);
    // tmux stops at a failing command: if the dead session was already gone, create without removing it.
    // On a server that has just started (the old one was killed) tmux says "no current target" instead.
    if (r.code !== 0 && deadId && /can't find session|no current target|no server running/.test(r.stderr)) r = await attempt(undefined);
    if (r.code !== 0 && /duplicate session/.test(r.stderr)) {
      // A dead pane of a run we did not reap (e.g. a previous host's) holds the name: remove it, try again.
      await this.call([['kill-session', '-t', sessionTarget(spec.name)]]);
      r = await attempt(undefined);
    }
    if (r.code !== 0) {
      throw new HiveError('SPAWN_FAILED', `tmux could not start agent ${spec.name}: ${r.stderr.trim() || `exit ${r.code}`}.`);
    }
    return r;
  }

  async adopt(agent: RunningAgent & { logPath: string }): Promise<void> {
    // The pipe may have closed with the previous host's server state intact; -o re-opens only if closed.
    const r = await this.call(
      [
        ['pipe-pane', '-o', '-t', paneTarget(agent.name), PIPE_TO_LOG],
        ['display-message', '-p', '-t', paneTarget(agent.name), '#{session_id}\t#{pid}'],
      ],
      { spawnControl: true },
    );
    const [sessionId, serverText] = (r.stdout.trim().split('\n').pop() ?? '').split('\t');
    this.tracked.set(agent.name, { id: sessionId || null, gen: ++this.gen, pid: agent.pid, server: Number(serverText) || null });
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
    let tick = 0;
    this.pidWatch = setInterval(() => {
      if (this.tracked.size === 0) return;
      // Every 10 ms reads one /proc file per agent: past 64 agents, every 50 ms.
      if (this.tracked.size > 64 && ++tick % 5 !== 0) return;
      const gone = new Set<string>();
      for (const [name, t] of [...this.tracked]) {
        if (!t.pid || this.stopping.has(name)) continue;
        const ws = zombieWaitStatus(t.pid);
        if (ws !== null) {
          this.tracked.delete(name);
          this.keepForRestart(name, t.id ?? '', t.server ?? null);
          const sig = (ws & 0x7f) === 0 ? 0 : ws & 0x7f;
          this.onDidExitEmitter.fire({ name, pid: t.pid, code: sig ? null : (ws >> 8) & 0xff, signal: sig ? signalName(sig) : null, at: this.clock.now(), reason: sig ? 'killed' : 'exit' });
        } else if (!pidAlive(t.pid)) {
          gone.add(name);
        }
      }
      // Gone without a zombie to read (tmux reaped it first: a kill -9 from outside) and the pane-died hook
      // has not reported it yet: asked of tmux now (its dead pane holds the exit status). Waiting for the hook
      // or a second tick cost 20–45 ms of detection (bench:recovery --mode kill).
      if (gone.size === 0 || busy) return;
      busy = true;
      void this.reapDeadPanes().finally(() => (busy = false));
    }, 10);
    this.pidWatch.unref();
  }

  private pidWatch: NodeJS.Timeout | null = null;
  private waiterSoon = false;

  /**
   * One waiting control client per backend: each line it is sent waits on the channel the pane-died hook
   * signals, then lists the panes inside the server, so an exit is known without starting a process, and
   * re-arming is writing the next line. (A signal sent while no line waits is kept for the next one.)
   */
  private ensureWaiter(force = false): void {
    if (this.waiter || this.waiterSoon || this.disposed) return;
    // Not while the control client has commands in flight: they may create, remove or respawn sessions, and
    // tmux 3.3a crashes notifying a client that is still connecting (see `handshakes`, which only holds back
    // commands sent after a client began connecting). Seen twice ("segfault at 20" in the kernel log) in an
    // experiment where the waiter connected while seven restarts' respawns were in flight. Held back 2 s at
    // most (exits are still seen by the pid watch meanwhile), then connected anyway.
    const control = this.control;
    if (!force && control && !control.closed && control.busy) {
      this.waiterSoon = true;
      void (async () => {
        const deadline = Date.now() + 2000;
        while (!control.closed && control.busy && Date.now() < deadline && !this.disposed) await sleep(2);
        this.waiterSoon = false;
        // Only while sessions are tracked, as at every other call: a waiter's client attaches with
        // `new-session -A`, and after a server kill with nothing left to watch it would start a new server.
        if (this.tracked.size > 0) this.ensureWaiter(true);
      })();
      return;
    }
    const w = this.connectClient();
    this.waiter = w;
    w.onDidClose(() => {
      if (this.waiter === w) this.waiter = null;
      if (!this.disposed) void this.onServerMaybeLost();
    });
    void (async () => {
      while (!w.closed && !this.disposed) {
        // Sessions tracked after this line was sent may be missing from its listing: not judged by it.
        const gen = this.gen;
        const r = await w.request([['wait-for', DIED_CHANNEL], ['list-panes', '-a', '-F', PANES_FORMAT]]);
        if (r.code === 0) void this.reapDeadPanes({ stdout: r.stdout, gen });
        else if (/no current target|no sessions/i.test(r.stderr)) void this.reapDeadPanes({ stdout: '', gen });
        else if (!w.closed) await sleep(100);
      }
    })();
  }

  /**
   * A control client (commands or the waiter) went away: the server may be gone. Sessions record the pid
   * of the server they run on, so a loss is judged per server from /proc. (Asking tmux instead raced with
   * a first recovery that had started a new server meanwhile: the old server's sessions were never reported.)
   */
  private async onServerMaybeLost(): Promise<void> {
    const servers = new Set([...this.tracked.values()].map((t) => t.server ?? 0));
    for (const server of servers) {
      let gone = false;
      if (server > 0) {
        // A server that closes its clients exits right after: give it a moment before calling it alive.
        const deadline = Date.now() + 1000;
        while (!(gone = pidGoneOrZombie(server)) && Date.now() < deadline) await sleep(10);
        // Still there: alive, or stuck in tmux 3.3's exiting state (it refuses every client and never exits;
        // no new server can start on the socket meanwhile). Stuck is ended: its panes are gone already.
        if (!gone && (await this.serverRefusesClients())) {
          this.killOurServer(server);
          gone = true;
        }
        // It may have exited during that check (then it answers "no server running", or a new server
        // started by a first recovery answers): judged by its pid again, else its sessions were never reported.
        gone ||= pidGoneOrZombie(server);
      } else {
        gone = !(await this.serverAlive());
      }
      if (!gone) continue;
      const at = this.clock.now();
      for (const [name, t] of [...this.tracked]) {
        if ((t.server ?? 0) !== server) continue;
        this.tracked.delete(name);
        if (this.stopping.has(name)) continue;
        this.onDidExitEmitter.fire({ name, pid: t.pid ?? null, code: null, signal: null, at, reason: 'server-lost' });
      }
    }
    if (this.tracked.size > 0 && !this.disposed) {
      this.ensureWaiter();
      void this.reapDeadPanes();
    }
  }

  /** The server last seen (its pid): the one a start may find still exiting after a kill. */
  private lastServer: number | null = null;

  /**
   * The last server refuses clients while it exits; tmux 3.3 can stay in that state (a client still attached)
   * and no new server can start on the socket meanwhile (a recovery then failed: "server exited
   * unexpectedly"). Give it 300 ms, then end it: its panes were killed with it already.
   */
  private async unstickServer(): Promise<void> {
    const pid = this.lastServer;
    if (!pid) return;
    const deadline = Date.now() + 300;
    while (!pidGoneOrZombie(pid) && Date.now() < deadline) await sleep(10);
    if (pidGoneOrZombie(pid) || !(await this.serverRefusesClients())) return;
    this.killOurServer(pid);
  }

  /** SIGKILL for a pid only while it is this backend's tmux server (never a pid reused by another program). */
  private killOurServer(pid: number): void {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf('-L');
      if (!/(^|\/)tmux$/.test(argv[0] ?? '') || at < 0 || argv[at + 1] !== this.socket) return;
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile, or no /proc: leave it
    }
  }

  private async serverRefusesClients(): Promise<boolean> {
    const r = await this.tmux(['list-sessions', '-F', '#{session_name}'], { allowFailure: true }).catch(() => null);
    return !!r && r.code !== 0 && /server exited unexpectedly|lost server/.test(r.stderr);
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
      const r = await this.call([['list-panes', '-a', '-F', PANES_FORMAT]]);
      if (r.code === 0) stdout = r.stdout;
      // A server with no session left (its last one killed from outside) answers "no current target":
      // nothing is present, so every tracked session is gone. (Returning here left such an exit unreported.)
      else if (/no current target|no sessions/i.test(r.stderr)) stdout = '';
      else return;
    }
    const at = this.clock.now();
    const present = new Set<string>();
    // The server that answered (every row carries its pid, the control session's too).
    let listedServer: number | null = null;
    let controlSeen = false;
    for (const line of stdout.split('\n')) {
      const [name, dead, ...rest] = line.split('\t');
      listedServer ??= Number(rest[4]) || null;
      let [status, signal] = rest;
      const sessionId = rest[3] ?? '';
      const serverPid = Number(rest[4]) || null;
      if (name === CONTROL_SESSION) controlSeen = true;
      if (!name || name === CONTROL_SESSION) continue;
      present.add(name);
      if (dead !== '1') continue;
      const t = this.tracked.get(name);
      // A row of an older session of this name, or of an older process of this pane (respawned since: a
      // stale listing), says nothing about the current one.
      const rowPid = Number(rest[2]) || null;
      const ours = t !== undefined && (t.id === null || t.id === sessionId) && (!t.pid || !rowPid || t.pid === rowPid);
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
        if (t === undefined && this.deadIds.get(name) !== sessionId) this.removeDeadSession(name, sessionId, serverPid);
        continue;
      }
      this.keepForRestart(name, sessionId, serverPid);
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
    // Our own control session missing too: the server is being killed (kill-server ends every session, ours
    // included, and answers a moment longer). Its sessions are judged by the server's fate, not reported
    // "removed" at once: a recovery started then created its session on the dying server (then SIGHUP).
    const vanished = [...this.tracked].filter(([name, t]) => t.gen <= gen && !present.has(name) && !this.stopping.has(name));
    if (!controlSeen && vanished.length > 0) {
      void this.onServerMaybeLost();
      return;
    }
    for (const [name, t] of [...this.tracked]) {
      // A listing from another server says nothing of a session on this one: during a server kill a new
      // server (started by the first recovery) and the dying one can both answer for a moment, and a
      // recovered session judged "removed" by the other one's listing was restarted a second time.
      // But a session whose server has exited is lost: reported here when the server-loss check missed it
      // (else it stayed tracked and unreported for good, recovered only by the watchdog's slow sweep).
      if (listedServer !== null && t.server !== null && t.server !== listedServer) {
        if (t.server !== undefined && !this.stopping.has(name) && pidGoneOrZombie(t.server)) {
          this.tracked.delete(name);
          this.onDidExitEmitter.fire({ name, pid: t.pid ?? null, code: null, signal: null, at, reason: 'server-lost' });
        }
        continue;
      }
      if (t.gen <= gen && !present.has(name) && !this.stopping.has(name)) {
        this.tracked.delete(name);
        this.onDidExitEmitter.fire({ name, code: null, signal: null, at, reason: 'removed' });
      }
    }
  }

  private keepForRestart(name: string, sessionId: string, server: number | null): void {
    if (!sessionId) return this.removeDeadSession(name, sessionId, server);
    this.deadIds.set(name, sessionId);
    this.deadServers.set(name, server);
    // No restart came (a stop exit code, a backoff, errored): remove it on our own.
    setTimeout(() => {
      if (this.deadIds.get(name) !== sessionId) return;
      this.deadIds.delete(name);
      this.deadServers.delete(name);
      this.removeDeadSession(name, sessionId, server);
    }, 1500).unref();
  }

  /** The dead session kept for `name`'s restart, while the server it belongs to still runs. */
  private liveDeadId(name: string): string | undefined {
    const id = this.deadIds.get(name);
    if (id === undefined) return undefined;
    const server = this.deadServers.get(name) ?? null;
    return this.serverChanged(server) ? undefined : id;
  }

  /** True when `server` is gone, or is not the server our commands reach now (a new one started since). */
  private notCurrentServer(server: number): boolean {
    return pidGoneOrZombie(server) || (this.lastServer !== null && server !== this.lastServer);
  }

  /** A known server that is no longer the current one: a session id of it means nothing (or another session) now. */
  private serverChanged(server: number | null): boolean {
    return server !== null && this.notCurrentServer(server);
  }

  private removeDeadSession(name: string, sessionId: string, server: number | null): void {
    // Its server is gone (or going, and a new one answers our commands): the session goes with it, and its
    // id may name another session on the new server — killing it by id there killed a recovered agent.
    if (sessionId && this.serverChanged(server)) return;
    const prev = this.killing.get(name) ?? Promise.resolve();
    const p = prev
      // Judged again when the kill is sent: an earlier kill of this name may have waited across a server change.
      .then(() => (sessionId && this.serverChanged(server) ? undefined : this.call([['kill-session', '-t', sessionId || sessionTarget(name)]])))
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
      const again = await this.call([['display-message', '-p', '-t', paneTarget(name), '#{pane_dead_status}\t#{pane_dead_signal}']]);
      const [status = '', signal = ''] = again.stdout.trim().split('\t');
      if (again.code !== 0 || status || signal) return [status, signal];
      // The pane's pty closed before the process became a zombie: usually a matter of a millisecond.
      await sleep(i < 3 ? 1 : 5);
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
      await this.call([['kill-session', '-t', sessionTarget(name)]]);
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
    const r = await this.call([['display-message', '-p', '-t', paneTarget(name), '#{pane_pid}']]);
    const pid = Number(r.stdout.trim());
    return r.code === 0 && pid > 0 ? pid : null;
  }

  async isAlive(name: string): Promise<boolean> {
    const r = await this.call([['display-message', '-p', '-t', paneTarget(name), '#{pane_dead}']]);
    return r.code === 0 && r.stdout.trim() === '0';
  }

  async listAlive(): Promise<RunningAgent[]> {
    const r = await this.call([['list-panes', '-a', '-F', '#{session_name}\t#{pane_dead}\t#{pane_pid}']]);
    if (r.code !== 0) return [];
    return r.stdout
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([n, dead]) => n && n !== CONTROL_SESSION && dead === '0')
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
        const typed = await this.call([['send-keys', '-t', paneTarget(name), '-l', '--', line]]);
        if (typed.code !== 0) throw new HiveError('ILLEGAL_TRANSITION', `Could not type into agent ${name}: ${typed.stderr.trim()}.`);
        const probe = line.slice(-24);
        await this.waitForScreen(name, (screen) => screen.includes(probe), 1000);
      }
      if (!last || opts.enter) attempts += await this.pressEnter(name);
    }
    return attempts;
  }

  async screen(name: string): Promise<string | null> {
    const r = await this.call([['capture-pane', '-p', '-t', paneTarget(name)]]);
    return r.code === 0 ? r.stdout : null;
  }

  async sendKeys(name: string, keys: string[]): Promise<void> {
    for (const k of keys) {
      // Named keys (Enter, Escape, Up…) as keys; anything else typed literally.
      const r = await this.call([/^[A-Z][A-Za-z]+$/.test(k) ? ['send-keys', '-t', paneTarget(name), k] : ['send-keys', '-t', paneTarget(name), '-l', '--', k]]);
      if (r.code !== 0) throw new HiveError('ILLEGAL_TRANSITION', `Could not send keys to agent ${name}: ${r.stderr.trim()}.`);
      await sleep(60);
    }
  }

  /**
   * The text as one bracketed paste (tmux wraps it in ESC[200~ … ESC[201~ when the program asked for
   * that mode, as Claude Code and Codex do), then Enter — re-sent when the screen did not change.
   */
  async paste(name: string, text: string, opts: { enter: boolean; enterDelayMs?: number }): Promise<number> {
    if (!(await this.isAlive(name))) throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} has no live pane to type into.`);
    const buffer = `hive-in-${name}`;
    const r = await this.call([
      ['set-buffer', '-b', buffer, '--', text.replace(/\r\n?/g, '\n')],
      ['paste-buffer', '-p', '-d', '-b', buffer, '-t', paneTarget(name)],
    ]);
    if (r.code !== 0) throw new HiveError('ILLEGAL_TRANSITION', `Could not paste into agent ${name}: ${r.stderr.trim()}.`);
    let attempts = 1;
    const probe = text.trim().split('\n').slice(-1)[0]!.slice(-24);
    // A long paste shows collapsed ("[Pasted text #1 +30 lines]"): wait for the screen to settle instead.
    await this.waitForScreen(name, (screen) => screen.includes(probe) || /Pasted text/.test(screen), 1000);
    if (opts.enter) {
      // Codex and Gemini CLI swallow an Enter that follows a paste too closely (paste-burst detection).
      if (opts.enterDelayMs) await sleep(opts.enterDelayMs);
      attempts += await this.pressEnter(name);
    }
    return attempts;
  }

  /** Enter, re-sent (at most three times) while the screen does not change; returns how many were sent. */
  private async pressEnter(name: string): Promise<number> {
    const before = await this.capture(name);
    let sent = 0;
    for (let k = 0; k < 3; k++) {
      sent++;
      await this.call([['send-keys', '-t', paneTarget(name), 'Enter']]);
      if (await this.waitForScreen(name, (s) => s !== before, 400)) break;
    }
    return sent;
  }

  private async capture(name: string): Promise<string> {
    const r = await this.call([['capture-pane', '-p', '-t', paneTarget(name), '-S', '-20', '-e']]);
    const cursor = await this.call([['display-message', '-p', '-t', paneTarget(name), '#{cursor_x},#{cursor_y}']]);
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
    await this.endServer();
  }

  /**
   * `kill-server`, then makes sure the server process is gone: tmux 3.3 can stay behind after kill-server
   * in its exiting state (refusing every client with "server exited unexpectedly", never exiting) when a
   * client was mid-command; seen after a test's server kill and restart. SIGKILL after 2 s.
   */
  private async endServer(): Promise<void> {
    const info = await this.tmux(['display-message', '-p', '#{pid}'], { allowFailure: true }).catch(() => null);
    const pid = info && info.code === 0 ? Number(info.stdout.trim()) : NaN;
    await this.tmux(['kill-server'], { allowFailure: true });
    if (!Number.isInteger(pid) || pid <= 0) return;
    for (let waited = 0; waited < 2000 && pidAlive(pid); waited += 20) await sleep(20);
    if (pidAlive(pid)) this.killOurServer(pid);
  }

  /**
   * Closes the control client and the exit waiter. Agents keep running in the server; a server left with no
   * agent session (only the control client's own) is ended, so a host that stops leaves nothing behind.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.pidWatch) clearInterval(this.pidWatch);
    this.waiter?.dispose();
    this.waiter = null;
    this.control?.dispose();
    this.control = null;
    await this.killServerIfIdle();
  }

  /** Ends the server when no agent session is on it (true when it was ended or was not running). */
  async killServerIfIdle(): Promise<boolean> {
    const r = await this.tmux(['list-sessions', '-F', '#{session_name}'], { allowFailure: true }).catch(() => null);
    if (!r) return false;
    // No server (or no session left in it): nothing to end.
    if (r.code !== 0) return true;
    const agents = r.stdout.split('\n').filter((n) => n && n !== CONTROL_SESSION);
    if (agents.length > 0) return false;
    await this.endServer();
    return true;
  }
}

/** A command list as one tmux CLI argument list: `;` between commands, each argument escaped (tmuxArg). */
function cliArgs(commands: readonly (readonly string[])[]): string[] {
  return commands.flatMap((c, i) => [...(i > 0 ? [';'] : []), ...c.map(tmuxArg)]);
}

function inodeOf(file: string): number | null {
  try {
    return statSync(file).ino;
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
