import type { Agent, HiveApi, HiveEvent, PushPayload } from '../../../shared/contract/index';
import { actionAllowed, type AgentAction } from '../../../shared/lifecycle';
import { errorMessage } from '../lib/error-message';
import type { ConnectionState, HiveClient } from '../lib/ws-client';
import { adjustCounts, insertSorted } from './agents-slice';
import { RECENT_EVENTS_MAX } from './events-slice';
import { useHive } from './hive-store';
import type { Route, Toast } from './ui-slice';

/**
 * Module-level actions: pushed events and user intents change the store here, registered once at start-up
 * by connectStore(), never inside components.
 */
let api: HiveApi | null = null;

export function currentApi(): HiveApi {
  if (!api) throw new Error('connectStore() has not run yet.');
  return api;
}

const set = useHive.setState;
const get = useHive.getState;

export function upsertAgent(agent: Agent): void {
  set((s) => ({
    agents: {
      ...s.agents,
      byName: { ...s.agents.byName, [agent.name]: agent },
      order: insertSorted(s.agents.order, agent.name),
      counts: adjustCounts(s.agents.counts, s.agents.byName[agent.name]?.status, agent.status),
    },
  }));
}

export function removeAgent(name: string): void {
  set((s) => {
    if (!s.agents.byName[name]) return s;
    const byName = { ...s.agents.byName };
    delete byName[name];
    return {
      agents: { ...s.agents, byName, order: s.agents.order.filter((n) => n !== name), counts: adjustCounts(s.agents.counts, s.agents.byName[name]!.status, undefined) },
      ui: { ...s.ui, selected: s.ui.selected.filter((n) => n !== name), focused: s.ui.focused === name ? null : s.ui.focused },
    };
  });
}

export function setAgents(list: Agent[]): void {
  const byName: Record<string, Agent> = {};
  const counts: Partial<Record<Agent['status'], number>> = {};
  for (const a of list) byName[a.name] = a;
  for (const a of Object.values(byName)) counts[a.status] = (counts[a.status] ?? 0) + 1;
  const order = Object.keys(byName).sort((a, b) => a.localeCompare(b));
  set((s) => ({ agents: { ...s.agents, byName, order, counts, loaded: true, loadError: null } }));
}

export function appendEvent(e: HiveEvent): void {
  set((s) => withEvent(s, e));
}

function withEvent<S extends { events: { recent: HiveEvent[] } }>(s: S, e: HiveEvent): S | Pick<S, 'events'> {
  const recent = s.events.recent;
  if (recent.length > 0 && recent[recent.length - 1]!.id >= e.id && recent.some((r) => r.id === e.id)) return s;
  const next = recent.length >= RECENT_EVENTS_MAX ? recent.slice(recent.length - RECENT_EVENTS_MAX + 1) : recent.slice();
  next.push(e);
  return { events: { recent: next } };
}

/** A pushed status: the agent and its event in one store update (one render pass, not two). */
export function applyStatus(agent: Agent, event: HiveEvent | null): void {
  set((s) => ({
    agents: {
      ...s.agents,
      byName: { ...s.agents.byName, [agent.name]: agent },
      order: insertSorted(s.agents.order, agent.name),
      counts: adjustCounts(s.agents.counts, s.agents.byName[agent.name]?.status, agent.status),
    },
    ...(event ? withEvent(s, event) : {}),
  }));
}

/**
 * Pushed usage samples (every 2 s): CPU, memory and the signs of life. One store update for the whole
 * fleet; only agents whose numbers changed get a new object, so only their rows render again.
 */
export function applyUsage(samples: PushPayload<'agents:usage'>): void {
  set((s) => {
    let byName: Record<string, Agent> | null = null;
    for (const u of samples) {
      const a = s.agents.byName[u.name];
      if (!a || a.status !== 'running') continue;
      if (a.cpuPercent === u.cpuPercent && a.memoryBytes === u.memoryBytes && a.lastHeartbeatAt === u.lastHeartbeatAt && a.lastOutputAt === u.lastOutputAt) continue;
      byName ??= { ...s.agents.byName };
      byName[u.name] = { ...a, cpuPercent: u.cpuPercent, memoryBytes: u.memoryBytes, lastHeartbeatAt: u.lastHeartbeatAt, lastOutputAt: u.lastOutputAt };
    }
    return byName ? { agents: { ...s.agents, byName } } : s;
  });
}

