import { useCallback, useEffect, useState } from 'react';
import type { Res, SnapshotMeta } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';
import { formatBytes, formatTime } from '../../lib/format-duration';
import { currentApi, toast } from '../../store/actions';
import { useHive } from '../../store/hive-store';

type Shown = Res<'snapshots:show'>;

/** Snapshots timeline: view one, diff two, restore one, take a checkpoint. */
export function SnapshotsPanel({ name }: { name: string }) {
  const [list, setList] = useState<SnapshotMeta[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const [shown, setShown] = useState<Shown | null>(null);
  const [diff, setDiff] = useState<{ a: string; b: string; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  // A sleep or crash writes a snapshot; reload when the agent's status changes.
  const status = useHive((s) => s.agents.byName[name]?.status);

  const load = useCallback(async () => {
    try {
      const l = await currentApi().invoke('snapshots:list', { name });
      setList([...l].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [name]);

  useEffect(() => {
    void load();
  }, [load, status]);

  const guarded = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const view = (id: string) =>
    guarded(async () => {
      setDiff(null);
      setShown(await currentApi().invoke('snapshots:show', { id }));
    });

  const runDiff = () =>
    guarded(async () => {
      const [a, b] = picked as [string, string];
      const { diff: text } = await currentApi().invoke('snapshots:diff', { a, b });
      setShown(null);
      setDiff({ a, b, text });
    });

  const restore = (id: string) =>
    guarded(async () => {
      if (!window.confirm(`Restore snapshot ${id.slice(0, 12)} into ${name}? Its memory files are written back into the worktree.`)) return;
      const r = await currentApi().invoke('snapshots:restore', { id });
      toast('info', `Restored ${r.agent}`, `${r.restoredFiles} file${r.restoredFiles === 1 ? '' : 's'} written back.`);
      await load();
    });

  const checkpoint = () =>
    guarded(async () => {
      await currentApi().invoke('snapshots:checkpoint', { name, note: 'Checkpoint from the UI' });
      await load();
    });

  const togglePick = (id: string): void =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));

  return (
    <div className="snapshots-panel">
      <div className="panel-toolbar">
        <button type="button" className="btn btn-sm" onClick={() => void checkpoint()} disabled={busy}>
          Checkpoint now
        </button>
        <button type="button" className="btn btn-sm" onClick={() => void runDiff()} disabled={busy || picked.length !== 2}>
          Diff selected
        </button>
        <span className="muted small">{picked.length === 2 ? 'Two picked' : 'Tick two to diff'}</span>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
      {list === null ? (
        <div className="muted small pad">Loading snapshots…</div>
      ) : list.length === 0 ? (
        <div className="muted small pad">No snapshots yet. Sleeping the agent or a checkpoint writes one.</div>
      ) : (
        <ol className="timeline" aria-label="Snapshots">
          {list.map((s) => (
            <li key={s.id} className={`timeline-item snap-${s.type}${shown?.meta.id === s.id ? ' is-active' : ''}`}>
              <input type="checkbox" aria-label={`Pick snapshot ${s.id} for diff`} checked={picked.includes(s.id)} onChange={() => togglePick(s.id)} />
              <div className="timeline-body">
                <div>
                  <span className={`snap-type snap-type-${s.type}`}>{s.type}</span> <span className="small">{formatTime(s.createdAt)}</span>
                </div>
                <div className="muted small">
                  {formatBytes(s.bytes)} · <code>{s.sha256.slice(0, 10)}</code>
                  {s.note ? ` · ${s.note}` : ''}
                </div>
              </div>
              <div className="timeline-actions">
                <button type="button" className="btn btn-xs" onClick={() => void view(s.id)} disabled={busy}>
                  View
                </button>
                <button type="button" className="btn btn-xs" onClick={() => void restore(s.id)} disabled={busy}>
                  Restore
                </button>
              </div>
            </li>
          ))}
        </ol>
      )}
      {shown && <SnapshotView shown={shown} onClose={() => setShown(null)} />}
      {diff && (
        <div className="snapshot-view">
          <div className="panel-toolbar">
            <strong>Diff</strong>
            <span className="muted small">
              {diff.a.slice(0, 10)} → {diff.b.slice(0, 10)}
            </span>
            <button type="button" className="btn btn-xs btn-ghost" onClick={() => setDiff(null)}>
              Close
            </button>
          </div>
          <DiffView text={diff.text} />
        </div>
      )}
    </div>
  );
}

function SnapshotView({ shown, onClose }: { shown: Shown; onClose: () => void }) {
  const c = shown.contents;
  return (
    <div className="snapshot-view" aria-label="Snapshot contents">
      <div className="panel-toolbar">
        <strong>{c.type} snapshot</strong>
        <span className="muted small">{formatTime(c.createdAt)}</span>
        <button type="button" className="btn btn-xs btn-ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="kv">
        <dt>Role</dt>
        <dd>{c.role || '—'}</dd>
        <dt>Task</dt>
        <dd className="pre-wrap">{c.task || '—'}</dd>
        <dt>Session</dt>
        <dd>{c.sessionId ?? '—'}</dd>
        <dt>Git</dt>
        <dd>{c.git ? `${c.git.branch} @ ${c.git.head.slice(0, 10)}${c.git.patch ? ' (uncommitted changes saved)' : ''}` : '—'}</dd>
        <dt>Memory files</dt>
        <dd>{c.memoryFiles.length === 0 ? '—' : c.memoryFiles.map((f) => f.path).join(', ')}</dd>
        {c.notes && (
          <>
            <dt>Notes</dt>
            <dd className="pre-wrap">{c.notes}</dd>
          </>
        )}
      </dl>
      {c.outputTail && <pre className="code-block">{c.outputTail.slice(-8000)}</pre>}
    </div>
  );
}

export function DiffView({ text }: { text: string }) {
  if (!text.trim()) return <div className="muted small pad">The two snapshots are identical.</div>;
  return (
    <pre className="code-block diff">
      {text.split('\n').map((line, i) => (
        <span
          key={i}
          className={
            line.startsWith('+++') || line.startsWith('---')
              ? 'diff-file'
              : line.startsWith('+')
                ? 'diff-add'
                : line.startsWith('-')
                  ? 'diff-del'
                  : line.startsWith('@@')
                    ? 'diff-hunk'
                    : undefined
          }
        >
          {line + '\n'}
        </span>
      ))}
    </pre>
  );
}
