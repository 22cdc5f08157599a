import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { HiveError } from '../../../shared/errors.js';
import { Emitter, type Disposable } from '../ports/disposable.js';
import type { Availability, Backend, ExitInfo, RunningAgent, StartSpec } from './backend.js';
import { AgentContainers } from './docker/agent-containers.js';
import { ApiBridge, localEngine } from './docker/api-bridge.js';
import { ContainerIo } from './docker/container-io.js';
import { createOptions, HOST_ALIAS, RESUME_FILE, validateLimits, type ContainerSpecContext } from './docker/container-spec.js';
import { tarOf } from './docker/tar.js';
import { bareName, containerName, dataDirHash, LABEL_AGENT, LABEL_DATA_DIR, LABEL_STANDBY_KEY, namedAsStandby, standbyName } from './docker/docker-labels.js';
import { StatsSampler, type ContainerStats } from './docker/docker-stats.js';
import { engineMessage, imageNotFound, isNotFound, splitExitCode, toHiveError, unreachableReason } from './docker/engine-errors.js';
import { EngineEvents, withTimeout, type EngineEvent } from './docker/engine-events.js';
import { clearStatus, RECORDING_ENV, recordingCmd, recordsStatus, takeStatus } from './docker/exit-status.js';
import { findOrphans, type Orphan } from './docker/find-orphans.js';
import { ContainerProcWatch } from './docker/proc-watch.js';
import { activationLine, givenEnv, standbyCmd, standbyKeyHash } from './docker/warm-standby.js';

export interface DockerBackendOptions {
  dataDir: string;
  /** The engine connection; by default dockerode's own (DOCKER_HOST, else the local socket). */
  docker?: Dockerode;
  /** Only worktrees under this directory may be mounted; default `<dataDir>/worktrees`. */
  worktreesDir?: string;
  /** Host variables passed into containers besides HIVE_* (the agent CLIs' API keys). */
  passEnv?: string[];
  /** Network mode when the spawn request names none. */
  defaultNetwork?: string;
  /** `uid:gid` to run as; default the host user's on POSIX so worktree files stay the user's; null = image's. */
  user?: string | null;
  /** How often a silent engine connection is checked. */
  pingIntervalMs?: number;
  /**
   * Keep one pre-started spare container per agent that takes over after a crash (see warm-standby.ts).
   * Costs an idle shell per agent; default on.
   */
  warmStandby?: boolean;
  /** How long the dead container and the standby wait after a crash for the restart before they are removed. */
  standbyGraceMs?: number;
  /**
   * 'bind' (default): the worktree is bind-mounted, for an engine on this machine. 'volume': an engine on
   * another machine: the workspace is a volume seeded and synced by the host over the API (remote-workspace.ts).
   */
  workspace?: 'bind' | 'volume';
  /** The engine's name in messages (`hive engines`). */
  engine?: string;
  /**
   * The host's API URL (loopback) now. A container adopted after a host restart reaches the API through
   * the bridge forwarder the previous host ran: the new host must forward that port again.
   */
  apiUrl?: () => string | null;
}

/** How long an ended container's connection may take to deliver its last output (the engine's clean-up). */
const RETIRE_MS = 3000;

export const DEFAULT_PASS_ENV = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY'];

interface Standby {
  id: string;
  io: ContainerIo;
  pid: number | null;
  key: string;
  env: string[];
  logPath: string;
}

interface Tracked {
  agent: string;
  id: string;
  io: ContainerIo | null;
  logPath: string;
  standby?: Standby;
}

/**
 * Agents as Docker containers, one per agent, through dockerode. Exits come from the engine's events stream;
 * after a drop the stream reconnects and every tracked container is inspected, so exits that happened
 * meanwhile are reported too. Docker's restart policy is off: the watchdog owns restarts. Containers
 * survive the host (like tmux sessions) and are re-attached with `adopt`.
 *
 * onDidExit fires once per container for exits the backend did not cause: `stop()` is not reported.
 */
