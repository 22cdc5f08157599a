import { LOCAL_ENGINE } from '../../../../shared/contract/engines.js';
import type { AgentRepo } from '../../agents/agent-repo.js';
import type { AgentService } from '../../agents/agent-service.js';
import type { StateMachine } from '../../agents/state-machine.js';
import type { DockerEngines } from '../../engines/docker-engines.js';
import { DisposableStore, type Disposable } from '../../ports/disposable.js';
import { HiveError } from '../../../../shared/errors.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface DockerReconcilerDeps {
  engines: DockerEngines;
  repo: AgentRepo;
  machine: StateMachine;
  service: Pick<AgentService, 'logPath' | 'mutex'>;
  /** A desktop notice (the GUI and the OS): an agent left unreachable needs a person. */
  notify?: (level: 'warning', title: string, body: string) => void;
}

/** An agent its engine's return concerns: adopted when its container is alive, else recovered. */
function waitsForEngine(status: string): boolean {
  return status === 'unreachable' || status === 'unknown';
}

/** Statuses in which an agent's container is expected to run. */
const SHOULD_RUN = new Set(['running', 'unreachable', 'unknown', 'starting', 'recovering']);

/**
 * What an engine's availability means for the docker agents placed on it. Engine gone: its running agents
 * become `unreachable`, with the engine's error (nothing else is touched: not crashed, not restarted
 * elsewhere). Engine back: each `unreachable` agent is adopted and `running` again when its container is
 * alive; one that died meanwhile is reported to the watchdog as lost (`server-lost`), which recovers it on that
 * engine per its restart policy. A container there of an agent that should not run (stopped, or moved away
 * meanwhile) is stopped: one agent, one container.
 */
export class DockerReconciler implements Disposable {
  private readonly store = new DisposableStore();
  private running: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly d: DockerReconcilerDeps) {
    this.store.add(
      d.engines.onDidChangeEngine((c) => {
        this.running = this.running
          .then(() => (c.available ? this.engineBack(c.engine) : this.engineGone(c.engine, c.reason ?? 'the Docker engine does not answer')))
          // A change handled while the host shuts down (its engines disposed) failed here: an unhandled
          // rejection, seen once in a full run, and every later change skipped. The next change retries;
          // the failure is in the event log (never a silent gap).
          .catch((err: unknown) => {
            if (this.disposed) return;
            try {
              this.d.machine.record(null, 'reconcile-failed', `engine ${c.engine} ${c.available ? 'answers again' : 'went away'}, but reconciling its agents failed: ${messageOf(err)}. The next change of the engine tries again.`, 'watchdog');
            } catch {
              // The database is closing with the host.
            }
          });
      }),
    );
  }

  /** The agent's record while it still waits for its engine (unreachable or unknown), read now; else null. */
  private awaitingEngine(name: string) {
    const a = this.d.repo.find(name);
    return a && waitsForEngine(a.status) ? a : null;
  }

  private agentsOn(engine: string) {
    return this.d.repo.list().filter((a) => a.backend === 'docker' && (a.engine ?? LOCAL_ENGINE) === engine);
  }

  private async engineGone(engine: string, reason: string): Promise<void> {
    for (const a of this.agentsOn(engine)) {
      if (a.status !== 'running') continue;
      await this.d.service.mutex.run(a.name, async () => {
        try {
          this.d.machine.transition({ name: a.name, to: 'unreachable', from: ['running'], cause: `engine ${engine}: ${reason}`, actor: 'watchdog', patch: { lastError: `engine ${engine}: ${reason}` } });
        } catch {
          // It changed meanwhile (stopped, crashed): that state is better than unreachable.
        }
      });
    }
  }

  private async engineBack(engine: string): Promise<void> {
    const backend = this.d.engines.backendOf(engine);
    let alive: Set<string>;
    try {
      alive = new Set((await backend.listAlive()).map((a) => a.name));
    } catch {
      return; // Gone again; the next change retries.
    }
    for (const name of alive) {
      const a = this.d.repo.find(name);
      // An agent the database does not know: an orphan, reported by `agents orphans`, never touched.
      if (!a) continue;
      if (a.backend === 'docker' && (a.engine ?? LOCAL_ENGINE) === engine && SHOULD_RUN.has(a.status)) continue;
      if (a.status === 'sleeping' && a.sleepMode === 'pause' && (a.engine ?? LOCAL_ENGINE) === engine) continue;
      // Stopped while the engine was away, or moved to another engine meanwhile: never two of one agent.
      await this.d.service.mutex.run(name, () => backend.stop(name, { killTimeoutMs: 10_000 }).catch(() => {}));
      this.d.machine.record(name, 'reconciled', `engine ${engine} answers again: its container there was stopped (the agent is ${a.status}${(a.engine ?? LOCAL_ENGINE) !== engine ? ` on engine ${a.engine}` : ''})`, 'watchdog');
    }
    for (const a of this.agentsOn(engine)) {
      if (!waitsForEngine(a.status)) continue;
      if (alive.has(a.name)) {
        // One agent's adoption failing never leaves the others of this engine unreachable (it ended the
        // loop before: they waited for the engine's next change, which may never come).
        try {
          await this.d.service.mutex.run(a.name, async () => {
            // Read again under the agent's lock: stopped (or removed) while this waited, it is not adopted —
            // its stop ends its container when the engine answers.
            const now = this.awaitingEngine(a.name);
            if (!now) return;
            if (!backend.isTracked(a.name)) await backend.adopt({ name: a.name, pid: now.pid, logPath: this.d.service.logPath(a.name) });
            try {
              this.d.machine.transition({ name: a.name, to: 'running', from: ['unreachable', 'unknown'], cause: `engine ${engine} answers again; container alive`, actor: 'watchdog', patch: { lastError: null } });
            } catch {}
          });
        } catch (err) {
          if (this.disposed) return;
          if (err instanceof HiveError && err.code === 'AGENT_NOT_FOUND') {
            // Its container went away between the listing and the adoption: lost, like one that died.
            this.d.machine.record(a.name, 'reconciled', `engine ${engine} answers again, but the agent's container is gone: recovered per its restart policy`, 'watchdog');
            backend.reportLost(a.name);
          } else {
            const why = `engine ${engine} answers again, but adopting the agent's container failed: ${messageOf(err)}. It stays unreachable until the engine's next change; to start it now, stop it and restart it (\`hive agents stop ${a.name}\`, then \`hive agents restart ${a.name}\`).`;
            this.d.machine.record(a.name, 'reconcile-failed', why, 'watchdog');
            this.d.notify?.('warning', `${a.name} could not be re-attached`, why);
          }
        }
      } else {
        // The watchdog takes it from here (unreachable counts as live): crashed, then recovered per policy.
        // Under the agent's lock and only if still unreachable: one restarted meanwhile runs a new container.
        await this.d.service.mutex.run(a.name, async () => {
          if (this.awaitingEngine(a.name)) backend.reportLost(a.name);
        });
      }
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.store.dispose();
    await this.running.catch(() => {});
  }
}
