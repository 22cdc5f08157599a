import type Dockerode from 'dockerode';
import { HiveError } from '../../../../shared/errors.js';
import { bareName, containerName, LABEL_AGENT, LABEL_DATA_DIR, namedAsStandby } from './docker-labels.js';
import { engineMessage, isConnectionError, isNotFound, toHiveError, unreachableReason } from './engine-errors.js';
import { withTimeout } from './engine-events.js';

/**
 * The engine calls the docker backend makes about one data dir's containers, with engine failures turned
 * into HiveErrors, and one operation at a time per agent.
 */
export class AgentContainers {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Removals of dead containers and spare standbys, done after the agent runs again. */
  private readonly sweeping = new Set<Promise<unknown>>();

  constructor(
    readonly docker: Dockerode,
    readonly hash: string,
  ) {}

  /** null when the container does not exist; BACKEND_UNAVAILABLE when the engine does not answer. */
  async inspect(idOrName: string): Promise<Dockerode.ContainerInspectInfo | null> {
    try {
      return await withTimeout(this.docker.getContainer(idOrName).inspect(), 10_000);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toHiveError(err, `inspect ${idOrName}`);
    }
  }

  async engine<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toHiveError(err, what);
    }
  }

  /** Swallows the listed engine statuses (already stopped, already gone); anything else becomes a HiveError. */
  tolerate(err: unknown, statuses: number[], what: string, pattern?: RegExp): void {
    const status = (err as { statusCode?: number } | null)?.statusCode;
    if (status !== undefined && statuses.includes(status) && (!pattern || pattern.test(engineMessage(err)))) return;
    if (isConnectionError(err)) throw new HiveError('BACKEND_UNAVAILABLE', unreachableReason(err));
    throw toHiveError(err, what);
  }

  /** One operation at a time per agent: a restart racing a stop must not leave two containers. */
  serialized<T>(agent: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(agent) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => {});
    this.locks.set(agent, settled);
    void settled.then(() => {
      if (this.locks.get(agent) === settled) this.locks.delete(agent);
    });
    return next;
  }

  /** Resolves when no per-agent operation is running (or after `timeoutMs`). */
  async idle(timeoutMs: number): Promise<void> {
    const pending = [...this.locks.values(), ...this.sweeping];
    if (pending.length === 0) return;
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Every container of the agent (running or not, standbys included). */
  listOf(agent: string): Promise<Dockerode.ContainerInfo[]> {
    return this.engine('list containers', () =>
      this.docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${LABEL_DATA_DIR}=${this.hash}`, `${LABEL_AGENT}=${agent}`] }),
      }),
    );
  }

  /** Removes a container in the background (force; gone already is fine). */
  removeLater(id: string): void {
    const q = this.docker
      .getContainer(id)
      .remove({ force: true })
      .catch(() => {});
    this.sweeping.add(q);
    void q.then(() => this.sweeping.delete(q));
  }

  /**
   * Before a cold start: every running container of the agent is removed first (never two agents — a
   * standby that took the agent over runs it under its standby name until it is renamed, and a host that
   * died in between left it so); dead ones only give up the name now and are removed in the background.
   * `settle` is told every id first, so their exits are not reported.
   */
  async clear(agent: string, settle: (id: string) => void): Promise<void> {
    const list = await this.listOf(agent);
    const active = containerName(this.hash, agent);
    for (const c of list) settle(c.Id);
    await Promise.all(
      list.map(async (c) => {
        const container = this.docker.getContainer(c.Id);
        const holdsName = c.Names.some((n) => bareName(n) === active);
        if (holdsName && c.State !== 'running' && c.State !== 'paused') {
          const renamed = await container.rename({ name: `${active}.dead-${c.Id.slice(0, 12)}` }).then(
            () => true,
            () => false,
          );
          if (renamed) return this.removeLater(c.Id);
        }
        if (holdsName || c.State === 'running') {
          const spare = !holdsName && namedAsStandby(c.Names);
          await container.remove({ force: true }).catch(async (err: unknown) => {
            if (!spare) return this.tolerate(err, [404, 409], `remove the old container of ${agent}`);
            // A spare the engine will not remove now must not fail the start: killed (it must not run beside
            // the new agent), removed later.
            await container.kill().catch(() => {});
            this.removeLater(c.Id);
          });
        } else {
          this.removeLater(c.Id);
        }
      }),
    );
  }
}