export class DockerBackend implements Backend {
  readonly kind = 'docker' as const;
  /** The value of the `agent-hive.data-dir` label on this data dir's containers. */
  readonly hash: string;
  private readonly docker: Dockerode;
  private readonly containers: AgentContainers;
  private readonly ctx: ContainerSpecContext;
  private readonly events: EngineEvents;
  private readonly tracked = new Map<string, Tracked>();
  /** Container ids whose exit was reported or caused by us: reported at most once, ours never. */
  private readonly settled = new Set<string>();
  private readonly exitEmitter = new Emitter<ExitInfo>();
  private readonly availabilityEmitter = new Emitter<Availability>();
  private readonly disposables: Disposable[] = [];
  private readonly sampler = new StatsSampler();
  private readonly bridge: ApiBridge;
  private disposed = false;
  private lastAvailable: boolean | null = null;
  private readonly warmStandby: boolean;
  private readonly engineName: string;
  private readonly standbyGraceMs: number;
  private standbySeq = 0;
  /** Standby names must not collide with those a previous host left behind. */
  private readonly standbyEpoch = Date.now().toString(36);
  readonly onDidExit = this.exitEmitter.event;
  /** Containers whose main process is watched in /proc: their exit is reported without waiting for the engine. */
  private readonly procWatch = new ContainerProcWatch((id) => this.onProcEnded(id));
  /** Connections of ended containers still taking their last output (ContainerIo.retire). */
  private readonly retiring = new Set<ContainerIo>();
  /** Images known to have (or lack) /bin/sh, which recording the exit status needs (exit-status.ts). */
  private readonly hasShell = new Map<string, boolean>();
  /** Fires when the engine connection is lost or comes back (GUI: docker agents show `unknown` meanwhile). */
  readonly onDidChangeAvailability = this.availabilityEmitter.event;

  private readonly apiUrl: (() => string | null) | undefined;

  constructor(options: DockerBackendOptions) {
    this.apiUrl = options.apiUrl;
    const dataDir = path.resolve(options.dataDir);
    this.hash = dataDirHash(dataDir);
    this.docker = options.docker ?? lazyDockerode();
    this.bridge = new ApiBridge(this.docker);
    this.containers = new AgentContainers(this.docker, this.hash);
    // A standby reads its resume file when it takes over; on a volume engine that file is copied in before
    // start, so there is nothing for a standby to read: restarts there are cold.
    this.warmStandby = options.workspace === 'volume' ? false : (options.warmStandby ?? true);
    this.engineName = options.engine ?? 'local';
    this.standbyGraceMs = options.standbyGraceMs ?? 60_000;
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    this.ctx = {
      hash: this.hash,
      worktreesDir: options.worktreesDir ?? path.join(dataDir, 'worktrees'),
      passEnv: options.passEnv ?? DEFAULT_PASS_ENV,
      runDir: path.join(dataDir, 'run'),
      workspace: options.workspace ?? 'bind',
      defaultNetwork: options.defaultNetwork ?? 'bridge',
      user: options.user === null ? undefined : (options.user ?? (uid !== undefined && gid !== undefined ? `${uid}:${gid}` : undefined)),
    };
    this.events = new EngineEvents(this.docker, {
      filters: { type: ['container'], event: ['die', 'destroy'], label: [`${LABEL_DATA_DIR}=${this.hash}`] },
      pingIntervalMs: options.pingIntervalMs,
      // A local engine restarting (a service restart takes a few seconds) is noticed within 0.5 s of it
      // answering: a try is one connect to a socket. Elsewhere (TCP, or SSH: a process per try) up to 5 s.
      maxRetryMs: !options.docker && this.engineName === 'local' && localEngine() ? 500 : undefined,
    });
    this.disposables.push(
      this.events.onDidEvent((e) => void this.onEngineEvent(e)),
      this.events.onDidConnect(({ reconnect }) => {
        this.setAvailable({ available: true, reason: null });
        if (reconnect) void this.catchUp();
      }),
      this.events.onDidDisconnect(({ error }) => this.setAvailable({ available: false, reason: unreachableReason(error) })),
    );
  }

  /** The engine connection this backend talks to. */
  get client(): Dockerode {
    return this.docker;
  }

  async availability(): Promise<Availability> {
    // From the first question on, the events stream keeps (re)connecting, so a host learns through
    // onDidChangeAvailability when an engine that was away comes back and can reconcile then.
    if (!this.disposed) void this.events.start();
    try {
      await withTimeout(this.docker.ping(), 3000);
      return { available: true, reason: null };
    } catch (err) {
      return { available: false, reason: unreachableReason(err) };
    }
  }

  private setAvailable(a: Availability): void {
    if (this.lastAvailable === a.available) return;
    this.lastAvailable = a.available;
    this.availabilityEmitter.fire(a);
  }

  /** Starts watching the engine's events (also done by every start/adopt/listAlive). */
  async watch(): Promise<void> {
    if (!this.events.connected) {
      // Fail at once when the engine refuses, rather than after the connection timeout.
      const a = await this.availability();
      if (!a.available) throw new HiveError('BACKEND_UNAVAILABLE', a.reason!);
    }
    try {
      await withTimeout(this.events.start(), 5000);
    } catch (err) {
      throw new HiveError('BACKEND_UNAVAILABLE', unreachableReason(err));
    }
  }