let toastId = 1;
export function toast(level: Toast['level'], title: string, body: string): void {
  const id = toastId++;
  set((s) => ({ ui: { ...s.ui, toasts: [...s.ui.toasts.slice(-4), { id, level, title, body }] } }));
  setTimeout(() => dismissToast(id), level === 'error' ? 12_000 : 6000);
}

export function dismissToast(id: number): void {
  set((s) => ({ ui: { ...s.ui, toasts: s.ui.toasts.filter((t) => t.id !== id) } }));
}

export function setConnection(state: ConnectionState, detail: string | null): void {
  set((s) => ({ ui: { ...s.ui, connection: state, connectionDetail: detail } }));
}

export function navigate(route: Route): void {
  set((s) => ({ ui: { ...s.ui, route } }));
  const hash = routeToHash(route);
  if (typeof window !== 'undefined' && window.location.hash !== hash) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${hash}`);
  }
}

export function routeToHash(route: Route): string {
  return route.page === 'agent' ? `#/agent/${encodeURIComponent(route.name)}` : `#/${route.page}`;
}

export function hashToRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  switch (parts[0]) {
    case 'agent':
      return parts[1] ? { page: 'agent', name: decodeURIComponent(parts[1]) } : { page: 'fleet' };
    case 'metrics':
    case 'conflicts':
    case 'messages':
      return { page: parts[0] };
    default:
      return { page: 'fleet' };
  }
}

export function setFilter(filter: string): void {
  set((s) => ({ ui: { ...s.ui, filter } }));
}

export function toggleStatusFilter(status: Agent['status']): void {
  set((s) => {
    const has = s.ui.statusFilter.includes(status);
    return { ui: { ...s.ui, statusFilter: has ? s.ui.statusFilter.filter((x) => x !== status) : [...s.ui.statusFilter, status] } };
  });
}

export function setEngineFilter(engine: string | null): void {
  set((s) => ({ ui: { ...s.ui, engineFilter: engine } }));
}

/** Moves a sleeping or stopped docker agent to another engine (`agents:move`); says why when refused. */
export async function moveAgent(name: string, engine: string): Promise<boolean> {
  try {
    upsertAgent(await currentApi().invoke('agents:move', { name, engine }));
    toast('info', `${name} moved to engine ${engine}`, 'Wake it to start it there.');
    return true;
  } catch (err) {
    toast('error', `${name} could not be moved`, errorMessage(err));
    return false;
  }
}

export function clearStatusFilter(): void {
  set((s) => ({ ui: { ...s.ui, statusFilter: [] } }));
}

export function toggleSelected(name: string): void {
  set((s) => {
    const has = s.ui.selected.includes(name);
    return { ui: { ...s.ui, selected: has ? s.ui.selected.filter((n) => n !== name) : [...s.ui.selected, name] } };
  });
}

export function setSelected(names: string[]): void {
  set((s) => ({ ui: { ...s.ui, selected: names } }));
}

export function setFocused(name: string | null): void {
  set((s) => ({ ui: { ...s.ui, focused: name } }));
}

export function setSpawnOpen(open: boolean): void {
  set((s) => ({ ui: { ...s.ui, spawnOpen: open } }));
}

export function setHelpOpen(open: boolean): void {
  set((s) => ({ ui: { ...s.ui, helpOpen: open } }));
}

const ACTION_CHANNEL = {
  sleep: 'agents:sleep',
  wake: 'agents:wake',
  restart: 'agents:restart',
  stop: 'agents:stop',
} as const;

const ACTION_VERB: Record<AgentAction, string> = {
  sleep: 'put to sleep',
  wake: 'woken',
  restart: 'restarted',
  stop: 'stopped',
  remove: 'removed',
};

