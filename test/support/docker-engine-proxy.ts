import net from 'node:net';

/**
 * A unix socket that forwards to the real Docker engine and can be cut and restored: the engine "goes away"
 * for one client without being stopped (other tests keep using it).
 */
export class DockerEngineProxy {
  private readonly open = new Set<net.Socket>();
  private server: net.Server | null = null;
  /** The events on the engine's events stream (`GET …/events`) reach the client this much later: a slow engine. */
  eventsDelayMs = 0;

  constructor(
    readonly socketPath: string,
    private readonly target = '/var/run/docker.sock',
  ) {}

  listen(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (client) => {
      const up = net.connect({ path: this.target, allowHalfOpen: true });
      this.open.add(client).add(up);
      const close = () => {
        client.destroy();
        up.destroy();
        this.open.delete(client);
        this.open.delete(up);
      };
      client.on('error', close).on('close', close);
      up.on('error', close).on('close', close);
      client.pipe(up);
      let events = false;
      client.once('data', (d: Buffer) => (events = /^GET \S*\/events[?\s]/.test(d.toString('latin1', 0, 200))));
      let answered = false;
      up.on('data', (d: Buffer) => {
        // The answer's head goes at once (a client gives up on a stream that does not answer); events after it late.
        const delay = events && answered ? this.eventsDelayMs : 0;
        answered = true;
        if (delay === 0) client.write(d);
        else setTimeout(() => client.writable && client.write(d), delay);
      });
      up.on('end', () => {
        if (!events || this.eventsDelayMs === 0) client.end();
        else setTimeout(() => client.end(), this.eventsDelayMs);
      });
    });
    this.server = server;
    return new Promise((r) => server.listen(this.socketPath, r));
  }

  cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.open) s.destroy();
    this.open.clear();
    return new Promise((r) => (server ? server.close(() => r()) : r()));
  }
}
