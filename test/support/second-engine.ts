import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A second real Docker engine for the multi-engine tests: its own data root, exec root, containerd namespace
 * and unix socket, inside its own network namespace (`unshare --net`) so it never touches the first engine's
 * bridge or iptables rules (a second dockerd with --bridge=none in the host's namespace removes docker0).
 * With `tls`, it also listens on TCP with --tlsverify inside its namespace; a forwarder makes that port
 * reachable as 127.0.0.1:PORT here (TLS runs end to end between the client and dockerd). With `ssh`, an
 * sshd on 127.0.0.1 (its own config, host key and authorized key) runs `docker system dial-stdio` against
 * this engine, as a remote machine would.
 */
export interface SecondEngine {
  dir: string;
  socket: string;
  unixUrl: string;
  tcpUrl: string | null;
  tls: { ca: string; cert: string; key: string } | null;
  sshUrl: string | null;
  /** An ssh_config for HIVE_SSH_CONFIG (key and known host of the test sshd). */
  sshConfig: string | null;
  docker(args: string[]): string;
  /** Stops the engine (SIGTERM, like `systemctl stop docker`); containers stay on disk. */
  stop(): Promise<void>;
  /** Starts it again on the same data root (with live-restore unless told otherwise). */
  start(opts?: { liveRestore?: boolean }): Promise<void>;
  /** Stops everything and removes the data root. */
  destroy(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
// Next to this file in the sources; from dist/ (the bench), back in the sources.
const FORWARDER = [path.join(HERE, 'netns-forward.mjs'), path.resolve(HERE, '..', '..', '..', 'test', 'support', 'netns-forward.mjs')].find((p) => existsSync(p))!;

function sh(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000, ...opts });
}

function makeCerts(dir: string): { ca: string; cert: string; key: string; serverCert: string; serverKey: string } {
  const p = (f: string) => path.join(dir, f);
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=hive-test-ca', '-keyout', p('ca-key.pem'), '-out', p('ca.pem')]);
  const sign = (name: string, cn: string, ext: string) => {
    sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', p(`${name}-key.pem`), '-out', p(`${name}.csr`)]);
    writeFileSync(p(`${name}.ext`), ext);
    sh('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca-key.pem'), '-CAcreateserial', '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`)]);
  };
  sign('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  sign('client', 'hive-test-client', 'extendedKeyUsage=clientAuth\n');
  return { ca: p('ca.pem'), cert: p('client.pem'), key: p('client-key.pem'), serverCert: p('server.pem'), serverKey: p('server-key.pem') };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(fn: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startSecondEngine(opts: { tls?: boolean; ssh?: boolean } = {}): Promise<SecondEngine> {
  const dir = mkdtempSync('/tmp/hive-e2-');
  const socket = path.join(dir, 'docker.sock');
  const fwdSocket = path.join(dir, 'tls-forward.sock');
  const certs = opts.tls ? makeCerts(dir) : null;
  const script = (liveRestore: boolean) => [
    'set -e',
    'ip link set lo up',
    ...(certs ? [`${JSON.stringify(process.execPath)} ${JSON.stringify(FORWARDER)} ${JSON.stringify(fwdSocket)} 2376 &`, `echo $! > ${dir}/forward.pid`] : []),
    [
      'exec dockerd',
      `--data-root ${dir}/data`,
      `--exec-root ${dir}/exec`,
      `--pidfile ${dir}/docker.pid`,
      `-H unix://${socket}`,
      ...(certs ? ['-H tcp://127.0.0.1:2376', '--tlsverify', `--tlscacert ${certs.ca}`, `--tlscert ${certs.serverCert}`, `--tlskey ${certs.serverKey}`] : []),
      '--bridge=none --iptables=false --ip6tables=false',
      // Containers outlive a stopped engine (as on a real server), so "engine back" means adopting them.
      // Without it (start({ liveRestore: false })) a stop stops every container first, as a service restart does.
      `${liveRestore ? '--live-restore ' : ''}--shutdown-timeout 2`,
      '--containerd-namespace hive-e2 --containerd-plugins-namespace hive-e2-plugins',
      `>> ${dir}/dockerd.log 2>&1`,
    ].join(' '),
  ].join('\n');

  let proc: ChildProcess | null = null;
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  const answers = () => {
    try {
      sh('docker', ['info', '--format', '{{.ServerVersion}}'], { env });
      return true;
    } catch {
      return false;
    }
  };
  const start = async (o: { liveRestore?: boolean } = {}) => {
    writeFileSync(path.join(dir, 'run.sh'), script(o.liveRestore ?? true));
    rmSync(path.join(dir, 'docker.pid'), { force: true });
    // Its own process group: stop() signals the whole namespace's processes (dockerd and the forwarder).
    proc = spawn('unshare', ['--net', 'sh', path.join(dir, 'run.sh')], { stdio: 'ignore', detached: true });
    await waitFor(answers, `the second dockerd (log: ${dir}/dockerd.log)`);
  };
  const stopEngine = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    killPidFile(path.join(dir, 'forward.pid'));
    // dockerd only (the script exec'd it): with live-restore its containers keep running, like a real server's.
    try {
      process.kill(p.pid!, 'SIGTERM');
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (p.exitCode === null && p.signalCode === null) {
      try {
        process.kill(p.pid!, 'SIGKILL');
      } catch {}
      await exited;
    }
  };
  let tcpServer: net.Server | null = null;
  let sshd: ChildProcess | null = null;
  const destroy = async (): Promise<void> => {
    if (proc) {
      try {
        const ids = sh('docker', ['ps', '-aq'], { env }).split('\n').filter(Boolean);
        if (ids.length > 0) sh('docker', ['rm', '-f', ...ids], { env });
      } catch {}
    }
    sshd?.kill('SIGTERM');
    tcpServer?.close();
    await stopEngine();
    // Whatever this engine started and left (its containerd, shims) names the directory: ended here.
    killProcessesNaming(dir);
    // dockerd unmounts its layers when it stops; anything still mounted under the root is unmounted here.
    try {
      const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir));
      for (const m of mounts.reverse()) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  let tcpUrl: string | null = null;
  let sshUrl: string | null = null;
  let sshConfig: string | null = null;
  await start();
  try {
    // TLS: 127.0.0.1:PORT here → the forwarder's unix socket → 127.0.0.1:2376 inside the namespace.
    if (certs) {
      await waitFor(() => existsSync(fwdSocket), 'the TLS forwarder');
      tcpServer = net.createServer((client) => {
        const up = net.connect(fwdSocket);
        client.pipe(up).pipe(client);
        const end = () => {
          client.destroy();
          up.destroy();
        };
        client.on('error', end);
        up.on('error', end);
      });
      const port = await freePort();
      await new Promise<void>((r) => tcpServer!.listen(port, '127.0.0.1', () => r()));
      tcpUrl = `tcp://127.0.0.1:${port}`;
    }

    if (opts.ssh) {
      const sdir = path.join(dir, 'ssh');
      mkdirSync(sdir, { mode: 0o700 });
      mkdirSync('/run/sshd', { recursive: true });
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sdir, 'host_key')]);
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sdir, 'client_key')]);
      writeFileSync(path.join(sdir, 'authorized_keys'), readFileSync(path.join(sdir, 'client_key.pub')), { mode: 0o600 });
      const port = await freePort();
      writeFileSync(
        path.join(sdir, 'sshd_config'),
        [
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${sdir}/host_key`,
          `AuthorizedKeysFile ${sdir}/authorized_keys`,
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'PermitRootLogin prohibit-password',
          'StrictModes no',
          'UsePAM no',
          `PidFile ${sdir}/sshd.pid`,
          // The "remote machine"'s docker CLI talks to the second engine.
          `SetEnv DOCKER_HOST=unix://${socket}`,
          '',
        ].join('\n'),
      );
      sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(sdir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let sshdLog = '';
      sshd.stderr!.on('data', (d: Buffer) => (sshdLog += d.toString()));
      const hostPub = readFileSync(path.join(sdir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
      writeFileSync(path.join(sdir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub}\n`);
      sshConfig = path.join(sdir, 'ssh_config');
      writeFileSync(sshConfig, [`Host 127.0.0.1`, `  IdentityFile ${sdir}/client_key`, `  IdentitiesOnly yes`, `  UserKnownHostsFile ${sdir}/known_hosts`, `  StrictHostKeyChecking yes`, ''].join('\n'));
      const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
      sshUrl = `ssh://${user}@127.0.0.1:${port}`;
      await waitFor(() => {
        try {
          sh('ssh', ['-F', sshConfig!, '-o', 'BatchMode=yes', '-p', String(port), '-l', user, '127.0.0.1', 'true']);
          return true;
        } catch {
          return false;
        }
      }, `sshd on 127.0.0.1:${port} (${sshdLog})`, 20_000);
    }

  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    dir,
    socket,
    unixUrl: `unix://${socket}`,
    tcpUrl,
    tls: certs ? { ca: certs.ca, cert: certs.cert, key: certs.key } : null,
    sshUrl,
    sshConfig,
    docker: (args) => sh('docker', args, { env }),
    stop: stopEngine,
    start,
    destroy,
  };
}

function killPidFile(file: string): void {
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGTERM');
  } catch {}
}

function killProcessesNaming(dir: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
}

/** The test busybox image (see busybox-image.ts), built on the second engine too. */
export function ensureImageOn(engine: SecondEngine, build: (dockerHost: string) => string): string {
  return build(engine.unixUrl);
}
