import type Dockerode from 'dockerode';

export interface ContainerStats {
  cpuPercent: number | null;
  memoryBytes: number | null;
}

interface CpuReading {
  total: number;
  system: number;
  cpus: number;
}

/**
 * CPU in percent of one CPU (like `docker stats`: 200 means two full CPUs) and memory without the page
 * cache. One-shot samples (about 10 ms each, where `stream: false` alone waits a second for a second
 * reading); the CPU figure is the delta to this agent's previous sample, so the first call has none.
 */
export class StatsSampler {
  private readonly previous = new Map<string, CpuReading>();

  async sample(container: Dockerode.Container, key: string): Promise<ContainerStats> {
    const s = await container.stats({ stream: false, 'one-shot': true });
    const reading: CpuReading = {
      total: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
      system: s.cpu_stats?.system_cpu_usage ?? 0,
      cpus: s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1,
    };
    const before = this.previous.get(key);
    this.previous.set(key, reading);
    let cpuPercent: number | null = null;
    if (before) {
      const cpuDelta = reading.total - before.total;
      const sysDelta = reading.system - before.system;
      if (sysDelta > 0 && cpuDelta >= 0) cpuPercent = (cpuDelta / sysDelta) * reading.cpus * 100;
    }
    return { cpuPercent, memoryBytes: memoryOf(s) };
  }

  forget(key: string): void {
    this.previous.delete(key);
  }
}

function memoryOf(s: Dockerode.ContainerStats): number | null {
  const usage = s.memory_stats?.usage;
  const stats = (s.memory_stats?.stats ?? {}) as Record<string, number | undefined>;
  // cgroup v1 reports the page cache as `cache`, v2 as `inactive_file`; neither is the agent's own memory.
  const cache = stats.total_inactive_file ?? stats.inactive_file ?? stats.cache ?? 0;
  return typeof usage === 'number' ? Math.max(0, usage - cache) : null;
}