  start(spec: StartSpec): Promise<{ pid: number | null }> {
    return this.containers.serialized(spec.name, async () => {
      // Validate before touching the engine; the URL rewrite needs the validated network.
      createOptions(spec, this.ctx, containerName(this.hash, spec.name), spec.argv);
      await this.watch();
      const network = validateLimits(spec.limits, this.ctx.defaultNetwork).network;
      const remote = this.ctx.workspace === 'volume';
      const hiveUrl = spec.env.HIVE_URL && !remote ? await this.bridge.urlFor(spec.env.HIVE_URL, network) : undefined;
      const unreachable = !spec.env.HIVE_URL
        ? null
        : remote
          ? `the API listens on this machine and engine ${this.engineName} runs elsewhere (the agent works; \`hive msg\` and hooks from inside it do not reach the host)`
          : this.bridge.problemFor(spec.env.HIVE_URL);
      // Said where the user looks (the agent's output), not swallowed: `hive` inside it will not answer.
      if (unreachable) {
        try {
          appendFileSync(
            spec.logPath,
            remote
              ? `[agent-hive] HIVE_URL will not answer inside this container: ${unreachable}.\n`
              : `[agent-hive] HIVE_URL ${hiveUrl} will not answer inside this container: ${unreachable}. Use --network host, or check the Docker bridge.\n`,
          );
        } catch {}
      }
      const hostAddress = remote ? null : await this.bridge.hostAddress(network);
      // On an engine on this machine the exit status is recorded where the host reads it the moment the
      // agent ends (exit-status.ts); an image without /bin/sh runs the argv as it is.
      // (Keyed by the image's id: a tag moved to another image is checked again.)
      const imageId = remote ? null : await this.docker.getImage(spec.image!).inspect().then((i) => i.Id, () => null);
      const record = imageId !== null && this.hasShell.get(imageId) !== false;
      let opts = this.withCmd(createOptions(spec, this.ctx, containerName(this.hash, spec.name), spec.argv, hiveUrl, hostAddress), record);
      const warm = await this.takeOverWithStandby(spec, opts, imageId);
      if (warm) {
        this.afterStart(spec, opts, imageId);
        return warm;
      }
      // Whatever is left of an earlier run (crashed, or started by a host that died) goes first: one agent,
      // one container, never two.
      const t = this.tracked.get(spec.name);
      if (t?.standby) {
        this.discard(t.standby.id, t.standby.io);
        t.standby = undefined;
      }
      await this.containers.clear(spec.name, (id) => this.settled.add(id));
      clearStatus(this.ctx.runDir, spec.name);
      let container: Dockerode.Container;
      try {
        container = await this.docker.createContainer(opts);
        if (record && !this.hasShell.has(imageId)) {
          const shell = await container.infoArchive({ path: '/bin/sh' }).then(
            () => true,
            (err: unknown) => (isNotFound(err) ? false : null),
          );
          if (shell !== null) this.hasShell.set(imageId, shell);
          if (shell === false) {
            await container.remove({ force: true }).catch(() => {});
            opts = this.withCmd(opts, false, spec.argv);
            container = await this.docker.createContainer(opts);
          }
        }
      } catch (err) {
        throw this.spawnError(err, spec, network, 'create');
      }
      const io = await ContainerIo.attach(this.docker, container, spec.logPath).catch(async (err: unknown) => {
        await container.remove({ force: true }).catch(() => {});
        throw toHiveError(err, `attach to the container of ${spec.name}`);
      });
      // Tracked before it starts: an agent that exits at once must still be reported.
      this.track({ agent: spec.name, id: container.id, io, logPath: spec.logPath });
      try {
        if (remote) await container.putArchive(await resumeArchive(spec), { path: '/' });
        await container.start();
      } catch (err) {
        this.settled.add(container.id);
        this.untrack(spec.name);
        await container.remove({ force: true }).catch(() => {});
        throw this.spawnError(err, spec, network, 'start');
      }
      const info = await container.inspect().catch(() => null);
      if (recordsStatus(opts.Cmd)) this.procWatch.watch(container.id, info?.State.Pid);
      this.afterStart(spec, opts, imageId);
      return { pid: info?.State.Pid || null };
    });
  }

