import type { PushEventName, PushPayload } from '../../shared/contract/index.js';

export interface DesktopNotice {
  title: string;
  body: string;
  urgent: boolean;
}

/**
 * Which pushed events deserve an OS notification: an agent that crashed or reached `errored`, a merge
 * conflict escalated to review, and the core's warnings and errors. The watchdog's own notice about a crash
 * and the status change that goes with it arrive together; one notification per agent per few seconds.
 */
export class DesktopNotifier {
  private readonly lastByKey = new Map<string, number>();

  constructor(
    private readonly show: (n: DesktopNotice) => void,
    private readonly now: () => number = Date.now,
    private readonly dedupeMs = 5000,
  ) {}

  handle<E extends PushEventName>(event: E, payload: PushPayload<E>): void {
    const notice = this.decide(event, payload as PushPayload<PushEventName>);
    if (!notice) return;
    const t = this.now();
    const last = this.lastByKey.get(notice.key);
    if (last !== undefined && t - last < this.dedupeMs) return;
    this.lastByKey.set(notice.key, t);
    this.show({ title: notice.title, body: notice.body, urgent: notice.urgent });
  }

  private decide(event: PushEventName, payload: PushPayload<PushEventName>): (DesktopNotice & { key: string }) | null {
    if (event === 'agent:status') {
      const { agent, event: ev } = payload as PushPayload<'agent:status'>;
      if (!ev || ev.from === ev.to) return null;
      if (agent.status === 'crashed') {
        return { key: `agent:${agent.name}`, title: `${agent.name} crashed`, body: agent.lastError ?? `Exit code ${agent.lastExitCode ?? 'unknown'}. The watchdog decides whether to restart it.`, urgent: false };
      }
      if (agent.status === 'unreachable') {
        return { key: `agent:${agent.name}`, title: `${agent.name} is unreachable`, body: agent.lastError ?? 'Its Docker engine does not answer. It is adopted when the engine is back.', urgent: false };
      }
      if (agent.status === 'errored') {
        return { key: `agent:${agent.name}`, title: `${agent.name} needs attention`, body: agent.lastError ?? 'It stopped restarting. Open it in Agent Hive to see why.', urgent: true };
      }
      return null;
    }
    if (event === 'conflict:changed') {
      const c = payload as PushPayload<'conflict:changed'>;
      if (c.status !== 'escalated') return null;
      return { key: `conflict:${c.id}`, title: 'A merge conflict needs your review', body: 'Agent Hive could not resolve it safely. Open Conflicts to decide.', urgent: true };
    }
    if (event === 'notify') {
      const n = payload as PushPayload<'notify'>;
      if (n.level === 'info') return null;
      // The title starts with the agent's name ("x crashed"); share its key with the status notice.
      const name = n.title.split(' ')[0] ?? n.title;
      return { key: `agent:${name}`, title: n.title, body: n.body, urgent: n.level === 'error' };
    }
    return null;
  }
}
