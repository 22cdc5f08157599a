import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { groupAlive } from '../../../electron/core/supervisor/process-tree.js';
import { waitFor } from '../../support/host-process.js';

const state = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return null;
  }
};

describe('groupAlive (real processes, Linux /proc)', () => {
  const parents: number[] = [];
  afterEach(() => {
    for (const pid of parents.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  });

  it('a group whose only member has exited and waits as a zombie (its parent never reaps it) is not alive', async () => {
    // The parent (outside the group) starts a child in a group of its own (setsid), then becomes a `sleep`
    // that never waits for it: the child's exit leaves a zombie, as under a PID 1 that does not reap.
    const parent = spawn('sh', ['-c', 'setsid sh -c "exit 0" & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    parents.push(parent.pid!);
    const child = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await waitFor(() => state(child) === 'Z', 5000, 10, 'the child to exit');
    expect(() => process.kill(-child, 0)).not.toThrow(); // the group still "exists" for kill(2)
    expect(groupAlive(child)).toBe(false);
  });

  it('a group with a running member is alive, and one with no member left is not', async () => {
    const leader = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    parents.push(leader.pid!);
    expect(groupAlive(leader.pid!)).toBe(true);
    process.kill(leader.pid!, 'SIGKILL');
    await waitFor(() => state(leader.pid!) === null, 5000, 10, 'the leader to be reaped');
    expect(groupAlive(leader.pid!)).toBe(false);
  });
});
