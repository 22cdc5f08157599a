import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConflictItem, ConflictStatus, ConflictSummary, HiveApi, PreflightReport } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';
import { ConflictDetail } from './conflict-detail';
import './conflicts.css';

const STATUSES: ConflictStatus[] = ['open', 'escalated', 'auto-resolved', 'resolved', 'abandoned'];

/**
 * The Conflicts page: pairs at risk before anyone merges (pre-flight), a merge button per agent, the
 * escalation queue filtered by status and agent, and the review of one conflict. Refreshes on
 * `conflict:changed`.
 */
export function ConflictsPage({ api }: { api: HiveApi }) {
  const [status, setStatus] = useState<ConflictStatus | ''>('escalated');
  const [agent, setAgent] = useState('');
  const [agents, setAgents] = useState<string[]>([]);
  const [items, setItems] = useState<ConflictSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [detail, setDetail] = useState<ConflictItem | null>(null);
  const [preflight, setPreflight] = useState<PreflightReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [mergeAgent, setMergeAgent] = useState('');
  const [into, setInto] = useState('');
  const [merging, setMerging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const filterRef = useRef({ status, agent });
  filterRef.current = { status, agent };
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  const load = useCallback(async () => {
    try {
      const f = filterRef.current;
      const rows = await api.invoke('conflicts:list', { limit: 500, ...(f.status ? { status: f.status } : {}), ...(f.agent ? { agent: f.agent } : {}) });
      // The user picked another filter meanwhile: a newer load will answer.
      if (filterRef.current.status !== f.status || filterRef.current.agent !== f.agent) return;
      setItems(rows);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [api]);

  const loadDetail = useCallback(
    async (id: string | null) => {
      if (!id) return setDetail(null);
      try {
        setDetail(await api.invoke('conflicts:get', { id }));
      } catch (err) {
        setError(errorMessage(err));
      }
    },
    [api],
  );

  useEffect(() => {
    void load();
  }, [load, status, agent]);
  useEffect(() => {
    void loadDetail(selected);
  }, [loadDetail, selected]);
  useEffect(() => {
    void api
      .invoke('agents:list', {})
      .then((list) => {
        setAgents(list.map((a) => a.name));
        setMergeAgent((m) => m || list[0]?.name || '');
      })
      .catch(() => {});
    return api.on('conflict:changed', () => {
      void load();
      void loadDetail(selectedRef.current);
    });
  }, [api, load, loadDetail]);
  const check = async () => {
    setChecking(true);
    setError(null);
    try {
      setPreflight(await api.invoke('conflicts:preflight', {}));
    } catch (err) {
      setError(`Pre-flight failed: ${errorMessage(err)}`);
    } finally {
      setChecking(false);
    }
  };

  const merge = async () => {
    if (!mergeAgent) return;
    setMerging(true);
    setError(null);
    try {
      const r = await api.invoke('merge:run', { name: mergeAgent, ...(into.trim() ? { into: into.trim() } : {}) });
      setNotice(`${r.branch} → ${r.into}: ${r.status}. ${r.message}`);
      await load();
      const first = r.files.find((f) => f.status === 'escalated');
      if (first) setSelected(first.itemId);
    } catch (err) {
      setError(`Merge failed: ${errorMessage(err)}`);
    } finally {
      setMerging(false);
    }
  };

  return (
    <section className="page cf-page" aria-label="Conflicts">
      <div className="cf-top">
        <h1 className="page-title">Conflicts</h1>
        <div className="cf-merge" role="group" aria-label="Merge an agent">
          <select className="input" value={mergeAgent} onChange={(e) => setMergeAgent(e.target.value)} aria-label="Agent to merge">
            {agents.map((a) => (
              <option key={a} value={a}>{a}</option>
            ))}
          </select>
          <input className="input cf-into" placeholder="into (default branch)" value={into} onChange={(e) => setInto(e.target.value)} aria-label="Integration branch" />
          <button className="btn btn-primary btn-sm" disabled={!mergeAgent || merging} onClick={() => void merge()}>
            {merging ? 'Merging…' : 'Merge'}
          </button>
          <button className="btn btn-sm" disabled={checking} onClick={() => void check()}>
            {checking ? 'Checking…' : 'Check pre-flight'}
          </button>
        </div>
      </div>
      {notice && <div className="cf-notice" role="status">{notice}</div>}
      {error && <div className="cf-error" role="alert">{error}</div>}
      {preflight && (
        <div className="cf-preflight" aria-label="Pre-flight">
          {preflight.pairs.length === 0 ? (
            <span className="muted">No conflicts ahead ({preflight.checked} pair(s) checked at {new Date(preflight.checkedAt).toLocaleTimeString()}).</span>
          ) : (
            <ul>
              {preflight.pairs.map((p, i) => (
                <li key={i} className={`cf-risk cf-risk-${p.kind}`}>
                  <strong>{p.a}</strong> ↔ <strong>{p.b}</strong> <span className="muted">({p.kind})</span>:{' '}
                  {p.files.map((f) => `${f.path}${f.ranges.length ? ':' + f.ranges.map((r) => (r.start === r.end ? r.start : `${r.start}-${r.end}`)).join(',') : ''}`).join(', ')}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="cf-body">
        <div className="cf-queue">
          <div className="cf-filters">
            <select className="input" value={status} onChange={(e) => setStatus(e.target.value as ConflictStatus | '')} aria-label="Filter by status">
              <option value="">all statuses</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>{s}</option>
              ))}
            </select>
            <select className="input" value={agent} onChange={(e) => setAgent(e.target.value)} aria-label="Filter by agent">
              <option value="">all agents</option>
              {agents.map((a) => (
                <option key={a} value={a}>{a}</option>
              ))}
            </select>
          </div>
          {items.length === 0 ? (
            <p className="muted cf-empty">No conflicts{status ? ` with status ${status}` : ''}.</p>
          ) : (
            <ul className="cf-list" aria-label="Conflict queue">
              {items.map((c) => (
                <li key={c.id}>
                  <button className={`cf-row${selected === c.id ? ' cf-row-selected' : ''}`} onClick={() => setSelected(c.id)}>
                    <span className={`cf-status cf-status-${c.status}`}>{c.status}</span>
                    <span className="cf-row-path">{c.path}</span>
                    <span className="muted cf-row-meta">
                      {c.agent} · {c.hunks} hunk(s) · {c.branch} → {c.into}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="cf-review">
          {detail ? (
            <ConflictDetail
              api={api}
              item={detail}
              onChanged={(m) => {
                setNotice(m);
                void load();
                void loadDetail(detail.id);
              }}
            />
          ) : (
            <p className="muted cf-empty">Pick a conflict to review it.</p>
          )}
        </div>
      </div>
    </section>
  );
}
