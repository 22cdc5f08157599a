import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import { LOCAL_ENGINE, type Engine } from '../../../shared/contract/engines.js';
import { HiveError } from '../../../shared/errors.js';
import { DisposableStore, Emitter, type Disposable } from '../ports/disposable.js';
import type { Availability, Backend, ExitInfo, RunningAgent, StartSpec } from '../supervisor/backend.js';
import { DockerBackend, type DockerBackendOptions } from '../supervisor/docker-backend.js';
import type { ContainerStats } from '../supervisor/docker/docker-stats.js';
import { containerName, dataDirHash } from '../supervisor/docker/docker-labels.js';
import { unreachableReason } from '../supervisor/docker/engine-errors.js';
import { withTimeout } from '../supervisor/docker/engine-events.js';
import type { Orphan } from '../supervisor/docker/find-orphans.js';
import { parseEngineUrl, type EngineAddress } from './engine-url.js';
import type { EngineRecord, EngineStore } from './engine-store.js';
import { SshDialAgent } from './ssh-dial.js';

export interface EngineChange {
  engine: string;
  available: boolean;
  reason: string | null;
}

/** What placement and `engines list` need to know about the agents on an engine (from the agents table). */
export interface EngineLoad {
  running: number;
  total: number;
  /** Memory the running agents there asked for (`--memory-mb`), in MB. */
  reservedMb: number;
}

export interface DockerEnginesOptions {
  dataDir: string;
  store: EngineStore | null;
  /** The engine an agent is placed on (from its record); null for an agent the database does not know. */
  engineOf(agent: string): string | null;
  loadOf(engine: string): EngineLoad;
  /** This machine's engine; by default a DockerBackend on DOCKER_HOST or the local socket. */
  local?: DockerBackend;
  /** For the backends of added engines (tests shorten the ping interval). */
  backendOptions?: Partial<DockerBackendOptions>;
}

interface Live {
  name: string;
  record: EngineRecord | null;
  docker: Dockerode;
  backend: DockerBackend;
  available: boolean | null;
  reason: string | null;
  since: number | null;
  sub: Disposable;
}

export function localEngineUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** A Dockerode client for an engine address. dockerode itself is loaded on first use (~190 ms). */
export function dockerFor(address: EngineAddress, tls: { ca?: string | null; cert?: string | null; key?: string | null } = {}): Dockerode {
  const Ctor = createRequire(import.meta.url)('dockerode') as typeof Dockerode;
  switch (address.kind) {
    case 'unix':
      return new Ctor({ socketPath: address.socketPath });
    case 'tcp':
      return address.tls
        ? new Ctor({ protocol: 'https', host: address.host, port: address.port, ca: tls.ca ?? undefined, cert: tls.cert ?? undefined, key: tls.key ?? undefined })
        : new Ctor({ protocol: 'http', host: address.host, port: address.port });
    case 'ssh':
      // Every connection is the system's ssh running `docker system dial-stdio` there (ssh-dial.ts).
      return new Ctor({ protocol: 'http', host: 'docker', port: 80, agent: new SshDialAgent(address) } as Dockerode.DockerOptions);
  }
}

/**
 * The docker backend over every engine: `local` (this machine's, bind-mounted worktrees) and the engines
 * the user added (`hive engines add`: unix, TCP+TLS or SSH; workspaces in volumes synced by the host).
 * Each engine has its own DockerBackend; calls go to the engine the agent is placed on. Engines are watched
 * (events stream + ping) from their first use; `onDidChangeEngine` says when one goes away or comes back.
 */
export class DockerEngines implements Backend {
  readonly kind = 'docker' as const;
  private readonly live = new Map<string, Live>();
  private readonly exitEmitter = new Emitter<ExitInfo>();
  private readonly changeEmitter = new Emitter<EngineChange>();
  private readonly disposables = new DisposableStore();
  private disposed = false;
  readonly onDidExit = this.exitEmitter.event;
  readonly onDidChangeEngine = this.changeEmitter.event;
  /** The `agent-hive.data-dir` label value of this data dir's containers (the same on every engine). */
  readonly hash: string;

