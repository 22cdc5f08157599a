import type { Telemetry } from '../observability/telemetry.js';
import type { BackendKind } from '../../../shared/contract/agents.js';
import type { AgentRecord, AgentRepo } from '../agents/agent-repo.js';
import type { AgentService } from '../agents/agent-service.js';
import type { StateMachine } from '../agents/state-machine.js';
import type { Clock } from '../ports/clock.js';
import { DisposableStore, type Disposable } from '../ports/disposable.js';
import type { SnapshotContents } from '../../../shared/contract/snapshots.js';
import type { Backend, ExitInfo } from '../supervisor/backend.js';
import { tailLines } from '../snapshots/context.js';
import { pidGoneOrZombie } from '../supervisor/process-tree.js';
import { backoffDelay, classifyExit, countsAsQuickCrash, restartsInWindow } from './restart-policy.js';

export interface WatchdogDeps {
  repo: AgentRepo;
  machine: StateMachine;
  service: AgentService;
  backends: Partial<Record<BackendKind, Backend>>;
  clock: Clock;
  notify: (level: 'info' | 'warning' | 'error', title: string, body: string) => void;
  /** Liveness and hang checks run this often. */
  checkIntervalMs?: number;
  /** A crash snapshot's git part waits until no restart has run for this long (default QUIET_MS). */
  crashSnapshotQuietMs?: number;
  telemetry: Telemetry;
}

const LIVE: ReadonlySet<string> = new Set(['running', 'starting', 'recovering', 'unknown', 'unreachable']);

/**
 * Notices crashes and hangs and brings agents back with their context, per each agent's restart policy.
 * Exits arrive as events from the backends; a periodic check covers anything an event missed and hangs.
 */
