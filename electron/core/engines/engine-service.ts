import type { Agent } from '../../../shared/contract/agents.js';
import { LOCAL_ENGINE, type Engine } from '../../../shared/contract/engines.js';
import type { Failover } from '../../../shared/contract/settings.js';
import { HiveError } from '../../../shared/errors.js';
import type { AgentRecord, AgentRepo } from '../agents/agent-repo.js';
import { publicAgent } from '../agents/agent-repo.js';
import type { KeyedMutex } from '../agents/keyed-mutex.js';
import type { StateMachine } from '../agents/state-machine.js';
import type { Git } from '../git/git.js';
import type { Clock } from '../ports/clock.js';
import type { Disposable } from '../ports/disposable.js';
import type { EngineStore } from './engine-store.js';
import { parseEngineUrl } from './engine-url.js';
import type { DockerEngines } from './docker-engines.js';
import { RemoteWorkspace, type SyncResult } from './remote-workspace.js';

export interface EngineServiceDeps {
  engines: DockerEngines;
  store: EngineStore;
  repo: AgentRepo;
  machine: StateMachine;
  git: Git;
  clock: Clock;
  dataDir: string;
  /** The agents' action lock: a sync never runs beside a sleep, stop or move of the same agent. */
  mutex: () => KeyedMutex;
  /** How often running agents on other engines are synced back (default 60 s; 0 = only on demand). */
  syncIntervalMs?: number;
  /** The failover setting, read at each check (a change applies at once). */
  failover: () => Failover;
  /** Starts an agent again (after a failover move): the agent service's restart. */
  restart: (name: string, actor: string) => Promise<unknown>;
}

/** The statuses a docker agent can be moved in: nothing runs (or nothing can be reached). */
const MOVABLE = new Set(['sleeping', 'stopped', 'errored', 'crashed', 'unreachable', 'registered']);

/**
 * Engines as the user manages them (`hive engines add|list|remove`), where a new agent goes, and the work of
 * agents on other machines: seeded into a volume before they start, brought back (commits onto hive/NAME,
 * uncommitted files into the worktree) periodically, on sleep, stop and remove, and before pre-flight and merge.
 */
