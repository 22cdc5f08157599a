import type { BackendKind } from '../../../shared/contract/agents.js';
import type { Disposable } from '../ports/disposable.js';

/** Everything a backend needs to start one agent. The argv is exact: no shell is involved unless argv says so. */
export interface StartSpec {
  name: string;
  /** Program and arguments. For a user's command line this is ['/bin/sh', '-c', line] — the user's own string. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Append-only output log; the backend streams everything the agent prints into it. */
  logPath: string;
  /** Docker only. */
  image?: string;
  /** Docker only: the engine to start on (default: the one the agent is placed on). */
  engine?: string;
  limits?: { cpus?: number; memoryMb?: number; network?: string };
}

export interface ExitInfo {
  name: string;
  /** The process that exited, when the backend knows it: an exit of an older process of the agent is not a crash of the current one. */
  pid?: number | null;
  /** Exit code when the program exited, null when it was killed by a signal or the code is unknown. */
  code: number | null;
  signal: string | null;
  /** When the backend noticed the exit (epoch ms). */
  at: number;
  /** Why: 'exit' (process ended), 'killed' (signal), 'server-lost' (tmux server or engine gone). */
  reason: 'exit' | 'killed' | 'server-lost' | 'removed' | 'hung';
}

export interface Availability {
  available: boolean;
  reason: string | null;
}

export interface RunningAgent {
  name: string;
  pid: number | null;
}

/** One interface for tmux, plain processes and Docker containers. */
export interface Backend extends Disposable {
  readonly kind: BackendKind;
  availability(): Promise<Availability>;
  start(spec: StartSpec): Promise<{ pid: number | null }>;
  /**
   * Stops the agent: SIGTERM (or the engine's stop), then SIGKILL after killTimeoutMs. Resolves when gone.
   * `restarting`: a start of the same agent follows (Docker keeps its warm standby for it).
   */
  stop(name: string, opts?: { killTimeoutMs?: number; restarting?: boolean }): Promise<void>;
  isAlive(name: string): Promise<boolean>;
  /** Agents of this data dir that are alive right now (reconciliation at start-up). */
  listAlive(): Promise<RunningAgent[]>;
  /** Types text into the agent; `enter` presses Enter after it. Returns how many attempts it took. */
  sendInput(name: string, text: string, opts: { enter: boolean }): Promise<number>;
  /** Fired once per agent exit the backend notices, as soon as it notices. */
  onDidExit(listener: (e: ExitInfo) => void): Disposable;
  /** Re-attach watchers to an agent that survived a host restart. */
  adopt?(agent: RunningAgent & { logPath: string }): Promise<void>;
  pause?(name: string): Promise<void>;
  resume?(name: string): Promise<void>;
  stats?(name: string): Promise<{ cpuPercent: number | null; memoryBytes: number | null }>;
  /** What the agent's terminal shows now, as plain text (for questions it waits on); null when unknown. */
  screen?(name: string): Promise<string | null>;
  /** Presses keys: tmux key names (`Enter`, `Escape`) or single characters. */
  sendKeys?(name: string, keys: string[]): Promise<void>;
  /**
   * Puts text into the agent's input as one paste (bracketed paste, so a TUI takes newlines as part of the
   * message, not as Enter), then presses Enter when `enter`. Returns how many attempts it took.
   */
  paste?(name: string, text: string, opts: { enter: boolean; enterDelayMs?: number }): Promise<number>;
  /**
   * Why the agent cannot be reached right now (its Docker engine does not answer), or null. Asked at host
   * start before an agent missing from listAlive is taken for crashed.
   */
  unreachable?(name: string): Promise<string | null>;
}
