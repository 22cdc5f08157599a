import { useRef } from 'react';
import { setFilter, clearStatusFilter, setSelected } from '../../store/actions';
import { useHive } from '../../store/hive-store';
import { useHiveArray } from '../../store/use-hive-array';
import { AgentRow } from './agent-row';
import { EmptyState } from './empty-state';
import { BulkBar, FleetToolbar } from './fleet-toolbar';
import { useFleetShortcuts } from './use-fleet-shortcuts';
import { visibleAgents } from './visible-agents';

/** Every agent at a glance: one dense row each, updated by pushed status events. */
export function FleetPage() {
  const names = useHiveArray(visibleAgents) as string[];
  const total = useHive((s) => s.agents.order.length);
  const loaded = useHive((s) => s.agents.loaded);
  const loadError = useHive((s) => s.agents.loadError);
  const allSelected = useHive((s) => names.length > 0 && names.every((n) => s.ui.selected.includes(n)));
  const filterRef = useRef<HTMLInputElement>(null);
  useFleetShortcuts(names, filterRef);

  return (
    <section className="page fleet-page" aria-label="Fleet">
      <FleetToolbar filterRef={filterRef} />
      <BulkBar />
      {loadError && (
        <div className="alert alert-error" role="alert">
          Could not load the fleet: {loadError}
        </div>
      )}
      {!loaded ? (
        <div className="loading">Loading agents…</div>
      ) : total === 0 ? (
        <EmptyState />
      ) : (
        <div className="table-wrap">
          <div className="fleet-grid" role="table" aria-label="Agents" aria-rowcount={names.length + 1}>
            <div role="rowgroup" className="fleet-head-group">
              <div role="row" className="fleet-row fleet-head">
                <div role="columnheader" className="col-select">
                  <input
                    type="checkbox"
                    aria-label="Select all visible agents"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? [] : names)}
                  />
                </div>
                <div role="columnheader">Name</div>
                <div role="columnheader">Role</div>
                <div role="columnheader">Backend</div>
                <div role="columnheader">Status</div>
                <div role="columnheader" className="col-num">Uptime</div>
                <div role="columnheader" className="col-num">Restarts</div>
                <div role="columnheader" className="col-num">Heartbeat</div>
                <div role="columnheader" className="col-num">CPU</div>
                <div role="columnheader" className="col-num">Memory</div>
                <div role="columnheader">Branch</div>
                <div role="columnheader" className="col-actions">Actions</div>
              </div>
            </div>
            <div role="rowgroup">
              {names.map((n) => (
                <AgentRow key={n} name={n} />
              ))}
            </div>
          </div>
          {names.length === 0 && (
            <div className="empty-filter">
              No agents match the filter.{' '}
              <button
                type="button"
                className="btn btn-sm btn-ghost"
                onClick={() => {
                  setFilter('');
                  clearStatusFilter();
                }}
              >
                Clear filters
              </button>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
