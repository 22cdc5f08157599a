import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A two-megabyte image made locally from Debian's busybox-static: tests and benches never pull. */
export const BUSYBOX_IMAGE = 'agent-hive-test/busybox:1';

/** Builds the image with `docker import` of a rootfs tarball unless the engine has it already. */
export function ensureBusyboxImage(image = BUSYBOX_IMAGE): string {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
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
    copyFileSync(busybox, path.join(root, 'bin', 'busybox'));
    chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
    const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
    for (const a of applets) symlinkSync('busybox', path.join(root, 'bin', a));
    const tar = path.join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    execFileSync('docker', ['import', '--change', 'ENV PATH=/bin', tar, image], { stdio: 'ignore' });
    return image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
