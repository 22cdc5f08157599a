import { lazy, Suspense, useEffect } from 'react';
import type { HiveApi } from '../../shared/contract/index';
import { ConnectionBanner } from './components/connection-banner';
import { NavIcon } from './components/nav-icon';
import { ShortcutsHelp } from './components/shortcuts-help';
import { Toasts } from './components/toasts';
import { AgentPage } from './pages/agent/agent-page';
import { ConflictsPage } from './pages/conflicts/conflicts-page';
import { SpawnDialog } from './pages/fleet/spawn-dialog';
import { FleetPage } from './pages/fleet/fleet-page';
import { MessagesPage } from './pages/messages/messages-page';
import { hashToRoute, navigate, setHelpOpen, setSpawnOpen } from './store/actions';
import { useHive } from './store/hive-store';
import type { Route } from './store/ui-slice';

// recharts is the biggest dependency and only the metrics page uses it: load it when first opened, so the
// fleet renders sooner after start-up.
const MetricsPage = lazy(() => import('./pages/metrics/metrics-page').then((m) => ({ default: m.MetricsPage })));

const NAV: Array<{ page: Exclude<Route['page'], 'agent'>; label: string }> = [
  { page: 'fleet', label: 'Fleet' },
  { page: 'metrics', label: 'Metrics' },
  { page: 'conflicts', label: 'Conflicts' },
  { page: 'messages', label: 'Messages' },
];

/** The shell: sidebar, connection banner, the routed page, dialogs and toasts. */
export function App({ api, pickDirectory }: { api: HiveApi; pickDirectory?: () => Promise<string | null> }) {
  const route = useHive((s) => s.ui.route);
  const running = useHive((s) => s.agents.counts.running ?? 0);
  const trouble = useHive((s) => (s.agents.counts.crashed ?? 0) + (s.agents.counts.errored ?? 0) + (s.agents.counts.unknown ?? 0));

  useEffect(() => {
    const onHash = (): void => navigate(hashToRoute(window.location.hash));
    onHash();
    window.addEventListener('hashchange', onHash);
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)))) return;
      const { ui } = useHive.getState();
      if (e.key === 'Escape') {
        if (ui.helpOpen) setHelpOpen(false);
        else if (ui.spawnOpen) setSpawnOpen(false);
        return;
      }
      if (ui.spawnOpen || ui.helpOpen) return;
      if (e.key === '?') setHelpOpen(true);
      else if (e.key >= '1' && e.key <= '4') navigate({ page: NAV[Number(e.key) - 1]!.page });
      else if (e.key === 'n' && useHive.getState().ui.route.page !== 'fleet') setSpawnOpen(true);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">⬢</span> Agent Hive
        </div>
        {NAV.map((n, i) => {
          const active = route.page === n.page || (n.page === 'fleet' && route.page === 'agent');
          return (
            <a
              key={n.page}
              href={`#/${n.page}`}
              className={`nav-item${active ? ' is-active' : ''}`}
              aria-current={active ? 'page' : undefined}
              title={`${n.label} (${i + 1})`}
              onClick={(e) => {
                e.preventDefault();
                navigate({ page: n.page });
              }}
            >
              <NavIcon name={n.page} />
              {n.label}
            </a>
          );
        })}
        <div className="sidebar-footer">
          <div className="sidebar-stat">
            <span className="status-dot" style={{ ['--status' as string]: '#3fb950' }} /> {running} running
          </div>
          {trouble > 0 && (
            <div className="sidebar-stat text-err">
              <span className="status-dot" style={{ ['--status' as string]: '#f85149' }} /> {trouble} need attention
            </div>
          )}
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setHelpOpen(true)}>
            Shortcuts <kbd>?</kbd>
          </button>
        </div>
      </nav>
      <main className="main">
        <ConnectionBanner />
        {route.page === 'fleet' && <FleetPage />}
        {route.page === 'agent' && <AgentPage key={route.name} name={route.name} />}
        {route.page === 'metrics' && (
          <Suspense fallback={<div className="loading">Loading metrics…</div>}>
            <MetricsPage />
          </Suspense>
        )}
        {route.page === 'conflicts' && <ConflictsPage api={api} />}
        {route.page === 'messages' && <MessagesPage api={api} />}
      </main>
      <SpawnDialog pickDirectory={pickDirectory} />
      <ShortcutsHelp />
      <Toasts />
    </div>
  );
}
