// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionBanner } from '../../../renderer/src/components/connection-banner';
import { appendEvent, connectStore, hashToRoute, routeToHash, runAction, setConnection } from '../../../renderer/src/store/actions';
import { RECENT_EVENTS_MAX } from '../../../renderer/src/store/events-slice';
import { resetHiveStore, useHive } from '../../../renderer/src/store/hive-store';
import type { ConnectionState } from '../../../renderer/src/lib/ws-client';
import { FakeHiveApi, makeAgent, makeEvent } from '../fake-hive-api';

beforeEach(() => resetHiveStore());
afterEach(() => cleanup());

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('store of slices and its module-level actions (fake HiveApi)', () => {
  it('loads the fleet once and registers each push listener once (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('b'), makeAgent('a')]);
    const off = connectStore(api);
    await flush();
    expect(useHive.getState().agents.order).toEqual(['a', 'b']);
    expect(api.listenerCount('agent:status')).toBe(1);
    expect(api.listenerCount('event:appended')).toBe(1);
    off();
    expect(api.listenerCount('agent:status')).toBe(0);
  });

  it('keeps the newest events, deduplicated, and at most RECENT_EVENTS_MAX', () => {
    for (let i = 1; i <= RECENT_EVENTS_MAX + 20; i++) appendEvent(makeEvent(i, 'a', 'running', 'sleeping'));
    appendEvent(makeEvent(RECENT_EVENTS_MAX + 20, 'a', 'running', 'sleeping'));
    const recent = useHive.getState().events.recent;
    expect(recent).toHaveLength(RECENT_EVENTS_MAX);
    expect(recent[recent.length - 1]!.id).toBe(RECENT_EVENTS_MAX + 20);
  });

  it('refuses an action the lifecycle table forbids without calling the core (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('a', { status: 'stopping' })]);
    connectStore(api);
    await flush();
    expect(await runAction('a', 'restart')).toBe(false);
    expect(api.callsTo('agents:restart')).toHaveLength(0);
  });

  it('reloads the fleet after a reconnect, since pushes during the outage are lost (fake api)', async () => {
    const api = new FakeHiveApi([makeAgent('a')]);
    let emit: (s: ConnectionState) => void = () => {};
    const client = Object.assign(api, {
      connection: (): ConnectionState => 'open',
      onConnection: (l: (s: ConnectionState, d: string | null) => void) => {
        emit = (s) => l(s, s === 'reconnecting' ? 'retrying in 1 s.' : null);
        return () => {};
      },
    });
    connectStore(client);
    await flush();
    render(<ConnectionBanner />);
    expect(screen.queryByRole('status')).toBeNull();
    act(() => emit('reconnecting'));
    expect(screen.getByRole('status').textContent).toContain('Lost the connection to the Agent Hive host. Reconnecting');
    api.agents.set('b', makeAgent('b'));
    act(() => emit('open'));
    await act(flush);
    expect(screen.queryByRole('status')).toBeNull();
    expect(api.callsTo('agents:list')).toHaveLength(2);
    expect(useHive.getState().agents.order).toEqual(['a', 'b']);
    act(() => setConnection('closed', null));
    expect(screen.getByRole('status').textContent).toContain('Reload the page');
  });

  it('round-trips routes through the URL hash', () => {
    for (const r of [{ page: 'fleet' }, { page: 'metrics' }, { page: 'agent', name: 'a b' }, { page: 'conflicts' }, { page: 'messages' }] as const) {
      expect(hashToRoute(routeToHash(r))).toEqual(r);
    }
    expect(hashToRoute('#/nonsense')).toEqual({ page: 'fleet' });
  });
});
