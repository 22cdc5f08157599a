// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { navigate } from '../../../../renderer/src/store/actions';
import { FakeHiveApi, makeAgent } from '../../fake-hive-api';
import { renderApp } from '../../render-app';

HTMLCanvasElement.prototype.getContext = (() => null) as never;
afterEach(() => cleanup());

async function openAgent(api: FakeHiveApi, name: string) {
  renderApp(api);
  await screen.findByRole('row', { name });
  act(() => navigate({ page: 'agent', name }));
  return screen.getByRole('region', { name: `Agent ${name}` });
}

describe('restart policy and retry on the agent page (fake HiveApi)', () => {
  it('shows the policy and saves an edit through agents:setPolicy (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('alpha')]);
    const page = await openAgent(api, 'alpha');
    fireEvent.click(within(page).getByRole('tab', { name: 'Policy' }));
    const form = screen.getByRole('form', { name: 'Restart policy' });
    const max = within(form).getByLabelText('Max restarts in window') as HTMLInputElement;
    expect(max.value).toBe(String(api.agents.get('alpha')!.policy.maxRestarts));
    fireEvent.change(max, { target: { value: '3' } });
    fireEvent.change(within(form).getByLabelText('Exit codes that mean “stopped”'), { target: { value: '0, 2' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Save policy' }));
    await waitFor(() => expect(api.callsTo('agents:setPolicy')).toHaveLength(1));
    const call = api.callsTo('agents:setPolicy')[0] as { name: string; policy: { maxRestarts: number; stopExitCodes: number[] } };
    expect(call.name).toBe('alpha');
    expect(call.policy.maxRestarts).toBe(3);
    expect(call.policy.stopExitCodes).toEqual([0, 2]);
  });

  it('an errored agent shows its reason with a Try again button that restarts it (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('beta', { status: 'errored', lastError: 'crash loop: 10 restarts within 120 s' })]);
    const page = await openAgent(api, 'beta');
    const alert = within(page).getByRole('alert');
    expect(alert.textContent).toContain('crash loop');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(api.callsTo('agents:restart')).toEqual([{ name: 'beta' }]));
  });
});
