import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Inside the container: the folder the agent's exit status is written to (bind-mounted from the run dir). */
export const STATUS_DIR = '/hive/status';

/** Signals a `docker stop` / `docker kill -s` may send: passed on to the agent, which runs as a child here. */
const FORWARDED = ['TERM', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2'];

/**
 * Runs the agent ("$@") as a child and, when it ends, writes its exit status (128 + n for a signal, as the
 * engine reports it) to STATUS_DIR/exit before exiting with the same status. The host watches the
 * container's process in /proc (proc-watch.ts) and reads the status the moment it ends, instead of waiting
 * for the engine's `die` event, which comes only after the engine has cleaned the container up (its network,
 * its mounts): 70 ms on an idle machine, 0.4–0.9 s under load.
 *
 * The agent keeps the container's stdin (an asynchronous command gets /dev/null unless redirected: hence fd
 * 3). docker-init stays PID 1 and passes signals to this shell, which passes them on. (A non-interactive
 * shell starts its background commands with SIGINT and SIGQUIT ignored; a `docker stop` sends SIGTERM.)
 * `kill -0` succeeds on a child that has exited and is not reaped yet, so a `wait` cut short by a signal is
 * waited again until it returns the child's own status.
 */
const RUN_AND_RECORD = [
  ...FORWARDED.map((s) => `trap 'kill -${s} "$c" 2>/dev/null' ${s}`),
  'exec 3<&0',
  '"$@" 0<&3 3<&- & c=$!',
  'exec 3<&-',
  'while :; do wait "$c"; s=$?; kill -0 "$c" 2>/dev/null || break; done',
  `echo "$s" > ${STATUS_DIR}/exit`,
  'exit "$s"',
].join('; ');

/** The container command that records the agent's exit status; the image needs /bin/sh. */
export function recordingCmd(argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', RUN_AND_RECORD, 'hive-agent', ...argv];
}

/** True for a container command made by recordingCmd (also behind a warm standby's wrapper). */
export function recordsStatus(cmd: readonly string[] | string | undefined): boolean {
  return Array.isArray(cmd) && cmd.includes(RUN_AND_RECORD);
}

/** The host folder mounted at STATUS_DIR for one agent (created, writable by the container's user). */
export function statusDir(runDir: string, agent: string): string {
  const dir = path.join(runDir, `${agent}.status`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes the status a previous run left, before a run starts (a run killed outside its shell writes none). */
export function clearStatus(runDir: string, agent: string): void {
  rmSync(path.join(runDir, `${agent}.status`, 'exit'), { force: true });
}

/**
 * The exit status the ended run wrote (and removes it), or null when it wrote none: its shell was killed
 * from outside (SIGKILL of the container's init: `docker kill`, `docker rm -f`, a kill -9 of that pid),
 * and the engine's `die` event tells what happened.
 */
export function takeStatus(runDir: string, agent: string): number | null {
  const file = path.join(runDir, `${agent}.status`, 'exit');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  rmSync(file, { force: true });
  const n = Number(text.trim());
  return /^\d{1,3}\n?$/.test(text) && n <= 255 ? n : null;
}
