import { actionAllowed, type AgentAction, type AgentStatus } from '../../../shared/lifecycle';
import { runAction } from '../store/actions';
import { useHive } from '../store/hive-store';

const ACTIONS: Array<{ action: AgentAction; label: string; key: string }> = [
  { action: 'sleep', label: 'Sleep', key: 's' },
  { action: 'wake', label: 'Wake', key: 'w' },
  { action: 'restart', label: 'Restart', key: 'r' },
  { action: 'stop', label: 'Stop', key: 'q' },
];

/**
 * Sleep / Wake / Restart / Stop for one agent. The accessible names are exactly those words; an action the
 * lifecycle table does not allow in the current state is disabled, and so is everything while one runs.
 */
export function AgentActions({ name, withRemove = false }: { name: string; withRemove?: boolean }) {
  const status = useHive((s) => s.agents.byName[name]?.status);
  const pending = useHive((s) => s.ui.pending[name]);
  if (!status) return null;
  return <AgentActionsView name={name} status={status} pending={pending} withRemove={withRemove} />;
}

/** The same buttons from props: fleet rows pass what they already selected instead of subscribing again. */
export function AgentActionsView({
  name,
  status,
  pending,
  withRemove = false,
}: {
  name: string;
  status: AgentStatus;
  pending: AgentAction | undefined;
  withRemove?: boolean;
}) {
  return (
    <div className="agent-actions" role="group" aria-label={`Actions for ${name}`}>
      {ACTIONS.map(({ action, label, key }) => {
        const allowed = actionAllowed(status, action);
        return (
          <button
            key={action}
            type="button"
            className={`btn btn-xs action-${action}${pending === action ? ' is-busy' : ''}`}
            disabled={!allowed || pending !== undefined}
            title={allowed ? `${label} ${name} (${key})` : `${label} is not possible while ${name} is ${status}`}
            onClick={(e) => {
              e.stopPropagation();
              void runAction(name, action);
            }}
          >
            {label}
          </button>
        );
      })}
      {withRemove && (
        <button
          type="button"
          className="btn btn-xs btn-danger"
          disabled={!actionAllowed(status, 'remove') || pending !== undefined}
          title={actionAllowed(status, 'remove') ? `Remove ${name} and archive its worktree` : `Stop ${name} before removing it`}
          onClick={() => {
            if (window.confirm(`Remove ${name}? Its worktree is archived and the agent disappears from the fleet.`)) void runAction(name, 'remove');
          }}
        >
          Remove
        </button>
      )}
    </div>
  );
}
