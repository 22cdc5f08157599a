import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { HOST_FILE } from '../../shared/contract/wire.js';
import { HiveError } from '../../shared/errors.js';

/**
 * One host per data dir. On Linux the lock is a kernel flock held by a small `flock … cat` child whose
 * stdin is our pipe: if this process dies, even by SIGKILL, the pipe closes, the child exits and the lock
 * is released — no stale lock files. Where `flock` is missing, an O_EXCL pid file with a liveness check.
 */
export class HostLock {
  private holder: ChildProcess | null = null;
  private pidFile: string | null = null;

  private constructor(private readonly dataDir: string) {}

  static async acquire(dataDir: string): Promise<HostLock> {
    const lock = new HostLock(dataDir);
    const file = path.join(dataDir, 'host.lock');
    closeSync(openSync(file, 'a'));
    const viaFlock = await lock.tryFlock(file);
    if (viaFlock === 'held') lock.refuse();
    if (viaFlock === 'unavailable') lock.pidFileLock();
    return lock;
  }

  private tryFlock(file: string): Promise<'ok' | 'held' | 'unavailable'> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn('flock', ['-n', '-E', '75', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
          stdio: ['pipe', 'pipe', 'ignore'],
          detached: true,
        });
      } catch {
        resolve('unavailable');
        return;
      }
      let done = false;
      child.on('error', () => {
        if (!done) {
          done = true;
          resolve('unavailable');
        }
      });
      child.stdout?.once('data', () => {
        if (done) return;
        done = true;
        this.holder = child;
        child.stdout?.destroy();
        resolve('ok');
      });
      child.on('exit', (code) => {
        if (done) return;
        done = true;
        resolve(code === 75 ? 'held' : 'unavailable');
      });
    });
  }

  private pidFileLock(): void {
    const file = path.join(this.dataDir, 'host.pid');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeFileSync(fd, String(process.pid));
        closeSync(fd);
        this.pidFile = file;
        return;
      } catch {
        const pid = Number(readFileSync(file, 'utf8'));
        if (pid && alive(pid)) this.refuse(pid);
        rmSync(file, { force: true });
      }
    }
    this.refuse();
  }

  private refuse(pid?: number): never {
    let holder = pid;
    try {
      holder ??= (JSON.parse(readFileSync(path.join(this.dataDir, HOST_FILE), 'utf8')) as { pid: number }).pid;
    } catch {}
    throw new HiveError(
      'HOST_LOCKED',
      `Another Agent Hive host${holder ? ` (pid ${holder})` : ''} is already running for ${this.dataDir}. Use it (its URL is in ${path.join(this.dataDir, HOST_FILE)}), stop it, or choose another --data-dir.`,
    );
  }

  release(): void {
    this.holder?.stdin?.end();
    this.holder?.kill();
    this.holder = null;
    if (this.pidFile && existsSync(this.pidFile)) rmSync(this.pidFile, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