  /**
   * After a crash: hand the agent to the standby made for exactly this configuration (one write to its
   * stdin), then clear the dead container and rename the standby, off the critical path. Null = start cold.
   */
  private async takeOverWithStandby(spec: StartSpec, opts: Dockerode.ContainerCreateOptions, imageId: string | null): Promise<{ pid: number | null } | null> {
    const t = this.tracked.get(spec.name);
    const sb = t?.standby;
    if (!t || !sb) return null;
    t.standby = undefined;
    const line = activationLine(sb.env, opts.Env ?? []);
    let usable = sb.io.open && imageId !== null && sb.key === standbyKeyHash(opts, imageId) && sb.logPath === spec.logPath && line !== null;
    // Only after the agent's container is gone: the standby must never make two agents.
    if (usable && !this.settled.has(t.id)) usable = !(await this.containers.inspect(t.id))?.State.Running;
    if (!usable) {
      this.discard(sb.id, sb.io);
      return null;
    }
    this.settled.add(t.id);
    clearStatus(this.ctx.runDir, spec.name);
    sb.io.reopenLog();
    try {
      await sb.io.write(`${line}\n`);
    } catch {
      this.discard(sb.id, sb.io);
      return null;
    }
    const deadId = t.id;
    this.track({ agent: spec.name, id: sb.id, io: sb.io, logPath: spec.logPath });
    if (recordsStatus(opts.Cmd)) this.procWatch.watch(sb.id, sb.pid);
    const active = containerName(this.hash, spec.name);
    void this.containers.serialized(spec.name, async () => {
      await this.docker.getContainer(deadId).remove({ force: true }).catch(() => {});
      await this.docker.getContainer(sb.id).rename({ name: active }).catch(() => {});
    });
    return { pid: sb.pid };
  }

  private spawnError(err: unknown, spec: StartSpec, network: string, step: 'create' | 'start'): HiveError {
    const msg = engineMessage(err);
    if (isNotFound(err) && /image/i.test(msg)) return imageNotFound(spec.image!);
    if (isNotFound(err) && /network/i.test(msg)) {
      return new HiveError('INVALID_INPUT', `Docker has no network ${JSON.stringify(network)}: create it (\`docker network create ${network}\`) or use bridge, host or none.`);
    }
    return toHiveError(err, `${step} the container of ${spec.name}`);
  }

  /** True when this backend watches the agent's container (started or adopted here). */
  isTracked(name: string): boolean {
    return this.tracked.has(name);
  }

  /**
   * Reports the agent as lost with the engine (`server-lost`) unless its exit was reported already: for a
   * reconciler that finds, once the engine is back, an agent whose container is gone.
   */
  reportLost(name: string): void {
    const t = this.tracked.get(name);
    if (t && !this.settled.has(t.id)) {
      this.reportExit(t, null, 'server-lost');
      return;
    }
    // Its exit was reported already and its restart failed (the engine was going away): the agent still
    // needs a recovery, so it is reported once more.
    if (t) this.untrack(name);
    if (!this.disposed) this.exitEmitter.fire({ name, code: null, signal: null, at: Date.now(), reason: 'server-lost' });
  }

  /** True when a standby is up and waiting to take over this agent after a crash. */
  hasStandby(name: string): boolean {
    return this.tracked.get(name)?.standby?.io.open ?? false;
  }

  /**
   * The container command: the agent's argv behind the shell that records its exit status (exit-status.ts)
   * when `record`, else the argv as it is.
   */
  private withCmd(opts: Dockerode.ContainerCreateOptions, record: boolean, argv = opts.Cmd as string[]): Dockerode.ContainerCreateOptions {
    const env = (opts.Env ?? []).filter((e) => e !== RECORDING_ENV);
    return { ...opts, Cmd: record ? recordingCmd(argv) : argv, Env: record ? [...env, RECORDING_ENV] : env };
  }

  /** Prepares the next standby once the agent runs (queued behind this start, so it never races a stop). */
  private afterStart(spec: StartSpec, opts: Dockerode.ContainerCreateOptions, imageId: string | null): void {
    // A standby is a shell waiting for its line, on an engine on this machine: an image without /bin/sh gets
    // none (docker-init's "exec /bin/sh failed" went to the agent's log on every start).
    if (!this.warmStandby || !recordsStatus(opts.Cmd) || imageId === null) return;
    void this.containers.serialized(spec.name, async () => {
      const t = this.tracked.get(spec.name);
      if (!t || t.standby || this.disposed) return;
      let id: string | null = null;
      try {
        const name = standbyName(this.hash, spec.name, `${this.standbyEpoch}${++this.standbySeq}`);
        const key = standbyKeyHash(opts, imageId);
        const c = await this.docker.createContainer({ ...opts, name, Cmd: standbyCmd(opts.Cmd as string[]), Labels: { ...opts.Labels, [LABEL_STANDBY_KEY]: key } });
        id = c.id;
        this.settled.add(c.id);
        const io = await ContainerIo.attach(this.docker, c, spec.logPath);
        await c.start();
        const info = await c.inspect();
        if (this.tracked.get(spec.name) !== t || this.disposed) {
          this.discard(c.id, io);
          return;
        }
        // Its exit is not the agent's until it takes over.
        t.standby = { id: c.id, io, pid: info.State.Pid || null, key, env: opts.Env ?? [], logPath: spec.logPath };
        this.settled.delete(c.id);
      } catch {
        // No standby (an image without /bin/sh, a full disk): the next restart is simply cold.
        if (id) this.discard(id, null);
      }
    }).catch(() => {});
  }

