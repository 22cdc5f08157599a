import type { AgentRepo } from '../../agents/agent-repo.js';
import type { AgentService } from '../../agents/agent-service.js';
import type { StateMachine } from '../../agents/state-machine.js';
import { DisposableStore, type Disposable } from '../../ports/disposable.js';
import type { DockerBackend } from '../docker-backend.js';

export interface DockerReconcilerDeps {
  backend: DockerBackend;
  repo: AgentRepo;
  machine: StateMachine;
  service: Pick<AgentService, 'logPath' | 'mutex'>;
}

/**
 * What the engine's availability means for docker agents. Engine gone: running docker agents become
 * `unknown` (nothing is known about them; nothing else is touched). Engine back: each `unknown` agent is
 * adopted and `running` again when its container is alive; one that died meanwhile is reported to the
 * watchdog as lost (`server-lost`), which recovers it per its restart policy.
 */
export class DockerReconciler implements Disposable {
  private readonly store = new DisposableStore();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly d: DockerReconcilerDeps) {
    this.store.add(
      d.backend.onDidChangeAvailability((a) => {
        this.running = this.running.then(() => (a.available ? this.engineBack() : this.engineGone(a.reason ?? 'the Docker engine does not answer')));
      }),
    );
  }

  private dockerAgents() {
    return this.d.repo.list().filter((a) => a.backend === 'docker');
  }

  private async engineGone(reason: string): Promise<void> {
    for (const a of this.dockerAgents()) {
      if (a.status !== 'running') continue;
      await this.d.service.mutex.run(a.name, async () => {
        try {
          this.d.machine.transition({ name: a.name, to: 'unknown', from: ['running'], cause: reason, actor: 'watchdog' });
        } catch {
          // It changed meanwhile (stopped, crashed): that state is better than unknown.
        }
      });
    }
  }

  private async engineBack(): Promise<void> {
    const unknown = this.dockerAgents().filter((a) => a.status === 'unknown');
    if (unknown.length === 0) return;
    let alive: Set<string>;
    try {
      alive = new Set((await this.d.backend.listAlive()).map((a) => a.name));
    } catch {
      return; // Gone again; the next change retries.
    }
    for (const a of unknown) {
      if (alive.has(a.name)) {
        await this.d.service.mutex.run(a.name, async () => {
          if (!this.d.backend.isTracked(a.name)) await this.d.backend.adopt({ name: a.name, pid: a.pid, logPath: this.d.service.logPath(a.name) });
          try {
            this.d.machine.transition({ name: a.name, to: 'running', from: ['unknown'], cause: 'the Docker engine answers again; container alive', actor: 'watchdog' });
          } catch {}
        });
      } else {
        // The watchdog takes it from here (unknown counts as live): crashed, then recovered per policy.
        this.d.backend.reportLost(a.name);
      }
    }
  }

  async dispose(): Promise<void> {
    await this.store.dispose();
    await this.running.catch(() => {});
  }
}
