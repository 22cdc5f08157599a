import type { Agent, AgentActivity, BackendKind, Preset, RestartPolicy } from '../../../shared/contract/agents.js';
import { HiveError } from '../../../shared/errors.js';
import type { AgentStatus } from '../../../shared/lifecycle.js';
import type { Db } from '../store/database.js';
import { DEFAULT_POLICY } from './default-policy.js';

interface AgentRow {
  name: string;
  role: string;
  task: string;
  status: AgentStatus;
  backend: BackendKind;
  preset: Preset;
  command: string;
  repo: string;
  worktree: string;
  branch: string;
  pid: number | null;
  restarts: number;
  last_heartbeat_at: string | null;
  last_output_at: string | null;
  started_at: string | null;
  created_at: string;
  updated_at: string;
  last_exit_code: number | null;
  last_error: string | null;
  last_recovery_ms: number | null;
  session_id: string | null;
  sleep_mode: 'snapshot' | 'pause';
  image: string | null;
  engine: string | null;
  policy: string;
  options: string;
  generation: number;
}

export interface AgentOptions {
  cpus?: number;
  memoryMb?: number;
  network?: string;
  /** Deliver bus messages by typing them into the pane (tmux only). */
  paneDelivery?: boolean;
}

export type AgentRecord = Agent & { options: AgentOptions; generation: number; policyOverrides: Partial<RestartPolicy> };

/** Fields a transition or an action may change on the row. */
export type AgentPatch = Partial<{
  pid: number | null;
  restarts: number;
  lastHeartbeatAt: string | null;
  lastOutputAt: string | null;
  startedAt: string | null;
  lastExitCode: number | null;
  lastError: string | null;
  lastRecoveryMs: number | null;
  sessionId: string | null;
  task: string;
  policy: Partial<RestartPolicy>;
  generation: number;
  engine: string | null;
}>;

const COLUMNS: Record<keyof AgentPatch, string> = {
  pid: 'pid',
  restarts: 'restarts',
  lastHeartbeatAt: 'last_heartbeat_at',
  lastOutputAt: 'last_output_at',
  startedAt: 'started_at',
  lastExitCode: 'last_exit_code',
  lastError: 'last_error',
  lastRecoveryMs: 'last_recovery_ms',
  sessionId: 'session_id',
  task: 'task',
  policy: 'policy',
  generation: 'generation',
  engine: 'engine',
};

/** Rows of the agents table. Statements are prepared once; `agents list` with 1,000 agents is one query. */
export class AgentRepo {
  private readonly getStmt;
  private readonly listStmt;
  private readonly byStatusStmt;
  private readonly cpuMem = new Map<string, { cpuPercent: number | null; memoryBytes: number | null }>();
  private readonly activity = new Map<string, AgentActivity>();
  private writes = 0;

  /** Changes on every write through this repo: lets a host cache what it built from the rows. */
  get version(): number {
    return this.writes;
  }

  constructor(
    private readonly db: Db,
    private readonly policyDefaults: () => RestartPolicy = () => DEFAULT_POLICY,
  ) {
    this.getStmt = db.prepare('SELECT * FROM agents WHERE name = ?');
    this.listStmt = db.prepare('SELECT * FROM agents ORDER BY created_at, name');
    this.byStatusStmt = db.prepare('SELECT * FROM agents WHERE status IN (SELECT value FROM json_each(?)) ORDER BY created_at, name');
  }

  find(name: string): AgentRecord | null {
    const row = this.getStmt.get(name) as AgentRow | undefined;
    return row ? this.toAgent(row) : null;
  }

  get(name: string): AgentRecord {
    const a = this.find(name);
    if (!a) throw new HiveError('AGENT_NOT_FOUND', `No agent named ${JSON.stringify(name)}. See \`hive agents list\`.`);
    return a;
  }

  list(): AgentRecord[] {
    return (this.listStmt.all() as AgentRow[]).map((r) => this.toAgent(r));
  }

  /**
   * The agents in one of `statuses`, in list order. For the periodic checks (every second): building all
   * 1,000 records of a fleet that is mostly stopped took ~8 ms of the event loop each time, which showed up
   * as the tail of every API request that arrived meanwhile.
   */
  listByStatus(statuses: readonly AgentStatus[]): AgentRecord[] {
    return (this.byStatusStmt.all(JSON.stringify(statuses)) as AgentRow[]).map((r) => this.toAgent(r));
  }