  constructor(private readonly o: DockerEnginesOptions) {
    this.hash = dataDirHash(o.dataDir);
    if (o.local) this.attach(LOCAL_ENGINE, null, o.local, null);
  }

  private engineOf(agent: string): string {
    return this.o.engineOf(agent) ?? LOCAL_ENGINE;
  }

  /** The local engine's backend (tests and the local-only paths). */
  get local(): DockerBackend {
    return this.entry(LOCAL_ENGINE).backend;
  }

  names(): string[] {
    return [LOCAL_ENGINE, ...(this.o.store?.list().map((r) => r.name) ?? [])];
  }

  has(name: string): boolean {
    return name === LOCAL_ENGINE || this.o.store?.find(name) != null;
  }

  /** An engine on another machine: workspaces are volumes synced over the API. */
  isRemote(name: string): boolean {
    return name !== LOCAL_ENGINE;
  }

  backendOf(name: string): DockerBackend {
    return this.entry(name).backend;
  }

  dockerOf(name: string): Dockerode {
    return this.entry(name).docker;
  }

  /** The engine's last known state: null until it was asked once. */
  state(name: string): { available: boolean | null; reason: string | null; since: number | null } {
    const l = this.live.get(name);
    return { available: l?.available ?? null, reason: l?.reason ?? null, since: l?.since ?? null };
  }

  private entry(name: string): Live {
    const have = this.live.get(name);
    if (have) return have;
    if (this.disposed) throw new HiveError('BACKEND_UNAVAILABLE', 'The host is shutting down.');
    if (name === LOCAL_ENGINE) {
      return this.attach(name, null, new DockerBackend({ dataDir: this.o.dataDir, ...this.o.backendOptions, engine: LOCAL_ENGINE }), null);
    }
    const record = this.o.store?.find(name) ?? null;
    if (!record) throw new HiveError('ENGINE_NOT_FOUND', `No Docker engine named ${JSON.stringify(name)}. See \`hive engines list\`, or add it with \`hive engines add ${name} --url URL\`.`);
    const docker = dockerFor(parseEngineUrl(record.url, tlsOf(record)), { ca: record.tlsCa, cert: record.tlsCert, key: record.tlsKey });
    const backend = new DockerBackend({
      ...this.o.backendOptions,
      dataDir: this.o.dataDir,
      docker,
      workspace: 'volume',
      engine: name,
      // The host's uid means nothing on another machine: the image's user, and files copied in belong to it.
      user: null,
    });
    return this.attach(name, record, backend, docker);
  }

  private attach(name: string, record: EngineRecord | null, backend: DockerBackend, docker: Dockerode | null): Live {
    const store = new DisposableStore();
    const l: Live = {
      name,
      record,
      docker: docker ?? backend.client,
      backend,
      available: null,
      reason: null,
      since: null,
      sub: store,
    };
    store.add(backend.onDidExit((e) => this.exitEmitter.fire(e)));
    store.add(backend.onDidChangeAvailability((a) => this.setState(l, a)));
    this.live.set(name, l);
    return l;
  }

  private setState(l: Live, a: Availability): void {
    const changed = l.available !== a.available;
    l.available = a.available;
    if (!a.available) l.reason = a.reason;
    if (a.available) l.since = null;
    else if (l.since === null) l.since = Date.now();
    if (changed && !this.disposed) this.changeEmitter.fire({ engine: l.name, available: a.available, reason: a.reason });
  }

  /** Starts watching an engine (events stream and ping): its changes arrive on onDidChangeEngine from now on. */
  async watchEngine(name: string): Promise<Availability> {
    const l = this.entry(name);
    const a = await l.backend.availability();
    this.setState(l, a);
    return a;
  }

  /** Pings the engine now (3 s at most). */
  async availabilityOf(name: string): Promise<Availability> {
    return this.watchEngine(name);
  }

