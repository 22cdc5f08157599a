import { memo } from 'react';
import type { Agent } from '../../../../shared/contract/index';
import type { AgentAction } from '../../../../shared/lifecycle';
import { AgentActionsView } from '../../components/agent-actions';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, formatBytes, formatDurationCoarse, formatPercent } from '../../lib/format-duration';
import { useClock } from '../../lib/use-now';
import { navigate, setFocused, toggleSelected } from '../../store/actions';
import { useHiveArray } from '../../store/use-hive-array';

const LIVE = new Set(['running', 'starting', 'recovering', 'unknown']);

function Uptime({ startedAt, live }: { startedAt: string | null; live: boolean }) {
  const text = useClock((now) => (!startedAt || !live ? '—' : formatDurationCoarse(now - Date.parse(startedAt))));
  return <>{text}</>;
}

function HeartbeatAge({ at }: { at: string | null }) {
  const text = useClock((now) => formatAge(at, now, true));
  return <>{text}</>;
}

/** One agent: subscribes to its own record only, so a status event re-renders one row, not the fleet. */
export const AgentRow = memo(function AgentRow({ name }: { name: string }) {
  // One subscription per row (not one per field): every store update runs each row's selector once.
  const [agent, selected, focused, pending] = useHiveArray((s) => [
    s.agents.byName[name],
    s.ui.selected.includes(name),
    s.ui.focused === name,
    s.ui.pending[name],
  ]) as readonly [Agent | undefined, boolean, boolean, AgentAction | undefined];
  if (!agent) return null;
  return (
    <div
      role="row"
      aria-label={name}
      data-agent={name}
      data-status={agent.status}
      aria-selected={selected}
      className={`fleet-row agent-row${selected ? ' is-selected' : ''}${focused ? ' is-focused' : ''}`}
      onClick={() => setFocused(name)}
      onDoubleClick={() => navigate({ page: 'agent', name })}
    >
      <div role="cell" className="col-select">
        <input type="checkbox" aria-label={`Select ${name}`} checked={selected} onChange={() => toggleSelected(name)} onClick={(e) => e.stopPropagation()} />
      </div>
      <div role="cell" className="col-name">
        <a
          href={`#/agent/${encodeURIComponent(name)}`}
          className="agent-name"
          onClick={(e) => {
            e.preventDefault();
            navigate({ page: 'agent', name });
          }}
        >
          {name}
        </a>
        {agent.task && <div className="agent-task" title={agent.task}>{agent.task}</div>}
      </div>
      <div role="cell" className="col-role">{agent.role || <span className="muted">—</span>}</div>
      <div role="cell" className="col-backend"><span className={`backend-tag backend-${agent.backend}`}>{agent.backend}</span></div>
      <div role="cell" className="col-status">
        <StatusBadge status={agent.status} title={agent.lastError ?? undefined} />
      </div>
      <div role="cell" className="col-num"><Uptime startedAt={agent.startedAt} live={LIVE.has(agent.status)} /></div>
      <div role="cell" className="col-num">{agent.restarts}</div>
      <div role="cell" className="col-num"><HeartbeatAge at={agent.lastHeartbeatAt} /></div>
      <div role="cell" className="col-num">{formatPercent(agent.cpuPercent)}</div>
      <div role="cell" className="col-num">{formatBytes(agent.memoryBytes)}</div>
      <div role="cell" className="col-branch" title={agent.branch}><code>{agent.branch || '—'}</code></div>
      <div role="cell" className="col-actions">
        <AgentActionsView name={name} status={agent.status} pending={pending} />
      </div>
    </div>
  );
});
