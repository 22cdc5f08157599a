import { useEffect, useMemo, useState } from 'react';
import type { HiveEvent } from '../../../../shared/contract/index';
import { StatusBadge } from '../../components/status-badge';
import { errorMessage } from '../../lib/error-message';
import { formatTime } from '../../lib/format-duration';
import { currentApi } from '../../store/actions';
import { useHive } from '../../store/hive-store';

/** The agent's events: history from 'events:list', newer ones as they are pushed. */
export function EventLog({ name }: { name: string }) {
  const [history, setHistory] = useState<HiveEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const recent = useHive((s) => s.events.recent);

  useEffect(() => {
    let live = true;
    currentApi()
      .invoke('events:list', { agent: name, limit: 300 })
      .then((l) => live && setHistory(l))
      .catch((err) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [name]);

  const events = useMemo(() => {
    const byId = new Map<number, HiveEvent>();
    for (const e of history ?? []) byId.set(e.id, e);
    for (const e of recent) if (e.agent === name) byId.set(e.id, e);
    return [...byId.values()].sort((a, b) => b.id - a.id);
  }, [history, recent, name]);

  if (error) {
    return (
      <div className="alert alert-error" role="alert">
        Could not load events: {error}
      </div>
    );
  }
  if (history === null) return <div className="muted small pad">Loading events…</div>;
  if (events.length === 0) return <div className="muted small pad">No events yet.</div>;
  return (
    <table className="event-table" aria-label="Event log">
      <tbody>
        {events.map((e) => (
          <tr key={e.id}>
            <td className="small muted nowrap">{formatTime(e.at)}</td>
            <td className="small">
              <div className="event-head">
                <code>{e.kind}</code>
                {e.from && <StatusBadge status={e.from} />}
                {e.from && e.to && <span className="muted">→</span>}
                {e.to && <StatusBadge status={e.to} />}
              </div>
              <div className="event-cause">
                {e.cause}
                <span className="muted"> · {e.actor}</span>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
