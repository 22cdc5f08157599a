import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { setFilter, clearStatusFilter, setEngineFilter, setSelected } from '../../store/actions';
import { useHive } from '../../store/hive-store';
import { useHiveArray } from '../../store/use-hive-array';
import { AgentRow } from './agent-row';
import { EmptyState } from './empty-state';
import { BulkBar, FleetToolbar } from './fleet-toolbar';
import { useFleetShortcuts } from './use-fleet-shortcuts';
import { visibleAgents } from './visible-agents';

/**
 * Rows are rendered in blocks of BLOCK_ROWS, each block `content-visibility: auto`: blocks off screen skip
 * style, layout and paint, so one pushed status costs the rows on screen, not the fleet (and the browser tracks
 * 20 blocks for visibility, not 500 rows). Every row stays in the DOM: find-in-page, keyboard moves and
 * screen readers see the whole fleet. A block never shown yet is sized from the measured row height.
 */
const BLOCK_ROWS = 25;
const ROW_PX_GUESS = 46;

/** Every agent at a glance: one dense row each, updated by pushed status events. */
export function FleetPage() {
  const names = useHiveArray(visibleAgents) as string[];
  const total = useHive((s) => s.agents.order.length);
  const loaded = useHive((s) => s.agents.loaded);
  const loadError = useHive((s) => s.agents.loadError);
  const selected = useHive((s) => s.ui.selected);
  const allSelected = useMemo(() => {
    if (names.length === 0 || selected.length < names.length) return false;
    const set = new Set(selected);
    return names.every((n) => set.has(n));
  }, [names, selected]);
  const filterRef = useRef<HTMLInputElement>(null);
  useFleetShortcuts(names, filterRef);
  const blocks = useMemo(() => {
    const out: string[][] = [];
    for (let i = 0; i < names.length; i += BLOCK_ROWS) out.push(names.slice(i, i + BLOCK_ROWS));
    return out;
  }, [names]);
  const gridRef = useRef<HTMLDivElement>(null);
  const [rowPx, setRowPx] = useState(ROW_PX_GUESS);
  const haveRows = blocks.length > 0;
  useLayoutEffect(() => {
    const first = gridRef.current?.querySelector('.fleet-block');
    const rows = first?.childElementCount ?? 0;
    const h = first && rows > 0 ? first.getBoundingClientRect().height / rows : 0;
    if (h > 0 && Math.abs(h - rowPx) > 0.5) setRowPx(h);
  }, [haveRows, rowPx]);

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
          <div ref={gridRef} className="fleet-grid" role="table" aria-label="Agents" aria-rowcount={names.length + 1}>
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
                <div role="columnheader">Engine</div>
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
              {blocks.map((block, i) => (
                <div key={i} role="none" className="fleet-block" style={{ containIntrinsicSize: `auto ${Math.round(block.length * rowPx)}px` }}>
                  {block.map((n) => (
                    <AgentRow key={n} name={n} />
                  ))}
                </div>
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
                  setEngineFilter(null);
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