  private discard(id: string, io: ContainerIo | null): void {
    this.settled.add(id);
    io?.dispose();
    this.containers.removeLater(id);
  }

  stop(name: string, opts: { killTimeoutMs?: number; restarting?: boolean } = {}): Promise<void> {
    return this.containers.serialized(name, async () => {
      const t = Math.ceil((opts.killTimeoutMs ?? 10_000) / 1000);
      const tracked = this.tracked.get(name);
      // A restart keeps the standby: the start that follows hands the agent to it (as after a crash) instead
      // of creating, attaching and starting a container (a docker restart took 1.1 s at p50 in the soak).
      const keep = opts.restarting && !this.disposed && tracked?.standby?.io.open ? tracked.standby : undefined;
      const ids = (await this.containers.listOf(name)).map((c) => c.Id).filter((id) => id !== keep?.id);
      if (tracked && !ids.includes(tracked.id)) ids.push(tracked.id);
      for (const id of ids) this.settled.add(id);
      for (const id of ids) this.procWatch.forget(id);
      for (const id of ids) {
        const c = this.docker.getContainer(id);
        // Docker stop = SIGTERM, then SIGKILL after t seconds; 304 (already stopped) and 404 are fine.
        await c.stop({ t }).catch((err: unknown) => this.containers.tolerate(err, [304, 404, 409], `stop ${name}`));
        await c.remove({ force: true }).catch((err: unknown) => this.containers.tolerate(err, [404, 409], `remove ${name}`));
      }
      if (!keep || !tracked || this.disposed) {
        this.untrack(name);
        // The host quit while this stop ran: no start follows here, and nothing would remove the standby.
        if (keep) await this.docker.getContainer(keep.id).remove({ force: true }).catch(() => {});
        return;
      }
      // The stopped container's output is complete; the standby waits for the start (never two agents: the
      // agent's container is gone). No start within the grace (the restart failed before it): it goes too.
      this.sampler.forget(tracked.id);
      tracked.io?.dispose();
      tracked.io = null;
      this.releaseAfterGrace(tracked, false);
    });
  }

  /**
   * No start within the grace (a stop exit code, autorestart off, errored, a restart that failed before its
   * start): neither the standby nor (`removeDead`) the ended container is kept forever — the output is in
   * the agent's log. A start within the grace tracks the agent anew, and this does nothing.
   */
  private releaseAfterGrace(tracked: Tracked, removeDead: boolean): void {
    const timer = setTimeout(() => {
      void this.containers.serialized(tracked.agent, async () => {
        if (this.disposed || this.tracked.get(tracked.agent) !== tracked) return;
        if (tracked.standby) this.discard(tracked.standby.id, tracked.standby.io);
        tracked.standby = undefined;
        if (removeDead) this.containers.removeLater(tracked.id);
        this.untrack(tracked.agent);
      });
    }, this.standbyGraceMs);
    timer.unref();
  }

  async isAlive(name: string): Promise<boolean> {
    const info = await this.containers.inspect(this.tracked.get(name)?.id ?? containerName(this.hash, name));
    return info?.State.Running ?? false;
  }

  async listAlive(): Promise<RunningAgent[]> {
    await this.watch();
    const list = await this.containers.engine('list containers', () =>
      this.docker.listContainers({ filters: JSON.stringify({ label: [`${LABEL_DATA_DIR}=${this.hash}`] }) }),
    );
    const out: RunningAgent[] = [];
    for (const c of list) {
      const agent = c.Labels[LABEL_AGENT];
      if (!agent) continue;
      const tracked = this.tracked.get(agent);
      const isAgent = tracked ? tracked.id === c.Id : c.Names.some((n) => bareName(n) === containerName(this.hash, agent));
      if (!isAgent) continue;
      const info = await this.containers.inspect(c.Id);
      if (info?.State.Running) out.push({ name: agent, pid: info.State.Pid || null });
    }
    return out;
  }

