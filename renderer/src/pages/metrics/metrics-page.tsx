import { useEffect, useState } from 'react';
import { loadMetrics } from '../../store/actions';
import { useHive } from '../../store/hive-store';
import { BusLatencyChart, ConflictsChart, RecoveryHistogramChart, RestartsChart, StatesOverTimeChart, UptimeChart } from './metrics-charts';

/** Copies the Prometheus scrape job for this host; shows it to copy by hand where the clipboard is refused. */
function CopyScrapeConfig({ config }: { config: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'shown'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(config);
      setState('copied');
      setTimeout(() => setState((s) => (s === 'copied' ? 'idle' : s)), 2500);
    } catch {
      setState('shown');
    }
  };
  return (
    <>
      <button type="button" className="btn btn-sm" onClick={() => void copy()} title="A scrape job for prometheus.yml: this host's address, its token file as bearer credentials">
        {state === 'copied' ? 'Copied ✓' : 'Copy scrape config'}
      </button>
      {state === 'shown' && (
        <div className="scrape-config" role="dialog" aria-label="Scrape config">
          <p>The clipboard is not available here; copy the job into your prometheus.yml:</p>
          <pre>{config}</pre>
          <button type="button" className="btn btn-sm" onClick={() => setState('idle')}>
            Close
          </button>
        </div>
      )}
    </>
  );
}

/** Charts from the events table ('metrics:series'), refreshed while the page is open. */
export function MetricsPage() {
  const series = useHive((s) => s.metrics.series);
  const error = useHive((s) => s.metrics.error);
  const loading = useHive((s) => s.metrics.loading);
  const system = useHive((s) => s.metrics.system);
  const live = useHive((s) => s.metrics.live);
  // New events change the series; refetch at most every 5 s rather than per event.
  const lastEventId = useHive((s) => s.events.recent[s.events.recent.length - 1]?.id ?? 0);

  useEffect(() => {
    void loadMetrics();
  }, []);
  useEffect(() => {
    const t = setTimeout(() => void loadMetrics(), 5000);
    return () => clearTimeout(t);
  }, [lastEventId]);

  return (
    <section className="page metrics-page" aria-label="Metrics">
      <div className="toolbar-row">
        <h1 className="page-title">Metrics</h1>
        <button type="button" className="btn btn-sm" onClick={() => void loadMetrics()} disabled={loading}>
          {loading ? 'Refreshing…' : 'Refresh'}
        </button>
        {live && <CopyScrapeConfig config={live.scrape.config} />}
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          Could not load metrics: {error}
        </div>
      )}
      {system && (
        <div className="system-strip">
          <span>
            v{system.version} · pid {system.pid}
          </span>
          <span>
            bus: {system.bus.kind} <span className={system.bus.state === 'connected' ? 'text-ok' : 'text-warn'}>{system.bus.state}</span>
          </span>
          {Object.entries(system.backends).map(([k, b]) => (
            <span key={k} title={b.reason ?? undefined}>
              {k}: <span className={b.available ? 'text-ok' : 'text-warn'}>{b.available ? 'available' : 'unavailable'}</span>
            </span>
          ))}
          <span className="muted" title={system.dataDir}>
            {system.dataDir}
          </span>
        </div>
      )}
      {!series ? (
        <div className="loading">{loading ? 'Loading metrics…' : ''}</div>
      ) : (
        <div className="chart-grid">
          <StatesOverTimeChart data={series.statesOverTime} />
          <RestartsChart data={series.restartsOverTime} />
          <RecoveryHistogramChart data={series.recoveryHistogram} />
          <UptimeChart data={series.uptimeByAgent} />
          {live && <BusLatencyChart bus={live.bus} />}
          {live && <ConflictsChart conflicts={live.conflicts} resolver={live.resolver} />}
        </div>
      )}
    </section>
  );
}
