import { useState } from 'react';
import type { ConflictItem, HiveApi, SideIntent } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';

type Take = 'ours' | 'theirs' | 'both' | 'proposal';

function Intent({ label, side }: { label: string; side: SideIntent }) {
  return (
    <div className="cf-intent">
      <div className="cf-intent-label">{label}</div>
      <div>
        <strong>{side.agent ?? 'unknown agent'}</strong>
        {side.task && <span className="muted"> — task: {side.task}</span>}
      </div>
      {side.intent && <div className="cf-intent-text">intent: {side.intent}</div>}
      {side.commits.slice(0, 3).map((c) => (
        <div key={c.sha} className="cf-commit muted">
          <code>{c.sha.slice(0, 8)}</code> {c.subject}
        </div>
      ))}
    </div>
  );
}

/**
 * One conflict: both sides' intent, a base / ours / theirs view per hunk (with the strategy that tried it),
 * the proposal when there is one, every attempt, and the actions a person has.
 */
export function ConflictDetail({ api, item, onChanged }: { api: HiveApi; item: ConflictItem; onChanged: (message: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const open = item.status === 'escalated' || item.status === 'open';

  const act = async (what: string, fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await fn());
      setEditing(null);
    } catch (err) {
      setError(`${what} failed: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const take = (t: Take) => act(`Take ${t}`, async () => (await api.invoke('conflicts:resolve', { id: item.id, take: t })).merge.message);

  return (
    <section className="cf-detail" aria-label={`Conflict ${item.path}`}>
      <header className="cf-detail-head">
        <div>
          <h2 className="cf-path">{item.path}</h2>
          <div className="muted">
            {item.branch} → {item.into} · <span className={`cf-status cf-status-${item.status}`}>{item.status}</span> · {item.id}
          </div>
        </div>
      </header>
      <p className="cf-reason">{item.reason}</p>
      <div className="cf-intents">
        <Intent label={`ours (${item.into})`} side={item.intents.ours} />
        <Intent label={`theirs (${item.branch})`} side={item.intents.theirs} />
      </div>

      {open && (
        <div className="cf-actions" role="group" aria-label="Resolve">
          <button className="btn btn-sm" disabled={busy} onClick={() => void take('ours')}>Take ours</button>
          <button className="btn btn-sm" disabled={busy} onClick={() => void take('theirs')}>Take theirs</button>
          <button className="btn btn-sm" disabled={busy} onClick={() => void take('both')} title="ours' lines, then theirs', in every hunk">Take both</button>
          <button className="btn btn-sm" disabled={busy || !item.proposal} onClick={() => void take('proposal')}>Accept proposal</button>
          <button className="btn btn-sm" disabled={busy} onClick={() => setEditing(item.proposal ?? item.withMarkers ?? item.ours ?? '')}>Edit by hand</button>
          <button
            className="btn btn-sm btn-danger"
            disabled={busy}
            onClick={() =>
              void act('Abandon', async () => {
                await api.invoke('conflicts:abandon', { id: item.id });
                return `Abandoned the merge of ${item.branch}; the branch is unchanged.`;
              })
            }
          >
            Abandon merge
          </button>
        </div>
      )}
      {open && (
        <div className="cf-sendback">
          <input className="input" placeholder="Note for the agent (optional)" value={note} onChange={(e) => setNote(e.target.value)} aria-label="Note for the agent" />
          <button className="btn btn-sm" disabled={busy} onClick={() => void act('Send back', async () => (await api.invoke('conflicts:sendBack', { id: item.id, note: note || undefined })).message)}>
            Send back to agent
          </button>
        </div>
      )}
      {error && <div className="cf-error" role="alert">{error}</div>}

      {editing !== null && (
        <div className="cf-editor">
          <label className="cf-label" htmlFor="cf-edit">The file as it should be</label>
          <textarea id="cf-edit" className="cf-textarea" value={editing} onChange={(e) => setEditing(e.target.value)} spellCheck={false} />
          <div className="cf-actions">
            <button className="btn btn-primary btn-sm" disabled={busy || /^(<{7}|={7}|>{7})/m.test(editing)} onClick={() => void act('Save', async () => (await api.invoke('conflicts:resolve', { id: item.id, text: editing })).merge.message)}>
              Save resolution
            </button>
            <button className="btn btn-sm btn-ghost" onClick={() => setEditing(null)}>Cancel</button>
            {/^(<{7}|={7}|>{7})/m.test(editing) && <span className="muted">Remove the conflict markers first.</span>}
          </div>
        </div>
      )}

      {item.hunkList.map((h) => (
        <div key={h.index} className="cf-hunk">
          <div className="cf-hunk-head">
            hunk {h.index + 1} · {h.status}
            {h.strategy ? ` by ${h.strategy}` : ''} — <span className="muted">{h.reason}</span>
          </div>
          <div className="cf-three">
            {(['base', 'ours', 'theirs'] as const).map((k) => (
              <div key={k} className={`cf-pane cf-pane-${k}`}>
                <div className="cf-pane-title">{k}</div>
                <pre className="cf-code" aria-label={`hunk ${h.index + 1} ${k}`}>{h[k] || ' '}</pre>
              </div>
            ))}
          </div>
          {h.resolution !== null && (
            <div className="cf-pane cf-pane-resolution">
              <div className="cf-pane-title">automatic result</div>
              <pre className="cf-code">{h.resolution || ' '}</pre>
            </div>
          )}
        </div>
      ))}
      {item.proposal && (
        <div className="cf-pane cf-pane-proposal">
          <div className="cf-pane-title">proposal — not applied: {item.reason}</div>
          <pre className="cf-code">{item.proposal}</pre>
        </div>
      )}
      <details className="cf-attempts">
        <summary>Attempts ({item.attempts.length})</summary>
        <ul>
          {item.attempts.map((a, i) => (
            <li key={i}>
              <code>{a.hunk === null ? 'file' : `hunk ${a.hunk + 1}`}</code> {a.strategy}:{' '}
              {a.result === 'not-applicable' ? <span className="muted">did not apply</span> : <strong>{a.result}</strong>}
              {a.reason && <span className="muted"> — {a.reason}</span>}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
