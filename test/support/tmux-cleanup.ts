import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Processes whose command line contains every one of `needles` (Linux /proc), excluding this process. */
export function processesMatching(...needles: string[]): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    if (cmd && needles.every((n) => cmd.includes(n))) out.push({ pid, cmd });
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Ends a test's tmux server for good: `kill-server`, then SIGKILL for whatever of that socket is left.
 * tmux 3.3a can stay in its exiting state after kill-server while a control-mode client whose parent was
 * SIGKILLed is still connected (every new client gets "server exited unexpectedly", and it never exits).
 */
export async function endTmuxServer(socket: string): Promise<void> {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // no server
  }
  const deadline = Date.now() + 2000;
  let left = processesMatching('tmux', `-L ${socket} `);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter((p) => alive(p.pid));
  }
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
