import { memo } from 'react';
import { AgentActionsView } from '../../components/agent-actions';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, formatBytes, formatDurationCoarse, formatPercent } from '../../lib/format-duration';
import { ClockText } from '../../lib/use-now';
import { navigate, setFocused, toggleSelected } from '../../store/actions';
import { useAgentRow } from '../../store/use-agent-row';

const LIVE = new Set(['running', 'starting', 'recovering', 'unknown']);

function Uptime({ startedAt, live }: { startedAt: string | null; live: boolean }) {
  const started = startedAt ? Date.parse(startedAt) : NaN;
  return <ClockText derive={(now) => (!startedAt || !live ? '—' : formatDurationCoarse(now - started))} />;
}

function HeartbeatAge({ at }: { at: string | null }) {
  return <ClockText derive={(now) => formatAge(at, now, true)} />;
}

/** One agent: subscribes to its own record only, so a status event re-renders one row, not the fleet. */
export const AgentRow = memo(function AgentRow({ name }: { name: string }) {
  // Woken only when this agent, its selection, focus or pending action changes (not by every store update).
  const { agent, selected, focused, pending } = useAgentRow(name);
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
