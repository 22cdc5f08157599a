import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import type { Agent } from '../../shared/contract/index.js';
import { AGENT_STATUSES, type AgentStatus } from '../../shared/lifecycle.js';
import { TRAY_ICON_DATA_URL } from './tray-icon.js';

export interface TrayActions {
  show(): void;
  sleepAllRunning(): void;
  wakeAllSleeping(): void;
  quit(): void;
}

/** "3 running · 1 sleeping · 1 crashed": the fleet in one line, states in lifecycle order. */
export function fleetSummary(agents: Iterable<Pick<Agent, 'status'>>): { counts: Partial<Record<AgentStatus, number>>; text: string } {
  const counts: Partial<Record<AgentStatus, number>> = {};
  for (const a of agents) counts[a.status] = (counts[a.status] ?? 0) + 1;
  const parts = AGENT_STATUSES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
  return { counts, text: parts.length ? parts.join(' · ') : 'no agents' };
}

/** Tray icon with counts per state and quick actions; rebuilt at most once a second as statuses change. */
export class FleetTray {
  private readonly tray: Tray;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private agents = new Map<string, Pick<Agent, 'name' | 'status'>>();

  constructor(private readonly actions: TrayActions) {
    this.tray = new Tray(nativeImage.createFromDataURL(TRAY_ICON_DATA_URL));
    this.tray.on('click', () => actions.show());
    this.render();
  }

  setAgents(list: Array<Pick<Agent, 'name' | 'status'>>): void {
    this.agents = new Map(list.map((a) => [a.name, a]));
    this.schedule();
  }

  update(agent: Pick<Agent, 'name' | 'status'>): void {
    this.agents.set(agent.name, agent);
    this.schedule();
  }

  remove(name: string): void {
    this.agents.delete(name);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.render();
    }, 1000);
  }

  private render(): void {
    const { counts, text } = fleetSummary(this.agents.values());
    this.tray.setToolTip(`Agent Hive — ${text}`);
    const stateItems: MenuItemConstructorOptions[] = AGENT_STATUSES.filter((s) => counts[s]).map((s) => ({
      label: `${counts[s]} ${s}`,
      enabled: false,
    }));
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: 'Agent Hive', enabled: false },
        ...(stateItems.length ? stateItems : [{ label: 'No agents', enabled: false }]),
        { type: 'separator' },
        { label: 'Show Agent Hive', click: () => this.actions.show() },
        { label: `Sleep all running (${counts.running ?? 0})`, enabled: (counts.running ?? 0) > 0, click: () => this.actions.sleepAllRunning() },
        { label: `Wake all sleeping (${counts.sleeping ?? 0})`, enabled: (counts.sleeping ?? 0) > 0, click: () => this.actions.wakeAllSleeping() },
        { type: 'separator' },
        { label: 'Quit Agent Hive', click: () => this.actions.quit() },
      ]),
    );
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.tray.destroy();
  }
}
