/**
 * Which `-e NAME=VALUE` a new or respawned pane needs. A pane's environment is the server's global one,
 * overlaid by its session's (the `-e` given at new-session, plus the `update-environment` names taken from
 * the creating client), overlaid by the `-e` of this spawn. Passing every variable of the agent costs the
 * server ~1.5 ms per start (measured: 50 variables); most of them equal the global value already.
 */
export class TmuxEnvPlanner {
  /** null: unknown (not read, or not trusted): every variable is passed. */
  private global: Map<string, string> | null = null;
  private updateEnvironment = new Set<string>();
  /** Session environment as created by us, per session name. */
  private readonly sessions = new Map<string, Map<string, string>>();

  /** From `show-environment -g` and `show-options -gv update-environment` of the server in use. */
  learn(showEnvironment: string | null, updateEnvironment: string | null): void {
    if (showEnvironment === null || updateEnvironment === null) {
      this.global = null;
      return;
    }
    const global = new Map<string, string>();
    const seen = new Set<string>();
    const doubtful = new Set<string>();
    for (const line of showEnvironment.split('\n')) {
      const eq = line.indexOf('=');
      if (eq <= 0 || line.startsWith('-')) continue;
      const name = line.slice(0, eq);
      // A value holding a newline prints as several lines: a later one could look like NAME=VALUE.
      if (seen.has(name)) doubtful.add(name);
      seen.add(name);
      global.set(name, line.slice(eq + 1));
    }
    for (const name of doubtful) global.delete(name);
    this.global = global;
    this.updateEnvironment = new Set(updateEnvironment.split('\n').map((s) => s.trim()).filter(Boolean));
  }

  forget(): void {
    this.global = null;
    this.sessions.clear();
  }

  /**
   * The `-e` arguments for `env` in session `name`: for a respawn (`respawn` true) the session's own
   * environment from its creation counts; for a new session only the global one. Also the names to unset
   * in the session first (set at its creation, absent now), so the pane does not inherit them.
   */
  plan(name: string, env: Record<string, string>, respawn: boolean): { args: string[]; unset: string[] } {
    const session = respawn ? this.sessions.get(name) : undefined;
    const args: string[] = [];
    for (const [k, v] of Object.entries(env)) {
      const inherited = session?.has(k) ? session.get(k) : this.global?.get(k);
      if (this.global && !this.updateEnvironment.has(k) && !v.includes('\n') && inherited === v) continue;
      args.push('-e', `${k}=${v}`);
    }
    const unset = session ? [...session.keys()].filter((k) => !(k in env)) : [];
    return { args, unset };
  }

  /** Respawn is planned only for sessions whose creation environment is known. */
  knows(name: string): boolean {
    return this.global !== null && this.sessions.has(name);
  }

  /** A session was created with these `-e` arguments (or had `unset` removed before a respawn). */
  created(name: string, args: readonly string[]): void {
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < args.length; i += 2) {
      const kv = args[i + 1]!;
      const eq = kv.indexOf('=');
      m.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    this.sessions.set(name, m);
  }

  unsetIn(name: string, names: readonly string[]): void {
    const m = this.sessions.get(name);
    for (const k of names) m?.delete(k);
  }

  dropSession(name: string): void {
    this.sessions.delete(name);
  }
}
