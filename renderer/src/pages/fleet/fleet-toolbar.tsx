import { AGENT_STATUSES, type AgentStatus } from '../../../../shared/lifecycle';
import { STATUS_COLOR } from '../../components/status-badge';
import { clearStatusFilter, runBulk, setEngineFilter, setFilter, setSelected, setSpawnOpen, toggleStatusFilter } from '../../store/actions';
import { useHive, type HiveState } from '../../store/hive-store';
import { useHiveArray } from '../../store/use-hive-array';

/** The engines the fleet's docker agents run on, for the engine filter. */
function engineNames(s: HiveState): string[] {
  const set = new Set<string>();
  for (const n of s.agents.order) {
    const e = s.agents.byName[n]?.engine;
    if (e) set.add(e);
  }
  return [...set].sort((a, b) => (a === 'local' ? -1 : b === 'local' ? 1 : a.localeCompare(b)));
}

function countByStatus(s: HiveState): number[] {
  return AGENT_STATUSES.map((st) => s.agents.counts[st] ?? 0);
}

/** Filter box, per-state counts that double as status filters, and the New agent button. */
export function FleetToolbar({ filterRef }: { filterRef: React.RefObject<HTMLInputElement | null> }) {
  const filter = useHive((s) => s.ui.filter);
  const statusFilter = useHive((s) => s.ui.statusFilter);
  const counts = useHiveArray(countByStatus);
  const total = useHive((s) => s.agents.order.length);
  const engines = useHiveArray(engineNames) as string[];
  const engineFilter = useHive((s) => s.ui.engineFilter);
  return (
    <div className="fleet-toolbar">
      <div className="toolbar-row">
        <h1 className="page-title">
          Fleet <span className="muted">{total}</span>
        </h1>
        <input
          ref={filterRef}
          className="input filter-input"
          type="search"
          placeholder="Filter by name, role, branch, task…  ( / )"
          aria-label="Filter agents"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setFilter('');
              e.currentTarget.blur();
            }
          }}
        />
        <button type="button" className="btn btn-primary" onClick={() => setSpawnOpen(true)} title="Spawn a new agent (N)">
          New agent
        </button>
      </div>
      <div className="status-chips" role="group" aria-label="Filter by status">
        <button type="button" className={`chip${statusFilter.length === 0 ? ' is-active' : ''}`} aria-pressed={statusFilter.length === 0} onClick={clearStatusFilter}>
          all <span className="chip-count">{total}</span>
        </button>
        {AGENT_STATUSES.map((st: AgentStatus, i) =>
          counts[i] === 0 && !statusFilter.includes(st) ? null : (
            <button
              key={st}
              type="button"
              className={`chip${statusFilter.includes(st) ? ' is-active' : ''}`}
              aria-pressed={statusFilter.includes(st)}
              style={{ ['--status' as string]: STATUS_COLOR[st] }}
              onClick={() => toggleStatusFilter(st)}
            >
              <span className="status-dot" aria-hidden="true" />
              {st} <span className="chip-count">{counts[i]}</span>
            </button>
          ),
        )}
        {(engines.length > 0 || engineFilter !== null) && (
          <label className="engine-filter">
            <span className="muted">Engine</span>
            <select className="input input-sm" aria-label="Filter by Docker engine" value={engineFilter ?? ''} onChange={(e) => setEngineFilter(e.target.value || null)}>
              <option value="">all engines</option>
              {engines.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
    </div>
  );
}

/** Shown while agents are selected: the same four actions for all of them, plus clear. */
export function BulkBar() {
  const count = useHive((s) => s.ui.selected.length);
  if (count === 0) return null;
  return (
    <div className="bulk-bar" role="toolbar" aria-label="Bulk actions">
      <span>
        <strong>{count}</strong> selected
      </span>
      <button type="button" className="btn btn-sm" onClick={() => void runBulk('sleep')}>Sleep selected</button>
      <button type="button" className="btn btn-sm" onClick={() => void runBulk('wake')}>Wake selected</button>
      <button type="button" className="btn btn-sm" onClick={() => void runBulk('restart')}>Restart selected</button>
      <button type="button" className="btn btn-sm" onClick={() => void runBulk('stop')}>Stop selected</button>
      <button type="button" className="btn btn-sm btn-ghost" onClick={() => setSelected([])}>Clear selection</button>
    </div>
  );
}
