import { BrowserWindow, dialog, shell, type WebContents } from 'electron';
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
      // The bridge: contextBridge exposes only the typed contract's invoke/on (see preload.ts), every payload
      // validated again in the main process. eng-disable PRELOAD_JS_CHECK
      preload: opts.preload, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // Middle-click opens links in a new window without the window-open handler's say (Electron checklist).
      disableBlinkFeatures: 'Auxclick',
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

/**
 * A link the app asked to open (an agent's output can print any URL): only http(s), and only after the
 * person confirms in a dialog that names it. Resolves whether it was opened.
 */
export async function confirmOpenExternal(contents: WebContents, url: string): Promise<boolean> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return false;
  const win = BrowserWindow.fromWebContents(contents);
  if (!win) return false;
  const { response } = await dialog.showMessageBox(win, {
    type: 'question',
    title: 'Open link',
    message: 'Open this link in your browser?',
    detail: u.href,
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
  });
  if (response !== 0) return false;
  // Confirmed by the person above, http(s) only.
  await shell.openExternal(u.href); // eng-disable OPEN_EXTERNAL_JS_CHECK
  return true;
}

export function hardenContents(contents: WebContents, appUrl: string): void {
  contents.setWindowOpenHandler(({ url }) => {
    void confirmOpenExternal(contents, url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event: { preventDefault(): void }, url: string) => {
    // Hash changes are in-page routing; anything else would leave the app.
    if (url.split('#')[0] !== appUrl.split('#')[0]) event.preventDefault();
  });
  contents.on('will-attach-webview', (event: { preventDefault(): void }) => event.preventDefault());
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.webRequest.onHeadersReceived((details, callback) => {
    // The literal (not WINDOW_CSP) so Electronegativity's CSP check can read and evaluate it; the unit test
    // checks the two are the same. Its one remark (script-src 'self' "can be problematic if you host JSONP,
    // Angular or user uploaded files") was reviewed: 'self' is the app's own bundle on file://, nothing else.
    callback({
      responseHeaders: { // eng-disable CSP_GLOBAL_CHECK
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
        ],
      },
    });
  });
}
