import { z } from 'zod';
import { AGENT_STATUSES } from '../lifecycle.js';

export const BackendKind = z.enum(['tmux', 'process', 'docker']);
export type BackendKind = z.infer<typeof BackendKind>;
export const Preset = z.enum(['claude', 'codex', 'gemini', 'aider', 'custom']);
export type Preset = z.infer<typeof Preset>;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export const SleepMode = z.enum(['snapshot', 'pause']);

export const RestartPolicy = z.object({
  autorestart: z.boolean(),
  stopExitCodes: z.array(z.number().int()),
  initialDelayMs: z.number().int().min(0).max(3_600_000),
  factor: z.number().min(1).max(10),
  maxDelayMs: z.number().int().min(0).max(3_600_000),
  minUptimeMs: z.number().int().min(0).max(86_400_000),
  maxRestarts: z.number().int().min(0).max(10_000),
  unstableWindowMs: z.number().int().min(1000).max(86_400_000),
  hangTimeoutMs: z.number().int().min(0).max(86_400_000),
  killTimeoutMs: z.number().int().min(0).max(600_000),
});
export type RestartPolicy = z.infer<typeof RestartPolicy>;

/**
 * What a running agent is doing, from its tool's own hooks where it has them (`source: 'hooks'`), else
 * read off its screen (`source: 'screen'`, a heuristic, labelled so). `waiting` means it waits for a person:
 * `detail` says for what, `choices` are the answers one click can send.
 */
export const ActivityState = z.enum(['working', 'idle', 'waiting']);
export type ActivityState = z.infer<typeof ActivityState>;
export const AgentActivity = z.object({
  state: ActivityState,
  since: z.string(),
  source: z.enum(['hooks', 'screen']),
  detail: z.string().nullable(),
  choices: z.array(z.object({ key: z.string(), label: z.string() })),
});
export type AgentActivity = z.infer<typeof AgentActivity>;

export const Agent = z.object({
  name: z.string(),
  role: z.string(),
  task: z.string(),
  status: AgentStatusSchema,
  backend: BackendKind,
  preset: Preset,
  command: z.string(),
  repo: z.string(),
  worktree: z.string(),
  branch: z.string(),
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  lastHeartbeatAt: z.string().nullable(),
  lastOutputAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastExitCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastRecoveryMs: z.number().nullable(),
  sessionId: z.string().nullable(),
  sleepMode: SleepMode,
  image: z.string().nullable(),
  /** Docker agents: the engine the container runs on (`local` is this machine's); null for tmux/process. */
  engine: z.string().nullable(),
  policy: RestartPolicy,
  cpuPercent: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  /** Null while not running, and for tools that report nothing before their first event. */
  activity: AgentActivity.nullable(),
});
export type Agent = z.infer<typeof Agent>;

const name = z.string().min(1).max(200);
/**
 * Text that ends up in a command line, a path, a terminal or git: a NUL byte cannot pass there (a tmux
 * command or terminal cut the text at it silently, execve refused it after the agent's row and worktree
 * were made), so it is refused here, before anything is created.
 */
export const noNul = (max: number) => z.string().max(max).refine((s) => !s.includes('\0'), { message: 'must not contain NUL (\\0) characters' });
const text = noNul(1_000_000);

export const SpawnRequest = z.object({
  name: z.string().max(200),
  repo: noNul(4096).pipe(z.string().min(1)),
  role: noNul(200).default(''),
  task: text.default(''),
  backend: BackendKind.default('tmux'),
  preset: Preset.default('custom'),
  cmd: noNul(100_000).optional(),
  image: noNul(500).optional(),
  sleepMode: SleepMode.optional(),
  /** A branch, tag or commit; never a git option (a leading '-' was passed to `git worktree add` as one). */
  baseBranch: noNul(500)
    .refine((s) => !s.startsWith('-'), { message: 'a branch name cannot start with "-"' })
    .optional(),
  policy: RestartPolicy.partial().optional(),
  cpus: z.number().positive().max(1024).optional(),
  memoryMb: z.number().int().positive().max(1_048_576).optional(),
  network: noNul(200).optional(),
  /** Docker only: the engine to run on; without it the engine that fits (see `hive engines`). */
  engine: z.string().max(40).optional(),
});
export type SpawnRequest = z.input<typeof SpawnRequest>;

export const GitState = z.object({
  branch: z.string(),
  head: z.string(),
  status: z.string(),
  ahead: z.number().int(),
  dirty: z.boolean(),
});
export type GitState = z.infer<typeof GitState>;

export const NameRequest = z.object({ name });
export const agentsChannels = {
  'agents:list': { req: z.object({}).default({}), res: z.array(Agent) },
  'agents:get': { req: NameRequest, res: Agent },
  'agents:spawn': { req: SpawnRequest, res: Agent },
  'agents:sleep': { req: NameRequest, res: Agent },
  'agents:wake': { req: NameRequest, res: Agent },
  'agents:restart': { req: NameRequest, res: Agent },
  'agents:stop': { req: NameRequest, res: Agent },
  'agents:remove': {
    req: z.object({ name, force: z.boolean().default(false) }),
    res: z.object({ removed: z.literal(true), archive: z.string().nullable() }),
  },
  'agents:input': {
    req: z.object({ name, text: noNul(100_000), enter: z.boolean().default(true) }),
    /** confirmedBy: where delivery was seen — the tool's own transcript, or only its screen. */
    res: z.object({ ok: z.literal(true), attempts: z.number().int(), confirmedBy: z.enum(['transcript', 'screen']).nullable() }),
  },
  'agents:output': {
    req: z.object({ name, maxBytes: z.number().int().positive().max(16_777_216).default(262_144) }),
    /** `bytes`: the log's size when read, i.e. the byte offset where `text` ends. */
    res: z.object({ text: z.string(), bytes: z.number().int() }),
  },
  'agents:heartbeat': { req: NameRequest, res: z.object({ at: z.string() }) },
  /** A tool's own hook (Claude Code hooks, Codex notify, Gemini hooks) reporting an event, via `hive hook`. */
  'agents:hook': {
    req: z.object({
      name,
      tool: z.enum(['claude', 'codex', 'gemini', 'aider']),
      event: z.string().min(1).max(100),
      payload: z.record(z.string(), z.unknown()).default({}),
    }),
    res: z.object({ ok: z.literal(true) }),
  },
  /** One click on a waiting agent's question: sends the answer's keys (a choice from `activity.choices`). */
  'agents:answer': { req: z.object({ name, key: z.string().min(1).max(20) }), res: z.object({ ok: z.literal(true) }) },
  'agents:git': { req: NameRequest, res: GitState },
  /** Re-creates a sleeping or stopped docker agent on another engine from its last synced branch and snapshot. */
  'agents:move': { req: z.object({ name, engine: z.string().min(1).max(40) }), res: Agent },
  /** Brings a docker agent's commits (onto hive/NAME) and uncommitted files (into its worktree) back from its engine. */
  'agents:sync': { req: NameRequest, res: z.object({ head: z.string().nullable(), commits: z.number().int(), files: z.number().int(), at: z.string() }) },
  'agents:setPolicy': { req: z.object({ name, policy: RestartPolicy.partial() }), res: Agent },
  /** Containers with this data dir's label whose agent the database does not know (never deleted by us). */
  'agents:orphans': {
    req: z.object({}).default({}),
    res: z.array(z.object({ id: z.string(), container: z.string(), agent: z.string(), image: z.string(), state: z.string(), createdAt: z.string() })),
  },
} as const;