export class Watchdog implements Disposable {
  private readonly store = new DisposableStore();
  private timer: NodeJS.Timeout | null = null;
  /** Recovery timestamps per agent, for the unstable window. */
  private readonly history = new Map<string, number[]>();
  /** Consecutive quick crashes per agent, for the backoff exponent. */
  private readonly streak = new Map<string, number>();
  private readonly missed = new Map<string, number>();
  /** Running agents whose recorded process was gone at the last check (name → that pid). */
  private readonly vanished = new Map<string, number>();
  private readonly pending = new Map<string, { cancel(): void }>();
  private checking = false;
  private disposed = false;
  /** Recoveries and exit handling in flight; dispose() lets them finish so nothing writes to a closed store. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly d: WatchdogDeps) {}

  start(): void {
    for (const b of Object.values(this.d.backends)) {
      if (b) this.store.add(b.onDidExit((e) => void this.track(this.onExit(e))));
    }
    this.store.add(
      this.d.machine.onDidChange(({ event }) => {
        // A person's start (spawn, wake, restart — the "try again" after errored) begins a new crash
        // history; otherwise the first crash after a fix would hit the old maxRestarts count at once.
        if (event.agent && event.to === 'starting' && event.actor !== 'watchdog') {
          this.cancelPending(event.agent);
          this.history.delete(event.agent);
          this.streak.delete(event.agent);
          this.missed.delete(event.agent);
        }
      }),
    );
    this.timer = setInterval(() => void this.track(this.check()), this.d.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  /**
   * At start-up: adopt agents still alive (they survived the host), mark the vanished ones crashed and
   * recover them per policy. Never starts a second copy of a live agent.
   */
  async reconcile(): Promise<{ adopted: string[]; crashed: string[] }> {
    const adopted: string[] = [];
    const crashed: string[] = [];
    const alive = new Map<BackendKind, Map<string, number | null>>();
    const listFailed = new Map<BackendKind, string>();
    const agents = this.d.repo.list();
    const needed = new Set(agents.filter((a) => needsReconcile(a)).map((a) => a.backend));
    for (const [kind, b] of Object.entries(this.d.backends) as [BackendKind, Backend][]) {
      // A backend none of whose agents can be alive is not asked (Docker's client is not even loaded).
      if (!needed.has(kind)) continue;
      const avail = await b.availability().catch(() => ({ available: false, reason: 'unreachable' }));
      if (!avail.available) continue;
      // A listing that fails says nothing: its agents are left as they are (the periodic check looks at them
      // later). Taken for "nothing alive", it marked live agents crashed and started second copies of them.
      const listed = await b.listAlive().then(
        (l) => l,
        (err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          this.d.notify('warning', `could not list the ${kind} agents at host start`, `${why}; running agents are checked again shortly.`);
          listFailed.set(kind, why);
          return null;
        },
      );
      if (listed) alive.set(kind, new Map(listed.map((a) => [a.name, a.pid])));
    }
    for (const agent of agents) {
      if (!needsReconcile(agent)) continue;
      const backend = this.d.backends[agent.backend];
      const names = alive.get(agent.backend);
      if (backend && !names && listFailed.has(agent.backend)) {
        await this.unsure(agent, backend, `listing its agents failed: ${listFailed.get(agent.backend)}`);
        continue;
      }
      if (!backend || !names) continue; // backend unavailable: leave as is (docker shows unknown)
      if (!names.has(agent.name) && backend.unreachable) {
        // On a Docker engine that does not answer: nothing is known, so nothing is restarted (or restarted elsewhere).
        const why = await backend.unreachable(agent.name).catch(() => null);
        if (why) {
          // The engine reconciler may have said so already (it hears the same engine go away).
          if (this.d.repo.find(agent.name)?.status === 'running') {
            try {
              this.d.machine.transition({ name: agent.name, to: 'unreachable', from: ['running'], cause: why, actor: 'watchdog', patch: { lastError: why } });
            } catch {}
          }
          continue;
        }
      }
      const processAlive =
        names.has(agent.name) ||
        (agent.backend === 'process' && 'isRunningFromBefore' in backend && (backend as unknown as { isRunningFromBefore(n: string, p: number | null): boolean }).isRunningFromBefore(agent.name, agent.pid));
      // The pid the backend sees wins: a host killed mid-launch never recorded the new one.
      const pid = names.get(agent.name) ?? agent.pid;
      if (processAlive) {
        // One agent that cannot be adopted (its container went away meanwhile, a tmux call timed out) must not
        // stop the host from starting, nor the others from being reconciled.
        const failed = await Promise.resolve(backend.adopt?.({ name: agent.name, pid, logPath: this.d.service.logPath(agent.name) })).then(
          () => null,
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        );
        if (failed !== null) {
          this.d.machine.record(agent.name, 'adopt-failed', `could not re-attach at host start (${failed}); its state is checked again shortly`, 'watchdog');
          await this.unsure(agent, backend, `re-attaching failed: ${failed}`);
          continue;
        }
      }
      if (agent.status === 'crashed') {
        // Still alive only if the host died while stopping a hung agent: finish that first.
        if (processAlive) await backend.stop(agent.name, { killTimeoutMs: agent.policy.killTimeoutMs }).catch(() => {});
        crashed.push(agent.name);
        await this.scheduleRecovery(agent, { name: agent.name, code: agent.lastExitCode, signal: null, at: this.d.clock.now(), reason: 'server-lost' }, 0);
        continue;
      }
      if (processAlive && agent.status === 'stopping') {
        // A stop or sleep was cut short with the process still alive: finish the stop (its snapshot, if
        // any, was written before the process was signalled).
        await backend.stop(agent.name, { killTimeoutMs: agent.policy.killTimeoutMs }).catch(() => {});
        this.d.machine.transition({ name: agent.name, to: 'stopped', cause: 'stop completed at host start', actor: 'watchdog', patch: { pid: null } });
        continue;
      }
      if (processAlive) {
        if (agent.status !== 'running' && agent.status !== 'sleeping') {
          this.d.machine.transition({ name: agent.name, to: 'running', cause: 'found alive at host start', actor: 'watchdog', patch: { pid } });
        } else if (pid !== agent.pid) {
          this.d.repo.patch(agent.name, this.d.clock.iso(), { pid });
        }
        adopted.push(agent.name);
        continue;
      }
      if (agent.status === 'sleeping') continue;
      if (agent.status === 'stopping') {
        // A restart cut short keeps a docker agent's warm standby (for the start that was to follow): it goes
        // with the stop. (Only there: a tmux stop would start a tmux server to ask for a session.)
        if (agent.backend === 'docker') await backend.stop(agent.name, { killTimeoutMs: agent.policy.killTimeoutMs }).catch(() => {});
        this.d.machine.transition({ name: agent.name, to: 'stopped', cause: 'stop completed while no host was running', actor: 'watchdog', patch: { pid: null } });
        continue;
      }
      crashed.push(agent.name);
      await this.onExit({ name: agent.name, code: null, signal: null, at: this.d.clock.now(), reason: 'server-lost' }, 'vanished while no host was running');
    }
    return { adopted, crashed };
  }