  async sendInput(name: string, text: string, opts: { enter: boolean }): Promise<number> {
    const tracked = this.tracked.get(name);
    const info = await this.containers.inspect(tracked?.id ?? containerName(this.hash, name));
    if (!info?.State.Running) throw new HiveError('AGENT_NOT_FOUND', `The container of ${name} is not running, so it cannot take input.`);
    if (info.State.Paused) throw new HiveError('ILLEGAL_TRANSITION', `${name} is paused (asleep); wake it before sending input.`);
    let io = tracked?.io;
    if (!io?.open) {
      // Adopted without a connection, or the connection dropped with the engine: attach again.
      const container = this.docker.getContainer(info.Id);
      const since = tracked?.io?.resumeFrom;
      io = tracked && since ? await ContainerIo.resume(this.docker, container, tracked.logPath, since) : await ContainerIo.attach(this.docker, container, tracked?.logPath ?? '/dev/null');
      if (tracked) tracked.io = io;
    }
    await io.write(opts.enter ? `${text}\n` : text);
    return 1;
  }

  adopt(agent: RunningAgent & { logPath: string }): Promise<void> {
    return this.containers.serialized(agent.name, async () => {
      await this.watch();
      const info = await this.containers.inspect(containerName(this.hash, agent.name));
      if (!info) throw new HiveError('AGENT_NOT_FOUND', `No container for ${agent.name} on the Docker engine; it cannot be adopted.`);
      const io = info.State.Running
        ? await ContainerIo.attach(this.docker, this.docker.getContainer(info.Id), agent.logPath).catch(() => null)
        : null;
      const tracked = { agent: agent.name, id: info.Id, io, logPath: agent.logPath };
      this.track(tracked);
      if (info.State.Running && recordsStatus(info.Config.Cmd)) this.procWatch.watch(info.Id, info.State.Pid);
      await this.adoptStandby(tracked, info.State.Running && this.warmStandby).catch(() => undefined);
      // Never a reason to fail the adoption: at worst the agent cannot reach the API (as before).
      if (info.State.Running) await this.forwardAgain(info, agent.logPath).catch(() => undefined);
      // It died between listAlive and adopt: report it now, the stream will not repeat it.
      if (!info.State.Running) this.reportExit(tracked, info.State.ExitCode, 'exit');
    });
  }

  /**
   * The standby the previous host made for this agent, still running and waiting: kept (connected again),
   * so the first crash after a host restart is handed over warm too. Before, every docker agent's next crash
   * after a host restart started cold (the soak's docker kill -9 → running: p50 0.87 s with a host kill
   * every 75 s, 49 ms without). Older spares go.
   */
  private async adoptStandby(tracked: Tracked, wanted: boolean): Promise<void> {
    const spares = (await this.containers.listOf(tracked.agent)).filter((c) => namedAsStandby(c.Names)).sort((a, b) => b.Created - a.Created);
    let kept: Standby | null = null;
    for (const c of spares) {
      if (this.disposed) return;
      const key = c.Labels[LABEL_STANDBY_KEY];
      const info: Dockerode.ContainerInspectInfo | null = wanted && !kept && key && c.State === 'running' ? await this.containers.inspect(c.Id) : null;
      const io: ContainerIo | null = info?.State.Running ? await ContainerIo.attach(this.docker, this.docker.getContainer(c.Id), tracked.logPath).catch(() => null) : null;
      if (!info || !io || !key) {
        io?.dispose();
        this.discard(c.Id, null);
        continue;
      }
      // The standby's own image (its key carries the image id: one made from an image since replaced never
      // takes over, and its variables are not taken for ones the agent was given).
      const imageEnv: string[] | null = await this.docker.getImage(info.Image).inspect().then((i) => i.Config?.Env ?? [], () => null);
      if (imageEnv === null) {
        this.discard(c.Id, io);
        continue;
      }
      kept = { id: c.Id, io, pid: info.State.Pid || null, key, env: givenEnv(info.Config.Env ?? [], imageEnv), logPath: tracked.logPath };
    }
    if (kept && this.tracked.get(tracked.agent) === tracked && !tracked.standby && !this.disposed) tracked.standby = kept;
    else if (kept && this.disposed) kept.io.dispose();
    else if (kept) this.discard(kept.id, kept.io);
  }

  /**
   * The forwarder that let a bridged container reach the loopback-only API lived in the previous host
   * process: without it an adopted agent's `hive msg`, heartbeats and hooks fail until some other container
   * starts (the soak found messages to docker agents undelivered after a host restart). Forward the API
   * again, on the port the container's HIVE_URL names: the forwarder takes the API's own port when free, so
   * it is the same port when the API came back on its port. Otherwise the agent is told in its log.
   */
  private async forwardAgain(info: Dockerode.ContainerInspectInfo, logPath: string): Promise<void> {
    const api = this.apiUrl?.();
    const inside = info.Config?.Env?.find((e) => e.startsWith('HIVE_URL='))?.slice('HIVE_URL='.length);
    const network = info.HostConfig?.NetworkMode ?? '';
    if (!api || !inside || network === 'host' || network === 'none' || this.ctx.workspace === 'volume') return;
    let want: URL;
    try {
      want = new URL(inside);
    } catch {
      return;
    }
    if (want.hostname !== HOST_ALIAS) return;
    const now = new URL(await this.bridge.urlFor(api, network));
    if (now.port === want.port) return;
    try {
      appendFileSync(logPath, `[agent-hive] HIVE_URL ${inside} no longer answers inside this container: the host came back with its API forwarded at ${now.toString()}. Restart the agent to give it the new address.\n`);
    } catch {}
  }

