import { memo } from 'react';
import type { Agent } from '../../../../shared/contract/index';
import type { AgentAction, AgentStatus } from '../../../../shared/lifecycle';
import { AgentActionsView } from '../../components/agent-actions';
import { ActivityChip } from '../../components/activity-chip';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, formatBytes, formatDurationCoarse, formatPercent } from '../../lib/format-duration';
import { ClockText } from '../../lib/use-now';
import { navigate, setFocused, toggleSelected } from '../../store/actions';
import { useAgentRow } from '../../store/use-agent-row';

const LIVE = new Set(['running', 'starting', 'recovering', 'unknown', 'unreachable']);

function Uptime({ startedAt, live }: { startedAt: string | null; live: boolean }) {
  const started = startedAt ? Date.parse(startedAt) : NaN;
  return <ClockText derive={(now) => (!startedAt || !live ? '—' : formatDurationCoarse(now - started))} />;
}

function HeartbeatAge({ at }: { at: string | null }) {
  return <ClockText derive={(now) => formatAge(at, now, true)} />;
}

interface IdentityProps {
  name: string;
  selected: boolean;
  task: string;
  role: string;
  backend: Agent['backend'];
  engine: string | null;
  status: AgentStatus;
  lastError: string | null;
  startedAt: string | null;
  restarts: number;
  activityState: NonNullable<Agent['activity']>['state'] | null;
  activitySince: string | null;
  activitySource: NonNullable<Agent['activity']>['source'] | null;
}

/** Select box to restarts: what a status event changes. */
const IdentityCells = memo(function IdentityCells({ name, selected, task, role, backend, engine, status, lastError, startedAt, restarts, activityState, activitySince, activitySource }: IdentityProps) {
  return (
    <>
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
        {task && <div className="agent-task" title={task}>{task}</div>}
      </div>
      <div role="cell" className="col-role">{role || <span className="muted">—</span>}</div>
      <div role="cell" className="col-backend"><span className={`backend-tag backend-${backend}`}>{backend}</span></div>
      <div role="cell" className="col-engine" title={engine ? `Docker engine ${engine}` : undefined}>{engine ?? <span className="muted">—</span>}</div>
      <div role="cell" className="col-status">
        <StatusBadge status={status} title={lastError ?? undefined} />
        {activityState && activitySince && activitySource && <ActivityChip state={activityState} since={activitySince} source={activitySource} compact />}
      </div>
      <div role="cell" className="col-num"><Uptime startedAt={startedAt} live={LIVE.has(status)} /></div>
      <div role="cell" className="col-num">{restarts}</div>
    </>
  );
});

/** Heartbeat, CPU and memory: what the 2 s usage push changes (for every running agent at once). */
const UsageCells = memo(function UsageCells({ at, cpu, memory }: { at: string | null; cpu: number | null; memory: number | null }) {
  return (
    <>
      <div role="cell" className="col-num"><HeartbeatAge at={at} /></div>
      <div role="cell" className="col-num">{formatPercent(cpu)}</div>
      <div role="cell" className="col-num">{formatBytes(memory)}</div>
    </>
  );
});

const TailCells = memo(function TailCells({ name, branch, status, pending }: { name: string; branch: string; status: AgentStatus; pending: AgentAction | undefined }) {
  return (
    <>
      <div role="cell" className="col-branch" title={branch}><code>{branch || '—'}</code></div>
      <div role="cell" className="col-actions">
        <AgentActionsView name={name} status={status} pending={pending} />
      </div>
    </>
  );
});

/**
 * One agent: woken only when its own record, selection, focus or pending action changes (useAgentRow). The
 * cells are three memoized groups, so a usage sample (every 2 s for every running agent) renders the three
 * usage cells, not the row.
 */
export const AgentRow = memo(function AgentRow({ name }: { name: string }) {
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
      <IdentityCells
        name={name}
        selected={selected}
        task={agent.task}
        role={agent.role}
        backend={agent.backend}
        engine={agent.engine}
        status={agent.status}
        lastError={agent.lastError}
        startedAt={agent.startedAt}
        restarts={agent.restarts}
        activityState={agent.activity?.state ?? null}
        activitySince={agent.activity?.since ?? null}
        activitySource={agent.activity?.source ?? null}
      />
      <UsageCells at={agent.lastHeartbeatAt} cpu={agent.cpuPercent} memory={agent.memoryBytes} />
      <TailCells name={name} branch={agent.branch} status={agent.status} pending={pending} />
    </div>
  );
});
