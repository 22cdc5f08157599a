// @vitest-environment jsdom
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channels, type ChannelName, type Res } from '../../../../shared/contract/index';
import { busHandlers } from '../../../../electron/core/bus/handlers';
import { InProcessBus } from '../../../../electron/core/bus/in-process-bus';
import { systemClock } from '../../../../electron/core/ports/clock';
import { openDatabase, type Db } from '../../../../electron/core/store/database';
import { MessagesPage } from '../../../../renderer/src/pages/messages/messages-page';
import { FakeHiveApi, makeAgent } from '../../fake-hive-api';

/**
 * The messages page on the fake HiveApi, with the msg:* / bus:state channels answered by a real
 * InProcessBus on a temp SQLite file (validated with the contract's schemas, as the host does).
 */
describe('messages page', () => {
  let dir: string;
  let db: Db;
  let bus: InProcessBus;
  let api: FakeHiveApi;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-msg-dom-'));
    db = openDatabase(path.join(dir, 'hive.db'));
    bus = new InProcessBus({ db, clock: systemClock });
    api = new FakeHiveApi([makeAgent('alice'), makeAgent('bob')]);
    const handlers = busHandlers({ bus }) as Record<string, (req: unknown, ctx: { actor: string }) => unknown>;
    for (const ch of Object.keys(handlers) as ChannelName[]) {
      (api.overrides as Record<string, (req: unknown) => Promise<unknown>>)[ch] = async (req) =>
        channels[ch].res.parse(await handlers[ch]!(channels[ch].req.parse(req), { actor: 'gui' })) as Res<typeof ch>;
    }
  });
  afterEach(async () => {
    cleanup();
    await bus.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the in-process banner and the log with each recipient\'s delivered/acked state', async () => {
    await bus.subscribe('bob', 'review');
    await bus.subscribe('carol', 'review');
    await bus.send({ from: 'alice', to: 'bob', body: 'direct hello' });
    await bus.send({ from: 'alice', topic: 'review', body: 'please review' });
    await bus.inbox('bob', { ack: false });
    await bus.inbox('carol');
    render(<MessagesPage api={api} />);
    const banner = await screen.findByRole('status', { name: 'Bus state' });
    expect(banner.className).toContain('msg-banner-in-process');
    expect(banner.textContent).toMatch(/In-process bus.*No Redis configured/);
    const topicRow = await screen.findByRole('row', { name: 'message 2' });
    expect(within(topicRow).getByText('#review')).toBeTruthy();
    expect(within(topicRow).getByText('bob: delivered')).toBeTruthy();
    expect(within(topicRow).getByText('carol: acked')).toBeTruthy();
    const directRow = screen.getByRole('row', { name: 'message 1' });
    expect(within(directRow).getByText('direct hello')).toBeTruthy();
    expect(within(directRow).getByText('bob: delivered')).toBeTruthy();
  });

  it('filters per agent and per topic', async () => {
    await bus.subscribe('carol', 'ops');
    await bus.send({ from: 'alice', to: 'bob', body: 'to bob' });
    await bus.send({ from: 'bob', topic: 'ops', body: 'on ops' });
    await bus.send({ from: 'alice', to: 'dave', body: 'to dave' });
    render(<MessagesPage api={api} />);
    await screen.findByText('to dave');
    fireEvent.click(screen.getByRole('button', { name: 'bob' }));
    await waitFor(() => expect(screen.queryByText('to dave')).toBeNull());
    expect(screen.getByText('to bob')).toBeTruthy();
    expect(screen.getByText('on ops')).toBeTruthy();
    expect(api.callsTo('msg:list').at(-1)).toMatchObject({ agent: 'bob' });
    fireEvent.click(screen.getByRole('button', { name: /#ops/ }));
    await waitFor(() => expect(screen.queryByText('to bob')).toBeNull());
    expect(screen.getByText('on ops')).toBeTruthy();
    expect(api.callsTo('msg:list').at(-1)).toMatchObject({ topic: 'ops' });
  });

  it('sends as the operator to the selected agent and refreshes on bus:message', async () => {
    render(<MessagesPage api={api} />);
    fireEvent.click(await screen.findByRole('button', { name: 'alice' }));
    await screen.findByText(/No messages for alice yet/);
    fireEvent.change(screen.getByPlaceholderText(/Message to alice/), { target: { value: 'stop and rebase' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByText('stop and rebase')).toBeTruthy();
    expect(bus.pendingFor('alice').map((m) => [m.from, m.body])).toEqual([['operator', 'stop and rebase']]);
    const m = await bus.send({ from: 'bob', to: 'alice', body: 'pushed later' });
    act(() => api.emit('bus:message', { id: m.id, from: 'bob', to: 'alice', topic: null }));
    expect(await screen.findByText('pushed later')).toBeTruthy();
  });

  it('shows a degraded Redis bus and follows bus:state pushes', async () => {
    render(<MessagesPage api={api} />);
    await screen.findByRole('status', { name: 'Bus state' });
    act(() =>
      api.emit('bus:state', { kind: 'redis', state: 'degraded', detail: 'Redis at redis://127.0.0.1:6390 is unreachable since 10:00' }),
    );
    const banner = screen.getByRole('status', { name: 'Bus state' });
    expect(banner.className).toContain('msg-banner-degraded');
    expect(banner.textContent).toMatch(/Redis unreachable — degraded.*unreachable since 10:00/);
    act(() => api.emit('bus:state', { kind: 'redis', state: 'connected', detail: 'Redis at redis://127.0.0.1:6390' }));
    expect(screen.getByRole('status', { name: 'Bus state' }).textContent).toMatch(/Redis connected/);
  });

  it('says so when the log cannot be loaded', async () => {
    api.overrides['msg:list'] = () => {
      throw new Error('socket closed');
    };
    render(<MessagesPage api={api} />);
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not load messages: Something went wrong: socket closed/);
  });
});