  insert(a: {
    name: string;
    role: string;
    task: string;
    status: AgentStatus;
    backend: BackendKind;
    preset: Preset;
    command: string;
    repo: string;
    worktree: string;
    branch: string;
    createdAt: string;
    sleepMode: 'snapshot' | 'pause';
    image: string | null;
    engine?: string | null;
    /** Only the agent's own overrides; the rest comes from the settings' defaults when read. */
    policy: Partial<RestartPolicy>;
    options: AgentOptions;
  }): void {
    this.writes++;
    this.db
      .prepare(
        `INSERT INTO agents (name, role, task, status, backend, preset, command, repo, worktree, branch, created_at, updated_at, sleep_mode, image, engine, policy, options)
         VALUES (@name, @role, @task, @status, @backend, @preset, @command, @repo, @worktree, @branch, @createdAt, @createdAt, @sleepMode, @image, @engine, @policy, @options)`,
      )
      .run({ ...a, engine: a.engine ?? null, policy: JSON.stringify(a.policy), options: JSON.stringify(a.options) });
  }

  setStatus(name: string, status: AgentStatus, at: string, patch: AgentPatch = {}): void {
    this.writes++;
    const sets = ['status = ?', 'updated_at = ?'];
    const args: unknown[] = [status, at];
    for (const [k, v] of Object.entries(patch) as [keyof AgentPatch, unknown][]) {
      sets.push(`${COLUMNS[k]} = ?`);
      args.push(k === 'policy' ? JSON.stringify(v) : v);
    }
    args.push(name);
    this.db.prepare(`UPDATE agents SET ${sets.join(', ')} WHERE name = ?`).run(...args);
  }

  patch(name: string, at: string, patch: AgentPatch): void {
    this.writes++;
    const sets = ['updated_at = ?'];
    const args: unknown[] = [at];
    for (const [k, v] of Object.entries(patch) as [keyof AgentPatch, unknown][]) {
      sets.push(`${COLUMNS[k]} = ?`);
      args.push(k === 'policy' ? JSON.stringify(v) : v);
    }
    args.push(name);
    this.db.prepare(`UPDATE agents SET ${sets.join(', ')} WHERE name = ?`).run(...args);
  }

  delete(name: string): void {
    this.writes++;
    this.db.prepare('DELETE FROM agents WHERE name = ?').run(name);
    this.cpuMem.delete(name);
    this.activity.delete(name);
  }

  /** CPU and memory are sampled, not stored: kept in memory and merged into the rows we hand out. */
  setUsage(name: string, usage: { cpuPercent: number | null; memoryBytes: number | null }): void {
    this.writes++;
    this.cpuMem.set(name, usage);
  }

  /** What the running agent is doing (from its hooks or screen): live state, kept in memory like usage. */
  setActivity(name: string, activity: AgentActivity | null): void {
    this.writes++;
    if (activity) this.activity.set(name, activity);
    else this.activity.delete(name);
  }

  activityOf(name: string): AgentActivity | null {
    return this.activity.get(name) ?? null;
  }

  private toAgent(r: AgentRow): AgentRecord {
    // A sample describes a live process: an agent that is not running shows none (not its last reading).
    const usage = r.status === 'running' ? this.cpuMem.get(r.name) : undefined;
    return {
      name: r.name,
      role: r.role,
      task: r.task,
      status: r.status,
      backend: r.backend,
      preset: r.preset,
      command: r.command,
      repo: r.repo,
      worktree: r.worktree,
      branch: r.branch,
      pid: r.pid,
      restarts: r.restarts,
      lastHeartbeatAt: r.last_heartbeat_at,
      lastOutputAt: r.last_output_at,
      startedAt: r.started_at,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      lastExitCode: r.last_exit_code,
      lastError: r.last_error,
      lastRecoveryMs: r.last_recovery_ms,
      sessionId: r.session_id,
      sleepMode: r.sleep_mode,
      image: r.image,
      engine: r.engine,
      policy: { ...this.policyDefaults(), ...(JSON.parse(r.policy) as Partial<RestartPolicy>) },
      policyOverrides: JSON.parse(r.policy) as Partial<RestartPolicy>,
      cpuPercent: usage?.cpuPercent ?? null,
      memoryBytes: usage?.memoryBytes ?? null,
      activity: r.status === 'running' ? (this.activity.get(r.name) ?? null) : null,
      options: JSON.parse(r.options) as AgentOptions,
      generation: r.generation,
    };
  }
}

/** Strips the internal fields before an agent leaves the core. */
export function publicAgent(a: AgentRecord): Agent {
  const { options: _o, generation: _g, policyOverrides: _p, ...rest } = a;
  return rest;
}
