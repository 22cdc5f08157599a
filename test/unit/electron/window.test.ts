import { describe, expect, it, vi } from 'vitest';

/** The window's security settings with `electron` faked (no Electron binary here). */
const created: Array<Record<string, unknown>> = [];
const contentsHandlers: Record<string, (...a: unknown[]) => void> = {};
let openHandler: ((d: { url: string }) => { action: string }) | null = null;
let headersHook: ((d: unknown, cb: (r: unknown) => void) => void) | null = null;
let permissionHook: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
const openExternal = vi.fn(async () => {});
let dialogAnswer = 0;
const showMessageBox = vi.fn(async () => ({ response: dialogAnswer, checkboxChecked: false }));

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
    static fromWebContents() {
      return new BrowserWindow({});
    }
  }
  return { BrowserWindow, shell: { openExternal }, dialog: { showMessageBox } };
});

describe('main window (electron faked)', () => {
  it('is isolated, sandboxed, without Node, and refuses navigation, new windows, permissions; sets the CSP (electron faked)', async () => {
    const { createMainWindow, WINDOW_CSP } = await import('../../../electron/main/window.js');
    createMainWindow({ preload: '/app/dist/electron/main/preload.cjs', indexHtml: '/app/dist/renderer/index.html' });
    const prefs = created[0]!.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, disableBlinkFeatures: 'Auxclick', preload: '/app/dist/electron/main/preload.cjs' });

    // A link opens in the browser only after the person confirms a dialog that names it.
    dialogAnswer = 1; // Cancel
    expect(openHandler!({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    await vi.waitFor(() => expect(showMessageBox).toHaveBeenCalledTimes(1));
    expect(showMessageBox.mock.calls[0]![1]).toMatchObject({ detail: 'https://example.com/docs', cancelId: 1, defaultId: 1 });
    await new Promise((r) => setTimeout(r, 10));
    expect(openExternal).not.toHaveBeenCalled();
    dialogAnswer = 0; // Open in browser
    expect(openHandler!({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    await vi.waitFor(() => expect(openExternal).toHaveBeenCalledWith('https://example.com/docs'));
    // Other schemes are never offered.
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    await new Promise((r) => setTimeout(r, 10));
    expect(showMessageBox).toHaveBeenCalledTimes(2);
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
