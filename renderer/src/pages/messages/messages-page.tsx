import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BusState, HiveApi, MessageView } from '../../../../shared/contract/index';
import { errorMessage } from '../../lib/error-message';
import './messages.css';

/** Which slice of the log is shown: everything, one agent's traffic (from or to), or one topic. */
export type MessageFilter = { kind: 'all' } | { kind: 'agent'; name: string } | { kind: 'topic'; topic: string };

const PAGE = 200;
/** The name the GUI sends as; agents see it as the sender. */
export const OPERATOR = 'operator';

/**
 * The message view: bus state (Redis connected / degraded, or in-process), then who said what to whom per
 * agent and per topic, with each recipient's delivered/acknowledged state. Refreshes on `bus:message`.
 */
export function MessagesPage({ api }: { api: HiveApi }) {
  const [bus, setBus] = useState<BusState | null>(null);
  const [filter, setFilter] = useState<MessageFilter>({ kind: 'all' });
  const [messages, setMessages] = useState<MessageView[]>([]);
  const [more, setMore] = useState(false);
  const [topics, setTopics] = useState<{ topic: string; subscribers: string[]; messages: number }[]>([]);
  const [agents, setAgents] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const filterRef = useRef(filter);
  filterRef.current = filter;

  const load = useCallback(
    async (f: MessageFilter, beforeSeq?: number) => {
      setLoading(true);
      try {
        const req = {
          limit: PAGE,
          ...(f.kind === 'agent' ? { agent: f.name } : {}),
          ...(f.kind === 'topic' ? { topic: f.topic } : {}),
          ...(beforeSeq !== undefined ? { beforeSeq } : {}),
        };
        const [rows, t, s, list] = await Promise.all([
          api.invoke('msg:list', req),
          api.invoke('msg:topics', {}),
          api.invoke('bus:state', {}),
          api.invoke('agents:list', {}).catch(() => []),
        ]);
        if (filterRef.current !== f) return; // the user picked another view meanwhile
        setMessages((prev) => (beforeSeq !== undefined ? [...prev, ...rows] : rows));
        setMore(rows.length === PAGE);
        setTopics(t);
        setBus(s);
        setAgents(list.map((a) => a.name));
        setError(null);
      } catch (err) {
        setError(errorMessage(err));
      } finally {
        setLoading(false);
      }
    },
    [api],
  );

  useEffect(() => {
    void load(filter);
  }, [filter, load]);

  // New traffic: reload the current view, at most every 300 ms however busy the bus is.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const offMessage = api.on('bus:message', () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void load(filterRef.current);
      }, 300);
    });
    const offState = api.on('bus:state', (s) => setBus(s));
    return () => {
      offMessage();
      offState();
      if (timer) clearTimeout(timer);
    };
  }, [api, load]);

  const names = useMemo(() => {
    const set = new Set(agents);
    for (const t of topics) for (const s of t.subscribers) set.add(s);
    for (const m of messages) {
      if (m.from !== OPERATOR) set.add(m.from);
      for (const r of m.recipients) set.add(r.name);
    }
    return [...set].sort();
  }, [agents, topics, messages]);

  return (
    <section className="page msg-page" aria-label="Messages">
      <div className="toolbar-row">
        <h1 className="page-title">Messages</h1>
        <button type="button" className="btn btn-sm" onClick={() => void load(filter)} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <BusBanner bus={bus} />
      {error && (
        <div className="alert alert-error" role="alert">
          Could not load messages: {error}
        </div>
      )}
      <div className="msg-layout">
        <nav className="msg-filters" aria-label="Message views">
          <FilterButton active={filter.kind === 'all'} onClick={() => setFilter({ kind: 'all' })} label="All messages" />
          <div className="msg-filter-heading">Agents</div>
          {names.length === 0 && <div className="msg-filter-empty muted">none yet</div>}
          {names.map((n) => (
            <FilterButton key={n} active={filter.kind === 'agent' && filter.name === n} onClick={() => setFilter({ kind: 'agent', name: n })} label={n} />
          ))}
          <div className="msg-filter-heading">Topics</div>
          {topics.length === 0 && <div className="msg-filter-empty muted">none yet</div>}
          {topics.map((t) => (
            <FilterButton
              key={t.topic}
              active={filter.kind === 'topic' && filter.topic === t.topic}
              onClick={() => setFilter({ kind: 'topic', topic: t.topic })}
              label={`#${t.topic}`}
              title={`${t.subscribers.length} subscriber(s): ${t.subscribers.join(', ') || 'none'}; ${t.messages} message(s)`}
              count={t.subscribers.length}
            />
          ))}
        </nav>
        <div className="msg-main">
          <Compose api={api} filter={filter} onSent={() => void load(filter)} />
          <MessageTable messages={messages} filter={filter} />
          {more && (
            <button type="button" className="btn btn-sm msg-more" disabled={loading} onClick={() => void load(filter, messages.at(-1)?.seq)}>
              Older messages
            </button>
          )}
        </div>
      </div>
    </section>
  );
}

