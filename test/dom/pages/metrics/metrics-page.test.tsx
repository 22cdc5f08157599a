// @vitest-environment jsdom
import { act, cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { navigate } from '../../../../renderer/src/store/actions';
import { FakeHiveApi, makeAgent } from '../../fake-hive-api';
import { renderApp } from '../../render-app';

afterEach(() => cleanup());
// The page is lazy-loaded (recharts is big); load it once up front so a busy machine does not time out the first test.
beforeAll(async () => {
  await import('../../../../renderer/src/pages/metrics/metrics-page');
}, 60_000);

describe('metrics page (fake HiveApi)', () => {
  it('draws the four charts from metrics:series and shows system info (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    api.overrides['metrics:series'] = () => ({
      statesOverTime: [
        { t: '2026-01-01T10:00:00Z', running: 2, sleeping: 0 },
        { t: '2026-01-01T10:01:00Z', running: 1, sleeping: 1 },
      ],
      restartsOverTime: [{ t: '2026-01-01T10:00:00Z', restarts: 3, recoveries: 2 }],
      recoveryHistogram: [{ bucket: '<1s', count: 2 }, { bucket: '1-5s', count: 1 }],
      uptimeByAgent: [{ agent: 'alpha', uptimePercent: 97.5 }],
    });
    renderApp(api);
    await screen.findByRole('row', { name: 'alpha' }, { timeout: 25_000 });
    act(() => navigate({ page: 'metrics' }));
    for (const title of ['Agents per state over time', 'Restarts and recoveries over time', 'Recovery time distribution', 'Uptime by agent (lowest 30)']) {
      const fig = await screen.findByRole('figure', { name: title }, { timeout: 25_000 });
      await waitFor(() => expect(fig.querySelector('svg')).not.toBeNull(), { timeout: 25_000 });
    }
    expect(screen.getByText(/bus: in-process/)).toBeTruthy();
    expect(api.callsTo('metrics:series')).toHaveLength(1);
  }, 60_000);

  it('draws bus latency and conflicts from metrics:live and offers the scrape config (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    const config = 'scrape_configs:\n  - job_name: agent-hive\n';
    api.overrides['metrics:live'] = () => ({
      bus: { transport: 'redis', sent: 12, delivered: 10, backlog: 2, p50Ms: 1.2, p99Ms: 4.5, latency: [{ bucket: '≤ 1 ms', count: 4 }, { bucket: '≤ 2.5 ms', count: 5 }, { bucket: '≤ 5 ms', count: 1 }] },
      conflicts: [{ status: 'escalated', count: 3 }],
      resolver: [{ tier: 'applied', count: 7 }, { tier: 'proposed', count: 2 }],
      scrape: { url: 'http://127.0.0.1:4780', tokenFile: '/data/api.token', config },
    });
    renderApp(api);
    await screen.findByRole('row', { name: 'alpha' }, { timeout: 25_000 });
    act(() => navigate({ page: 'metrics' }));
    for (const title of ['Bus delivery latency', 'Conflicts and resolver decisions']) {
      const fig = await screen.findByRole('figure', { name: title }, { timeout: 25_000 });
      await waitFor(() => expect(fig.querySelector('svg')).not.toBeNull(), { timeout: 25_000 });
    }
    expect(screen.getByText(/p50 1\.20 ms · p99 4\.50 ms · 10 delivered of 12 sent · backlog 2 \(redis\)/)).toBeTruthy();
    // jsdom has no clipboard: the config is shown to copy by hand instead.
    act(() => screen.getByRole('button', { name: 'Copy scrape config' }).click());
    const dialog = await screen.findByRole('dialog', { name: 'Scrape config' });
    expect(dialog.querySelector('pre')?.textContent).toBe(config);
  }, 60_000);

  it('explains empty charts and readable load errors (fake api)', async () => {
    const api = new FakeHiveApi([]);
    renderApp(api);
    act(() => navigate({ page: 'metrics' }));
    expect(await screen.findByText('No agent activity recorded yet.', {}, { timeout: 25_000 })).toBeTruthy();
    expect(screen.getByText('No recoveries measured yet.')).toBeTruthy();
  }, 60_000);
});
