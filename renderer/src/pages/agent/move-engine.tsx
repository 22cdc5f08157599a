import { useEffect, useState } from 'react';
import type { Agent, Engine } from '../../../../shared/contract/index';
import { currentApi, moveAgent } from '../../store/actions';

/** Statuses a docker agent can be moved in (nothing runs, or nothing can be reached). */
const MOVABLE = new Set(['sleeping', 'stopped', 'errored', 'crashed', 'unreachable', 'registered']);

/**
 * Where a docker agent runs, and a Move control: re-creates the sleeping or stopped agent on another engine
 * from its last synced branch and snapshot (`hive agents move`). The engines are asked once, when opened.
 */
export function MoveEngine({ agent }: { agent: Agent }) {
  const [open, setOpen] = useState(false);
  const [engines, setEngines] = useState<Engine[] | null>(null);
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open || engines) return;
    currentApi()
      .invoke('engines:list', {})
      .then((list) => {
        setEngines(list);
        setTarget(list.find((e) => e.name !== agent.engine && e.reachable)?.name ?? '');
      }, () => setEngines([]));
  }, [open, engines, agent.engine]);
  const movable = MOVABLE.has(agent.status);
  if (!open) {
    return (
      <button
        type="button"
        className="btn btn-sm btn-ghost"
        disabled={!movable}
        title={movable ? 'Move this agent to another Docker engine' : 'Sleep or stop the agent first, then move it'}
        onClick={() => setOpen(true)}
      >
        Move…
      </button>
    );
  }
  const others = (engines ?? []).filter((e) => e.name !== agent.engine);
  return (
    <span className="move-engine" role="group" aria-label="Move to another engine">
      {engines === null ? (
        <span className="muted">asking the engines…</span>
      ) : others.length === 0 ? (
        <span className="muted">No other engine: add one with hive engines add</span>
      ) : (
        <select className="input" aria-label="Target engine" value={target} onChange={(e) => setTarget(e.target.value)}>
          {others.map((e) => (
            <option key={e.name} value={e.name} disabled={!e.reachable}>
              {e.name} · {e.runningAgents} running{e.reachable ? '' : ' · unreachable'}
            </option>
          ))}
        </select>
      )}
      <button
        type="button"
        className="btn btn-sm btn-primary"
        disabled={!target || busy || !movable}
        onClick={() => {
          setBusy(true);
          void moveAgent(agent.name, target).then((ok) => {
            setBusy(false);
            if (ok) setOpen(false);
          });
        }}
      >
        {busy ? 'Moving…' : 'Move'}
      </button>
      <button type="button" className="btn btn-sm btn-ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </span>
  );
}