  /** The docker backend is available while at least one engine answers (the reason names those that do not). */
  async availability(): Promise<Availability> {
    const names = this.names();
    // An added engine already watched (events stream and ping) is not pinged again: one that does not
    // answer would hold every caller (system:info, the GUI) for the ping's 3 s.
    const known = (n: string): Availability | null => {
      const l = this.live.get(n);
      return n !== LOCAL_ENGINE && l && l.available !== null ? { available: l.available, reason: l.available ? null : l.reason } : null;
    };
    const all = await Promise.all(names.map((n) => known(n) ?? this.watchEngine(n).catch((err: unknown) => ({ available: false, reason: unreachableReason(err) }))));
    const down = all.map((a, i) => (a.available ? null : `${names.length > 1 ? `engine ${names[i]}: ` : ''}${a.reason ?? 'does not answer'}`)).filter((x): x is string => x !== null);
    return { available: down.length < names.length, reason: down.length > 0 ? down.join('; ') : null };
  }

  /** Why the agent's engine cannot be reached right now, or null when it answers (asked at host start). */
  async unreachable(agent: string): Promise<string | null> {
    const engine = this.engineOf(agent);
    if (!this.has(engine)) return `its engine ${engine} was removed`;
    const a = await this.watchEngine(engine).catch((err: unknown) => ({ available: false, reason: unreachableReason(err) }));
    return a.available ? null : `engine ${engine}: ${a.reason ?? 'does not answer'}`;
  }

  async start(spec: StartSpec): Promise<{ pid: number | null }> {
    return this.backendOf(spec.engine ?? this.engineOf(spec.name)).start(spec);
  }

  async stop(name: string, opts?: { killTimeoutMs?: number; restarting?: boolean }): Promise<void> {
    return this.backendOf(this.engineOf(name)).stop(name, opts);
  }

  async isAlive(name: string): Promise<boolean> {
    return this.backendOf(this.engineOf(name)).isAlive(name);
  }

  /**
   * Agents alive on the engines that answer. A container of an agent placed on another engine (moved, or
   * failed over while this engine was away) is stopped and removed here: one agent, one container.
   */
  async listAlive(): Promise<RunningAgent[]> {
    const out: RunningAgent[] = [];
    for (const name of this.names()) {
      const l = this.entry(name);
      if (name !== LOCAL_ENGINE || l.available !== null) {
        const a = await this.watchEngine(name).catch(() => ({ available: false, reason: null }));
        if (!a.available) continue;
      }
      let alive: RunningAgent[];
      try {
        alive = await l.backend.listAlive();
      } catch {
        continue;
      }
      for (const a of alive) {
        const placed = this.o.engineOf(a.name);
        if ((placed ?? LOCAL_ENGINE) === name) out.push(a);
        // Placed on another engine: never two of one agent. (A container of an agent the database does not
        // know is an orphan: reported by `agents orphans`, never touched.)
        else if (placed !== null) await l.backend.stop(a.name, { killTimeoutMs: 10_000 }).catch(() => {});
      }
    }
    return out;
  }

  async sendInput(name: string, text: string, opts: { enter: boolean }): Promise<number> {
    return this.backendOf(this.engineOf(name)).sendInput(name, text, opts);
  }

  async adopt(agent: RunningAgent & { logPath: string }): Promise<void> {
    return this.backendOf(this.engineOf(agent.name)).adopt(agent);
  }

  async pause(name: string): Promise<void> {
    return this.backendOf(this.engineOf(name)).pause(name);
  }

  async resume(name: string): Promise<void> {
    return this.backendOf(this.engineOf(name)).resume(name);
  }

  async stats(name: string): Promise<ContainerStats> {
    return this.backendOf(this.engineOf(name)).stats(name);
  }

  isTracked(name: string): boolean {
    return this.live.get(this.engineOf(name))?.backend.isTracked(name) ?? false;
  }

  reportLost(name: string): void {
    this.backendOf(this.engineOf(name)).reportLost(name);
  }

  hasStandby(name: string): boolean {
    return this.live.get(this.engineOf(name))?.backend.hasStandby(name) ?? false;
  }


