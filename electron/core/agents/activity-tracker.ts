import type { Agent, AgentActivity, ActivityState, BackendKind } from '../../../shared/contract/agents.js';
import { HiveError } from '../../../shared/errors.js';
import { Emitter, type Disposable } from '../ports/disposable.js';
import type { Clock } from '../ports/clock.js';
import type { Backend } from '../supervisor/backend.js';
import { publicAgent, type AgentRecord, type AgentRepo } from './agent-repo.js';
import { detectPrompt, type DetectedPrompt } from './prompt-detector.js';

export interface ActivityTrackerDeps {
  repo: AgentRepo;
  clock: Clock;
  backends: Partial<Record<BackendKind, Backend>>;
  /** An event in the agent's log (waiting, answered). */
  record: (name: string, kind: string, cause: string, actor: string, data?: Record<string, unknown>) => void;
  notify: (level: 'info' | 'warning' | 'error', title: string, body: string) => void;
  /** Screens are read this often, for agents whose output changed since the last read. */
  scanIntervalMs?: number;
}

interface HookState {
  state: ActivityState;
  detail: string | null;
  since: string;
}

/**
 * What each running agent is doing — working, idle, or waiting for a person — from its tool's own hooks
 * (`hive hook …`), and from its screen where the tool says nothing: a first-run dialog before any hook
 * runs, a tool without hooks, a permission menu. A question found on the screen wins over the hooks'
 * state (the agent cannot go on until it is answered) and ends when the screen no longer shows it.
 */
export class ActivityTracker implements Disposable {
  private readonly emitter = new Emitter<Agent>();
  /** Fires with the agent whenever its activity changes. */
  readonly onDidChange = this.emitter.event;
  private readonly fromHooks = new Map<string, HookState>();
  private readonly fromScreen = new Map<string, DetectedPrompt & { since: string }>();
  /**
   * Agents whose screen is worth a look, with when their output last changed. A question shows when the
   * agent stops printing, so a screen is read once its output has been quiet for QUIET_MS — not on every
   * chunk (cheaper, and no tmux traffic while an agent is (re)starting).
   */
  private readonly dirty = new Map<string, number>();
  private static readonly QUIET_MS = 600;
  private timer: NodeJS.Timeout | null = null;
  private scanning = false;

