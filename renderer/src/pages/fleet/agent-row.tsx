import { memo } from 'react';
import { AgentActions } from '../../components/agent-actions';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, formatBytes, formatDuration, formatPercent } from '../../lib/format-duration';
import { useNow } from '../../lib/use-now';
import { navigate, setFocused, toggleSelected } from '../../store/actions';
import { useHive } from '../../store/hive-store';

const LIVE = new Set(['running', 'starting', 'recovering', 'unknown']);

function Uptime({ startedAt, live }: { startedAt: string | null; live: boolean }) {
  const now = useNow();
  if (!startedAt || !live) return <>—</>;
  return <>{formatDuration(now - Date.parse(startedAt))}</>;
}

function HeartbeatAge({ at }: { at: string | null }) {
  const now = useNow();
  return <>{formatAge(at, now)}</>;
}

/** One agent: subscribes to its own record only, so a status event re-renders one row, not the fleet. */
export const AgentRow = memo(function AgentRow({ name }: { name: string }) {
  const agent = useHive((s) => s.agents.byName[name]);
  const selected = useHive((s) => s.ui.selected.includes(name));
  const focused = useHive((s) => s.ui.focused === name);
  if (!agent) return null;
  return (
    <tr
      aria-label={name}
      data-agent={name}
      data-status={agent.status}
      aria-selected={selected}
      className={`agent-row${selected ? ' is-selected' : ''}${focused ? ' is-focused' : ''}`}
      onClick={() => setFocused(name)}
      onDoubleClick={() => navigate({ page: 'agent', name })}
    >
      <td className="col-select">
        <input type="checkbox" aria-label={`Select ${name}`} checked={selected} onChange={() => toggleSelected(name)} onClick={(e) => e.stopPropagation()} />
      </td>
      <td className="col-name">
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
      </td>
      <td className="col-role">{agent.role || <span className="muted">—</span>}</td>
      <td className="col-backend"><span className={`backend-tag backend-${agent.backend}`}>{agent.backend}</span></td>
      <td className="col-status">
        <StatusBadge status={agent.status} title={agent.lastError ?? undefined} />
      </td>
      <td className="col-num"><Uptime startedAt={agent.startedAt} live={LIVE.has(agent.status)} /></td>
      <td className="col-num">{agent.restarts}</td>
      <td className="col-num"><HeartbeatAge at={agent.lastHeartbeatAt} /></td>
      <td className="col-num">{formatPercent(agent.cpuPercent)}</td>
      <td className="col-num">{formatBytes(agent.memoryBytes)}</td>
      <td className="col-branch" title={agent.branch}><code>{agent.branch || '—'}</code></td>
      <td className="col-actions">
        <AgentActions name={name} />
      </td>
    </tr>
  );
});