function BusBanner({ bus }: { bus: BusState | null }) {
  if (!bus) return null;
  const variant = bus.kind === 'in-process' ? 'in-process' : bus.state;
  const title =
    bus.kind === 'in-process'
      ? 'In-process bus'
      : bus.state === 'connected'
        ? 'Redis connected'
        : bus.state === 'degraded'
          ? 'Redis unreachable — degraded'
          : 'Redis disconnected';
  return (
    <div className={`msg-banner msg-banner-${variant}`} role="status" aria-label="Bus state">
      <span className="msg-banner-dot" aria-hidden="true" />
      <strong>{title}</strong>
      {bus.detail && <span className="msg-banner-detail">{bus.detail}</span>}
    </div>
  );
}

function FilterButton(props: { active: boolean; onClick: () => void; label: string; title?: string; count?: number }) {
  return (
    <button
      type="button"
      className={`msg-filter${props.active ? ' is-active' : ''}`}
      aria-pressed={props.active}
      onClick={props.onClick}
      title={props.title}
    >
      <span className="msg-filter-label">{props.label}</span>
      {props.count !== undefined && <span className="msg-filter-count">{props.count}</span>}
    </button>
  );
}

function target(m: MessageView): string {
  return m.to !== null ? m.to : m.topic !== null ? `#${m.topic}` : 'all';
}

function MessageTable({ messages, filter }: { messages: MessageView[]; filter: MessageFilter }) {
  if (messages.length === 0) {
    const where = filter.kind === 'agent' ? ` for ${filter.name}` : filter.kind === 'topic' ? ` on #${filter.topic}` : '';
    return <div className="msg-empty muted">No messages{where} yet. Agents send them with `hive msg send`.</div>;
  }
  return (
    <table className="msg-table" aria-label="Message log">
      <thead>
        <tr>
          <th>#</th>
          <th>Time</th>
          <th>From</th>
          <th>To</th>
          <th>Message</th>
          <th>Recipients</th>
        </tr>
      </thead>
      <tbody>
        {messages.map((m) => (
          <tr key={m.id} className="msg-row" aria-label={`message ${m.seq}`}>
            <td className="msg-seq mono">{m.seq}</td>
            <td className="msg-time mono" title={m.createdAt}>
              {formatTime(m.createdAt)}
            </td>
            <td className="msg-from">{m.from}</td>
            <td className="msg-to">{target(m)}</td>
            <td className="msg-body">
              {m.type !== 'text' && <span className="msg-type tag">{m.type}</span>}
              <span className="pre-wrap">{m.body}</span>
            </td>
            <td>
              <div className="msg-recipients">
              {m.recipients.length === 0 && <span className="muted">no recipients</span>}
              {m.recipients.map((r) => {
                const state = r.ackedAt ? 'acked' : r.deliveredAt ? 'delivered' : 'waiting';
                const when = r.ackedAt ?? r.deliveredAt;
                return (
                  <span key={r.name} className={`msg-recipient msg-recipient-${state}`} title={when ? `${state} ${when}` : 'not delivered yet'}>
                    {r.name}: {state}
                  </span>
                );
              })}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Compose({ api, filter, onSent }: { api: HiveApi; filter: MessageFilter; onSent: () => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const to = filter.kind === 'agent' ? filter.name : filter.kind === 'topic' ? `#${filter.topic}` : 'all agents';
  const send = async (): Promise<void> => {
    if (!text.trim()) return;
    setBusy(true);
    try {
      await api.invoke('msg:send', {
        from: OPERATOR,
        body: text,
        ...(filter.kind === 'agent' ? { to: filter.name } : filter.kind === 'topic' ? { topic: filter.topic } : { all: true }),
      });
      setText('');
      setError(null);
      onSent();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="msg-compose"
      aria-label="Send a message"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label className="msg-compose-label" htmlFor="msg-compose-text">
        To {to}
      </label>
      <input
        id="msg-compose-text"
        className="msg-compose-input"
        value={text}
        placeholder={`Message to ${to} (as ${OPERATOR})`}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" className="btn btn-sm btn-primary" disabled={busy || !text.trim()}>
        Send
      </button>
      {error && (
        <span className="msg-compose-error text-err" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString(undefined, { hour12: false });
}
