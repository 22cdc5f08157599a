import { describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES } from '../../../shared/contract/index.js';
import type { AllHandlers } from '../../../electron/core/handlers.js';
import { registerIpc, type IpcMainLike } from '../../../electron/main/ipc/register-ipc.js';
import { makeSenderGuard } from '../../../electron/main/ipc/sender-guard.js';

vi.mock('electron', () => ({}));

type Listener = (event: unknown, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipc: IpcMainLike = {
    handle: (channel, fn) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, fn as Listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  return { ipc, handlers };
}

const APP = 'file:///opt/agent-hive/dist/renderer/index.html';
const frame = (url: string, parent: unknown = null) => ({ sender: { id: 7 }, senderFrame: { url, parent } });
const guard = makeSenderGuard({ rendererUrl: () => APP, webContentsId: () => 7 });

// Handlers are faked: the IPC layer is what is tested here; the real handlers are tested with the core.
const handlers = new Proxy({} as AllHandlers, {
  get: (_t, channel: string) => async (req: unknown) => ({ channel, req }),
});

describe('IPC handler registration (ipcMain faked)', () => {
  it('registers every contract channel exactly once, domain by domain (ipcMain faked)', () => {
    const { ipc, handlers: registered } = fakeIpcMain();
    const r = registerIpc(ipc, handlers, guard);
    expect([...registered.keys()].sort()).toEqual([...CHANNEL_NAMES].sort());
    expect(r.channels.sort()).toEqual([...CHANNEL_NAMES].sort());
    r.dispose();
    expect(registered.size).toBe(0);
  });

  it('answers the app window with the { result } envelope of the validated request (ipcMain faked)', async () => {
    const { ipc, handlers: registered } = fakeIpcMain();
    registerIpc(ipc, handlers, guard);
    const res = await registered.get('agents:remove')!(frame(`${APP}#/fleet`), { name: 'a' });
    expect(res).toEqual({ result: { channel: 'agents:remove', req: { name: 'a', force: false } } });
  });

  it('refuses invalid payloads with INVALID_INPUT, never reaching the handler (ipcMain faked)', async () => {
    const { ipc, handlers: registered } = fakeIpcMain();
    registerIpc(ipc, handlers, guard);
    const res = (await registered.get('agents:sleep')!(frame(APP), { name: 42 })) as { error: { code: string; message: string } };
    expect(res.error.code).toBe('INVALID_INPUT');
    expect(res.error.message).toMatch(/agents:sleep/);
  });

  it('refuses other frames, other pages and other windows with UNAUTHORIZED (ipcMain faked)', async () => {
    const { ipc, handlers: registered } = fakeIpcMain();
    registerIpc(ipc, handlers, guard);
    const list = registered.get('agents:list')!;
    for (const ev of [
      frame('https://evil.example/'),
      frame('file:///tmp/other.html'),
      frame(APP, { url: APP }),
      { sender: { id: 8 }, senderFrame: { url: APP, parent: null } },
      { sender: { id: 7 }, senderFrame: null },
    ]) {
      expect(await list(ev, {})).toEqual({ error: { code: 'UNAUTHORIZED', message: 'This window is not allowed to call Agent Hive.' } });
    }
  });
});
