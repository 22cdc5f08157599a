import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Inside the container: the folder the agent's exit status is written to (bind-mounted from the run dir). */
export const STATUS_DIR = '/hive/status';

/**
 * Signals the shell outlives (a handler, not SIG_IGN: the agent starts with the default actions). docker-init
 * sends every signal to the whole process group (TINI_KILL_PROCESS_GROUP, set with this command), so the agent
 * gets `docker stop`'s SIGTERM itself, as before, and the shell stays to record how it ended.
 */
const OUTLIVED = ['TERM', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2'];

/**
 * Runs the agent ("$@") in the foreground and, when it ends, writes its exit status (128 + n for a signal, as
 * the engine reports it) to STATUS_DIR/exit before exiting with the same status. The host watches the
 * container's process in /proc (proc-watch.ts) and reads the status the moment it ends, instead of waiting
 * for the engine's `die` event, which comes only after the engine has cleaned the container up (its network,
 * its mounts): 70 ms on an idle machine, 0.4–0.9 s under load. The agent keeps the container's stdin and its
 * signals as a direct child of docker-init would; a trap's action leaves `$?` as it was.
 */
const RUN_AND_RECORD = [`trap : ${OUTLIVED.join(' ')}`, '"$@"', 's=$?', `echo "$s" > ${STATUS_DIR}/exit`, 'exit "$s"'].join('; ');

/** What the container's environment needs for RUN_AND_RECORD: docker-init signals the process group. */
export const RECORDING_ENV = 'TINI_KILL_PROCESS_GROUP=1';

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
