import { describe, expect, it, vi } from 'vitest';

/** The window's security settings with `electron` faked (no Electron binary here). */
const created: Array<Record<string, unknown>> = [];
const contentsHandlers: Record<string, (...a: unknown[]) => void> = {};
let openHandler: ((d: { url: string }) => { action: string }) | null = null;
let headersHook: ((d: unknown, cb: (r: unknown) => void) => void) | null = null;
let permissionHook: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
const openExternal = vi.fn(async () => {});

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = {
      id: 1,
      on: (ev: string, fn: (...a: unknown[]) => void) => {
        contentsHandlers[ev] = fn;
      },
      setWindowOpenHandler: (fn: typeof openHandler) => {
        openHandler = fn;
      },
      session: {
        setPermissionRequestHandler: (fn: typeof permissionHook) => {
          permissionHook = fn;
        },
        webRequest: {
          onHeadersReceived: (fn: typeof headersHook) => {
            headersHook = fn;
          },
        },
      },
    };
    constructor(opts: Record<string, unknown>) {
      created.push(opts);
    }
    once() {}
    loadFile = vi.fn(async () => {});
  }
  return { BrowserWindow, shell: { openExternal } };
});

describe('main window (electron faked)', () => {
  it('is isolated, sandboxed, without Node, and refuses navigation, new windows, permissions; sets the CSP (electron faked)', async () => {
    const { createMainWindow, WINDOW_CSP } = await import('../../../electron/main/window.js');
    createMainWindow({ preload: '/app/dist/electron/main/preload.cjs', indexHtml: '/app/dist/renderer/index.html' });
    const prefs = created[0]!.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, preload: '/app/dist/electron/main/preload.cjs' });

    expect(openHandler!({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledWith('https://example.com/docs');
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledTimes(1);

    const nav = (url: string) => {
      const e = { prevented: false, preventDefault() { this.prevented = true; } };
      contentsHandlers['will-navigate']!(e, url);
      return e.prevented;
    };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('file:///app/dist/renderer/index.html#/metrics')).toBe(false);

    let granted: boolean | null = null;
    permissionHook!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);

    let headers: unknown = null;
    headersHook!({ url: 'file:///x', responseHeaders: {} }, (r) => (headers = r));
    expect(headers).toEqual({ responseHeaders: { 'Content-Security-Policy': [WINDOW_CSP] } });
    expect(WINDOW_CSP).toContain("script-src 'self'");
    expect(WINDOW_CSP).not.toContain('unsafe-eval');
  });
});