  /** Containers of this data dir whose agent the database does not know, on every engine that answers. */
  async findOrphans(knownNames: Iterable<string>): Promise<(Orphan & { engine: string })[]> {
    const known = [...knownNames];
    const out: (Orphan & { engine: string })[] = [];
    for (const name of this.names()) {
      const l = this.entry(name);
      if (name !== LOCAL_ENGINE && l.available === false) continue;
      try {
        out.push(...(await l.backend.findOrphans(known)).map((o) => ({ ...o, engine: name })));
      } catch (err) {
        if (name === LOCAL_ENGINE) throw err;
      }
    }
    return out;
  }

  /** The engine as `hive engines list` shows it: asks it (3 s at most) for its version, CPUs and memory. */
  async describe(name: string): Promise<Engine> {
    const l = this.entry(name);
    const load = this.o.loadOf(name);
    let info: { ServerVersion?: string; NCPU?: number; MemTotal?: number } | null = null as { ServerVersion?: string; NCPU?: number; MemTotal?: number } | null;
    let error: string | null = null;
    try {
      info = (await withTimeout(l.docker.info(), 5000)) as typeof info;
      this.setState(l, { available: true, reason: null });
      // From now on its events stream and ping keep the state current.
      void l.backend.availability().catch(() => {});
    } catch (err) {
      error = unreachableReason(err);
      this.setState(l, { available: false, reason: error });
    }
    return {
      name,
      url: l.record?.url ?? localEngineUrl(),
      tls: l.record?.tlsCert != null,
      reachable: info !== null,
      lastError: error ?? l.reason,
      serverVersion: info?.ServerVersion ?? null,
      cpus: info?.NCPU ?? null,
      memoryBytes: info?.MemTotal ?? null,
      runningAgents: load.running,
      agents: load.total,
      workspace: this.isRemote(name) ? 'volume' : 'bind',
      unreachableSince: l.available === false && l.since !== null ? new Date(l.since).toISOString() : null,
    };
  }

  /**
   * Where a new agent goes when the user names no engine: an engine that answers, has the image, has room
   * for `memoryMb` beside what its running agents asked for, and runs the fewest agents (local on a tie).
   * Refused with every engine's reason when none fits.
   */
  async place(req: { image: string; memoryMb?: number }): Promise<string> {
    const names = this.names();
    if (names.length === 1) {
      // Only this machine's engine: nothing to choose; its own start says what is missing (image, memory).
      const a = await this.watchEngine(LOCAL_ENGINE);
      if (!a.available) throw new HiveError('BACKEND_UNAVAILABLE', a.reason ?? 'The Docker engine does not answer.');
      return LOCAL_ENGINE;
    }
    const verdicts = await Promise.all(
      names.map(async (name): Promise<{ name: string; fits: boolean; hasImage: boolean; why: string; running: number }> => {
        const load = this.o.loadOf(name);
        const l = this.entry(name);
        try {
          const info = (await withTimeout(l.docker.info(), 3000)) as { MemTotal?: number };
          this.setState(l, { available: true, reason: null });
          const hasImage = await this.hasImage(name, req.image);
          const freeMb = (info.MemTotal ?? 0) / 1024 / 1024 - load.reservedMb;
          if (req.memoryMb !== undefined && freeMb < req.memoryMb) {
            return { name, fits: false, hasImage, why: `has ${Math.max(0, Math.floor(freeMb))} MB left for ${req.memoryMb} MB`, running: load.running };
          }
          return { name, fits: true, hasImage, why: hasImage ? '' : `has no image ${req.image}`, running: load.running };
        } catch (err) {
          const why = unreachableReason(err);
          this.setState(l, { available: false, reason: why });
          return { name, fits: false, hasImage: false, why: `does not answer (${why})`, running: load.running };
        }
      }),
    );
    const best = (xs: typeof verdicts) =>
      xs.sort((a, b) => a.running - b.running || Number(a.name !== LOCAL_ENGINE) - Number(b.name !== LOCAL_ENGINE) || a.name.localeCompare(b.name))[0];
    const ready = best(verdicts.filter((v) => v.fits && v.hasImage));
    if (ready) return ready.name;
    // No engine that fits has the image, but one that answers does: the image is copied to the best fit.
    const source = verdicts.find((v) => v.hasImage);
    const target = source ? best(verdicts.filter((v) => v.fits)) : undefined;
    if (source && target) {
      await this.copyImage(req.image, source.name, target.name);
      return target.name;
    }
    const noImage = !verdicts.some((v) => v.hasImage);
    throw new HiveError(
      noImage ? 'IMAGE_NOT_FOUND' : 'BACKEND_UNAVAILABLE',
      `No Docker engine fits this agent: ${verdicts.map((v) => `${v.name} ${v.why || 'fits'}`).join('; ')}. ${
        noImage ? `Build the image on an engine (docker -H URL build -t ${req.image} .) or pull it there (docker -H URL pull ${req.image}).` : 'Free memory on an engine, or name one with --engine.'
      }`,
    );
  }

