/**
 * Desktop-only IPC outside the shared contract: the native folder picker of the spawn dialog. It exists only
 * in Electron (the browser UI types a path), so it is not part of `channels`, which every host must serve.
 */
export const PICK_DIRECTORY_CHANNEL = 'desktop:pickDirectory';
