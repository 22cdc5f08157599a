import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/**
 * A real redis-server for one test file: its own free port and temp dir, no persistence (so a kill loses
 * everything in it, the worst case for the bus), never the system one.
 */
export class RedisServer {
  private proc: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-redis-'));
    const server = new RedisServer(port ?? (await freePort()), dir);
    await server.restart();
    return server;
  }

  /** Starts redis-server on the same port again (after kill). */
  async restart(): Promise<void> {
    if (this.proc) throw new Error('redis-server is already running');
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    // A crashed or interrupted test run must not leave redis-server behind.
    const reap = (): void => void proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.removeListener('exit', reap));
    let log = '';
    proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await canConnect(this.port)) {
        const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch {
          // still loading
        } finally {
          probe.disconnect();
        }
      }
      if (this.proc === null || Date.now() > deadline) throw new Error(`redis-server did not start on ${this.port}: ${log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILL: Redis vanishes with everything in memory, as in a crash. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
    this.proc = null;
  }

  /** SIGSTOP: Redis keeps its connections but answers nothing until resume(), as when it is swapped out. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  /** A plain client for assertions (FLUSHALL, XLEN, HGETALL). Caller disconnects it. */
  client(): Redis {
    return new Redis(this.url, { maxRetriesPerRequest: 1 });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