  async hasImage(engine: string, image: string): Promise<boolean> {
    return withTimeout(this.entry(engine).docker.getImage(image).inspect(), 5000).then(
      () => true,
      () => false,
    );
  }

  /**
   * Makes sure `engine` has `image`: when it does not, the image is copied from an engine that has it
   * (`docker save | docker load` over the two APIs, streamed: no registry needed). IMAGE_NOT_FOUND, saying
   * what to do, when no engine has it.
   */
  async ensureImage(engine: string, image: string): Promise<void> {
    if (await this.hasImage(engine, image)) return;
    for (const other of this.names()) {
      if (other === engine || this.state(other).available === false) continue;
      if (await this.hasImage(other, image)) {
        await this.copyImage(image, other, engine);
        return;
      }
    }
    throw new HiveError('IMAGE_NOT_FOUND', `Engine ${engine} has no image ${image}, and no other engine has it to copy: build it there (docker -H URL build -t ${image} .) or pull it (docker -H URL pull ${image}).`);
  }

  private async copyImage(image: string, from: string, to: string): Promise<void> {
    const src = this.entry(from).docker;
    const dst = this.entry(to).docker;
    try {
      const tar = (await src.getImage(image).get()) as unknown as NodeJS.ReadableStream;
      const load = (await dst.loadImage(tar, { quiet: true })) as unknown as NodeJS.ReadableStream;
      // The engine answers with a JSON progress stream; an error inside it is the load's error.
      await new Promise<void>((resolve, reject) => {
        dst.modem.followProgress(load, (err: Error | null, out: { error?: string }[]) => {
          const failed = err?.message ?? out?.find((o) => o.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        });
      });
    } catch (err) {
      throw new HiveError('IMAGE_NOT_FOUND', `Could not copy the image ${image} from engine ${from} to ${to}: ${err instanceof Error ? err.message : String(err)}.`);
    }
    if (!(await this.hasImage(to, image))) throw new HiveError('IMAGE_NOT_FOUND', `The image ${image} was copied to engine ${to} but is not there: load it by hand (docker save ${image} | docker -H URL load).`);
  }

  /** Drops the engine's connection (after `engines remove`). */
  async forget(name: string): Promise<void> {
    const l = this.live.get(name);
    if (!l || name === LOCAL_ENGINE) return;
    this.live.delete(name);
    await l.sub.dispose();
    await l.backend.dispose();
  }

  /** The container name of an agent (same on every engine). */
  containerName(agent: string): string {
    return containerName(this.hash, agent);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.disposables.dispose();
    await Promise.all(
      [...this.live.values()].map(async (l) => {
        await l.sub.dispose();
        await l.backend.dispose();
      }),
    );
    this.live.clear();
  }
}

function tlsOf(r: EngineRecord): { ca?: string; cert?: string; key?: string } {
  return r.tlsCert ? { ca: r.tlsCa ?? undefined, cert: r.tlsCert, key: r.tlsKey ?? undefined } : {};
}