/** Runs one lifecycle action; the resulting agent arrives as the reply and again as a pushed status. */
export async function runAction(name: string, action: AgentAction): Promise<boolean> {
  const agent = get().agents.byName[name];
  if (!agent) return false;
  if (!actionAllowed(agent.status, action) || get().ui.pending[name]) return false;
  set((s) => ({ ui: { ...s.ui, pending: { ...s.ui.pending, [name]: action } } }));
  try {
    if (action === 'remove') {
      await currentApi().invoke('agents:remove', { name, force: false });
      removeAgent(name);
    } else {
      const updated = await currentApi().invoke(ACTION_CHANNEL[action], { name });
      // A pushed status may already be newer than this reply; keep whichever changed last.
      const cur = get().agents.byName[name];
      if (!cur || cur.updatedAt <= updated.updatedAt) upsertAgent(updated);
    }
    return true;
  } catch (err) {
    toast('error', `${name} could not be ${ACTION_VERB[action]}`, errorMessage(err));
    return false;
  } finally {
    set((s) => {
      const pending = { ...s.ui.pending };
      delete pending[name];
      return { ui: { ...s.ui, pending } };
    });
  }
}

/** Runs an action on every selected agent that allows it; the rest are skipped and counted. */
export async function runBulk(action: AgentAction): Promise<{ ran: number; skipped: number }> {
  const { selected } = get().ui;
  const byName = get().agents.byName;
  const targets = selected.filter((n) => byName[n] && actionAllowed(byName[n]!.status, action));
  await Promise.all(targets.map((n) => runAction(n, action)));
  const skipped = selected.length - targets.length;
  if (skipped > 0) toast('info', `Skipped ${skipped} agent${skipped === 1 ? '' : 's'}`, `${action} is not allowed in their current state.`);
  return { ran: targets.length, skipped };
}

export async function loadAgents(): Promise<void> {
  try {
    setAgents(await currentApi().invoke('agents:list', {}));
  } catch (err) {
    set((s) => ({ agents: { ...s.agents, loaded: true, loadError: errorMessage(err) } }));
  }
}

export async function loadRecentEvents(): Promise<void> {
  try {
    const list = await currentApi().invoke('events:list', { limit: 200 });
    const sorted = [...list].sort((a, b) => a.id - b.id);
    set({ events: { recent: sorted } });
  } catch {
    // The fleet works without history; the event log shows its own error when opened.
  }
}

export async function loadMetrics(): Promise<void> {
  set((s) => ({ metrics: { ...s.metrics, loading: true } }));
  try {
    const [series, system, live] = await Promise.all([
      currentApi().invoke('metrics:series', {}),
      currentApi().invoke('system:info', {}).catch(() => get().metrics.system),
      currentApi().invoke('metrics:live', {}).catch(() => get().metrics.live),
    ]);
    set((s) => ({ metrics: { ...s.metrics, series, system, live, loading: false, error: null, loadedAt: Date.now() } }));
  } catch (err) {
    set((s) => ({ metrics: { ...s.metrics, loading: false, error: errorMessage(err) } }));
  }
}

/**
 * Wires the store to an API once at start-up: loads the fleet, applies pushed events, and reloads after a
 * reconnect (events pushed while the socket was down are not replayed). Returns the unsubscribe.
 */
export function connectStore(client: HiveApi & Partial<Pick<HiveClient, 'onConnection' | 'connection'>>): () => void {
  api = client;
  const offs: Array<() => void> = [];
  offs.push(client.on('agent:status', ({ agent, event }) => applyStatus(agent, event)));
  offs.push(client.on('agent:removed', ({ name }) => removeAgent(name)));
  offs.push(client.on('agents:usage', (samples) => applyUsage(samples)));
  offs.push(client.on('event:appended', (e) => appendEvent(e)));
  offs.push(client.on('system:info', (info) => set((s) => ({ metrics: { ...s.metrics, system: info } }))));
  offs.push(client.on('notify', (n) => toast(n.level, n.title, n.body)));
  if (client.onConnection) {
    let wasDown = false;
    setConnection(client.connection?.() ?? 'open', null);
    offs.push(client.onConnection((state, detail) => {
      setConnection(state, detail);
      if (state === 'reconnecting') wasDown = true;
      if (state === 'open' && wasDown) {
        wasDown = false;
        void loadAgents();
        void loadRecentEvents();
      }
    }));
  } else {
    setConnection('open', null);
  }
  void loadAgents();
  void loadRecentEvents();
  return () => {
    for (const off of offs) off();
    api = null;
  };
}
