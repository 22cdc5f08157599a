import net from 'node:net';
import type Dockerode from 'dockerode';
import type { Disposable } from '../../ports/disposable.js';
import { HOST_ALIAS } from './container-spec.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * Lets bridged containers reach the API, which listens on loopback only. A container's loopback is its
 * own, so the host is `host.docker.internal` (ExtraHosts `host-gateway` = the docker0 address). This
 * forwards TCP from the docker0 address to the loopback API — same port when free, so a container keeps
 * a working HIVE_URL across forwarder restarts while the API port stays the same. Reachable from containers
 * on this engine only, and the API still demands its token on every request.
 *
 * Only for a local engine: with DOCKER_HOST pointing elsewhere the containers run on another machine,
 * and the URL is left for the user to make reachable.
 */
export class ApiBridge implements Disposable {
  private readonly forwarders = new Map<string, Promise<number | null>>();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private gateway: Promise<string | null> | null = null;
  /** Why the last forward for a target could not be made (shown in the agent's log by the backend). */
  private readonly problems = new Map<string, string>();

  constructor(private readonly docker: Dockerode) {}

  /** The HIVE_URL a container on `network` should use. */
  async urlFor(url: string, network: string): Promise<string> {
    if (network === 'host' || network === 'none' || !localEngine()) return url;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return url;
    }
    if (!LOOPBACK.has(u.hostname)) return url;
    const targetPort = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = await this.forward(host, targetPort);
    if (port === null) {
      this.problems.set(url, this.problems.get(`${host}:${targetPort}`) ?? 'the bridge gateway is unknown');
    } else {
      this.problems.delete(url);
    }
    u.hostname = HOST_ALIAS;
    if (port !== null) u.port = String(port);
    const out = u.toString();
    return !url.endsWith('/') && u.pathname === '/' && out.endsWith('/') ? out.slice(0, -1) : out;
  }

  private forward(host: string, port: number): Promise<number | null> {
    const key = `${host}:${port}`;
    let p = this.forwarders.get(key);
    if (!p) {
      p = this.listen(host, port).catch((err: unknown) => {
        this.problems.set(key, `cannot listen on the bridge gateway: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      });
      this.forwarders.set(key, p);
      // A failure is not remembered: the next container asks again.
      void p.then((port) => {
        if (port === null && this.forwarders.get(key) === p) this.forwarders.delete(key);
      });
    }
    return p;
  }

  /** Why containers cannot reach `url` through the bridge, or null when they can (or it was not asked). */
  problemFor(url: string): string | null {
    return this.problems.get(url) ?? null;
  }

  private async listen(host: string, port: number): Promise<number | null> {
    const gateway = await this.bridgeGateway();
    if (!gateway) {
      this.problems.set(`${host}:${port}`, 'the engine did not say its bridge gateway address');
      return null;
    }
    // Half-open on both sides: a client that sends its request and shuts down its write side (nc, curl
    // with HTTP/1.0) must still get the answer.
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ port, host, allowHalfOpen: true });
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
    server.unref();
    const bound = await bind(server, gateway, port).catch(() => bind(server, gateway, 0));
    this.servers.push(server);
    return bound;
  }

  /**
   * The address `host.docker.internal` should name in a bridged container: the gateway the forwarders
   * listen on, for a local engine; null where the engine's own `host-gateway` has to do (a remote engine).
   */
  async hostAddress(network: string): Promise<string | null> {
    if (network === 'host' || network === 'none' || !localEngine()) return null;
    return this.bridgeGateway();
  }

  /**
   * docker0's address. Whether it is an address of this machine (it is not when the engine runs in a VM)
   * shows when binding to it: os.networkInterfaces() cannot tell, it leaves out docker0 while no container
   * is attached (no carrier).
   */
  bridgeGateway(): Promise<string | null> {
    this.gateway ??= (async () => {
      try {
        const net = await this.docker.getNetwork('bridge').inspect();
        return (net as { IPAM?: { Config?: { Gateway?: string }[] } }).IPAM?.Config?.find((c) => c.Gateway)?.Gateway ?? null;
      } catch {
        this.gateway = null; // Ask again next time: the engine may have been busy.
        return null;
      }
    })();
    return this.gateway;
  }

  dispose(): void {
    for (const s of this.sockets) s.destroy();
    for (const s of this.servers) s.close();
    this.sockets.clear();
    this.servers.length = 0;
    this.forwarders.clear();
  }
}

function bind(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** The engine of DOCKER_HOST (or the default) is on this machine: a unix socket or named pipe. */
export function localEngine(): boolean {
  const h = process.env.DOCKER_HOST;
  return !h || h.startsWith('unix://') || h.startsWith('npipe://');
}
