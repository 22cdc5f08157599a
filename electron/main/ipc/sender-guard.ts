import type { IpcMainInvokeEvent } from 'electron';

/**
 * Only our own page in our own window may call the core: the top frame, loaded from the app's renderer
 * file. A frame that navigated elsewhere (which window.ts also blocks) or an iframe gets nothing.
 */
export function makeSenderGuard(opts: { rendererUrl: () => string; webContentsId: () => number | null }) {
  return (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null) return false;
    if (opts.webContentsId() !== event.sender.id) return false;
    const expected = opts.rendererUrl();
    return stripHash(frame.url) === stripHash(expected);
  };
}

function stripHash(url: string): string {
  const i = url.search(/[?#]/);
  return i < 0 ? url : url.slice(0, i);
}
