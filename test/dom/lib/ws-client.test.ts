// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApi } from '../../../renderer/src/lib/api';
import { createWsClient, dropTokenFromAddress, wsUrlFor, type HiveClient } from '../../../renderer/src/lib/ws-client';
import { HiveError } from '../../../shared/errors';
import { makeAgent } from '../fake-hive-api';

/** A fake browser WebSocket (the real one is exercised against `hive serve` in the Chromium e2e). */
class FakeSocket {
  static OPEN = 1;
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  reply(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

let client: HiveClient | null = null;
afterEach(() => {
  client?.close();
  client = null;
  FakeSocket.instances = [];
  vi.useRealTimers();
});

function make(): HiveClient {
  client = createWsClient({ url: 'ws://127.0.0.1:1/ws?token=t', WebSocketImpl: FakeSocket as unknown as typeof WebSocket, maxBackoffMs: 1000 });
  return client;
}

describe('WebSocket client of the contract (fake socket)', () => {
  it('takes the token out of the address bar, keeping the rest of the address', () => {
    const calls: string[] = [];
    const win = { location: { href: 'http://127.0.0.1:4780/?token=abc&x=1#/conflicts' } as Location, history: { replaceState: (_s: unknown, _t: string, url: string) => calls.push(url) } as unknown as History };
    dropTokenFromAddress(win);
    expect(calls).toEqual(['/?x=1#/conflicts']);
    dropTokenFromAddress({ location: { href: 'http://127.0.0.1:4780/#/' } as Location, history: win.history });
    expect(calls).toHaveLength(1);
  });

  it('builds ws://host/ws?token= from the page address', () => {
    expect(wsUrlFor({ protocol: 'http:', host: '127.0.0.1:4321', search: '?token=a%2Fb' })).toBe('ws://127.0.0.1:4321/ws?token=a%2Fb');
    expect(wsUrlFor({ protocol: 'https:', host: 'h', search: '' })).toBe('wss://h/ws?token=');
  });

  it('queues calls until open, matches replies by id and rethrows errors as HiveError (fake socket)', async () => {
    const c = make();
    const ws = FakeSocket.instances[0]!;
    const list = c.invoke('agents:list', {});
    const sleep = c.invoke('agents:sleep', { name: 'x' });
    expect(ws.sent).toHaveLength(0);
    ws.open();
    expect(ws.sent).toEqual([
      { id: 1, channel: 'agents:list', payload: {} },
      { id: 2, channel: 'agents:sleep', payload: { name: 'x' } },
    ]);
    ws.reply({ id: 2, error: { code: 'ILLEGAL_TRANSITION', message: 'x is stopped; sleep is not possible now.' } });
    ws.reply({ id: 1, result: [] });
    await expect(list).resolves.toEqual([]);
    const err = await sleep.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HiveError);
    expect((err as HiveError).code).toBe('ILLEGAL_TRANSITION');
  });

  it('delivers pushed events that match the contract and drops malformed ones (fake socket)', () => {
    const c = make();
    const ws = FakeSocket.instances[0]!;
    ws.open();
    const seen: string[] = [];
    const off = c.on('agent:status', (p) => seen.push(p.agent.status));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    ws.reply({ event: 'agent:status', payload: { agent: makeAgent('a', { status: 'sleeping' }), event: null } });
    ws.reply({ event: 'agent:status', payload: { agent: { name: 'a', status: 'bogus' }, event: null } });
    off();
    ws.reply({ event: 'agent:status', payload: { agent: makeAgent('a'), event: null } });
    expect(seen).toEqual(['sleeping']);
    expect(warn).toHaveBeenCalledOnce();
  });

  it('rejects unknown channels without sending them', async () => {
    const c = make();
    await expect(c.invoke('nope:nope' as 'agents:list', {})).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL' });
  });

  it('fails calls in flight with a sentence, reports reconnecting, and reopens the socket (fake socket)', async () => {
    vi.useFakeTimers();
    const c = make();
    const states: string[] = [];
    c.onConnection((s) => states.push(s));
    FakeSocket.instances[0]!.open();
    const call = c.invoke('agents:list', {});
    FakeSocket.instances[0]!.drop();
    await expect(call).rejects.toThrow(/connection to the Agent Hive host was lost/);
    expect(c.connection()).toBe('reconnecting');
    vi.advanceTimersByTime(300);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances[1]!.open();
    expect(states).toEqual(['open', 'reconnecting', 'open']);
  });

  it('uses window.hive in Electron and the WebSocket otherwise', () => {
    const bridge = { invoke: vi.fn(async () => []), on: vi.fn(() => () => {}) };
    const api = createApi({ hive: bridge, location: window.location } as unknown as Window);
    expect(api.kind).toBe('electron');
    void api.invoke('agents:list', {});
    expect(bridge.invoke).toHaveBeenCalledWith('agents:list', {});
  });
});
