import { BrowserWindow, shell, type WebContents } from 'electron';
import { pathToFileURL } from 'node:url';

/** The CSP of the window; the page's own meta tag says the same (file:// responses carry no headers). */
export const WINDOW_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

export interface MainWindowOptions {
  preload: string;
  indexHtml: string;
  icon?: string;
}

/**
 * The one window: isolated, sandboxed, no Node, no remote content. Navigation away from the app and new
 * windows are refused; http(s) links a user clicks open in the system browser instead.
 */
export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'Agent Hive',
    backgroundColor: '#0d1117',
    autoHideMenuBar: true,
    icon: opts.icon,
    webPreferences: {
      preload: opts.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  hardenContents(win.webContents, rendererUrl(opts.indexHtml));
  win.once('ready-to-show', () => win.show());
  void win.loadFile(opts.indexHtml);
  return win;
}

export function rendererUrl(indexHtml: string): string {
  return pathToFileURL(indexHtml).href;
}

export function hardenContents(contents: WebContents, appUrl: string): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event: { preventDefault(): void }, url: string) => {
    // Hash changes are in-page routing; anything else would leave the app.
    if (url.split('#')[0] !== appUrl.split('#')[0]) event.preventDefault();
  });
  contents.on('will-attach-webview', (event: { preventDefault(): void }) => event.preventDefault());
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [WINDOW_CSP] } });
  });
}
