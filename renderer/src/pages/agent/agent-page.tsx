import { useState } from 'react';
import { AgentActions } from '../../components/agent-actions';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, formatBytes, formatDuration, formatPercent } from '../../lib/format-duration';
import { useNow } from '../../lib/use-now';
import { navigate, runAction } from '../../store/actions';
import { useHive } from '../../store/hive-store';
import { EventLog } from './event-log';
import { GitPanel } from './git-panel';
import { InputBox } from './input-box';
import { OutputTerminal } from './output-terminal';
import { PolicyPanel } from './policy-panel';
import { SnapshotsPanel } from './snapshots-panel';
import { WaitingBanner } from './waiting-banner';
import { ActivityChip } from '../../components/activity-chip';
import { MoveEngine } from './move-engine';

type Tab = 'snapshots' | 'events' | 'git' | 'policy';

/** One agent: facts, live output with an input box, and snapshots / events / git on the side. */
export function AgentPage({ name }: { name: string }) {
  const agent = useHive((s) => s.agents.byName[name]);
  const loaded = useHive((s) => s.agents.loaded);
  const [tab, setTab] = useState<Tab>('events');
  const now = useNow();

  if (!agent) {
    return (
      <section className="page agent-page">
        <BackLink />
        <div className="empty-state">
          <h2>{loaded ? `No agent named ${name}` : 'Loading…'}</h2>
          {loaded && <p>It may have been removed. Go back to the fleet to see the agents that exist.</p>}
        </div>
      </section>
    );
  }

  const live = ['running', 'starting', 'recovering', 'unknown', 'unreachable'].includes(agent.status);
  return (
    <section className="page agent-page" aria-label={`Agent ${name}`}>
      <BackLink />
      <header className="agent-header" aria-label={name}>
        <div className="agent-title">
          <h1 className="page-title">{name}</h1>
          <StatusBadge status={agent.status} />
          {agent.activity && <ActivityChip state={agent.activity.state} since={agent.activity.since} source={agent.activity.source} />}
          <span className={`backend-tag backend-${agent.backend}`}>{agent.backend}</span>
          {agent.engine && <span className="tag" title="Docker engine">engine {agent.engine}</span>}
          {agent.role && <span className="tag">{agent.role}</span>}
        </div>
        <AgentActions name={name} withRemove />
      </header>
      {agent.status === 'unreachable' && (
        <div className="alert alert-warning" role="alert">
          <span>
            Its Docker engine does not answer{agent.lastError ? `: ${agent.lastError}` : ''}. Nothing is restarted elsewhere unless failover is on; it is adopted
            when the engine answers again. Stop it, or move it to another engine.
          </span>
        </div>
      )}
      {agent.lastError && (agent.status === 'errored' || agent.status === 'crashed') && (
        <div className="alert alert-error" role="alert">
          <span>{agent.lastError}</span>
          {agent.status === 'errored' && (
            <button type="button" className="btn alert-action" onClick={() => void runAction(name, 'restart')}>
              Try again
            </button>
          )}
        </div>
      )}
      <WaitingBanner agent={agent} />
      <dl className="facts">
        <Fact label="Uptime" value={live && agent.startedAt ? formatDuration(now - Date.parse(agent.startedAt)) : '—'} />
        <Fact label="Restarts" value={String(agent.restarts)} />
        <Fact label="Heartbeat" value={formatAge(agent.lastHeartbeatAt, now)} />
        <Fact label="Last output" value={formatAge(agent.lastOutputAt, now)} />
        <Fact label="CPU" value={formatPercent(agent.cpuPercent)} />
        <Fact label="Memory" value={formatBytes(agent.memoryBytes)} />
        <Fact label="PID" value={agent.pid === null ? '—' : String(agent.pid)} />
        <Fact label="Last exit" value={agent.lastExitCode === null ? '—' : String(agent.lastExitCode)} />
        <Fact label="Branch" value={agent.branch || '—'} mono />
        <Fact label="Preset" value={agent.preset} />
        {agent.sessionId && <Fact label="Session" value={agent.sessionId} mono />}
        <Fact label="Sleep mode" value={agent.sleepMode === 'pause' ? 'pause (keeps memory)' : 'snapshot'} />
        <Fact label="Last recovery" value={agent.lastRecoveryMs === null ? '—' : `${Math.round(agent.lastRecoveryMs)} ms`} />
        {agent.image && <Fact label="Image" value={agent.image} mono />}
        {agent.engine && (
          <div className="fact fact-engine">
            <dt>Engine</dt>
            <dd>
              <span className="mono">{agent.engine}</span> <MoveEngine agent={agent} />
            </dd>
          </div>
        )}
        <Fact label="Command" value={agent.command} mono wide />
        <Fact label="Worktree" value={agent.worktree} mono wide />
        {agent.task && <Fact label="Task" value={agent.task} wide />}
      </dl>
      <div className="agent-body">
        <div className="agent-output">
          <div className="panel-title">Output</div>
          <OutputTerminal name={name} />
          <InputBox name={name} disabled={!live} />
        </div>
        <aside className="agent-side">
          <div className="tabs" role="tablist" aria-label="Agent details">
            {(['events', 'snapshots', 'git', 'policy'] as Tab[]).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} className={`tab${tab === t ? ' is-active' : ''}`} onClick={() => setTab(t)}>
                {t === 'events' ? 'Events' : t === 'snapshots' ? 'Snapshots' : t === 'git' ? 'Git' : 'Policy'}
              </button>
            ))}
          </div>
          <div className="tab-panel" role="tabpanel">
            {tab === 'events' && <EventLog name={name} />}
            {tab === 'snapshots' && <SnapshotsPanel name={name} />}
            {tab === 'git' && <GitPanel name={name} />}
            {tab === 'policy' && <PolicyPanel key={JSON.stringify(agent.policy)} agent={agent} />}
          </div>
        </aside>
      </div>
    </section>
  );
}

function Fact({ label, value, mono, wide }: { label: string; value: string; mono?: boolean; wide?: boolean }) {
  return (
    <div className={`fact${wide ? ' fact-wide' : ''}`}>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined} title={value}>
        {value}
      </dd>
    </div>
  );
}

function BackLink() {
  return (
    <a
      href="#/fleet"
      className="back-link"
      onClick={(e) => {
        e.preventDefault();
        navigate({ page: 'fleet' });
      }}
    >
      ← Fleet
    </a>
  );
}
