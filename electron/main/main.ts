import { app, BrowserWindow, dialog, ipcMain, Notification } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PushEventName, PushPayload } from '../../shared/contract/index.js';
import { isHiveError } from '../../shared/errors.js';
import { actionAllowed } from '../../shared/lifecycle.js';
import { resolveDataDir } from '../host/data-dir.js';
import { startHost, type RunningHost } from '../host/start-host.js';
import { DesktopNotifier } from './desktop-notifier.js';
import { FleetTray } from './fleet-tray.js';
import { PICK_DIRECTORY_CHANNEL } from './ipc/desktop-channels.js';
import { registerIpc } from './ipc/register-ipc.js';
import { makeSenderGuard } from './ipc/sender-guard.js';
import { electronSqliteBinding } from './native-binding.js';
import { createMainWindow, rendererUrl } from './window.js';

/**
 * The Electron entry: the same host as `hive serve` (lock, core from the one composition root, local API for
 * the CLI and the agents), plus one hardened window talking IPC through the preload, a tray and
 * notifications. Kept thin: everything the window shows is also reachable through the browser host.
 */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const indexHtml = path.join(packageRoot, 'dist', 'renderer', 'index.html');
const preload = path.join(packageRoot, 'dist', 'electron', 'main', 'preload.cjs');

const binding = electronSqliteBinding({ packaged: app.isPackaged, resourcesPath: process.resourcesPath, packageRoot });
if (binding) process.env.HIVE_SQLITE_NATIVE_BINDING = binding;

let host: RunningHost | null = null;
let win: BrowserWindow | null = null;
let tray: FleetTray | null = null;
let quitting = false;

function showWindow(): void {
  if (!win || win.isDestroyed()) {
    win = createMainWindow({ preload, indexHtml });
    win.on('close', () => {
      win = null;
    });
    return;
  }
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

function argValue(flag: string): string | null {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

async function bulk(action: 'sleep' | 'wake', from: 'running' | 'sleeping'): Promise<void> {
  if (!host) return;
  const h = host.core.handlers;
  const agents = await h['agents:list']({}, { actor: 'tray' });
  for (const a of agents) {
    if (a.status !== from || !actionAllowed(a.status, action)) continue;
    try {
      await h[action === 'sleep' ? 'agents:sleep' : 'agents:wake']({ name: a.name }, { actor: 'tray' });
    } catch (err) {
      new Notification({ title: `${a.name} could not ${action}`, body: (err as Error).message }).show();
    }
  }
}

async function start(): Promise<void> {
  const dataDir = resolveDataDir(argValue('--data-dir'));
  const port = Number(argValue('--port') ?? process.env.HIVE_PORT ?? 0);
  host = await startHost({ dataDir, port, staticDir: path.join(packageRoot, 'dist', 'renderer') });
  const core = host.core;

  const guard = makeSenderGuard({ rendererUrl: () => rendererUrl(indexHtml), webContentsId: () => (win && !win.isDestroyed() ? win.webContents.id : null) });
  const ipc = registerIpc(ipcMain, core.handlers, guard);
  ipcMain.handle(PICK_DIRECTORY_CHANNEL, async (event) => {
    if (!guard(event) || !win) return { error: { code: 'UNAUTHORIZED', message: 'Not allowed.' } };
    const r = await dialog.showOpenDialog(win, { title: 'Choose the git repository for the agent', properties: ['openDirectory'] });
    return { result: r.canceled ? null : (r.filePaths[0] ?? null) };
  });

  const notifier = new DesktopNotifier((n) => {
    if (Notification.isSupported()) new Notification({ title: n.title, body: n.body, urgency: n.urgent ? 'critical' : 'normal' }).show();
  });
  tray = new FleetTray({
    show: showWindow,
    sleepAllRunning: () => void bulk('sleep', 'running'),
    wakeAllSleeping: () => void bulk('wake', 'sleeping'),
    quit: () => app.quit(),
  });
  tray.setAgents(await core.handlers['agents:list']({}, { actor: 'tray' }));

  const sub = core.onDidPush(({ event, payload }) => {
    if (win && !win.isDestroyed()) win.webContents.send(event, payload);
    notifier.handle(event, payload as PushPayload<PushEventName>);
    if (event === 'agent:status') tray?.update((payload as PushPayload<'agent:status'>).agent);
    if (event === 'agent:removed') tray?.remove((payload as PushPayload<'agent:removed'>).name);
  });

  app.on('before-quit', (e) => {
    if (quitting || !host) return;
    // Agents keep running in tmux/docker across an app restart; only the host shuts down.
    e.preventDefault();
    quitting = true;
    void sub.dispose();
    ipc.dispose();
    tray?.dispose();
    void host.close().finally(() => app.exit(0));
  });

  showWindow();
  // Not the UI's URL: it carries the API token, and the app's output may end in a terminal log or a report.
  console.log(`Agent Hive: data dir ${dataDir}; local API ${host.server.url} (browser UI: ${host.server.url}/?token=<the token in ${path.join(dataDir, 'api.token')}>)`);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  // The tray keeps the app (and its supervision of the agents) alive with no window open.
  app.on('window-all-closed', () => {});
  app.on('activate', () => showWindow());
  app.setAppUserModelId('dev.agent-hive.app');
  void app.whenReady().then(start).catch((err: unknown) => {
    const message = isHiveError(err) ? err.message : `Agent Hive could not start: ${(err as Error).message}`;
    dialog.showErrorBox('Agent Hive could not start', message);
    app.exit(1);
  });
}
