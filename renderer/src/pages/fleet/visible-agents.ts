import type { HiveState } from '../../store/hive-store';

/** Names that pass the text and status filters, in fleet order. Text matches name, role, branch, backend, engine, task; the engine filter keeps one engine's agents. */
export function visibleAgents(s: HiveState): string[] {
  const q = s.ui.filter.trim().toLowerCase();
  const statuses = s.ui.statusFilter;
  const engine = s.ui.engineFilter;
  if (!q && statuses.length === 0 && engine === null) return s.agents.order;
  return s.agents.order.filter((name) => {
    const a = s.agents.byName[name];
    if (!a) return false;
    if (statuses.length > 0 && !statuses.includes(a.status)) return false;
    if (engine !== null && a.engine !== engine) return false;
    if (!q) return true;
    return (
      a.name.toLowerCase().includes(q) ||
      a.role.toLowerCase().includes(q) ||
      a.branch.toLowerCase().includes(q) ||
      a.backend.includes(q) ||
      (a.engine ?? '').includes(q) ||
      a.task.toLowerCase().includes(q)
    );
  });
}
