// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { HiveError } from '../../../../shared/errors';
import { FakeHiveApi, makeAgent } from '../../fake-hive-api';
import { renderApp } from '../../render-app';

afterEach(() => cleanup());

function open() {
  fireEvent.click(screen.getAllByRole('button', { name: 'New agent' })[0]!);
  return screen.getByRole('dialog', { name: 'Spawn an agent' });
}

describe('spawn dialog (fake HiveApi)', () => {
  it('sends preset, name, repo, role, task, backend and command to agents:spawn and adds the row (fake api)', async () => {
    const { api } = renderApp(new FakeHiveApi([]));
    await screen.findByText('No agents yet');
    const dlg = open();
    fireEvent.click(within(dlg).getByRole('radio', { name: /Custom/ }));
    fireEvent.change(within(dlg).getByRole('textbox', { name: 'Name' }), { target: { value: 'worker-1' } });
    fireEvent.change(within(dlg).getByRole('textbox', { name: 'Role' }), { target: { value: 'tests' } });
    fireEvent.change(within(dlg).getByRole('textbox', { name: /Repository path/ }), { target: { value: '/tmp/repo' } });
    fireEvent.change(within(dlg).getByRole('textbox', { name: /Command/ }), { target: { value: "bash -c 'echo hi'" } });
    fireEvent.change(within(dlg).getByRole('textbox', { name: 'Task' }), { target: { value: 'write tests' } });
    fireEvent.click(within(dlg).getByRole('radio', { name: 'process' }));
    fireEvent.click(within(dlg).getByRole('button', { name: 'Spawn' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.callsTo('agents:spawn')).toEqual([
      { name: 'worker-1', repo: '/tmp/repo', role: 'tests', task: 'write tests', backend: 'process', preset: 'custom', cmd: "bash -c 'echo hi'" },
    ]);
    expect(screen.getByRole('row', { name: 'worker-1' })).toBeTruthy();
  });

  it('checks the name and the custom command before calling the core (fake api)', async () => {
    const { api } = renderApp(new FakeHiveApi([makeAgent('a')]));
    await screen.findByRole('row', { name: 'a' });
    const dlg = open();
    fireEvent.change(within(dlg).getByRole('textbox', { name: 'Name' }), { target: { value: 'bad name!' } });
    expect(within(dlg).getByText(/is not allowed/)).toBeTruthy();
    fireEvent.change(within(dlg).getByRole('textbox', { name: 'Name' }), { target: { value: 'ok' } });
    fireEvent.change(within(dlg).getByRole('textbox', { name: /Repository path/ }), { target: { value: '/tmp/repo' } });
    fireEvent.click(within(dlg).getByRole('button', { name: 'Spawn' }));
    expect(within(dlg).getByRole('alert').textContent).toBe('A custom agent needs a command to run.');
    expect(api.callsTo('agents:spawn')).toHaveLength(0);
  });

  it('shows the core refusal as a sentence and keeps the dialog open (fake api)', async () => {
    const api = new FakeHiveApi([]);
    api.overrides['agents:spawn'] = () => {
      throw new HiveError('NOT_A_GIT_REPO', '/tmp/nope is not a git repository. Run `git init` there or pick another folder.');
    };
    renderApp(api);
    await screen.findByText('No agents yet');
    const dlg = open();
    fireEvent.click(within(dlg).getByRole('radio', { name: /Claude Code/ }));
    fireEvent.change(within(dlg).getByRole('textbox', { name: /Repository path/ }), { target: { value: '/tmp/nope' } });
    fireEvent.click(within(dlg).getByRole('button', { name: 'Spawn' }));
    expect((await within(dlg).findByRole('alert')).textContent).toBe('/tmp/nope is not a git repository. Run `git init` there or pick another folder.');
    expect(screen.getByRole('dialog', { name: 'Spawn an agent' })).toBeTruthy();
    expect(api.callsTo('agents:spawn')[0]).toMatchObject({ preset: 'claude', name: 'agent-1' });
  });

  it('offers Browse… only when the desktop bridge can pick a folder (fake api)', async () => {
    renderApp(new FakeHiveApi([]));
    await screen.findByText('No agents yet');
    expect(within(open()).queryByRole('button', { name: 'Browse…' })).toBeNull();
  });
});
