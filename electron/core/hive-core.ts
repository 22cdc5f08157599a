import path from 'node:path';
import type { PushEventName, PushPayload } from '../../shared/contract/index.js';
import type { Bus } from './bus/bus.js';
import { createBus } from './bus/create-bus.js';
import { EventLog } from './events/event-log.js';
import { pruneHistory } from './store/retention.js';
import { Git } from './git/git.js';
import type { AllHandlers } from './handlers.js';
import { systemClock, type Clock } from './ports/clock.js';
import { DisposableStore, Emitter } from './ports/disposable.js';
import { openDatabase, type Db } from './store/database.js';
import { WalCheckpointer } from './store/wal-checkpointer.js';
import { fileURLToPath } from 'node:url';
import type { BackendKind } from '../../shared/contract/agents.js';
import type { LiveMetrics, SystemInfo } from '../../shared/contract/events.js';
import { TOKEN_FILE } from '../../shared/contract/wire.js';
import { scrapeConfig } from './observability/scrape-config.js';
import { AgentRepo, publicAgent } from './agents/agent-repo.js';
import { ActivityTracker } from './agents/activity-tracker.js';
import { AgentService } from './agents/agent-service.js';
import { agentsHandlers, snapshotsHandlers } from './agents/handlers.js';
import { StateMachine } from './agents/state-machine.js';
import { busHandlers } from './bus/handlers.js';
import { PaneDelivery } from './bus/pane-delivery.js';
import { ConflictService } from './conflicts/conflict-service.js';
import { conflictsHandlers } from './conflicts/handlers.js';
import { eventsHandlers } from './events/handlers.js';
import { enginesHandlers } from './engines/handlers.js';
import { OutputTailer } from './output/output-tailer.js';
import { SnapshotStore } from './snapshots/snapshot-store.js';
import { SettingsStore } from './settings/settings-store.js';
import type { Backend } from './supervisor/backend.js';
import { ProcessBackend } from './supervisor/process-backend.js';
import { DockerBackend } from './supervisor/docker-backend.js';
import { DockerReconciler } from './supervisor/docker/docker-reconciler.js';
import { DockerEngines, type EngineLoad } from './engines/docker-engines.js';
import { EngineService } from './engines/engine-service.js';
import { EngineStore } from './engines/engine-store.js';
import { TmuxBackend } from './supervisor/tmux-backend.js';
import { Watchdog } from './watchdog/watchdog.js';
import { WorktreeManager } from './worktrees/worktree-manager.js';
import { findPackageRoot, writeHiveShim } from './agents/hive-shim.js';
import type { Logger } from 'pino';
import { Telemetry } from './observability/telemetry.js';
import type { MetricSources } from './observability/metrics.js';

export interface CoreOptions {
  dataDir: string;
  clock?: Clock;
  git?: Git;
  /** URL the agents use to reach the API (set once the host listens). */
  apiUrl?: () => string | null;
  apiToken?: () => string | null;
  redisUrl?: string | null;
  /** Backends to build (default: tmux and process, plus docker where wired). Tests pass their own. */
  backends?: Partial<Record<BackendKind, Backend>>;
  /** Watchdog check interval (ms). */
  checkIntervalMs?: number;
  /** How long restarts must have paused before a crash snapshot's git part runs (ms, default 150). */
  crashSnapshotQuietMs?: number;
  /** Snapshots kept per agent; overrides the stored setting (default 20). */
  retention?: number;
  /** The host's log (default: nothing is logged). */
  logger?: Logger;
  /** Node's process metrics on /metrics (default true; tests that build many cores turn them off). */
  processMetrics?: boolean;
  /** How often agents on other engines are synced back (default 60 s; 0 = only on sleep, stop, merge…). */
  syncIntervalMs?: number;
  /** Ping interval of added engines' connections (tests shorten it). */
  enginePingIntervalMs?: number;
}

const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const HIVE_VERSION = '0.1.0';
const VERSION = HIVE_VERSION;

export type PushListener = <E extends PushEventName>(event: E, payload: PushPayload<E>) => void;

/**
 * The composition root: the only place that builds the real parts. The Electron main process and
 * `hive serve` both build the core here, then put their own transport in front of `handlers`.
 */
