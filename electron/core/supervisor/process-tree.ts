import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/** CPU and memory of a process and its descendants, read from /proc (Linux). Null where /proc is absent. */
export class ProcessTreeSampler {
  private last = new Map<number, { ticks: number; at: number }>();
  private readonly hz = 100;
  private readonly pageSize = 4096;

  sample(rootPid: number): { cpuPercent: number | null; memoryBytes: number | null } {
    let table: Map<number, { ppid: number; ticks: number; rssPages: number }>;
    try {
      table = readProcTable();
    } catch {
      return { cpuPercent: null, memoryBytes: null };
    }
    if (!table.has(rootPid)) return { cpuPercent: null, memoryBytes: null };
    const children = new Map<number, number[]>();
    for (const [pid, p] of table) {
      const list = children.get(p.ppid) ?? [];
      list.push(pid);
      children.set(p.ppid, list);
    }
    let ticks = 0;
    let rss = 0;
    const stack = [rootPid];
    while (stack.length > 0) {
      const pid = stack.pop()!;
      const p = table.get(pid);
      if (!p) continue;
      ticks += p.ticks;
      rss += p.rssPages;
      stack.push(...(children.get(pid) ?? []));
    }
    const now = Date.now();
    const prev = this.last.get(rootPid);
    this.last.set(rootPid, { ticks, at: now });
    const cpuPercent = prev && now > prev.at ? Math.max(0, ((ticks - prev.ticks) / this.hz / ((now - prev.at) / 1000)) * 100) : null;
    return { cpuPercent, memoryBytes: rss * this.pageSize };
  }
}

type ProcTable = Map<number, { ppid: number; ticks: number; rssPages: number }>;
let cached: { at: number; table: ProcTable } | null = null;

/** One scan of /proc serves every agent sampled in the same tick (the table is kept for 500 ms). */
function readProcTable(): ProcTable {
  const now = Date.now();
  if (cached && now - cached.at < 500) return cached.table;
  cached = { at: now, table: scanProc() };
  return cached.table;
}

function scanProc(): ProcTable {
  const out = new Map<number, { ppid: number; ticks: number; rssPages: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const fields = procStatFields(pid);
    if (!fields) continue;
    out.set(pid, {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      rssPages: Number(fields[21]),
    });
  }
  return out;
}

/**
 * The fields of /proc/PID/stat after the command name (state first, then ppid, pgrp, …), at most `limit`
 * of them; null when the process is gone or there is no /proc. The command name may hold spaces and
 * parentheses: the fields start after the last ')'.
 */
export function procStatFields(pid: number | string, limit?: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ', limit);
  } catch {
    return null;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process is a zombie or gone (a zombie still answers kill(pid, 0)). */
export function pidGoneOrZombie(pid: number): boolean {
  if (!pidAlive(pid)) return true;
  return procStatFields(pid, 1)?.[0] === 'Z';
}

/** Signals the process group led by `pid` (agents run as group leaders), or the pid alone if that fails. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/**
 * Does any process of the group still run? A zombie does not count: it has exited and only waits for its
 * parent to read its status. A grandchild whose parent died is reaped by PID 1, and a PID 1 that never
 * reaps (a shell or node as a container's first process) left a stop waiting out its whole kill timeout
 * for a group that had long exited. Without /proc, any member counts.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Most often the leader itself still runs: one file, not a scan (stops poll this every 20–25 ms).
  if (!pidGoneOrZombie(pgid)) return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const fields = procStatFields(entry, 3); // gone meanwhile: null
    if (fields && Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

/** The wait status a zombie left in /proc (Linux 3.5+), or null when the pid is not a zombie. */
export function zombieWaitStatus(pid: number): number | null {
  if (!(pid > 0)) return null;
  const fields = procStatFields(pid);
  return fields?.[0] === 'Z' && fields[49] !== undefined ? Number(fields[49]) : null;
}

export function signalName(n: number): string {
  const entry = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : `SIG${n}`;
}