  /**
   * An agent whose state could not be checked at host start. A running one is left to the periodic check,
   * a sleeping one to its wake; any other was left where nothing looks at it (a `stopping` one allowed no
   * action until the next host): a stop is finished, anything else is errored with the reason (restart,
   * stop and remove are open there), never restarted blind (it may still run).
   */
  private async unsure(agent: AgentRecord, backend: Backend, why: string): Promise<void> {
    if (agent.status === 'running' || agent.status === 'sleeping' || agent.status === 'unreachable') return;
    try {
      if (agent.status === 'stopping') {
        await backend.stop(agent.name, { killTimeoutMs: agent.policy.killTimeoutMs }).catch(() => {});
        this.d.machine.transition({ name: agent.name, to: 'stopped', cause: `stop completed at host start (its state could not be checked: ${why})`, actor: 'watchdog', patch: { pid: null } });
        return;
      }
      const reason = `its state could not be checked at host start (${why}); not restarted while it may still run. Restart or stop it.`;
      this.d.machine.transition({ name: agent.name, to: 'errored', cause: reason, actor: 'watchdog', patch: { lastError: reason } });
    } catch {
      // (a transition the lifecycle does not allow from this state: left as it is)
    }
  }

  private async onExit(e: ExitInfo, causeOverride?: string, deferred = false): Promise<void> {
    if (!deferred && this.d.service.mutex.busy(e.name)) {
      // An action owns the agent right now (a stop, a launch): judge the exit once it has finished.
      await this.d.service.mutex.run(e.name, async () => {});
      return this.onExit(e, causeOverride, true);
    }
    const agent = this.d.repo.find(e.name);
    if (!agent || !LIVE.has(agent.status)) return; // stopped, sleeping or removed on purpose
    // The exit of an older process: it died while a restart or a wake held the agent's lock, and the agent
    // runs a new process now. Judged against the new run it was taken for its crash, and a second copy of
    // the agent was started beside the first.
    if (e.pid != null && agent.pid != null && e.pid !== agent.pid) return;
    // crash → detect → restart, one trace (the restart is a child when it follows without a backoff).
    return this.d.telemetry.action('crash', e.name, { actor: 'watchdog', reason: e.reason, attrs: { 'hive.backend': agent.backend } }, () => this.judgeExit(agent, e, causeOverride));
  }

  private async judgeExit(agent: AgentRecord, e: ExitInfo, causeOverride?: string): Promise<void> {
    this.d.telemetry.recordSpan('detect', e.at, this.d.clock.now(), { 'hive.exit_reason': e.reason });
    const uptime = agent.startedAt ? e.at - Date.parse(agent.startedAt) : 0;
    const verdict = classifyExit(e, agent.policy, uptime);
    const what = causeOverride ?? describeExit(e, agent.backend);
    if (verdict === 'stopped') {
      this.d.machine.transition({ name: e.name, to: 'stopped', cause: `${what}; a stop exit code, not restarted`, actor: 'watchdog', patch: { pid: null, lastExitCode: e.code } });
      return;
    }
    if (verdict === 'not-found') {
      const tail = await this.errorTail(e.name);
      const reason = `${what}: the command was not found or not executable${tail ? ` — ${tail.split('\n').pop()}` : ''}`;
      this.d.machine.transition({ name: e.name, to: 'errored', cause: reason, actor: 'watchdog', patch: { pid: null, lastExitCode: e.code, lastError: reason } });
      this.d.notify('error', `${e.name} could not start`, reason);
      return;
    }
    const crash = this.d.machine.transition({
      name: e.name,
      to: 'crashed',
      cause: what,
      actor: 'watchdog',
      patch: { pid: null, lastExitCode: e.code, lastError: what },
      data: { code: e.code, signal: e.signal, reason: e.reason, uptimeMs: uptime, detectMs: Math.max(0, this.d.clock.now() - e.at) },
    });
    this.d.notify('warning', `${e.name} crashed`, what);
    await this.scheduleRecovery(crash.agent, e, uptime);
  }

  /**
   * The last lines of an agent's log, once its output has arrived: the shell's "not found" can reach the log
   * after the exit is seen (tmux's output pipe is a process of its own). Waits at most ~0.5 s for a log that
   * is still empty or still growing; a command that never printed costs that wait once.
   */
  private async errorTail(name: string): Promise<string> {
    let last = tailLines(this.d.service.logPath(name), 5).trim();
    for (let waited = 0; waited < 500; waited += 25) {
      await new Promise((r) => setTimeout(r, 25));
      const now = tailLines(this.d.service.logPath(name), 5).trim();
      if (now && now === last) break;
      last = now;
    }
    return last;
  }

