// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HiveError } from '../../../../shared/errors';
import { ACTIONS_BY_STATUS, AGENT_STATUSES } from '../../../../shared/lifecycle';
import { FakeHiveApi, makeAgent, makeEvent } from '../../fake-hive-api';
import { renderApp } from '../../render-app';

const LABELS = { sleep: 'Sleep', wake: 'Wake', restart: 'Restart', stop: 'Stop' } as const;

function row(name: string): HTMLElement {
  return screen.getByRole('row', { name });
}

afterEach(() => cleanup());

describe('fleet view (fake HiveApi)', () => {
  it('shows one row per agent with name, role, backend, status text, restarts and branch (fake api)', async () => {
    renderApp(new FakeHiveApi([makeAgent('alpha', { role: 'backend', restarts: 3 }), makeAgent('beta', { backend: 'docker', status: 'sleeping' })]));
    const alpha = await waitFor(() => row('alpha'));
    expect(within(alpha).getByText('alpha')).toBeTruthy();
    expect(within(alpha).getByText('backend')).toBeTruthy();
    expect(within(alpha).getByText('tmux')).toBeTruthy();
    expect(within(alpha).getByText('running')).toBeTruthy();
    expect(within(alpha).getByText('3')).toBeTruthy();
    expect(within(alpha).getByText('hive/alpha')).toBeTruthy();
    expect(within(alpha).getByText('50 MiB')).toBeTruthy();
    expect(within(alpha).getByText('1.5%')).toBeTruthy();
    expect(within(row('beta')).getByText('sleeping')).toBeTruthy();
    expect(within(row('beta')).getByText('docker')).toBeTruthy();
  });

  it('puts exactly Sleep/Wake/Restart/Stop in each row and disables what ACTIONS_BY_STATUS forbids (fake api)', async () => {
    renderApp(new FakeHiveApi(AGENT_STATUSES.map((s) => makeAgent(`a-${s}`, { status: s }))));
    await waitFor(() => row('a-running'));
    for (const status of AGENT_STATUSES) {
      const r = row(`a-${status}`);
      for (const [action, label] of Object.entries(LABELS)) {
        const btn = within(r).getByRole('button', { name: label }) as HTMLButtonElement;
        const allowed = (ACTIONS_BY_STATUS[status] as readonly string[]).includes(action);
        expect(btn.disabled, `${label} for ${status}`).toBe(!allowed);
      }
    }
  });

  it('clicking Sleep invokes agents:sleep and the row shows sleeping (fake api)', async () => {
    const { api } = renderApp(new FakeHiveApi([makeAgent('alpha')]));
    const r = await waitFor(() => row('alpha'));
    fireEvent.click(within(r).getByRole('button', { name: 'Sleep' }));
    await waitFor(() => expect(within(row('alpha')).getByText('sleeping')).toBeTruthy());
    expect(api.callsTo('agents:sleep')).toEqual([{ name: 'alpha' }]);
    expect((within(row('alpha')).getByRole('button', { name: 'Sleep' }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(row('alpha')).getByRole('button', { name: 'Wake' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('applies pushed agent:status and agent:removed events without reloading (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    renderApp(api);
    await waitFor(() => row('alpha'));
    act(() => api.emit('agent:status', { agent: makeAgent('alpha', { status: 'crashed', restarts: 2 }), event: makeEvent(1, 'alpha', 'running', 'crashed') }));
    expect(within(row('alpha')).getByText('crashed')).toBeTruthy();
    act(() => api.emit('agent:status', { agent: makeAgent('gamma'), event: null }));
    expect(row('gamma')).toBeTruthy();
    act(() => api.emit('agent:removed', { name: 'alpha' }));
    expect(screen.queryByRole('row', { name: 'alpha' })).toBeNull();
    expect(api.callsTo('agents:list')).toHaveLength(1);
  });

  it('applies pushed agents:usage samples to running rows only, without reloading (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha'), makeAgent('beta', { status: 'stopped', cpuPercent: null, memoryBytes: null })]);
    renderApp(api);
    await waitFor(() => row('alpha'));
    const beat = new Date(Date.now() - 5000).toISOString();
    act(() =>
      api.emit('agents:usage', [
        { name: 'alpha', cpuPercent: 42, memoryBytes: 300 * 1024 * 1024, lastHeartbeatAt: beat, lastOutputAt: beat },
        { name: 'beta', cpuPercent: 7, memoryBytes: 1024, lastHeartbeatAt: null, lastOutputAt: null },
        { name: 'nobody', cpuPercent: 1, memoryBytes: 1, lastHeartbeatAt: null, lastOutputAt: null },
      ]),
    );
    expect(within(row('alpha')).getByText('42%')).toBeTruthy();
    expect(within(row('alpha')).getByText('300 MiB')).toBeTruthy();
    // A stopped agent has no live process: a stray sample for it is not shown.
    expect(within(row('beta')).queryByText('7.0%')).toBeNull();
    expect(screen.queryByRole('row', { name: 'nobody' })).toBeNull();
    expect(api.callsTo('agents:list')).toHaveLength(1);
  });

  it('filters by text and by status (fake api)', async () => {
    renderApp(new FakeHiveApi([makeAgent('web-ui', { role: 'frontend' }), makeAgent('api-1', { role: 'backend', status: 'sleeping' }), makeAgent('api-2')]));
    await waitFor(() => row('api-1'));
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter agents' }), { target: { value: 'api' } });
    expect(screen.queryByRole('row', { name: 'web-ui' })).toBeNull();
    expect(row('api-2')).toBeTruthy();
    fireEvent.click(within(screen.getByRole('group', { name: 'Filter by status' })).getByRole('button', { name: /sleeping/ }));
    expect(screen.queryByRole('row', { name: 'api-2' })).toBeNull();
    expect(row('api-1')).toBeTruthy();
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter agents' }), { target: { value: 'nothing-matches' } });
    expect(screen.getByText(/No agents match the filter/)).toBeTruthy();
  });

  it('bulk-restarts the selected agents that allow it and reports the skipped one (fake api)', async () => {
    const { api } = renderApp(new FakeHiveApi([makeAgent('a1'), makeAgent('a2', { status: 'crashed' }), makeAgent('a3', { status: 'sleeping' })]));
    await waitFor(() => row('a1'));
    for (const n of ['a1', 'a2', 'a3']) fireEvent.click(screen.getByRole('checkbox', { name: `Select ${n}` }));
    expect(screen.getByRole('toolbar', { name: 'Bulk actions' }).textContent).toContain('3 selected');
    fireEvent.click(screen.getByRole('button', { name: 'Restart selected' }));
    await waitFor(() => expect(api.callsTo('agents:restart')).toHaveLength(2));
    expect(api.callsTo('agents:restart')).toEqual(expect.arrayContaining([{ name: 'a1' }, { name: 'a2' }]));
    expect(await screen.findByText('Skipped 1 agent')).toBeTruthy();
  });

  it('keyboard shortcuts move focus, select, and act on the focused agent (fake api)', async () => {
    const { api } = renderApp(new FakeHiveApi([makeAgent('a1'), makeAgent('a2')]));
    await waitFor(() => row('a1'));
    fireEvent.keyDown(window, { key: 'j' });
    fireEvent.keyDown(window, { key: 'j' });
    expect(row('a2').className).toContain('is-focused');
    fireEvent.keyDown(window, { key: 's' });
    await waitFor(() => expect(api.callsTo('agents:sleep')).toEqual([{ name: 'a2' }]));
    fireEvent.keyDown(window, { key: 'x' });
    expect((screen.getByRole('checkbox', { name: 'Select a2' }) as HTMLInputElement).checked).toBe(true);
    fireEvent.keyDown(window, { key: 'Escape' });
    expect((screen.getByRole('checkbox', { name: 'Select a2' }) as HTMLInputElement).checked).toBe(false);
    fireEvent.keyDown(window, { key: 'n' });
    expect(screen.getByRole('dialog', { name: 'Spawn an agent' })).toBeTruthy();
  });

  it('shows an empty state that tells a new user how to spawn the first agent (fake api)', async () => {
    renderApp(new FakeHiveApi([]));
    expect(await screen.findByText('No agents yet')).toBeTruthy();
    expect(screen.getByText(/hive agents spawn --name/)).toBeTruthy();
    fireEvent.click(within(screen.getByRole('status')).getByRole('button', { name: 'New agent' }));
    expect(screen.getByRole('dialog', { name: 'Spawn an agent' })).toBeTruthy();
  });

  it('shows a core error as the readable sentence, never a stack trace (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    api.overrides['agents:stop'] = () => {
      throw new HiveError('BACKEND_UNAVAILABLE', 'tmux is not installed. Install it with `apt-get install tmux` and try again.');
    };
    renderApp(api);
    fireEvent.click(within(await waitFor(() => row('alpha'))).getByRole('button', { name: 'Stop' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('alpha could not be stopped');
    expect(alert.textContent).toContain('tmux is not installed. Install it with `apt-get install tmux` and try again.');
    expect(alert.textContent).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('keeps the fleet usable when an unexpected error happens and says so in a sentence (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    api.overrides['agents:list'] = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')\n    at foo (bar.js:1:1)");
    };
    renderApp(api);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load the fleet: Something went wrong:');
    expect(alert.textContent).not.toContain('bar.js');
  });
});
