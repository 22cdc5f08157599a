import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Test files run in parallel processes; one of them kills and restarts dockerd, which would kill the
 * containers of the others. Users register (shared); the restarter waits until it is the only user and
 * holds a marker that makes new users wait (exclusive). Entries of dead processes are ignored.
 */
// Machine-wide: `npm test` gives each run its own TMPDIR and names the shared one.
const SHARED = process.env.HIVE_TEST_SHARED_TMPDIR || os.tmpdir();
const DIR = path.join(SHARED, 'agent-hive-docker-users');
const EXCLUSIVE = path.join(SHARED, 'agent-hive-docker-exclusive');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function otherUsers(): number[] {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR)
    .map(Number)
    .filter((pid) => pid !== process.pid && alive(pid));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while another live test process holds the engine to itself (it may be restarting dockerd right now). */
export function dockerHeldByAnother(): boolean {
  try {
    const holder = Number(readdirSync(EXCLUSIVE)[0]);
    return !!holder && holder !== process.pid && alive(holder);
  } catch {
    return false;
  }
}

export async function useDockerShared(timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  mkdirSync(DIR, { recursive: true });
  while (dockerHeldByAnother()) {
    if (Date.now() > end) throw new Error('another test kept the Docker engine to itself for too long');
    await sleep(200);
  }
  writeFileSync(path.join(DIR, String(process.pid)), '');
}

export function releaseDockerShared(): void {
  rmSync(path.join(DIR, String(process.pid)), { force: true });
}

/** Waits until no other test process uses the engine; returns a release function. */
export async function useDockerExclusive(timeoutMs = 180_000): Promise<() => void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(EXCLUSIVE);
      writeFileSync(path.join(EXCLUSIVE, String(process.pid)), '');
      break;
    } catch {
      const holder = Number(readdirSync(EXCLUSIVE)[0]);
      if (!holder || !alive(holder)) rmSync(EXCLUSIVE, { recursive: true, force: true });
      else await sleep(200);
    }
    if (Date.now() > end) throw new Error('could not get the Docker engine to itself');
  }
  while (otherUsers().length > 0) {
    if (Date.now() > end) {
      rmSync(EXCLUSIVE, { recursive: true, force: true });
      throw new Error(`other test processes keep using the Docker engine: ${otherUsers().join(', ')}`);
    }
    await sleep(200);
  }
  return () => rmSync(EXCLUSIVE, { recursive: true, force: true });
}