  async pause(name: string): Promise<void> {
    const c = await this.containerOf(name);
    await c.pause().catch((err: unknown) => this.containers.tolerate(err, [409], `pause ${name}`, /already paused/i));
  }

  async resume(name: string): Promise<void> {
    const c = await this.containerOf(name);
    await c.unpause().catch((err: unknown) => this.containers.tolerate(err, [409], `resume ${name}`, /not paused/i));
  }

  async stats(name: string): Promise<ContainerStats> {
    const c = await this.containerOf(name);
    return this.containers.engine(`read the stats of ${name}`, () => this.sampler.sample(c, c.id));
  }

  /** Containers with this data dir's label whose agent the database does not know (reported, never removed). */
  findOrphans(knownNames: Iterable<string>): Promise<Orphan[]> {
    return this.containers.engine('list containers', () => findOrphans(this.docker, this.hash, knownNames));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    // Containers keep running without the host, like tmux sessions; only our connections close. Operations
    // under way (a standby being made) finish first, so nothing touches the engine after dispose.
    await this.containers.idle(5000);
    this.events.dispose();
    this.procWatch.dispose();
    for (const io of this.retiring) io.dispose();
    this.bridge.dispose();
    for (const d of this.disposables) void d.dispose();
    for (const t of this.tracked.values()) {
      t.io?.dispose();
      t.standby?.io.dispose();
    }
    this.tracked.clear();
  }

  private async onEngineEvent(e: EngineEvent): Promise<void> {
    const tracked = this.tracked.get(e.Actor.Attributes[LABEL_AGENT] ?? '');
    if (!tracked || tracked.id !== e.Actor.ID || this.settled.has(tracked.id)) return;
    if (e.Action === 'destroy') {
      this.reportExit(tracked, null, 'removed');
      return;
    }
    if (e.Action !== 'die') return;
    const raw = Number(e.Actor.Attributes.exitCode);
    const code = Number.isFinite(raw) ? raw : null;
    this.settled.add(tracked.id);
    // `docker rm -f` kills first, then removes: the container being removed (or gone) tells a removal from a crash.
    const info = await this.containers.inspect(tracked.id).catch(() => null);
    const removed = info === null || info.State.Status === 'removing' || info.State.Dead;
    this.settled.delete(tracked.id);
    this.reportExit(tracked, code, removed ? 'removed' : 'exit', info?.State.OOMKilled ?? false);
  }

  /** After the engine came back: anything tracked that is no longer running died while we were away. */
  private async catchUp(): Promise<void> {
    for (const tracked of [...this.tracked.values()]) {
      if (this.settled.has(tracked.id)) continue;
      let info: Dockerode.ContainerInspectInfo | null;
      try {
        info = await this.containers.inspect(tracked.id);
      } catch {
        return; // Gone again; the next reconnect catches up.
      }
      if (this.tracked.get(tracked.agent) !== tracked) continue;
      if (!info) this.reportExit(tracked, null, 'removed');
      else if (!info.State.Running) this.reportExit(tracked, info.State.ExitCode, 'server-lost');
      else if (tracked.io && !tracked.io.open) await this.resumeOutput(tracked, tracked.io.resumeFrom ?? Date.now());
      // Not awaited: the exits of the agents after this one are not held up by it.
      if (info?.State.Running && tracked.standby && !tracked.standby.io.open) void this.reattachStandby(tracked, tracked.standby);
    }
  }

  /**
   * The standby outlived the engine's restart as well (live-restore), but not its stdin connection, and a
   * standby is handed the agent through its stdin: a new connection. Without it every docker agent's next
   * crash after an engine restart started cold (a container create and start instead of one write). A
   * standby that did not outlive the engine goes; the next start is cold, and a new standby follows it.
   */
  private async reattachStandby(tracked: Tracked, sb: Standby): Promise<void> {
    if (this.disposed) return;
    // It has printed nothing yet (it waits for its activation line): a plain attach, no log to catch up.
    const io = await this.containers
      .inspect(sb.id)
      .then((info) => (info?.State.Running ? ContainerIo.attach(this.docker, this.docker.getContainer(sb.id), sb.logPath) : null))
      .catch(() => null);
    if (tracked.standby !== sb || this.tracked.get(tracked.agent) !== tracked || this.disposed) {
      io?.dispose();
      return;
    }
    sb.io.dispose();
    if (io) {
      sb.io = io;
      return;
    }
    tracked.standby = undefined;
    this.discard(sb.id, null);
  }

