import { mkdirSync, writeFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { Agent, BackendKind, GitState, Preset, RestartPolicy } from '../../../shared/contract/agents.js';
import type { SpawnRequest } from '../../../shared/contract/agents.js';
import type { SnapshotContents, SnapshotMeta, SnapshotType } from '../../../shared/contract/snapshots.js';
import { HiveError, isHiveError } from '../../../shared/errors.js';
import { actionAllowed, type AgentAction, type AgentStatus } from '../../../shared/lifecycle.js';
import { newAgentNameProblem } from '../../../shared/names.js';
import type { z } from 'zod';
import type { Clock } from '../ports/clock.js';
import type { Backend } from '../supervisor/backend.js';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import { collectMemoryFiles, restoreMemoryFiles, safeJoin, tailBytes, tailLines, writeInside, MEMORY_DIR } from '../snapshots/context.js';
import type { WorktreeManager } from '../worktrees/worktree-manager.js';
import { publicAgent, type AgentRecord, type AgentRepo } from './agent-repo.js';
import { KeyedMutex } from './keyed-mutex.js';
import { learnClaudeSessionId, onPath, planLaunch, presetCommand, PRESET_PROGRAMS } from './presets.js';
import { learnCodexSession } from './tools/codex.js';
import { sessionFile, turnsWithText } from './tools/transcripts.js';
import { prepareTool, type ToolPrep } from './tools/prepare-tool.js';
import type { StateMachine } from './state-machine.js';
import type { Telemetry } from '../observability/telemetry.js';
import { LOG_ROTATE_BYTES } from '../output/output-tailer.js';
import { agentToken } from './agent-token.js';

type ParsedSpawn = z.output<typeof import('../../../shared/contract/agents.js').SpawnRequest>;

/** Optional collaborators that add context to snapshots (the messaging bus fills these). */
export interface ContextHooks {
  exportWorkingMemory?(name: string): Promise<Record<string, string>>;
  importWorkingMemory?(name: string, memory: Record<string, string>): Promise<void>;
  pendingMessages?(name: string): Promise<unknown[]>;
  onHeartbeat?(name: string): void;
}

export interface AgentServiceDeps {
  repo: AgentRepo;
  machine: StateMachine;
  snapshots: SnapshotStore;
  worktrees: WorktreeManager;
  backends: Partial<Record<BackendKind, Backend>>;
  clock: Clock;
  dataDir: string;
  /** Where agents reach the API; null until a host listens. */
  apiEnv: () => { url: string | null; token: string | null };
  hooks?: ContextHooks;
  /** Snapshots kept per agent (read at each prune, so a settings change applies at once). */
  retention?: () => number;
  /** Prepended to PATH so `hive` works inside agents. */
  binDir?: string;
  /** The environment the user configured for a preset's tool (model endpoint, API key). */
  toolEnv?: (preset: Preset) => Record<string, string>;
  /** Told when an agent is (re)started: its activity starts over. */
  onLaunched?: (name: string, hooks: boolean) => void;
  /** Spans and log lines for each action. */
  telemetry: Telemetry;
  /** Docker engines: placement, and the workspaces of agents on other machines (engine-service.ts). */
  engines?: EngineHooks;
}

/** What the agent service asks of the engines (EngineService); every call is made with the agent's lock held. */
export interface EngineHooks {
  placeNew(req: { engine?: string; image: string; memoryMb?: number }): Promise<string>;
  beforeStart(agent: AgentRecord): Promise<void>;
  pullLocked(agent: AgentRecord, why: string): Promise<unknown>;
  dropWorkspace(agent: AgentRecord): Promise<void>;
  isRemote(agent: Pick<AgentRecord, 'backend' | 'engine'>): boolean;
}

const OUTPUT_TAIL_LINES = 5000;

/**
 * Spawn, sleep, wake, restart, stop and remove — every action an agent can take, serialized per agent.
 * Status changes go through the state machine; processes through the backend the agent was spawned on.
 */
export class AgentService {
  readonly mutex = new KeyedMutex();
  hooks: ContextHooks;
  /** When each agent's current run started by resuming its tool's session (see launch). */
  private readonly resumedAt = new Map<string, number>();

  constructor(private readonly d: AgentServiceDeps) {
    this.hooks = d.hooks ?? {};
    mkdirSync(this.logDir, { recursive: true });
  }

  get logDir(): string {
    return path.join(this.d.dataDir, 'logs');
  }

  logPath(name: string): string {
    return path.join(this.logDir, `${name}.log`);
  }

  backendFor(kind: BackendKind): Backend {
    const b = this.d.backends[kind];
    if (!b) throw new HiveError('BACKEND_UNAVAILABLE', `The ${kind} backend is not available in this build. Use --backend tmux or process.`);
    return b;
  }

  list(): Agent[] {
    return this.d.repo.list().map(publicAgent);
  }

  get(name: string): Agent {
    return publicAgent(this.d.repo.get(name));
  }

  async spawn(req: ParsedSpawn, actor: string): Promise<Agent> {
    const problem = newAgentNameProblem(req.name);
    if (problem) throw new HiveError('INVALID_NAME', problem);
    if (this.d.repo.find(req.name)) {
      throw new HiveError('AGENT_EXISTS', `An agent named ${req.name} already exists. Choose another name or remove it first (\`hive agents remove ${req.name}\`).`);
    }
    if (req.preset === 'custom' && !req.cmd?.trim()) {
      throw new HiveError('INVALID_INPUT', 'The custom preset needs a command line: --cmd "your command".');
    }
    // A preset's own command line must be plain words (it never goes through a shell): said at spawn.
    if (req.preset !== 'custom' && req.cmd?.trim()) presetCommand(req.preset, req.cmd);
    if (req.backend === 'docker' && !req.image) {
      throw new HiveError('INVALID_INPUT', 'The docker backend needs an image: --image IMAGE.');
    }
    if (req.engine && req.backend !== 'docker') {
      throw new HiveError('INVALID_INPUT', `--engine places a container on a Docker engine: use it with --backend docker (this agent is ${req.backend}).`);
    }
    const backend = this.backendFor(req.backend);
    let engine: string | null = null;
    if (req.backend === 'docker' && this.d.engines) {
      engine = await this.d.engines.placeNew({ engine: req.engine, image: req.image!, memoryMb: req.memoryMb });
    } else {
      const avail = await backend.availability();
      if (!avail.available) throw new HiveError('BACKEND_UNAVAILABLE', avail.reason ?? `The ${req.backend} backend is not available.`);
    }
    return this.act('spawn', req.name, actor, async () => {
      const wt = await this.d.worktrees.create(req.name, req.repo, req.baseBranch);
      const policy: Partial<RestartPolicy> = req.policy ?? {};
      try {
        this.d.repo.insert({
          name: req.name,
          role: req.role,
          task: req.task,
          status: 'registered',
          backend: req.backend,
          preset: req.preset,
          command: req.cmd ?? '',
          repo: wt.repo,
          worktree: wt.worktree,
          branch: wt.branch,
          createdAt: this.d.clock.iso(),
          sleepMode: req.sleepMode ?? 'snapshot',
          image: req.image ?? null,
          engine,
          policy,
          options: { cpus: req.cpus, memoryMb: req.memoryMb, network: req.network },
        });
      } catch (err) {
        await this.d.worktrees.remove(wt);
        throw err;
      }
      this.d.machine.record(req.name, 'spawned', `spawned by ${actor}`, actor, { backend: req.backend, preset: req.preset, repo: wt.repo });
      return this.launch(req.name, { cause: 'spawn', actor, snapshot: null, via: 'starting' });
    });
  }

  /**
   * Starts the agent's process. `via` is the transitional state: `starting` for user actions,
   * `recovering` for the watchdog. Failing to start leaves the agent `errored` with the reason.
   */
  async launch(
    name: string,
    opts: { cause: string; actor: string; snapshot: SnapshotContents | null; via: 'starting' | 'recovering'; skipTransitionIn?: boolean },
  ): Promise<Agent> {
    let agent = this.d.repo.get(name);
    if (!opts.skipTransitionIn) {
      agent = this.d.machine.transition({ name, to: opts.via, cause: opts.cause, actor: opts.actor }).agent;
    }
    const backend = this.backendFor(agent.backend);
    try {
      if (!agent.worktree || !path.isAbsolute(agent.worktree) || !existsSync(agent.worktree)) {
        throw new HiveError(
          'SPAWN_FAILED',
          `Agent ${name} has no worktree${agent.worktree ? ` at ${agent.worktree}` : ''} (it was imported without one, or the folder was deleted). Remove it with \`hive agents remove ${name} --force\` and spawn it again on a repository.`,
        );
      }
      const env = this.envFor(agent, opts.snapshot);
      const program = agent.preset === 'custom' ? null : presetCommand(agent.preset, agent.command)[0]!;
      if (program && agent.backend !== 'docker' && !onPath(program, env.PATH ?? process.env.PATH ?? '')) {
        throw new HiveError(
          'SPAWN_FAILED',
          `Command not found: ${program}. Install it (or put it on PATH)${agent.command.trim() ? ', or fix the command given for the preset' : ''}, or use the custom preset with --cmd.`,
        );
      }
      const configured = agent.preset === 'custom' ? {} : (this.d.toolEnv?.(agent.preset) ?? {});
      Object.assign(env, configured);
      const knownSession = agent.sessionId ?? opts.snapshot?.sessionId ?? null;
      // A run that resumed its session and crashed before the tool reported anything (no hook, no question
      // on screen): the tool could not resume it (Gemini CLI exits 42). The next start is a new session with
      // the resume prompt, so a session the tool cannot resume never crash-loops the agent.
      const resumedAt = this.resumedAt.get(name);
      const resume = !(opts.via === 'recovering' && agent.backend !== 'docker' && resumedAt !== undefined && Date.now() - resumedAt < 60_000);
      if (!resume) this.d.machine.record(name, 'tool-setup', `its session ${knownSession ?? ''} could not be resumed (the tool exited before it reported anything): starting a new session with the resume prompt`, 'system');
      let prep: ToolPrep | null = null;
      if (agent.backend !== 'docker' && agent.preset !== 'custom') {
        try {
          prep = prepareTool({ preset: agent.preset, worktree: agent.worktree, repo: agent.repo, sessionId: knownSession, resume, env, home: env.HOME || os.homedir(), configured });
          Object.assign(env, prep.env);
          if (prep.notes.length > 0) this.d.machine.record(name, 'tool-setup', `${PRESET_PROGRAMS[agent.preset]}: ${prep.notes.join('; ')}`, 'system');
        } catch (err) {
          // The tool will ask its question on screen instead; the activity tracker shows it as waiting.
          const why = err instanceof Error ? err.message : String(err);
          this.d.machine.record(name, 'tool-setup', `could not prepare ${PRESET_PROGRAMS[agent.preset]}'s first run: ${why}`, 'system');
        }
      }
      const plan = planLaunch({
        preset: agent.preset,
        command: agent.command,
        task: agent.task,
        snapshot: opts.snapshot,
        sessionId: prep ? prep.resumable : agent.backend === 'docker' && agent.preset !== 'custom' ? knownSession : null,
        newSessionId: prep?.newSessionId,
        toolArgs: prep?.toolArgs,
        envPath: agent.backend === 'docker' ? undefined : env.PATH ?? '',
      });
      this.rotateLog(name);
      if (agent.backend === 'docker') await this.d.engines?.beforeStart(agent);
      const { pid } = await backend.start({
        name,
        argv: plan.argv,
        cwd: agent.worktree,
        env,
        logPath: this.logPath(name),
        image: agent.image ?? undefined,
        engine: agent.engine ?? undefined,
        limits: { cpus: agent.options.cpus, memoryMb: agent.options.memoryMb, network: agent.options.network },
      });
      const at = this.d.clock.iso();
      if (plan.resumedWith === 'session') this.resumedAt.set(name, Date.now());
      else this.resumedAt.delete(name);
      this.d.onLaunched?.(name, prep?.hooks ?? false);
      const resumedSession = plan.resumedWith === 'session' && plan.sessionId ? ` (session ${plan.sessionId})` : '';
      const started = publicAgent(
        this.d.machine.transition({
          name,
          to: 'running',
          from: [opts.via],
          cause: opts.snapshot || plan.resumedWith === 'session' ? `${opts.cause}; context resumed with ${plan.resumedWith}${resumedSession}` : opts.cause,
          actor: opts.actor,
          patch: { pid, startedAt: at, lastError: null, lastExitCode: null, generation: agent.generation + 1, ...(plan.sessionId ? { sessionId: plan.sessionId } : {}) },
          data: { resumedWith: plan.resumedWith, ...(plan.sessionId ? { sessionId: plan.sessionId } : {}) },
        }).agent,
      );
      if (plan.initialInput) void this.typeWhenReady(name, plan.initialInput, agent.generation + 1);
      return started;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const current = this.d.repo.get(name);
      // A container's engine went away under a recovery (an engine restart stops its containers before it
      // stops answering): not errored — unreachable, and recovered when the engine answers again.
      if (current.status === 'recovering' && opts.via === 'recovering' && agent.backend === 'docker' && err instanceof HiveError && err.code === 'BACKEND_UNAVAILABLE') {
        this.d.machine.transition({ name, to: 'unreachable', from: ['recovering'], cause: `could not restart: ${message}`, actor: opts.actor, patch: { lastError: message, pid: null } });
        throw err;
      }
      if (current.status === opts.via) {
        this.d.machine.transition({ name, to: 'errored', cause: `could not start: ${message}`, actor: opts.actor, patch: { lastError: message, pid: null } });
      }
      throw err instanceof HiveError ? err : new HiveError('SPAWN_FAILED', `Agent ${name} could not start: ${message}`);
    }
  }

  /**
   * Types a task into a tool that cannot take one on its command line and stay interactive (aider): once
   * its screen has settled (no change for 1.5 s, at most 60 s), and only into the same run it was meant for.
   */
  private async typeWhenReady(name: string, text: string, generation: number): Promise<void> {
    const backend = this.backendFor(this.d.repo.get(name).backend);
    let last: string | null = null;
    let stableSince = Date.now();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      const a = this.d.repo.find(name);
      if (!a || a.status !== 'running' || a.generation !== generation) return;
      const screen = (await backend.screen?.(name).catch(() => null)) ?? null;
      if (screen !== last) {
        last = screen;
        stableSince = Date.now();
      } else if (screen && screen.trim() && Date.now() - stableSince >= 1500) break;
    }
    await this.input(name, text, true, 'hive (task)').catch((err: Error) => this.d.machine.record(name, 'input', `could not type the task: ${err.message}`, 'system'));
  }

  /** The agent's tool reported something (a hook, a question): the session it resumed came up. */
  toolCameUp(name: string): void {
    this.resumedAt.delete(name);
  }

  /** Logs are append-only; one that passed LOG_ROTATE_BYTES is moved to `<name>.log.1` at the next start (and while it runs, by the output tailer). */
  private rotateLog(name: string): void {
    const file = this.logPath(name);
    try {
      if (statSync(file).size > LOG_ROTATE_BYTES) renameSync(file, `${file}.1`);
    } catch {}
  }

  private envFor(agent: AgentRecord, snapshot: SnapshotContents | null): Record<string, string> {
    const api = this.d.apiEnv();
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      // Never leak the host's own token variables or test runner state into agents.
      if (v !== undefined && !k.startsWith('HIVE_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
    }
    env.HIVE_AGENT = agent.name;
    env.HIVE_DATA_DIR = this.d.dataDir;
    env.HIVE_URL = api.url ?? '';
    // In a container: a token for this agent only (agent-token.ts), never the host's.
    env.HIVE_TOKEN = api.token && agent.backend === 'docker' ? agentToken(api.token, agent.name) : api.token ?? '';
    env.HIVE_ROLE = agent.role;
    env.HIVE_TASK = agent.task;
    env.HIVE_WORKTREE = agent.worktree;
    if (this.d.binDir) env.PATH = `${this.d.binDir}${path.delimiter}${env.PATH ?? ''}`;
    if (snapshot) {
      const file = path.join(this.d.dataDir, 'run', `${agent.name}.resume.md`);
      mkdirSync(path.dirname(file), { recursive: true });
      // A new file, not the old one truncated: on ext4 truncating a file that holds data makes its close
      // wait for the data to be written out (auto_da_alloc), 0.2–2.5 ms measured here, on the restart path.
      // Not for Docker: a container (the warm standby) bind-mounts this very inode, so it is rewritten.
      if (agent.backend !== 'docker') rmSync(file, { force: true });
      writeFileSync(file, planLaunchResume(snapshot));
      env.HIVE_RESUME_FILE = file;
    }
    return env;
  }

  /** Everything that can be read about the agent's context right now. `git: false` skips the slow part. */
  async captureContext(agent: AgentRecord, type: SnapshotType, opts: { git?: boolean; notes?: string; sync?: boolean } = {}): Promise<SnapshotContents> {
    // An agent on another machine: its work (memory files, commits, uncommitted files) comes back over the
    // engine's API first, so the snapshot is of its real state. Only with the agent's lock held (sync: true).
    if (opts.sync && this.d.engines?.isRemote(agent)) {
      try {
        await this.d.engines.pullLocked(agent, type);
      } catch (err) {
        this.d.machine.record(agent.name, 'sync-failed', `could not bring its work back before the ${type} snapshot: ${err instanceof Error ? err.message : String(err)}`, 'system');
      }
    }
    const memoryFiles = existsSync(agent.worktree) ? collectMemoryFiles(agent.worktree) : [];
    const sessionId = agent.preset === 'claude' ? agent.sessionId ?? learnClaudeSessionId(agent.worktree) : agent.sessionId;
    const [git, workingMemory, pendingMessages] = await Promise.all([
      opts.git === false || !existsSync(agent.worktree) ? Promise.resolve(null) : this.d.worktrees.state(agent.worktree).catch(() => null),
      this.hooks.exportWorkingMemory?.(agent.name).catch(() => ({})) ?? Promise.resolve({}),
      this.hooks.pendingMessages?.(agent.name).catch(() => []) ?? Promise.resolve([]),
    ]);
    return {
      version: 1,
      agent: agent.name,
      type,
      createdAt: this.d.clock.iso(),
      task: agent.task,
      role: agent.role,
      outputTail: tailLines(this.logPath(agent.name), OUTPUT_TAIL_LINES),
      memoryFiles,
      git,
      sessionId,
      workingMemory,
      pendingMessages,
      notes: opts.notes ?? '',
    };
  }

  saveSnapshot(contents: SnapshotContents, note: string | null = null): SnapshotMeta {
    const meta = this.d.snapshots.save(contents, note);
    this.prune(contents.agent);
    return meta;
  }

  private prune(name: string): void {
    this.d.snapshots.prune(name, this.d.retention?.() ?? 20);
  }

  private requireAction(agent: AgentRecord, action: AgentAction): void {
    if (!actionAllowed(agent.status, action)) {
      throw new HiveError('ILLEGAL_TRANSITION', `Agent ${agent.name} is ${agent.status}; ${action} is not possible now.`);
    }
  }

  /** One action on one agent: serialized with the agent's other actions, traced and logged. */
  private act<T>(action: string, name: string, actor: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(name, () => this.d.telemetry.action(action, name, { actor }, fn));
  }

  async sleep(name: string, actor: string): Promise<Agent> {
    return this.act('sleep', name, actor, async () => {
      const tel = this.d.telemetry;
      const agent = this.d.repo.get(name);
      this.requireAction(agent, 'sleep');
      const backend = this.backendFor(agent.backend);
      // The snapshot first: if it cannot be taken, the agent keeps running instead of hanging in `stopping`.
      const { contents, blob } = await tel.step('snapshot', async () => {
        const c = await this.captureContext(agent, 'sleep', { sync: true });
        return { contents: c, blob: await this.d.snapshots.writeBlobAsync(c) };
      });
      this.d.machine.transition({ name, to: 'stopping', from: ['running'], cause: 'sleep requested', actor });
      await tel.step('stop', () =>
        this.stopStep(agent, 'sleep', actor, async () => {
          if (agent.sleepMode === 'pause' && backend.pause) {
            await backend.pause(name);
          } else {
            await backend.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs });
          }
        }),
      { 'hive.backend': agent.backend });
      await this.pullAfterStop(agent);
      let meta: SnapshotMeta | undefined;
      const result = this.d.machine.transition({
        name,
        to: 'sleeping',
        from: ['stopping'],
        cause: `slept by ${actor}`,
        actor,
        patch: { pid: agent.sleepMode === 'pause' ? agent.pid : null, sessionId: contents.sessionId },
        alsoInTransaction: () => {
          meta = this.d.snapshots.insert(name, 'sleep', blob, null);
        },
        data: { snapshot: blob.sha256 },
      });
      void meta;
      this.prune(name);
      return publicAgent(result.agent);
    });
  }

  async wake(name: string, actor: string): Promise<Agent> {
    return this.act('wake', name, actor, async () => {
      const tel = this.d.telemetry;
      const agent = this.d.repo.get(name);
      this.requireAction(agent, 'wake');
      const backend = this.backendFor(agent.backend);
      if (agent.status === 'sleeping' && agent.sleepMode === 'pause' && backend.resume && (await backend.isAlive(name))) {
        await backend.resume(name);
        return publicAgent(this.d.machine.transition({ name, to: 'running', from: ['sleeping'], cause: `woken by ${actor} (unpaused)`, actor }).agent);
      }
      const snapshot = await tel.step('verify', () => this.latestForWake(name));
      await tel.step('restore', () => this.restoreContext(agent, snapshot));
      return tel.step('start', () => this.launch(name, { cause: `woken by ${actor}`, actor, snapshot, via: 'starting' }), { 'hive.backend': agent.backend });
    });
  }

  /**
   * The newest snapshot, verified. If the newest is corrupt, wake refuses (SNAPSHOT_CORRUPT names the
   * previous good one) rather than silently resuming from older context.
   */
  private async latestForWake(name: string): Promise<SnapshotContents | null> {
    const newest = this.d.snapshots.list(name)[0];
    if (!newest) return null;
    return (await this.d.snapshots.readAsync(newest.id)).contents;
  }

  private async restoreContext(agent: AgentRecord, snapshot: SnapshotContents | null): Promise<number> {
    if (!snapshot || !agent.worktree || !existsSync(agent.worktree)) return 0;
    const changed = snapshot.memoryFiles.filter((f) => {
      const p = safeJoin(agent.worktree, f.path);
      return !existsSync(p) || createHash('sha256').update(readFileSync(p)).digest('hex') !== f.sha256;
    });
    const n = restoreMemoryFiles(agent.worktree, changed);
    if (Object.keys(snapshot.workingMemory).length > 0) await this.hooks.importWorkingMemory?.(agent.name, snapshot.workingMemory);
    return n;
  }

  /**
   * An agent on another engine wrote on between the snapshot's sync and its container's stop: that last
   * work comes back too (best effort; it stays in the volume otherwise and comes with the next sync).
   */
  private async pullAfterStop(agent: AgentRecord): Promise<void> {
    if (!this.d.engines?.isRemote(agent)) return;
    await this.d.engines.pullLocked(agent, 'stopped').catch((err: Error) => {
      this.d.machine.record(agent.name, 'sync-failed', `could not bring back the work written before it stopped: ${err.message}`, 'system');
    });
  }

  async restart(name: string, actor: string): Promise<Agent> {
    return this.act('restart', name, actor, async () => {
      const agent = this.d.repo.get(name);
      this.requireAction(agent, 'restart');
      let snapshot: SnapshotContents | null;
      if (agent.status === 'running') {
        // The checkpoint first: if it cannot be taken, the agent keeps running instead of hanging in `stopping`.
        snapshot = await this.captureContext(agent, 'checkpoint', { sync: true });
        await this.d.snapshots.saveAsync(snapshot);
        this.d.machine.transition({ name, to: 'stopping', from: ['running'], cause: `restart requested by ${actor}`, actor });
        await this.stopStep(agent, 'restart', actor, () => this.backendFor(agent.backend).stop(name, { killTimeoutMs: agent.policy.killTimeoutMs, restarting: true }));
        this.prune(name);
      } else {
        // Errored or crashed with its process still there (a hung agent that could not be stopped): ended
        // first, or the restart ran a second copy beside it.
        const backend = this.backendFor(agent.backend);
        if (await backend.isAlive(name).catch(() => false)) await backend.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs });
        snapshot = await this.latestForWake(name);
      }
      await this.restoreContext(agent, snapshot);
      const restarted = await this.launch(name, { cause: `restarted by ${actor}`, actor, snapshot, via: 'starting' });
      this.d.telemetry.metrics.restarted(name, 'manual');
      return restarted;
    });
  }

  async stop(name: string, actor: string): Promise<Agent> {
    return this.act('stop', name, actor, async () => {
      const agent = this.d.repo.get(name);
      this.requireAction(agent, 'stop');
      const backend = this.backendFor(agent.backend);
      if (agent.status === 'running' || agent.status === 'starting' || agent.status === 'recovering' || agent.status === 'unknown') {
        if (agent.status === 'running') {
          this.d.machine.transition({ name, to: 'stopping', from: ['running'], cause: `stop requested by ${actor}`, actor });
          // Stopping keeps the context: a later wake or restart resumes from this checkpoint.
          try {
            await this.d.snapshots.saveAsync(await this.captureContext(agent, 'checkpoint', { notes: 'taken at stop', sync: true }));
            this.prune(name);
          } catch (err) {
            // A stop must always stop; a checkpoint that cannot be taken is recorded, not fatal.
            this.d.machine.record(name, 'snapshot-failed', `no checkpoint at stop: ${err instanceof Error ? err.message : String(err)}`, actor);
          }
        }
        if (agent.status === 'running') await this.stopStep(agent, 'stop', actor, () => backend.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs }));
        else await backend.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs });
        await this.pullAfterStop(agent);
      } else if (agent.status === 'unreachable') {
        // Its engine does not answer: the agent is stopped here, and its container there is stopped when the
        // engine answers again (the reconciler never adopts an agent that should not run).
        await backend.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs }).catch((err: Error) => {
          this.d.machine.record(name, 'stop', `its engine does not answer (${err.message}); its container is stopped when it answers again`, actor);
        });
      } else if (await backend.isAlive(name).catch(() => false)) {
        // Sleeping in pause mode, or errored/crashed with its process still there (a hung agent that could
        // not be stopped): a stop ends it.
        await backend.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs });
      }
      return publicAgent(this.d.machine.transition({ name, to: 'stopped', cause: `stopped by ${actor}`, actor, patch: { pid: null } }).agent);
    });
  }

  async remove(name: string, force: boolean, actor: string): Promise<{ removed: true; archive: string | null }> {
    return this.act('remove', name, actor, async () => {
      const agent = this.d.repo.get(name);
      if (!actionAllowed(agent.status, 'remove')) {
        throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} is ${agent.status}. Stop it first (\`hive agents stop ${name}\`), then remove it.`);
      }
      const info = { repo: agent.repo, worktree: agent.worktree, branch: agent.branch };
      // On another machine: its work comes back first, so what is checked and archived below is all of it.
      let remoteKept: string | null = null;
      if (this.d.engines?.isRemote(agent)) {
        try {
          await this.d.engines.pullLocked(agent, 'remove');
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          if (!force) {
            throw new HiveError('WORKTREE_DIRTY', `The work of ${name} could not be brought back from engine ${agent.engine}: ${why}. Fix that and try again, or remove with --force (its workspace volume is then kept on that engine).`);
          }
          remoteKept = `its workspace volume on engine ${agent.engine} was kept (its work could not be brought back: ${why})`;
        }
      }
      const reasons = await this.d.worktrees.unsavedWork(info);
      let archive: string | null = null;
      if (reasons.length > 0) {
        if (!force) {
          throw new HiveError(
            'WORKTREE_DIRTY',
            `Agent ${name}'s worktree ${agent.worktree} has ${reasons.join(' and ')}. Merge or commit it first, or remove with --force to archive the work under ${path.join(this.d.dataDir, 'archives')} first.`,
          );
        }
        archive = await this.d.worktrees.archive(name, info, this.d.clock.iso().replace(/[-:.]/g, ''));
      }
      // Stop is idempotent on every backend; calling it also clears leftovers (a dead pane, a stopped container).
      await this.d.backends[agent.backend]?.stop(name, { killTimeoutMs: agent.policy.killTimeoutMs }).catch(() => {});
      if (!remoteKept && this.d.engines?.isRemote(agent)) {
        await this.d.engines.dropWorkspace(agent).catch((err: Error) => {
          remoteKept = `its workspace volume on engine ${agent.engine} could not be removed (${err.message})`;
        });
      }
      const folderKept = await this.d.worktrees.remove(info);
      // Its snapshots are kept under another name: a new agent of the same name resumed from them (the old
      // agent's memory files, task and session) at its first wake or restart.
      const retiredAs = `${name}~removed-${this.d.clock.iso().replace(/[-:.]/g, '')}`;
      const retired = this.d.snapshots.retire(name, retiredAs);
      this.d.repo.delete(name);
      this.d.machine.record(name, 'removed', `removed by ${actor}${archive ? `; work archived in ${archive}` : ''}${retired ? `; its ${retired} snapshot(s) kept as ${retiredAs}` : ''}${remoteKept ? `; ${remoteKept}` : ''}${folderKept ? `; ${folderKept}` : ''}`, actor, { archive, reasons, snapshotsAs: retired ? retiredAs : null });
      return { removed: true as const, archive };
    });
  }

  /**
   * Types into the agent. Tools with a TUI that takes bracketed paste (claude, codex, gemini) get the text
   * as one paste, so a multi-line message stays one message; others get it typed line by line. Where the
   * tool keeps a transcript (Claude Code), delivery is confirmed from it: the text must appear there as a
   * user turn (`confirmedBy: 'transcript'`); a tool busy with a turn queues it, and then it is confirmed by
   * the screen only.
   */
  async input(name: string, text: string, enter: boolean, actor: string): Promise<{ attempts: number; confirmedBy: 'transcript' | 'screen' | null }> {
    let agent = this.d.repo.get(name);
    if (agent.status !== 'running') throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} is ${agent.status}; it takes input only while running.`);
    const backend = this.backendFor(agent.backend);
    const tui = agent.preset === 'claude' || agent.preset === 'codex' || agent.preset === 'gemini';
    const home = process.env.HOME || os.homedir();
    // Codex chooses its own session id: learn it from its rollout files the first time it matters.
    if (agent.preset === 'codex' && !agent.sessionId && agent.backend !== 'docker') {
      const id = learnCodexSession(process.env, home, agent.worktree, null);
      if (id) {
        this.d.repo.patch(name, this.d.clock.iso(), { sessionId: id });
        agent = this.d.repo.get(name);
      }
    }
    const transcript = tui && agent.sessionId && agent.backend !== 'docker' ? sessionFile(agent.preset, process.env, home, agent.worktree, agent.sessionId) : null;
    const want = text.trim().split('\n').slice(-1)[0]!.trim();
    const before = transcript && want ? turnsWithText(agent.preset, transcript, want) : 0;
    const enterDelayMs = agent.preset === 'codex' || agent.preset === 'gemini' ? 800 : 0;
    const attempts = tui && backend.paste ? await backend.paste(name, text, { enter, enterDelayMs }) : await backend.sendInput(name, text, { enter });
    let confirmedBy: 'transcript' | 'screen' | null = 'screen';
    if (transcript && enter && want) {
      // The tool wrote the text into its own session file: it arrived as a turn (a busy tool queues it,
      // and then only the screen saw it within the wait).
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if (turnsWithText(agent.preset, transcript, want) > before) {
          confirmedBy = 'transcript';
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.d.machine.record(name, 'input', `input sent by ${actor}${confirmedBy === 'transcript' ? ' (in its transcript)' : ''}`, actor, { bytes: Buffer.byteLength(text), attempts, confirmedBy });
    return { attempts, confirmedBy };
  }

  output(name: string, maxBytes: number): { text: string; bytes: number } {
    this.d.repo.get(name);
    return tailBytes(this.logPath(name), maxBytes);
  }

  heartbeat(name: string): { at: string } {
    this.d.repo.get(name);
    const at = this.d.clock.iso();
    this.d.repo.patch(name, at, { lastHeartbeatAt: at });
    this.hooks.onHeartbeat?.(name);
    return { at };
  }

  async gitState(name: string): Promise<GitState> {
    const agent = this.d.repo.get(name);
    const s = await this.d.worktrees.state(agent.worktree);
    const lines = s.status.split('\n').filter(Boolean);
    const ahead = Number(/\[ahead (\d+)/.exec(lines[0] ?? '')?.[1] ?? 0);
    return { branch: s.branch, head: s.head, status: lines.slice(1).join('\n'), ahead, dirty: lines.length > 1 };
  }

  setPolicy(name: string, policy: Partial<RestartPolicy>, actor: string): Agent {
    const agent = this.d.repo.get(name);
    const merged = { ...agent.policyOverrides, ...policy };
    this.d.repo.patch(name, this.d.clock.iso(), { policy: merged });
    this.d.machine.record(name, 'policy', `restart policy changed by ${actor}`, actor, policy as Record<string, unknown>);
    return this.get(name);
  }

  async checkpoint(name: string, note: string | null, actor: string): Promise<SnapshotMeta> {
    return this.act('checkpoint', name, actor, async () => {
      const agent = this.d.repo.get(name);
      const meta = await this.d.snapshots.saveAsync(await this.captureContext(agent, 'checkpoint', { notes: note ?? '', sync: true }), note);
      this.d.machine.record(name, 'snapshot', `checkpoint by ${actor}`, actor, { id: meta.id });
      this.prune(name);
      return meta;
    });
  }

  /** Restores a snapshot's memory files into the agent's worktree (the agent keeps running). */
  async restoreSnapshot(id: string, actor: string): Promise<{ agent: string; restoredFiles: number }> {
    const { meta, contents } = this.d.snapshots.read(id);
    return this.act('restore-snapshot', meta.agent, actor, async () => {
      const agent = this.d.repo.get(meta.agent);
      const n = restoreMemoryFiles(agent.worktree, contents.memoryFiles);
      if (Object.keys(contents.workingMemory).length > 0) await this.hooks.importWorkingMemory?.(agent.name, contents.workingMemory);
      // The restored context becomes the newest snapshot, so the next wake resumes from it (also the way
      // past a corrupt newest snapshot, which wake refuses).
      this.saveSnapshot({ ...contents, type: 'checkpoint', createdAt: this.d.clock.iso() }, `restored from ${id}`);
      this.d.machine.record(agent.name, 'restored', `snapshot ${id} restored by ${actor}`, actor, { id, files: n });
      return { agent: agent.name, restoredFiles: n };
    });
  }

  /**
   * The stop step of an action that moved a running agent to `stopping`. When it fails (a tmux call timed
   * out, the Docker engine answered 500) the agent is never left in `stopping`, where no action is allowed
   * and the watchdog does not look: a process still alive goes back to running (watched again) and the
   * action fails with the reason; one that is gone lets the action go on; an unknown state is errored.
   */
  private async stopStep(agent: AgentRecord, what: string, actor: string, stop: () => Promise<void>): Promise<void> {
    try {
      await stop();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const alive = await this.backendFor(agent.backend)
        .isAlive(agent.name)
        .catch(() => null);
      if (alive === false) {
        this.d.machine.record(agent.name, 'stop', `${what}: the stop reported an error (${why}), but the process is gone`, actor);
        return;
      }
      this.d.machine.transition({
        name: agent.name,
        to: alive ? 'running' : 'errored',
        from: ['stopping'],
        cause: `${what} failed: the stop did not work (${why}); ${alive ? 'it is still running' : 'its state is unknown'}`,
        actor,
        patch: alive ? {} : { lastError: why },
      });
      if (isHiveError(err)) throw err;
      throw new HiveError('BACKEND_UNAVAILABLE', `Could not stop ${agent.name}: ${why}. ${alive ? 'It is still running; try again.' : 'Its state is unknown: stop it again, or look at its backend.'}`);
    }
  }

  /** `hive memory save FILE…` from inside an agent: files land under `.hive/memory/` in its worktree. */
  saveMemory(name: string, files: { path: string; contentBase64: string }[], actor: string): string[] {
    const agent = this.d.repo.get(name);
    const root = path.join(agent.worktree, MEMORY_DIR);
    // Every path is checked before anything is written: one bad path used to leave the files before it
    // written and unrecorded.
    const targets = files.map((f) => {
      const rel = path.join(MEMORY_DIR, f.path.replace(/^(\.\.(\/|\\|$))+/, '').replace(/^[/\\]+/, ''));
      const target = safeJoin(root, path.relative(MEMORY_DIR, rel));
      if (target === root || path.relative(root, target) === '') {
        throw new HiveError('INVALID_INPUT', `The memory file path ${JSON.stringify(f.path)} names the memory folder itself; give a file name.`);
      }
      if (existsSync(target) && statSync(target).isDirectory()) {
        throw new HiveError('INVALID_INPUT', `The memory file path ${JSON.stringify(f.path)} is a folder in ${MEMORY_DIR}; give a file name.`);
      }
      return { target, bytes: Buffer.from(f.contentBase64, 'base64') };
    });
    const saved: string[] = [];
    for (const { target, bytes } of targets) {
      writeInside(agent.worktree, target, bytes);
      saved.push(path.relative(agent.worktree, target));
    }
    this.d.machine.record(name, 'memory', `${saved.length} memory file(s) saved`, actor, { files: saved });
    return saved;
  }

  /** Labelled containers of this data dir that no agent row claims (docker only; [] without an engine). */
  async orphans(): Promise<{ id: string; container: string; agent: string; image: string; state: string; createdAt: string }[]> {
    const docker = this.d.backends.docker as (Backend & { findOrphans?(known: Iterable<string>): Promise<never[]> }) | undefined;
    if (!docker?.findOrphans) return [];
    const avail = await docker.availability().catch(() => ({ available: false }));
    if (!avail.available) return [];
    return docker.findOrphans(this.d.repo.list().map((a) => a.name));
  }

  statusOf(name: string): AgentStatus | null {
    return this.d.repo.find(name)?.status ?? null;
  }
}

function planLaunchResume(s: SnapshotContents): string {
  return [`# Resume context for ${s.agent}`, '', `Snapshot: ${s.type} at ${s.createdAt}`, '', s.task ? `Task: ${s.task}` : '', '', '## Last output', '', '```', s.outputTail.split('\n').slice(-200).join('\n'), '```', ''].join('\n');
}

export type { SpawnRequest };
