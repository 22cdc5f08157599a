/**
 * tmux splits its argument list into commands at any argument that ends in ";" — even one passed through
 * execFile. Escaping the final ";" as "\;" makes tmux keep it literally; every argument that can carry a
 * user's string goes through this.
 */
export function tmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

/** Exact-match targets: `=name` for a session, `=name:` for its (only) pane; prefixes never match. */
export const sessionTarget = (name: string): string => `=${name}`;
export const paneTarget = (name: string): string => `=${name}:`;