  /**
   * The container outlived the engine's restart (live-restore): its output reaches the agent's log again,
   * what it printed meanwhile included. Without this the log stood still until the next input.
   */
  private async resumeOutput(tracked: Tracked, sinceMs: number): Promise<void> {
    const io = await ContainerIo.resume(this.docker, this.docker.getContainer(tracked.id), tracked.logPath, sinceMs).catch(() => null);
    if (!io) return; // gone again: the next reconnect catches up
    if (this.tracked.get(tracked.agent) !== tracked || this.disposed) {
      io.dispose();
      return;
    }
    tracked.io = io;
  }

  /**
   * The agent's container process ended (proc-watch.ts): reported now with the status its shell recorded.
   * Without one (the container's init was killed from outside: `docker kill`, `docker rm -f`), the engine's
   * `die` event reports it, and tells a removal from a kill.
   */
  private onProcEnded(id: string): void {
    const tracked = [...this.tracked.values()].find((t) => t.id === id);
    if (!tracked || this.disposed || this.settled.has(id)) return;
    const status = takeStatus(this.ctx.runDir, tracked.agent);
    if (status !== null) this.reportExit(tracked, status, 'exit');
  }

  private reportExit(tracked: Tracked, rawCode: number | null, reason: ExitInfo['reason'], oom = false): void {
    if (this.disposed || this.settled.has(tracked.id)) return;
    this.settled.add(tracked.id);
    this.procWatch.forget(tracked.id);
    if (this.settled.size > 10_000) this.settled.delete(this.settled.values().next().value!);
    const { code, signal } = oom ? { code: null, signal: 'SIGKILL' } : splitExitCode(rawCode);
    const why = reason === 'exit' && signal ? 'killed' : reason;
    this.exitEmitter.fire({ name: tracked.agent, code, signal, at: Date.now(), reason: why });
    this.releaseAfterGrace(tracked, reason !== 'removed');
  }

  private track(t: Tracked): void {
    const old = this.tracked.get(t.agent);
    // A container that ended (its exit seen in /proc, before the engine has copied its last output): its
    // connection stays until the engine closes it, so the crash's last lines still reach the log.
    if (old && old.io !== t.io && old.io && this.settled.has(old.id)) {
      const io = old.io;
      this.retiring.add(io);
      void io.retire(RETIRE_MS).then(() => this.retiring.delete(io));
    } else if (old && old.io !== t.io) old.io?.dispose();
    this.tracked.set(t.agent, t);
  }

  private untrack(agent: string): void {
    const t = this.tracked.get(agent);
    if (t) this.sampler.forget(t.id);
    if (t) this.procWatch.forget(t.id);
    t?.io?.dispose();
    t?.standby?.io.dispose();
    this.tracked.delete(agent);
  }

  private async containerOf(name: string): Promise<Dockerode.Container> {
    const info = await this.containers.inspect(this.tracked.get(name)?.id ?? containerName(this.hash, name));
    if (!info) throw new HiveError('AGENT_NOT_FOUND', `${name} has no container on the Docker engine.`);
    return this.docker.getContainer(info.Id);
  }
}

/** The resume file as a tar for an engine that cannot mount it (`/hive/resume.md`, empty without context). */
async function resumeArchive(spec: StartSpec): Promise<Buffer> {
  let text = '';
  try {
    if (spec.env.HIVE_RESUME_FILE) text = readFileSync(spec.env.HIVE_RESUME_FILE, 'utf8');
  } catch {}
  return tarOf([{ name: RESUME_FILE.slice(1), content: Buffer.from(text), mode: 0o644 }]);
}

/**
 * A Dockerode client made on first use. Loading dockerode (with docker-modem, ssh2 and gRPC) costs ~190 ms
 * of the host's start-up (measured), which a host whose agents are not in containers never needs.
 */
function lazyDockerode(): Dockerode {
  let real: Dockerode | null = null;
  const get = (): Dockerode => {
    if (!real) {
      const Ctor = createRequire(import.meta.url)('dockerode') as typeof Dockerode;
      real = new Ctor();
    }
    return real;
  };
  return new Proxy({} as Dockerode, {
    get(_target, prop) {
      const client = get();
      const value = Reflect.get(client, prop, client) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value;
    },
    has: (_target, prop) => Reflect.has(get(), prop),
  });
}