export class HiveCore {
  readonly dataDir: string;
  readonly db: Db;
  readonly clock: Clock;
  readonly git: Git;
  readonly events: EventLog;
  /** Messages and working memory: Redis when `redisUrl` / HIVE_REDIS_URL is set, else in-process. */
  readonly bus: Bus;
  readonly disposables = new DisposableStore();
  private readonly pushEmitter = new Emitter<{ event: PushEventName; payload: unknown }>();
  /** Subscribe to every pushed event (hosts forward them to windows and sockets). */
  readonly onDidPush = this.pushEmitter.event;
  readonly settings: SettingsStore;
  readonly repo: AgentRepo;
  readonly machine: StateMachine;
  readonly snapshots: SnapshotStore;
  readonly worktrees: WorktreeManager;
  readonly backends: Partial<Record<BackendKind, Backend>>;
  /** Every Docker engine (local and added ones); null when this core has no docker backend. */
  readonly dockerEngines: DockerEngines | null;
  readonly engines: EngineService | null;
  readonly agents: AgentService;
  readonly activity: ActivityTracker;
  readonly watchdog: Watchdog;
  readonly tailer: OutputTailer;
  readonly conflicts: ConflictService;
  readonly handlers: AllHandlers;
  readonly startedAt: string;
  /** Logs, Prometheus metrics and traces. */
  readonly telemetry: Telemetry;
  /** The counts the gauges and the Metrics page read (prepared once). */
  private readonly metricSources: MetricSources;

