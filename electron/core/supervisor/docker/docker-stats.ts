import type Dockerode from 'dockerode';

export interface ContainerStats {
  cpuPercent: number | null;
  memoryBytes: number | null;
}

/**
 * CPU in percent of one CPU (like `docker stats`: 200 means two full CPUs) and memory without the page
 * cache, from one engine sample (`stream: false` waits for two readings, about a second).
 */
export function statsFromSample(s: Dockerode.ContainerStats): ContainerStats {
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = sysDelta > 0 && cpuDelta >= 0 ? (cpuDelta / sysDelta) * cpus * 100 : null;
  const usage = s.memory_stats?.usage;
  const stats = (s.memory_stats?.stats ?? {}) as Record<string, number | undefined>;
  // cgroup v1 reports the page cache as `cache`, v2 as `inactive_file`; neither is the agent's own memory.
  const cache = stats.total_inactive_file ?? stats.inactive_file ?? stats.cache ?? 0;
  const memoryBytes = typeof usage === 'number' ? Math.max(0, usage - cache) : null;
  return { cpuPercent, memoryBytes };
}
