import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HiveEvent } from '../../../shared/contract/events.js';

/** Agent processes of one data dir, found by the HIVE_DATA_DIR in their environment (host may be gone). */
export function agentPids(dataDir: string): number[] {
  const want = `HIVE_DATA_DIR=${path.resolve(dataDir)}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(want)) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** Process-group leaders (the agent's own process, not its children) running as agent `name` of a data dir. */
export function agentLeaders(dataDir: string, name: string): number[] {
  return agentPids(dataDir).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return fields[0] !== 'Z' && Number(fields[2]) === pid && env.includes(`HIVE_AGENT=${name}`);
    } catch {
      return false;
    }
  });
}

/** SIGKILLs every agent process (and its group) of a data dir: test cleanup that works without a host. */
export function killAgentProcesses(dataDir: string): void {
  for (const pid of agentPids(dataDir)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/** Alive and not a zombie. */
export function pidRunning(pid: number | null | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export function readText(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** Status events of one agent, oldest first, checked to form one unbroken chain (from = previous to). */
export function expectStatusChain(events: Pick<HiveEvent, 'kind' | 'from' | 'to' | 'agent'>[]): { from: string | null; to: string | null }[] {
  const chain = events.filter((e) => e.kind === 'status');
  for (let i = 1; i < chain.length; i++) {
    if (chain[i]!.from !== chain[i - 1]!.to) {
      throw new Error(
        `status events of ${chain[i]!.agent} break the chain at #${i}: ${chain[i - 1]!.from}→${chain[i - 1]!.to} then ${chain[i]!.from}→${chain[i]!.to}`,
      );
    }
  }
  return chain.map((e) => ({ from: e.from, to: e.to }));
}
