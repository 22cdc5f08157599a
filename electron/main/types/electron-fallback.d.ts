/**
 * The subset of Electron's API this app uses, for machines where the `electron` package (an optional
 * dependency whose binary download fails on closed networks) is not installed. tsconfig's `paths` maps
 * `electron` to the real electron.d.ts first and to this file only when that is missing, so a machine with
 * Electron type-checks against the real thing. Signatures are copied from Electron 38's electron.d.ts.
 */
type Listener = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

interface EmitterLike {
  on(event: string, listener: Listener): this;
  once(event: string, listener: Listener): this;
}

export interface WebFrameMain {
  readonly url: string;
  readonly parent: WebFrameMain | null;
}

export interface IpcMainInvokeEvent {
  readonly sender: WebContents;
  readonly senderFrame: WebFrameMain | null;
}

export interface IpcRendererEvent {
  readonly sender: unknown;
}

export interface HandlerDetails {
  url: string;
}

export interface WebContents extends EmitterLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  setWindowOpenHandler(handler: (details: HandlerDetails) => { action: 'deny' } | { action: 'allow' }): void;
  isDestroyed(): boolean;
  getURL(): string;
  readonly session: Session;
}

export interface OnHeadersReceivedListenerDetails {
  url: string;
  responseHeaders?: Record<string, string[]>;
}

export interface Session {
  webRequest: {
    onHeadersReceived(
      listener: (
        details: OnHeadersReceivedListenerDetails,
        callback: (response: { responseHeaders?: Record<string, string | string[]> }) => void,
      ) => void,
    ): void;
  };
  setPermissionRequestHandler(handler: ((wc: WebContents, permission: string, callback: (granted: boolean) => void) => void) | null): void;
}

export interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  nodeIntegrationInWorker?: boolean;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  webviewTag?: boolean;
  spellcheck?: boolean;
}

export interface BrowserWindowConstructorOptions {
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  show?: boolean;
  title?: string;
  backgroundColor?: string;
  icon?: NativeImage | string;
  autoHideMenuBar?: boolean;
  webPreferences?: WebPreferences;
}

export declare class BrowserWindow implements EmitterLike {
  constructor(options?: BrowserWindowConstructorOptions);
  readonly webContents: WebContents;
  static getAllWindows(): BrowserWindow[];
  static fromWebContents(webContents: WebContents): BrowserWindow | null;
  on(event: string, listener: Listener): this;
  once(event: string, listener: Listener): this;
  loadFile(filePath: string, options?: { hash?: string; search?: string }): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
}

export interface NativeImage {
  isEmpty(): boolean;
  resize(options: { width?: number; height?: number }): NativeImage;
}

export declare const nativeImage: {
  createFromDataURL(dataURL: string): NativeImage;
  createFromPath(path: string): NativeImage;
};

export interface MenuItemConstructorOptions {
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  enabled?: boolean;
  click?: () => void;
  role?: 'quit';
}

export declare class Menu {
  static buildFromTemplate(template: MenuItemConstructorOptions[]): Menu;
  static setApplicationMenu(menu: Menu | null): void;
}

export declare class Tray implements EmitterLike {
  constructor(image: NativeImage | string);
  on(event: string, listener: Listener): this;
  once(event: string, listener: Listener): this;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: Menu | null): void;
  setTitle(title: string): void;
  destroy(): void;
}

export declare class Notification {
  constructor(options?: { title?: string; body?: string; silent?: boolean; urgency?: 'normal' | 'critical' | 'low' });
  static isSupported(): boolean;
  show(): void;
  on(event: string, listener: Listener): this;
}

export interface OpenDialogReturnValue {
  canceled: boolean;
  filePaths: string[];
}

export declare const dialog: {
  showOpenDialog(window: BrowserWindow, options: { title?: string; properties?: Array<'openDirectory' | 'createDirectory' | 'openFile'> }): Promise<OpenDialogReturnValue>;
  showErrorBox(title: string, content: string): void;
  showMessageBox(window: BrowserWindow, options: MessageBoxOptions): Promise<{ response: number; checkboxChecked: boolean }>;
};

export interface MessageBoxOptions {
  message: string;
  type?: 'none' | 'info' | 'error' | 'question' | 'warning';
  buttons?: string[];
  defaultId?: number;
  cancelId?: number;
  title?: string;
  detail?: string;
  noLink?: boolean;
}

export declare const app: EmitterLike & {
  readonly isPackaged: boolean;
  whenReady(): Promise<void>;
  quit(): void;
  exit(code?: number): void;
  getPath(name: 'home' | 'userData' | 'appData' | 'temp'): string;
  getAppPath(): string;
  requestSingleInstanceLock(): boolean;
  setAppUserModelId(id: string): void;
  on(event: string, listener: Listener): typeof app;
};

export declare const ipcMain: {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<unknown> | unknown): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  removeHandler(channel: string): void;
};

export declare const ipcRenderer: {
  invoke(channel: string, ...args: unknown[]): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  on(channel: string, listener: (event: IpcRendererEvent, ...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  removeListener(channel: string, listener: (...args: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
};

export declare const contextBridge: {
  exposeInMainWorld(apiKey: string, api: unknown): void;
};

export declare const shell: {
  openExternal(url: string): Promise<void>;
};

declare global {
  namespace NodeJS {
    interface Process {
      /** Set by Electron: the app's resources directory. */
      readonly resourcesPath: string;
    }
  }
}