  private async scheduleRecovery(agent: AgentRecord, e: ExitInfo, uptime: number): Promise<void> {
    const p = agent.policy;
    if (!p.autorestart) return;
    const now = this.d.clock.now();
    const own = countsAsQuickCrash(e, agent.backend);
    const streak = uptime >= p.minUptimeMs ? 0 : this.streak.get(agent.name) ?? 0;
    const times = restartsInWindow(this.history.get(agent.name) ?? [], now, p.unstableWindowMs);
    if (times.length >= p.maxRestarts) {
      const reason = `crash loop: ${times.length} restarts within ${Math.round(p.unstableWindowMs / 1000)} s (maxRestarts ${p.maxRestarts}); not restarting. Fix the cause, then restart it.`;
      this.d.machine.transition({ name: agent.name, to: 'errored', cause: reason, actor: 'watchdog', patch: { lastError: reason } });
      this.d.notify('error', `${agent.name} stopped restarting`, reason);
      return;
    }
    const delay = own ? backoffDelay(p, streak) : 0;
    this.streak.set(agent.name, own ? streak + 1 : streak);
    this.history.set(agent.name, [...times, now]);
    if (delay <= 0) return this.recover(agent.name, e, 0);
    this.d.machine.record(agent.name, 'backoff', `restart in ${delay} ms (attempt ${streak + 1})`, 'watchdog', { delayMs: delay, attempt: streak + 1 });
    this.pending.get(agent.name)?.cancel();
    const later = () => this.d.telemetry.action('recover', agent.name, { actor: 'watchdog', reason: `after a ${delay} ms backoff` }, () => this.recover(agent.name, e, delay));
    this.pending.set(agent.name, this.d.clock.setTimeout(() => void this.track(later().catch(() => {})), delay));
  }

  /** crashed → recovering → running. Restart first; the expensive part of the crash snapshot follows. */
  private async recover(name: string, e: ExitInfo, delayMs: number): Promise<void> {
    this.pending.delete(name);
    if (this.disposed) return;
    let crash: { agent: AgentRecord; contents: SnapshotContents | null } | null = null;
    this.restarting++;
    try {
      await this.restartStep(name, e, delayMs, (c) => (crash = c));
    } finally {
      this.restarting--;
      if (crash) this.lastRestartEnd = Date.now();
    }
    // (assigned inside the callback, which TypeScript's narrowing does not see)
    const done = crash as { agent: AgentRecord; contents: SnapshotContents | null } | null;
    if (!done?.contents) return;
    // Not awaited: the host's start and the periodic check recover agents one after another, and each
    // would otherwise wait for this one's snapshot before the next restart. dispose() still waits for it.
    void this.track(this.saveCrashSnapshot(done.agent, done.contents));
  }

  /**
   * The slow part of a crash snapshot (git state: four git processes) after the agent is back, outside the
   * agent's lock (holding it delayed the handling of the next crash by the whole git round trip), and after
   * the other restarts of a burst: the first agents' git processes competed with the later agents'
   * restarts after a tmux server kill (and, where programs start in this process, each start blocked its
   * thread while the kernel copied it). The git state is therefore of a moment 150 ms to 5 s after the
   * restart, the memory files and output of the moment before it.
   */
  private async saveCrashSnapshot(agent: AgentRecord, contents: SnapshotContents): Promise<void> {
    await this.afterRestarts();
    const git = await this.d.service.captureContext(agent, 'crash').then((c) => c.git).catch(() => null);
    try {
      this.d.service.saveSnapshot({ ...contents, git });
    } catch (err) {
      this.d.notify('warning', `${agent.name}: crash snapshot not saved`, (err as Error).message);
    }
  }

  /** Restarts in progress, and when the last one ended (epoch ms): see afterRestarts. */
  private restarting = 0;
  private lastRestartEnd = 0;

