import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A two-megabyte image made locally from Debian's busybox-static: tests and benches never pull. */
export const BUSYBOX_IMAGE = 'agent-hive-test/busybox:1';

/** An image with busybox and this machine's git (binary and its libraries): for agents that commit by themselves. */
export const GIT_IMAGE = 'agent-hive-test/busybox-git:1';

/** Busybox and its applets in /opt/busybox only: an image without /bin/sh (like a distroless one). */
export const NO_SHELL_IMAGE = 'agent-hive-test/busybox-noshell:1';

/**
 * Builds the image with `docker import` of a rootfs tarball unless the engine has it already. `dockerHost`
 * picks another engine (DOCKER_HOST); `withGit` adds /usr/bin/git and the shared libraries it links.
 */
export function ensureBusyboxImage(image = BUSYBOX_IMAGE, opts: { dockerHost?: string; withGit?: boolean; binaries?: string[]; noShell?: boolean } = {}): string {
  const env = opts.dockerHost ? { ...process.env, DOCKER_HOST: opts.dockerHost } : process.env;
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore', env });
    return image;
  } catch {}
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => {
    try {
      // Only a static busybox runs in an image with no libc.
      return !execFileSync('ldd', [p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).includes('=>');
    } catch {
      return true; // ldd exits non-zero for "not a dynamic executable"
    }
  });
  if (!busybox) throw new Error('No static busybox found: apt-get install busybox-static.');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-busybox-'));
  try {
    const root = path.join(dir, 'rootfs');
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'workspace', 'home']) mkdirSync(path.join(root, d), { recursive: true });
    mkdirSync(path.join(root, 'tmp'));
    chmodSync(path.join(root, 'tmp'), 0o1777);
    const appletDir = opts.noShell ? 'opt/busybox' : 'bin';
    mkdirSync(path.join(root, appletDir), { recursive: true });
    copyFileSync(busybox, path.join(root, appletDir, 'busybox'));
    chmodSync(path.join(root, appletDir, 'busybox'), 0o755);
    const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
    for (const a of applets) symlinkSync('busybox', path.join(root, appletDir, a));
    for (const bin of [...(opts.withGit ? ['/usr/bin/git'] : []), ...(opts.binaries ?? [])]) {
      const libs = execFileSync('ldd', [bin], { encoding: 'utf8' })
        .split('\n')
        .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
        .filter((l): l is string => !!l);
      for (const f of [bin, ...libs]) {
        mkdirSync(path.join(root, path.dirname(f)), { recursive: true });
        copyFileSync(f, path.join(root, f));
        chmodSync(path.join(root, f), 0o755);
      }
    }
    // glibc programs (git, node) resolve names through this; without it glibc asks DNS before /etc/hosts,
    // where Docker writes host.docker.internal.
    writeFileSync(path.join(root, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    const extraDirs = [...new Set([...(opts.withGit ? ['/usr/bin'] : []), ...(opts.binaries ?? []).map((b) => path.dirname(b))])].filter((d) => d !== '/bin');
    execFileSync('docker', ['import', '--change', `ENV PATH=${[`/${appletDir}`, ...extraDirs].join(':')}`, tar, image], { stdio: 'ignore', env });
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