  constructor(readonly options: CoreOptions) {
    this.dataDir = path.resolve(options.dataDir);
    this.clock = options.clock ?? systemClock;
    this.git = options.git ?? new Git();
    this.db = openDatabase(path.join(this.dataDir, 'hive.db'));
    this.disposables.add({ dispose: () => void this.db.close() });
    // WAL checkpoints on a worker thread: inline they stall the event loop 5-15 ms every ~1000 pages (bus p99).
    this.disposables.add(new WalCheckpointer(this.db));
    this.events = new EventLog(this.db, this.clock);
    const count = (sql: string) => this.db.prepare(sql);
    const agentCounts = count('SELECT status, backend, COUNT(*) AS n FROM agents GROUP BY status, backend');
    const backlog = count('SELECT COUNT(*) AS n FROM bus_deliveries WHERE acked_at IS NULL');
    const conflictCounts = count('SELECT status, COUNT(*) AS n FROM conflict_items GROUP BY status');
    const backendOf = count('SELECT backend FROM agents WHERE name = ?');
    this.metricSources = {
      agents: () => agentCounts.all() as { status: string; backend: string; n: number }[],
      busBacklog: () => (backlog.get() as { n: number }).n,
      conflicts: () => conflictCounts.all() as { status: string; n: number }[],
    };
    this.telemetry = new Telemetry({
      logger: options.logger,
      processMetrics: options.processMetrics,
      sources: this.metricSources,
      backendOf: (name) => (backendOf.get(name) as { backend: string } | undefined)?.backend ?? null,
    });
    this.disposables.add(this.events.onDidAppend((e) => this.telemetry.onEvent(e)));
    this.disposables.add(this.events.onDidAppend((e) => this.push('event:appended', e)));
    this.bus = this.disposables.add(
      createBus({ db: this.db, clock: this.clock, events: this.events, redisUrl: options.redisUrl || process.env.HIVE_REDIS_URL || null }),
    );
    this.disposables.add(
      this.bus.onDidSend(({ message: m }) => this.push('bus:message', { id: m.id, from: m.from, to: m.to, topic: m.topic })),
    );
    this.disposables.add(this.bus.onDidChangeState((s) => this.push('bus:state', s)));
    this.disposables.add(this.bus.onDidSend(() => this.telemetry.metrics.busMessages.inc({ transport: this.bus.kind })));
    this.disposables.add(
      this.bus.onDidDeliver(({ name, messages }) => {
        const now = Date.now();
        for (const m of messages) {
          const sent = Date.parse(m.createdAt);
          this.telemetry.metrics.busDelivery.observe(Math.max(0, now - sent) / 1000);
          this.telemetry.recordSpan('bus.deliver', sent, now, { 'hive.bus.to': name, 'hive.bus.from': m.from, 'hive.bus.transport': this.bus.kind });
        }
      }),
    );
    this.disposables.add(
      this.bus.onDidChangeState((s) => {
        if (s.state === 'connected') this.telemetry.log.info({ action: 'bus.state', transport: s.kind, reason: s.detail ?? undefined }, `bus ${s.kind}: connected`);
        else this.telemetry.log.warn({ action: 'bus.fault', transport: s.kind, reason: s.detail ?? undefined }, `bus ${s.kind}: ${s.state}`);
      }),
    );

    this.startedAt = this.clock.iso();
    this.settings = new SettingsStore(this.db, path.join(this.dataDir, 'secrets.json'));
    this.repo = new AgentRepo(this.db, () => this.settings.policyDefaults());
    this.machine = new StateMachine(this.db, this.repo, this.events, this.clock);
    this.snapshots = new SnapshotStore(this.db, this.dataDir, this.clock);
    this.snapshots.observer = (op, seconds, bytes) => {
      this.telemetry.metrics.snapshotSeconds.observe({ op }, seconds);
      if (op === 'write' && bytes > 0) this.telemetry.metrics.snapshotBytes.observe(bytes);
    };
    this.worktrees = new WorktreeManager(this.git, this.dataDir);
    const given: Partial<Record<BackendKind, Backend>> = options.backends ?? { tmux: new TmuxBackend(this.dataDir, this.clock), process: new ProcessBackend(this.dataDir, this.clock) };
    const engineStore = new EngineStore(this.db);
    const engineOf = count("SELECT COALESCE(engine, 'local') AS engine FROM agents WHERE name = ?");
    const loadOf = count(
      "SELECT status, options FROM agents WHERE backend = 'docker' AND COALESCE(engine, 'local') = ?",
    );
    // No I/O until used: without a Docker engine it only reports itself unavailable. A test's own
    // DockerBackend becomes the local engine.
    this.dockerEngines =
      !options.backends || given.docker instanceof DockerBackend
        ? new DockerEngines({
            dataDir: this.dataDir,
            store: engineStore,
            local: given.docker instanceof DockerBackend ? given.docker : undefined,
            engineOf: (name) => (engineOf.get(name) as { engine: string } | undefined)?.engine ?? null,
            loadOf: (engine): EngineLoad => {
              const rows = loadOf.all(engine) as { status: string; options: string }[];
              const running = rows.filter((r) => r.status === 'running');
              const reservedMb = running.reduce((n, r) => n + ((JSON.parse(r.options) as { memoryMb?: number }).memoryMb ?? 0), 0);
              return { running: running.length, total: rows.length, reservedMb };
            },
            backendOptions: { ...(options.enginePingIntervalMs ? { pingIntervalMs: options.enginePingIntervalMs } : {}), apiUrl: () => options.apiUrl?.() ?? null },
          })
        : null;
    this.backends = { ...given, ...(this.dockerEngines ? { docker: this.dockerEngines } : {}) };
    for (const b of Object.values(this.backends)) if (b) this.disposables.add(b);
    this.engines = this.dockerEngines
      ? this.disposables.add(
          new EngineService({
            engines: this.dockerEngines,
            store: engineStore,
            repo: this.repo,
            machine: this.machine,
            git: this.git,
            clock: this.clock,
            dataDir: this.dataDir,
            mutex: () => this.agents.mutex,
            syncIntervalMs: options.syncIntervalMs,
            failover: () => this.settings.get().failover,
            restart: (name, actor) => this.agents.restart(name, actor),
          }),
        )
      : null;
    this.agents = new AgentService({
      repo: this.repo,
      machine: this.machine,
      snapshots: this.snapshots,
      worktrees: this.worktrees,
      backends: this.backends,
      clock: this.clock,
      dataDir: this.dataDir,
      apiEnv: () => ({ url: options.apiUrl?.() ?? null, token: options.apiToken?.() ?? null }),
      retention: () => options.retention ?? this.settings.get().snapshotRetention,
      binDir: writeHiveShim(this.dataDir, PACKAGE_ROOT) ?? undefined,
      toolEnv: (preset) => this.settings.envFor(preset),
      telemetry: this.telemetry,
      engines: this.engines ?? undefined,
      onLaunched: (name) => {
        // A new run: its activity starts over, and its screen gets one look even if it printed its question
        // before the output tailer followed it.
        this.activity.forget(name);
        this.activity.sawOutput(name);
      },
      hooks: {
        exportWorkingMemory: (name) => this.bus.exportMemory(name),
        importWorkingMemory: (name, mem) => this.bus.importMemory(name, mem),
        pendingMessages: async (name) => this.bus.pendingFor(name),
        onHeartbeat: (name) => void this.bus.touchPresence(name).catch(() => {}),
      },
    });
    this.activity = this.disposables.add(
      new ActivityTracker({
        repo: this.repo,
        clock: this.clock,
        backends: this.backends,
        record: (name, kind, cause, actor, data) => this.machine.record(name, kind, cause, actor, data),
        notify: (level, title, body) => this.notify(level, title, body),
      }),
    );
    this.disposables.add(
      this.activity.onDidChange((agent) => {
        if (agent.activity) this.agents.toolCameUp(agent.name);
        this.push('agent:status', { agent, event: null });
      }),
    );
    this.watchdog = this.disposables.add(
      new Watchdog({
        repo: this.repo,
        machine: this.machine,
        service: this.agents,
        backends: this.backends,
        clock: this.clock,
        notify: (level, title, body) => this.notify(level, title, body),
        checkIntervalMs: options.checkIntervalMs,
        crashSnapshotQuietMs: options.crashSnapshotQuietMs,
        telemetry: this.telemetry,
      }),
    );
    // Docker agents go `unreachable` while their engine is away and are adopted or recovered when it is back.
    if (this.dockerEngines) {
      this.disposables.add(new DockerReconciler({ engines: this.dockerEngines, repo: this.repo, machine: this.machine, service: this.agents, notify: (level, title, body) => this.notify(level, title, body) }));
    }
    this.tailer = this.disposables.add(new OutputTailer(this.agents.logDir, this.clock));
    this.disposables.add(this.tailer.onDidOutput((c) => this.onOutput(c.name, c.data, c.at, c.end)));
    this.disposables.add(
      this.machine.onDidChange(({ agent, event }) => {
        if (agent.status === 'running') this.tailer.follow(agent.name);
        else if (this.repo.activityOf(agent.name)) this.activity.forget(agent.name);
        this.push('agent:status', { agent: publicAgent(agent), event });
      }),
    );
    this.disposables.add(
      this.events.onDidAppend((e) => {
        if (e.kind === 'removed' && e.agent) {
          this.tailer.unfollow(e.agent);
          this.push('agent:removed', { name: e.agent });
          // Its unread messages are closed out and its memory keys dropped; the events keep the history.
          void this.bus.forgetAgent(e.agent).catch(() => {});
        }
      }),
    );
    this.conflicts = this.disposables.add(
      new ConflictService({
        db: this.db,
        git: this.git,
        clock: this.clock,
        events: this.events,
        dataDir: this.dataDir,
        notify: (level, title, body) => this.notify(level, title, body),
        push: (event, payload) => this.push(event, payload),
        sendToAgent: async (to, body) => !!(await this.bus.send({ from: 'hive', to, type: 'conflict', body })),
        telemetry: this.telemetry,
      }),
    );
    // Every agent worktree gets the commit-trailer hook (Hive-Agent / Hive-Task / Hive-Intent).
    this.disposables.add(
      this.machine.onDidChange(({ agent }) => {
        if (agent.status === 'starting') void this.conflicts.installHook(agent.name).catch(() => {});
      }),
    );
    // Opt-in per agent (`hive msg pane NAME on`): messages typed into its pane, verified, for agents that
    // only read their terminal. A message is acknowledged only once typing it succeeded.
    this.disposables.add(
      new PaneDelivery({ bus: this.bus, clock: this.clock, sendInput: async (name, text) => (await this.agents.input(name, text, true, 'bus')).attempts }),
    );
    this.handlers = {
      ...agentsHandlers(this),
      ...snapshotsHandlers(this),
      ...eventsHandlers(this),
      'settings:get': () => this.settings.get(),
      'settings:set': (req, ctx) => {
        const next = this.settings.set(req);
        // The event log is shown to everyone who looks: never a Redis password in it.
        let data: Record<string, unknown> = req.redisUrl ? { ...req, redisUrl: req.redisUrl.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@') } : { ...req };
        // Nor a tool's API key: only its name, and whether it was set or removed.
        if (req.toolEnv) {
          const secret = next.toolEnv[req.toolEnv.preset]?.[req.toolEnv.name]?.secret ?? false;
          data = { ...data, toolEnv: { ...req.toolEnv, value: req.toolEnv.value === null ? null : secret ? '***' : req.toolEnv.value } };
        }
        this.events.append({ agent: null, kind: 'settings', cause: `settings changed by ${ctx.actor}`, actor: ctx.actor, data });
        return next;
      },
      ...busHandlers(this),
      ...conflictsHandlers(this),
      ...enginesHandlers(this),
    };
    // Pre-flight and merge read agent branches: the work of agents on other engines comes back first.
    const preflight = this.handlers['conflicts:preflight'];
    const merge = this.handlers['merge:run'];
    this.handlers['conflicts:preflight'] = async (req, ctx) => {
      await this.engines?.syncBeforeBranches(req.agent ? [req.agent] : undefined);
      return preflight(req, ctx);
    };
    this.handlers['merge:run'] = async (req, ctx) => {
      await this.engines?.syncBeforeBranches([req.name]);
      return merge(req, ctx);
    };
  }

  private lastOutputWrite = new Map<string, number>();

  private onOutput(name: string, data: string, at: number, end: number): void {
    this.push('agent:output', { name, data, end });
    this.activity.sawOutput(name);
    // Output counts as a sign of life; written at most once a second per agent.
    const last = this.lastOutputWrite.get(name) ?? 0;
    if (at - last >= 1000 && this.repo.find(name)) {
      this.lastOutputWrite.set(name, at);
      this.repo.patch(name, new Date(at).toISOString(), { lastOutputAt: new Date(at).toISOString() });
    }
  }

  /** Reconciles with what is really running, then starts watching. Call once, after the host listens. */
  async start(): Promise<{ adopted: string[]; crashed: string[] }> {
    this.tailer.start();
    for (const a of this.repo.listByStatus(['running'])) {
      this.tailer.follow(a.name);
      // Activity is live state: a new host reads each running agent's screen once (a question may wait there).
      this.activity.sawOutput(a.name);
    }
    this.watchdog.start();
    this.activity.start();
    this.engines?.startPeriodicSync();
    // Pre-flight whenever an agent branch moves (polls refs; notifies about new pairs at risk).
    this.conflicts.startWatching();
    const result = await this.watchdog.reconcile();
    this.usageTimer = setInterval(() => void this.sampleUsage(), 2000);
    this.usageTimer.unref();
    this.disposables.add({ dispose: () => clearInterval(this.usageTimer!) });
    // Old history (events, acknowledged messages) is pruned a minute after the start, then every hour.
    const prune = () => {
      try {
        const r = pruneHistory(this.db, this.clock.now());
        if (r.events + r.messages > 0) this.options.logger?.info({ events: r.events, messages: r.messages }, 'pruned history older than the retention');
      } catch (err) {
        this.options.logger?.warn({ err }, 'could not prune old history (tried again in an hour)');
      }
    };
    const first = setTimeout(prune, 60_000);
    const hourly = setInterval(prune, 3600_000);
    first.unref();
    hourly.unref();
    this.disposables.add({ dispose: () => (clearTimeout(first), clearInterval(hourly)) });
    return result;
  }

  private usageTimer: NodeJS.Timeout | null = null;

  private async sampleUsage(): Promise<void> {
    const usage: PushPayload<'agents:usage'> = [];
    for (const a of this.repo.listByStatus(['running'])) {
      const s = await this.backends[a.backend]?.stats?.(a.name).catch(() => null);
      if (!s) continue;
      this.repo.setUsage(a.name, s);
      usage.push({ name: a.name, ...s, lastHeartbeatAt: a.lastHeartbeatAt, lastOutputAt: a.lastOutputAt });
    }
    if (usage.length > 0) this.push('agents:usage', usage);
  }

  async systemInfo(): Promise<SystemInfo> {
    const backends: SystemInfo['backends'] = {};
    for (const [kind, b] of Object.entries(this.backends)) {
      if (!b) continue;
      const a = await b.availability().catch((e: Error) => ({ available: false, reason: e.message }));
      backends[kind] = { available: a.available, reason: a.reason };
    }
    const counts: Record<string, number> = {};
    for (const a of this.repo.list()) counts[a.status] = (counts[a.status] ?? 0) + 1;
    return { version: VERSION, dataDir: this.dataDir, pid: process.pid, startedAt: this.startedAt, backends, bus: this.bus.state(), counts };
  }

  async liveMetrics(): Promise<LiveMetrics> {
    const m = this.telemetry.metrics;
    const bus = await m.busSummary();
    const tokenFile = path.join(this.dataDir, TOKEN_FILE);
    const url = this.options.apiUrl?.() ?? null;
    return {
      bus: { transport: this.bus.kind, ...bus, backlog: this.metricSources.busBacklog() },
      conflicts: this.metricSources.conflicts().map((r) => ({ status: r.status, count: r.n })),
      resolver: await m.decisionsByTier(),
      scrape: { url, tokenFile, config: scrapeConfig(url, tokenFile) },
    };
  }

  push<E extends PushEventName>(event: E, payload: PushPayload<E>): void {
    this.pushEmitter.fire({ event, payload });
  }

  notify(level: 'info' | 'warning' | 'error', title: string, body: string): void {
    this.push('notify', { level, title, body });
  }

  async dispose(): Promise<void> {
    await this.disposables.dispose();
  }
}
