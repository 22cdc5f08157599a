import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import type { Disposable } from '../../ports/disposable.js';

/**
 * One attached connection to a container: stdout and stderr demultiplexed into the agent's log file,
 * stdin for input. The container keeps its stdin open (StdinOnce false), so dropping this connection never
 * ends the agent's input.
 */
export class ContainerIo implements Disposable {
  private ended = false;

  private constructor(
    private readonly stream: NodeJS.ReadWriteStream,
    private readonly log: WriteStream,
  ) {}

  /** Attach before `start()` so the first line the agent prints is not lost. */
  static async attach(docker: Dockerode, container: Dockerode.Container, logPath: string): Promise<ContainerIo> {
    mkdirSync(path.dirname(logPath), { recursive: true });
    const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const log = createWriteStream(logPath, { flags: 'a' });
    // A log write error (disk full) must not take the host down; the agent keeps running.
    log.on('error', () => {});
    const io = new ContainerIo(stream, log);
    // Both streams go to one log, in the order the engine sends them, like a terminal would show them.
    docker.modem.demuxStream(stream, log, log);
    stream.on('error', () => io.close());
    stream.on('end', () => io.close());
    stream.on('close', () => io.close());
    return io;
  }

  get open(): boolean {
    return !this.ended;
  }

  write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ended) {
        reject(new Error('the connection to the container is closed'));
        return;
      }
      this.stream.write(text, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  private close(): void {
    if (this.ended) return;
    this.ended = true;
    this.log.end();
  }

  dispose(): void {
    const s = this.stream as NodeJS.ReadWriteStream & { destroy?: () => void };
    this.close();
    s.destroy?.();
  }
}