export class EngineService implements Disposable {
  readonly workspaces: RemoteWorkspace;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: EngineServiceDeps) {
    this.workspaces = new RemoteWorkspace(d.git, d.dataDir, d.engines.hash);
  }

  engineOf(agent: Pick<AgentRecord, 'engine'>): string {
    return agent.engine ?? LOCAL_ENGINE;
  }

  isRemote(agent: Pick<AgentRecord, 'backend' | 'engine'>): boolean {
    return agent.backend === 'docker' && this.d.engines.isRemote(this.engineOf(agent));
  }

  // --- engines -------------------------------------------------------------------------------------------

  async list(): Promise<Engine[]> {
    return Promise.all(this.d.engines.names().map((n) => this.d.engines.describe(n)));
  }

  /**
   * Adds an engine after checking that it answers (a typo is caught now, not at the first spawn). Its TLS
   * files are kept in the database; the event log records only the name and URL.
   */
  async add(req: { name: string; url: string; tlsCa?: string; tlsCert?: string; tlsKey?: string }, actor: string): Promise<Engine> {
    parseEngineUrl(req.url, { ca: req.tlsCa, cert: req.tlsCert, key: req.tlsKey });
    this.d.store.insert({ name: req.name, url: req.url.trim(), tlsCa: req.tlsCa ?? null, tlsCert: req.tlsCert ?? null, tlsKey: req.tlsKey ?? null, createdAt: this.d.clock.iso() });
    const engine = await this.d.engines.describe(req.name);
    if (!engine.reachable) {
      this.d.store.delete(req.name);
      await this.d.engines.forget(req.name);
      throw new HiveError('BACKEND_UNAVAILABLE', `Engine ${req.name} at ${req.url} does not answer: ${engine.lastError ?? 'no reply'}. Nothing was added; check the URL, the TLS files or your ssh access (ssh ${req.url.replace(/^ssh:\/\//, '')} docker version).`);
    }
    this.d.machine.record(null, 'engine-added', `engine ${req.name} (${req.url}) added by ${actor}`, actor, { engine: req.name, url: req.url, tls: !!req.tlsCert });
    return engine;
  }

  async remove(name: string, actor: string): Promise<{ removed: true }> {
    if (name === LOCAL_ENGINE) throw new HiveError('INVALID_INPUT', `"${LOCAL_ENGINE}" is this machine's engine; it cannot be removed.`);
    if (!this.d.store.find(name)) throw new HiveError('ENGINE_NOT_FOUND', `No engine named ${JSON.stringify(name)}. See \`hive engines list\`.`);
    const placed = this.d.repo.list().filter((a) => a.backend === 'docker' && a.engine === name);
    const live = placed.filter((a) => !MOVABLE.has(a.status) || a.status === 'unreachable');
    if (live.length > 0) {
      throw new HiveError(
        'ENGINE_IN_USE',
        `Engine ${name} runs ${live.map((a) => a.name).join(', ')}. Stop them or move them first (\`hive agents move NAME --engine OTHER\`), then remove the engine.`,
      );
    }
    if (placed.length > 0) {
      throw new HiveError(
        'ENGINE_IN_USE',
        `Agents ${placed.map((a) => a.name).join(', ')} are placed on engine ${name} (their workspaces live there). Move them (\`hive agents move NAME --engine OTHER\`) or remove them first.`,
      );
    }
    this.d.store.delete(name);
    await this.d.engines.forget(name);
    this.d.machine.record(null, 'engine-removed', `engine ${name} removed by ${actor}`, actor, { engine: name });
    return { removed: true };
  }

  // --- placement and start -------------------------------------------------------------------------------

  /** The engine a new docker agent runs on: the one named (which must exist and answer) or the one that fits. */
  async placeNew(req: { engine?: string; image: string; memoryMb?: number }): Promise<string> {
    if (req.engine) {
      if (!this.d.engines.has(req.engine)) throw new HiveError('ENGINE_NOT_FOUND', `No Docker engine named ${JSON.stringify(req.engine)}. See \`hive engines list\`.`);
      const a = await this.d.engines.availabilityOf(req.engine);
      if (!a.available) throw new HiveError('BACKEND_UNAVAILABLE', `Engine ${req.engine} does not answer: ${a.reason ?? 'no reply'}.`);
      // Another engine's image is copied over; without any, the container's own start says what to do.
      if (this.d.engines.names().length > 1) await this.d.engines.ensureImage(req.engine, req.image).catch(() => {});
      return req.engine;
    }
    return this.d.engines.place(req);
  }

  /** Before a container starts on another machine: its workspace volume exists and holds the agent's work. */
  async beforeStart(agent: AgentRecord): Promise<void> {
    if (!this.isRemote(agent)) return;
    const docker = this.d.engines.dockerOf(this.engineOf(agent));
    if (await this.workspaces.exists(docker, agent.name)) return;
    const { files } = await this.workspaces.seed(docker, agent);
    this.d.machine.record(agent.name, 'workspace', `workspace seeded on engine ${this.engineOf(agent)} from ${agent.branch} (${files} files)`, 'system', { engine: this.engineOf(agent) });
  }

  // --- sync -----------------------------------------------------------------------------------------------

  /** Brings the agent's work back now. Call with the agent's action lock held (or through `sync`). */
  async pullLocked(agent: AgentRecord, why: string): Promise<SyncResult | null> {
    if (!this.isRemote(agent)) return null;
    const engine = this.engineOf(agent);
    const docker = this.d.engines.dockerOf(engine);
    if (!(await this.workspaces.exists(docker, agent.name))) return null;
    const r = await this.workspaces.pull(docker, agent);
    if (r.commits > 0 || r.savedLocalEdits) {
      this.d.machine.record(
        agent.name,
        'sync',
        `synced from engine ${engine} (${why}): ${r.commits} commit${r.commits === 1 ? '' : 's'} onto ${agent.branch}, ${r.files} uncommitted file${r.files === 1 ? '' : 's'}${r.savedLocalEdits ? `; local edits saved in ${r.savedLocalEdits}` : ''}`,
        'system',
        { engine, head: r.head, commits: r.commits, files: r.files },
      );
    }
    return r;
  }

  /** `hive agents sync NAME`, and the periodic and pre-merge syncs: takes the agent's action lock. */
  async sync(name: string, why = 'asked'): Promise<{ head: string | null; commits: number; files: number; at: string }> {
    return this.d.mutex().run(name, async () => {
      const agent = this.d.repo.get(name);
      if (agent.backend !== 'docker') throw new HiveError('INVALID_INPUT', `${name} runs on ${agent.backend}, in its worktree ${agent.worktree}: there is nothing to sync.`);
      const r = await this.pullLocked(agent, why);
      if (!r) {
        const head = (await this.d.git.run(agent.worktree, ['rev-parse', 'HEAD'], { allowFailure: true })).stdout.trim() || null;
        return { head, commits: 0, files: 0, at: this.d.clock.iso() };
      }
      return { head: r.head, commits: r.commits, files: r.files, at: r.at };
    });
  }

  /** Before pre-flight or a merge reads branches: the named agents (or all on other engines) synced, best effort. */
  async syncBeforeBranches(names?: string[]): Promise<void> {
    const agents = (names ? names.map((n) => this.d.repo.find(n)).filter((a): a is AgentRecord => !!a) : this.d.repo.list()).filter((a) => this.isRemote(a));
    for (const a of agents) {
      if (this.d.engines.state(this.engineOf(a)).available === false) continue;
      await this.sync(a.name, 'before merge').catch((err: Error) => this.d.machine.record(a.name, 'sync-failed', `could not sync from engine ${this.engineOf(a)}: ${err.message}`, 'system'));
    }
  }

  /** Removes the workspace volume of an agent that is being removed (its work was brought back first). */
  async dropWorkspace(agent: AgentRecord): Promise<void> {
    if (!this.isRemote(agent)) return;
    await this.workspaces.drop(this.d.engines.dockerOf(this.engineOf(agent)), agent.name);
  }

  startPeriodicSync(): void {
    const every = this.d.syncIntervalMs ?? 60_000;
    if (every > 0 && !this.timer) {
      this.timer = setInterval(() => void this.syncRunning(), every);
      this.timer.unref();
    }
    if (!this.failoverTimer) {
      this.failoverTimer = setInterval(() => void this.checkFailover(), 1000);
      this.failoverTimer.unref();
    }
  }

  private failoverTimer: NodeJS.Timeout | null = null;
  private failingOver = false;

  /**
   * With failover on: the agents that should run on an engine that has not answered for `afterSec` are
   * moved to the engine that fits best and started there from their last synced branch and snapshot. When
   * the engine answers again, the reconciler stops their old containers there (never two of one agent).
   */
  async checkFailover(): Promise<string[]> {
    const f = this.d.failover();
    if (!f.enabled || this.failingOver) return [];
    this.failingOver = true;
    const moved: string[] = [];
    try {
      for (const engine of this.d.engines.names()) {
        const st = this.d.engines.state(engine);
        if (st.available !== false || st.since === null || Date.now() - st.since < f.afterSec * 1000) continue;
        const stranded = this.d.repo.list().filter((a) => a.backend === 'docker' && this.engineOf(a) === engine && a.status === 'unreachable');
        for (const a of stranded) {
          try {
            const to = await this.d.engines.place({ image: a.image ?? '', memoryMb: a.options.memoryMb });
            await this.move(a.name, to, 'failover');
            this.d.machine.record(a.name, 'failover', `engine ${engine} has not answered for ${Math.round((Date.now() - st.since) / 1000)} s: moved to engine ${to} and started there`, 'watchdog', { from: engine, to });
            await this.d.restart(a.name, 'failover');
            moved.push(a.name);
          } catch (err) {
            this.d.machine.record(a.name, 'failover-failed', `could not fail over from engine ${engine}: ${err instanceof Error ? err.message : String(err)}`, 'watchdog');
          }
        }
      }
    } finally {
      this.failingOver = false;
    }
    return moved;
  }

  private syncing = false;
  private async syncRunning(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      for (const a of this.d.repo.listByStatus(['running'])) {
        if (!this.isRemote(a) || this.d.engines.state(this.engineOf(a)).available === false) continue;
        await this.sync(a.name, 'periodic').catch((err: Error) => this.d.machine.record(a.name, 'sync-failed', `could not sync from engine ${this.engineOf(a)}: ${err.message}`, 'system'));
      }
    } finally {
      this.syncing = false;
    }
  }

  // --- move -----------------------------------------------------------------------------------------------

  /**
   * Re-places a docker agent that is not running on another engine. Its latest work comes back first when
   * the old engine answers (then its container and volume there are removed); the next wake or restart
   * starts it on the new engine from hive/NAME and the worktree (seeded into a new volume when remote).
   */
  async move(name: string, to: string, actor: string): Promise<Agent> {
    return this.d.mutex().run(name, async () => {
      const agent = this.d.repo.get(name);
      if (agent.backend !== 'docker') throw new HiveError('INVALID_INPUT', `${name} runs on the ${agent.backend} backend; only docker agents run on engines.`);
      const from = this.engineOf(agent);
      if (from === to) throw new HiveError('INVALID_INPUT', `${name} is already on engine ${to}.`);
      if (!MOVABLE.has(agent.status)) {
        throw new HiveError('ILLEGAL_TRANSITION', `${name} is ${agent.status}. Sleep or stop it first (\`hive agents sleep ${name}\`), then move it.`);
      }
      if (!this.d.engines.has(to)) throw new HiveError('ENGINE_NOT_FOUND', `No Docker engine named ${JSON.stringify(to)}. See \`hive engines list\`.`);
      const target = await this.d.engines.availabilityOf(to);
      if (!target.available) throw new HiveError('BACKEND_UNAVAILABLE', `Engine ${to} does not answer: ${target.reason ?? 'no reply'}. Nothing was moved.`);
      if (agent.image) {
        // Copied from an engine that has it when the target does not; refused (nothing moved) otherwise.
        await this.d.engines.ensureImage(to, agent.image).catch((err: Error) => {
          throw new HiveError('IMAGE_NOT_FOUND', `${err.message} Nothing was moved.`);
        });
      }
      const old = await this.d.engines.availabilityOf(from).catch(() => ({ available: false, reason: null }));
      let left: string | null = null;
      if (old.available) {
        if (this.d.engines.isRemote(from)) await this.pullLocked(agent, 'move');
        await this.d.engines.backendOf(from).stop(name, { killTimeoutMs: agent.policy.killTimeoutMs });
        if (this.d.engines.isRemote(from)) await this.workspaces.drop(this.d.engines.dockerOf(from), name);
      } else {
        left = `engine ${from} does not answer: the work since its last sync stays in its volume there, and its container is removed when it answers again`;
      }
      if (agent.status === 'unreachable') {
        this.d.machine.transition({ name, to: 'stopped', from: ['unreachable'], cause: `moved off engine ${from}, which does not answer`, actor, patch: { pid: null } });
      }
      this.d.repo.patch(name, this.d.clock.iso(), { engine: to, pid: null });
      this.d.machine.record(name, 'moved', `moved from engine ${from} to ${to} by ${actor}${left ? `; ${left}` : ''}`, actor, { from, to });
      return publicAgent(this.d.repo.get(name));
    });
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.failoverTimer) clearInterval(this.failoverTimer);
    this.timer = null;
    this.failoverTimer = null;
  }
}
