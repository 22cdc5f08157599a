import type { Agent, ChannelName, HiveApi, HiveEvent, PushEventName, PushPayload, Req, Res } from '../../shared/contract/index';
import { HiveError } from '../../shared/errors';
import { actionAllowed, type AgentStatus } from '../../shared/lifecycle';

/**
 * A fake HiveApi for the renderer's DOM tests: an in-memory fleet with the real lifecycle table, every call
 * recorded, and `emit` to push events as a host would. (The real core is covered by the core's own tests
 * and by the Chromium e2e.)
 */
export function makeAgent(name: string, patch: Partial<Agent> = {}): Agent {
  const now = new Date().toISOString();
  return {
    name,
    role: 'worker',
    task: '',
    status: 'running',
    backend: 'tmux',
    preset: 'custom',
    command: 'bash',
    repo: '/repo',
    worktree: `/data/worktrees/${name}`,
    branch: `hive/${name}`,
    pid: 1234,
    restarts: 0,
    lastHeartbeatAt: now,
    lastOutputAt: now,
    startedAt: now,
    createdAt: now,
    updatedAt: now,
    lastExitCode: null,
    lastError: null,
    lastRecoveryMs: null,
    sessionId: null,
    sleepMode: 'snapshot',
    image: null,
    engine: null,
    policy: {
      autorestart: true,
      stopExitCodes: [0],
      initialDelayMs: 1000,
      factor: 2,
      maxDelayMs: 60000,
      minUptimeMs: 10000,
      maxRestarts: 10,
      unstableWindowMs: 60000,
      hangTimeoutMs: 0,
      killTimeoutMs: 5000,
    },
    cpuPercent: 1.5,
    memoryBytes: 50 * 1024 * 1024,
    activity: null,
    ...patch,
  };
}

type Overrides = { [C in ChannelName]?: (req: Req<C>) => Promise<Res<C>> | Res<C> };

export class FakeHiveApi implements HiveApi {
  readonly agents = new Map<string, Agent>();
  readonly calls: Array<{ channel: ChannelName; payload: unknown }> = [];
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();
  overrides: Overrides = {};
  events: HiveEvent[] = [];
  output: Record<string, string> = {};

  constructor(agents: Agent[] = []) {
    for (const a of agents) this.agents.set(a.name, a);
  }

  emit<E extends PushEventName>(event: E, payload: PushPayload<E>): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  on<E extends PushEventName>(event: E, listener: (payload: PushPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: unknown) => void);
    return () => set.delete(listener as (p: unknown) => void);
  }

  listenerCount(event: PushEventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  callsTo(channel: ChannelName): unknown[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.payload);
  }

  async invoke<C extends ChannelName>(channel: C, payload: Req<C>): Promise<Res<C>> {
    this.calls.push({ channel, payload });
    const o = this.overrides[channel] as ((req: Req<C>) => Promise<Res<C>> | Res<C>) | undefined;
    if (o) return o(payload);
    return this.handle(channel, payload) as Res<C>;
  }

  private transition(name: string, action: 'sleep' | 'wake' | 'restart' | 'stop', to: AgentStatus): Agent {
    const a = this.agents.get(name);
    if (!a) throw new HiveError('AGENT_NOT_FOUND', `No agent named ${name}.`);
    if (!actionAllowed(a.status, action)) {
      throw new HiveError('ILLEGAL_TRANSITION', `${name} is ${a.status}; ${action} is not possible now.`);
    }
    const next = { ...a, status: to, updatedAt: new Date().toISOString(), restarts: a.restarts + (action === 'restart' ? 1 : 0) };
    this.agents.set(name, next);
    return next;
  }

  private handle(channel: ChannelName, payload: unknown): unknown {
    const p = payload as Record<string, unknown>;
    switch (channel) {
      case 'agents:list':
        return [...this.agents.values()];
      case 'agents:get':
        return this.agents.get(p.name as string);
      case 'agents:spawn': {
        const name = p.name as string;
        if (this.agents.has(name)) throw new HiveError('AGENT_EXISTS', `An agent named ${name} already exists. Pick another name.`);
        const a = makeAgent(name, { role: (p.role as string) ?? '', task: (p.task as string) ?? '', backend: (p.backend as Agent['backend']) ?? 'tmux', status: 'running' });
        this.agents.set(name, a);
        return a;
      }
      case 'agents:sleep':
        return this.transition(p.name as string, 'sleep', 'sleeping');
      case 'agents:wake':
        return this.transition(p.name as string, 'wake', 'running');
      case 'agents:restart':
        return this.transition(p.name as string, 'restart', 'running');
      case 'agents:stop':
        return this.transition(p.name as string, 'stop', 'stopped');
      case 'agents:remove':
        this.agents.delete(p.name as string);
        return { removed: true, archive: null };
      case 'agents:input':
        return { ok: true, attempts: 1 };
      case 'agents:setPolicy': {
        const a = this.agents.get(p.name as string)!;
        const next = { ...a, policy: { ...a.policy, ...(p.policy as Partial<Agent['policy']>) } };
        this.agents.set(a.name, next);
        return next;
      }
      case 'agents:output': {
        const text = this.output[p.name as string] ?? '';
        return { text, bytes: text.length };
      }
      case 'agents:git':
        return { branch: `hive/${p.name as string}`, head: 'abcdef1234567890', status: ' M src/index.ts\n', ahead: 2, dirty: true };
      case 'events:list':
        return this.events.filter((e) => !p.agent || e.agent === p.agent);
      case 'snapshots:list':
        return [];
      case 'metrics:series':
        return { statesOverTime: [], restartsOverTime: [], recoveryHistogram: [], uptimeByAgent: [] };
      case 'metrics:live':
        return {
          bus: { transport: 'in-process', sent: 0, delivered: 0, backlog: 0, p50Ms: null, p99Ms: null, latency: [] },
          conflicts: [],
          resolver: [],
          scrape: { url: 'http://127.0.0.1:4780', tokenFile: '/data/api.token', config: 'scrape_configs: []\n' },
        };
      case 'system:info':
        return {
          version: '0.1.0',
          dataDir: '/data',
          pid: 1,
          startedAt: new Date().toISOString(),
          backends: { tmux: { available: true, reason: null } },
          bus: { kind: 'in-process', state: 'connected', detail: null },
          counts: {},
        };
      default:
        throw new HiveError('UNKNOWN_CHANNEL', `The fake does not implement ${channel}.`);
    }
  }
}

export function makeEvent(id: number, agent: string, from: AgentStatus | null, to: AgentStatus | null, kind = 'status'): HiveEvent {
  return { id, at: new Date().toISOString(), agent, kind, from, to, cause: 'test', actor: 'user', data: null };
}