  constructor(private readonly d: ActivityTrackerDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.scan(), this.d.scanIntervalMs ?? 300);
    this.timer.unref();
  }

  /** The agent printed something: its screen is worth a look at the next scan. */
  sawOutput(name: string): void {
    this.dirty.set(name, Date.now());
  }

  /** A tool's hook event (`hive hook TOOL EVENT`, payload = the JSON the tool gave the hook). */
  hook(name: string, tool: string, event: string, payload: Record<string, unknown>): void {
    const agent = this.d.repo.get(name);
    const str = (k: string) => (typeof payload[k] === 'string' ? (payload[k] as string) : null);
    // Codex's notify also fires for its hidden title thread (another thread-id): its session is learned
    // from its own rollout files instead (learnCodexSession), never from notify.
    const sessionId = str('session_id');
    if (sessionId && /^[\w-]{8,100}$/.test(sessionId) && sessionId !== agent.sessionId && event !== 'SessionEnd') {
      this.d.repo.patch(name, this.d.clock.iso(), { sessionId });
    }
    const next = hookTransition(tool, event, payload);
    if (next === undefined) return;
    if (next === null) {
      this.fromHooks.delete(name);
    } else {
      const prev = this.fromHooks.get(name);
      const since = prev && prev.state === next.state ? prev.since : this.d.clock.iso();
      this.fromHooks.set(name, { ...next, since });
    }
    // Something happened in the tool: what its screen shows may have changed too.
    this.dirty.set(name, Date.now());
    this.publish(agent);
  }

  /** Sends one of the waiting question's answers (`key` from its choices) as keys to the agent. */
  async answer(name: string, key: string, actor: string): Promise<void> {
    const agent = this.d.repo.get(name);
    const activity = this.d.repo.activityOf(name);
    if (agent.status !== 'running' || !activity || activity.state !== 'waiting') {
      throw new HiveError('ILLEGAL_TRANSITION', `Agent ${name} is not waiting for an answer.`);
    }
    const choice = activity.choices.find((c) => c.key === key);
    if (!choice) throw new HiveError('INVALID_INPUT', `"${key}" is not one of the answers offered (${activity.choices.map((c) => c.key).join(', ')}).`);
    const backend = this.d.backends[agent.backend];
    if (!backend?.sendKeys) throw new HiveError('BACKEND_UNAVAILABLE', `The ${agent.backend} backend cannot send keys.`);
    // A menu takes its number (Claude Code picks at once; Codex moves to it and wants Enter, so Enter follows
    // when the question is still there); a yes/no prompt its letter and Enter.
    const keys = key === 'Enter' ? ['Enter'] : /^\d+$/.test(key) ? [key] : [key, 'Enter'];
    await backend.sendKeys(name, keys);
    if (/^\d+$/.test(key)) {
      await new Promise((r) => setTimeout(r, 400));
      const still = await backend.screen?.(name).catch(() => null);
      const again = still ? detectPrompt(still) : null;
      if (again && again.detail === activity.detail) await backend.sendKeys(name, ['Enter']);
    }
    this.d.record(name, 'answered', `${actor} answered “${activity.detail ?? 'the question'}” with “${choice.label}”`, actor, { key });
    this.dirty.set(name, Date.now());
    await this.scanOne(agent);
  }

  /** Reads the screens of agents whose output changed; publishes questions that appeared or went away. */
  async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const now = Date.now();
      for (const [name, at] of [...this.dirty]) {
        if (now - at < ActivityTracker.QUIET_MS) continue;
        this.dirty.delete(name);
        const agent = this.d.repo.find(name);
        if (!agent) {
          this.forget(name);
          continue;
        }
        await this.scanOne(agent);
      }
    } finally {
      this.scanning = false;
    }
  }

  private async scanOne(agent: AgentRecord): Promise<void> {
    if (agent.status !== 'running') {
      if (this.fromScreen.delete(agent.name) || this.fromHooks.delete(agent.name)) this.publish(agent);
      return;
    }
    const screen = await this.d.backends[agent.backend]?.screen?.(agent.name).catch(() => null);
    if (screen === null || screen === undefined) return;
    const found = detectPrompt(screen);
    const had = this.fromScreen.get(agent.name);
    if (found && had && found.detail === had.detail && JSON.stringify(found.choices) === JSON.stringify(had.choices)) return;
    if (!found && !had && this.fromHooks.get(agent.name)?.state !== 'waiting') return;
    if (found) this.fromScreen.set(agent.name, { ...found, since: had?.detail === found.detail ? had.since : this.d.clock.iso() });
    else this.fromScreen.delete(agent.name);
    // The question the hooks reported is gone from the screen (answered, or refused with Esc, after which
    // Claude Code sends no Stop): the agent is back at its prompt until its next event says otherwise.
    const h = this.fromHooks.get(agent.name);
    if (!found && h?.state === 'waiting') this.fromHooks.set(agent.name, { state: 'idle', detail: null, since: this.d.clock.iso() });
    this.publish(agent);
  }

  /** Agent stopped, removed or restarted: its activity starts over. */
  forget(name: string): void {
    this.fromHooks.delete(name);
    this.fromScreen.delete(name);
    this.dirty.delete(name);
    if (this.d.repo.find(name)) this.d.repo.setActivity(name, null);
  }

  private publish(agent: AgentRecord): void {
    const before = this.d.repo.activityOf(agent.name);
    const next = this.current(agent.name);
    if (JSON.stringify(before) === JSON.stringify(next)) return;
    this.d.repo.setActivity(agent.name, next);
    if (next?.state === 'waiting' && before?.state !== 'waiting') {
      this.d.record(agent.name, 'waiting', `waiting for you: ${next.detail ?? 'a question'} (${next.source === 'screen' ? 'read off its screen' : 'from its hooks'})`, 'system', {
        source: next.source,
      });
      this.d.notify('warning', `${agent.name} is waiting for you`, next.detail ?? 'It asks a question.');
    }
    const fresh = this.d.repo.find(agent.name);
    if (fresh) this.emitter.fire(publicAgent(fresh));
  }

  private current(name: string): AgentActivity | null {
    const s = this.fromScreen.get(name);
    const h = this.fromHooks.get(name);
    if (s) {
      // The tool's own words about the question (its hook) are better than the screen's, when it sent them.
      if (h?.state === 'waiting') return { state: 'waiting', since: h.since, source: 'hooks', detail: h.detail, choices: s.choices };
      return { state: 'waiting', since: s.since, source: 'screen', detail: s.detail, choices: s.choices };
    }
    if (h) return { state: h.state, since: h.since, source: 'hooks', detail: h.detail, choices: [] };
    return null;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/**
 * A hook event → the state it means. `undefined`: the event says nothing about the state; `null`: the
 * session ended. Claude Code: SessionStart/Stop → idle, UserPromptSubmit/PreToolUse/PostToolUse →
 * working, PermissionRequest and a permission Notification → waiting (the idle reminder stays idle).
 * Codex `notify` (agent-turn-complete) → idle. Gemini CLI hooks use Claude's event names.
 */
export function hookTransition(tool: string, event: string, payload: Record<string, unknown>): { state: ActivityState; detail: string | null } | null | undefined {
  const str = (k: string) => (typeof payload[k] === 'string' ? (payload[k] as string) : null);
  switch (event) {
    case 'SessionStart':
    case 'Stop':
    case 'AfterAgent':
    case 'agent-turn-complete':
      return { state: 'idle', detail: null };
    case 'UserPromptSubmit':
    case 'BeforeAgent':
    case 'PreToolUse':
    case 'PostToolUse':
    case 'BeforeTool':
    case 'AfterTool':
      return { state: 'working', detail: null };
    case 'PermissionRequest': {
      const toolName = str('tool_name') ?? 'a tool';
      const input = payload.tool_input as Record<string, unknown> | undefined;
      const what = input && typeof input.command === 'string' ? `: ${input.command.slice(0, 120)}` : input && typeof input.file_path === 'string' ? `: ${input.file_path}` : '';
      return { state: 'waiting', detail: `permission to use ${toolName}${what}` };
    }
    case 'Notification': {
      const type = str('notification_type');
      if (type === 'idle_prompt') return undefined;
      return { state: 'waiting', detail: str('message') ?? `${tool} needs you` };
    }
    case 'SessionEnd':
      return null;
    default:
      return undefined;
  }
}
