import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES, PUSH_EVENT_NAMES } from '../../../shared/contract/index.js';

/**
 * The preload with `electron` faked (the Electron binary cannot exist here): exactly the contract's channels
 * and push events reach the page through window.hive, plus the desktop folder picker, and never raw ipcRenderer.
 */
const exposed: Array<{ key: string; api: Record<string, unknown> }> = [];
const ipcRenderer = {
  invoke: vi.fn(async (channel: string, payload?: unknown): Promise<unknown> => ({ result: { channel, payload } })),
  on: vi.fn(),
  removeListener: vi.fn(),
  send: vi.fn(),
  sendSync: vi.fn(),
};

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.push({ key, api }) },
  ipcRenderer,
}));

async function loadPreload(): Promise<Record<string, (...args: unknown[]) => unknown>> {
  exposed.length = 0;
  vi.resetModules();
  await import('../../../electron/main/preload.js');
  expect(exposed).toHaveLength(1);
  return exposed[0]!.api as Record<string, (...args: unknown[]) => unknown>;
}

beforeEach(() => {
  vi.clearAllMocks();
});

describe('preload bridge (electron faked)', () => {
  it('exposes one object, window.hive, with invoke, on and pickDirectory only (electron faked)', async () => {
    const api = await loadPreload();
    expect(exposed.map((e) => e.key)).toEqual(['hive']);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'pickDirectory']);
    for (const value of Object.values(api)) {
      expect(typeof value).toBe('function');
      for (const raw of Object.values(ipcRenderer)) expect(value).not.toBe(raw);
    }
    expect(Object.values(api)).not.toContain(ipcRenderer);
  });

  it('forwards every contract channel to ipcRenderer.invoke and unwraps the { result } envelope (electron faked)', async () => {
    const api = await loadPreload();
    for (const channel of CHANNEL_NAMES) {
      await expect(api.invoke!(channel, { x: 1 })).resolves.toEqual({ channel, payload: { x: 1 } });
    }
    expect(ipcRenderer.invoke.mock.calls.map((c) => c[0])).toEqual(CHANNEL_NAMES);
  });

  it('refuses any other channel without touching IPC (electron faked)', async () => {
    const api = await loadPreload();
    for (const channel of ['desktop:pickDirectory', 'agents:nope', '__proto__', 'constructor', 'hasOwnProperty', '', 42]) {
      await expect(api.invoke!(channel, {})).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL' });
    }
    expect(ipcRenderer.invoke).not.toHaveBeenCalled();
  });

  it('rethrows the { error } envelope as { code, message } (electron faked)', async () => {
    const api = await loadPreload();
    ipcRenderer.invoke.mockResolvedValueOnce({ error: { code: 'ILLEGAL_TRANSITION', message: 'a is stopped; sleep is not possible now.' } });
    await expect(api.invoke!('agents:sleep', { name: 'a' })).rejects.toEqual({ code: 'ILLEGAL_TRANSITION', message: 'a is stopped; sleep is not possible now.' });
  });

  it('subscribes to exactly the contract push events, hides the IPC event, and unsubscribes (electron faked)', async () => {
    const api = await loadPreload();
    for (const event of PUSH_EVENT_NAMES) {
      const seen: unknown[] = [];
      const off = api.on!(event, (p: unknown) => seen.push(p)) as () => void;
      const [name, wrapped] = ipcRenderer.on.mock.calls.at(-1)! as [string, (e: unknown, p: unknown) => void];
      expect(name).toBe(event);
      wrapped({ sender: 'secret ipc event' }, { ok: event });
      expect(seen).toEqual([{ ok: event }]);
      off();
      expect(ipcRenderer.removeListener).toHaveBeenLastCalledWith(event, wrapped);
    }
    expect(ipcRenderer.on).toHaveBeenCalledTimes(PUSH_EVENT_NAMES.length);
    for (const bad of ['agents:list', 'ipc-message', 'notify ', 'agent:status\n']) {
      expect(() => api.on!(bad, () => {})).toThrow(/no push event/);
    }
    expect(ipcRenderer.on).toHaveBeenCalledTimes(PUSH_EVENT_NAMES.length);
  });

  it('pickDirectory goes through the one desktop channel (electron faked)', async () => {
    const api = await loadPreload();
    ipcRenderer.invoke.mockResolvedValueOnce({ result: '/home/me/repo' });
    await expect(api.pickDirectory!()).resolves.toBe('/home/me/repo');
    expect(ipcRenderer.invoke).toHaveBeenCalledWith('desktop:pickDirectory');
  });
});