  /** Resolves once no restart is in progress and none ended in the last QUIET_MS (at most MAX_DEFER_MS). */
  private async afterRestarts(): Promise<void> {
    const deadline = Date.now() + MAX_DEFER_MS;
    const quiet = this.d.crashSnapshotQuietMs ?? QUIET_MS;
    while (!this.disposed && Date.now() < deadline && (this.restarting > 0 || Date.now() - this.lastRestartEnd < quiet)) {
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async restartStep(name: string, e: ExitInfo, delayMs: number, recovered: (c: { agent: AgentRecord; contents: SnapshotContents | null }) => void): Promise<void> {
    await this.d.service.mutex.run(name, async () => {
      const agent = this.d.repo.find(name);
      if (!agent || agent.status !== 'crashed') return;
      const detectedAt = e.at;
      // Memory files and the output tail are read before the restart (cheap, and the new process may change them).
      // A snapshot that cannot be taken (memory files past the size limit, one unreadable) never keeps the
      // agent down: it restarts from what its worktree holds, and the event says why there is no snapshot.
      // (Thrown here, it left the agent in 'crashed' for good.)
      let contents: SnapshotContents | null = null;
      try {
        contents = await this.d.service.captureContext(agent, 'crash', { git: false });
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        this.d.machine.record(name, 'snapshot-failed', `crash snapshot not taken (${why}); restarted without it`, 'watchdog');
        this.d.notify('warning', `${name}: crash snapshot not taken`, why);
      }
      const restartAt = this.d.clock.now();
      try {
        await this.d.telemetry.step('restart', () => this.d.service.launch(name, { cause: `recovering after ${describeExit(e, agent.backend)}`, actor: 'watchdog', snapshot: contents, via: 'recovering' }), { 'hive.backend': agent.backend });
      } catch (err) {
        this.d.notify('error', `${name} could not be recovered`, (err as Error).message);
        return;
      }
      const runningAt = this.d.clock.now();
      const downtime = runningAt - detectedAt;
      const current = this.d.repo.get(name);
      this.d.repo.patch(name, this.d.clock.iso(), { restarts: current.restarts + 1, lastRecoveryMs: downtime });
      this.d.machine.record(name, 'recovery', `recovered in ${downtime} ms`, 'watchdog', {
        detectedAt,
        reason: e.reason,
        delayMs,
        restartMs: runningAt - restartAt,
        downtimeMs: downtime,
      });
      recovered({ agent, contents });
    });
  }

  /** Periodic liveness (events can be missed) and hang detection (two consecutive misses). */
  private async check(): Promise<void> {
    if (this.checking || this.disposed) return;
    this.checking = true;
    try {
      const tmux = this.d.backends.tmux as (Backend & { reapDeadPanes?: () => Promise<void> }) | undefined;
      const agents = this.d.repo.listByStatus(['running']);
      if (tmux?.reapDeadPanes && agents.some((a) => a.backend === 'tmux')) await tmux.reapDeadPanes();
      await this.recoverVanished(agents);
      const now = this.d.clock.now();
      for (const a of agents) {
        const hang = a.policy.hangTimeoutMs;
        if (!hang) continue;
        // An agent whose own hooks say it is idle, or that waits for a person, is quiet by design, not hung.
        // A tool's events count as signs of life like heartbeats.
        const act = a.activity;
        if (act && (act.state === 'waiting' || (act.state === 'idle' && act.source === 'hooks'))) {
          this.missed.delete(a.name);
          continue;
        }
        const last = Math.max(
          act ? Date.parse(act.since) : 0,
          a.lastHeartbeatAt ? Date.parse(a.lastHeartbeatAt) : 0,
          a.lastOutputAt ? Date.parse(a.lastOutputAt) : 0,
          a.startedAt ? Date.parse(a.startedAt) : 0,
        );
        if (now - last < hang) {
          this.missed.delete(a.name);
          continue;
        }
        const misses = (this.missed.get(a.name) ?? 0) + 1;
        this.missed.set(a.name, misses);
        this.d.machine.record(a.name, 'heartbeat-missed', `no heartbeat or output for ${Math.round((now - last) / 1000)} s (miss ${misses} of 2)`, 'watchdog');
        if (misses >= 2) {
          this.missed.delete(a.name);
          await this.killHung(a);
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /**
   * The net under the backends' exit reports: a `running` agent whose recorded process is gone at two
   * checks in a row, with no action on it in between, is handled as an exit. (A report can be lost in a
   * race, e.g. when the whole tmux server dies while a first recovery starts a new one.) Never for a pid
   * that changed between the two checks, nor for Docker, whose pids live in another namespace.
   */
  private async recoverVanished(running: AgentRecord[]): Promise<void> {
    const seen = new Set<string>();
    for (const a of running) {
      if (a.backend === 'docker' || a.pid === null || this.d.service.mutex.busy(a.name)) continue;
      if (!pidGoneOrZombie(a.pid)) continue;
      seen.add(a.name);
      if (this.vanished.get(a.name) !== a.pid) {
        this.vanished.set(a.name, a.pid);
        continue;
      }
      this.vanished.delete(a.name);
      const current = this.d.repo.find(a.name);
      if (current?.status !== 'running' || current.pid !== a.pid) continue;
      await this.onExit({ name: a.name, pid: a.pid, code: null, signal: null, at: this.d.clock.now(), reason: 'server-lost' }, 'its process vanished without an exit report');
    }
    for (const name of [...this.vanished.keys()]) if (!seen.has(name)) this.vanished.delete(name);
  }

  private async killHung(a: AgentRecord): Promise<void> {
    const backend = this.d.backends[a.backend];
    if (!backend) return;
    const at = this.d.clock.now();
    // Recovered only if it was still running when the lock came, and its hung process is gone.
    let recover = false;
    await this.d.service.mutex.run(a.name, async () => {
      const current = this.d.repo.find(a.name);
      if (current?.status !== 'running') return;
      // Mark first so the exit this stop causes is not taken for a second crash.
      this.d.machine.transition({ name: a.name, to: 'crashed', cause: `hung: no heartbeat or output for ${a.policy.hangTimeoutMs} ms twice`, actor: 'watchdog', patch: { pid: null } });
      try {
        await backend.stop(a.name, { killTimeoutMs: a.policy.killTimeoutMs });
        recover = true;
      } catch (err) {
        // Not stopped: a restart now would run a second copy beside the hung one. Still alive (or unknown):
        // errored with the reason, for a person; gone after all: recovered as usual.
        const why = err instanceof Error ? err.message : String(err);
        if ((await backend.isAlive(a.name).catch(() => true)) !== false) {
          const reason = `hung, and could not be stopped (${why}); not restarted while it may still run. Stop it, then restart it.`;
          this.d.machine.transition({ name: a.name, to: 'errored', from: ['crashed'], cause: reason, actor: 'watchdog', patch: { lastError: reason } });
          this.d.notify('error', `${a.name} hung and could not be stopped`, reason);
        } else {
          recover = true;
        }
      }
    });
    if (!recover) return;
    this.d.notify('warning', `${a.name} hung`, 'It was stopped and is being recovered.');
    const agent = this.d.repo.get(a.name);
    await this.scheduleRecovery(agent, { name: a.name, code: null, signal: 'SIGTERM', at, reason: 'hung' }, 0);
  }

  cancelPending(name: string): void {
    this.pending.get(name)?.cancel();
    this.pending.delete(name);
  }

  private track<T>(p: Promise<T>): Promise<T | undefined> {
    const settled = p.catch((err: unknown) => {
      if (!this.disposed) this.d.notify('error', 'watchdog error', (err as Error).message);
      return undefined;
    });
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    return settled;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    for (const p of this.pending.values()) p.cancel();
    await this.store.dispose();
    // A recovery that already started finishes (its launch and snapshot) before the store closes.
    await Promise.allSettled([...this.inFlight]);
  }
}

/** A crash snapshot's git part waits until restarts have paused this long (a burst of crashes: see recover). */
const QUIET_MS = 150;
/** …and at most this long. */
const MAX_DEFER_MS = 5000;

function describeExit(e: ExitInfo, backend: BackendKind): string {
  switch (e.reason) {
    case 'exit':
      return `exited with code ${e.code ?? '?'}`;
    case 'killed':
      if (e.signal === 'SIGHUP' && backend === 'tmux') return 'killed by SIGHUP: its terminal closed (its tmux session or server was ended)';
      return `killed by ${e.signal ?? 'a signal'}`;
    case 'server-lost':
      return 'its tmux server or container engine went away';
    case 'removed':
      return 'its session or container was removed from outside';
    case 'hung':
      return 'it hung and was stopped';
  }
}

/**
 * Agents a starting host must look for: live ones, one left `stopping`, a paused sleeper, and `crashed` (a
 * host died between noticing a crash and restarting it, e.g. during the backoff).
 */
function needsReconcile(agent: AgentRecord): boolean {
  return LIVE.has(agent.status) || agent.status === 'stopping' || agent.status === 'crashed' || (agent.status === 'sleeping' && agent.sleepMode === 'pause');
}
