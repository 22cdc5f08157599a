import { spawn } from 'node:child_process';
import http from 'node:http';
import { Duplex } from 'node:stream';
import type { EngineAddress } from './engine-url.js';

type SshAddress = Extract<EngineAddress, { kind: 'ssh' }>;

/**
 * The ssh command line for one connection, the way `DOCKER_HOST=ssh://…` works in the docker CLI: the
 * system's ssh (so the user's ~/.ssh/config, keys and agent apply) runs `docker system dial-stdio` on the
 * other machine, which connects its stdin/stdout to that machine's engine. BatchMode: never a password
 * prompt nobody sees; an unknown host key fails with ssh's own message. HIVE_SSH_CONFIG names an ssh_config
 * to use instead of ~/.ssh/config (ssh reads that from the passwd entry, not $HOME).
 */
export function sshArgv(a: SshAddress, env: NodeJS.ProcessEnv = process.env): string[] {
  const argv = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15'];
  if (env.HIVE_SSH_CONFIG) argv.push('-F', env.HIVE_SSH_CONFIG);
  if (a.port !== null) argv.push('-p', String(a.port));
  if (a.user !== null) argv.push('-l', a.user);
  // `--`: the host is never read as an option (it is also checked when the URL is parsed).
  argv.push('--', a.host, 'docker', 'system', 'dial-stdio');
  return argv;
}

/** One ssh process as a socket for the HTTP client: its stdout is what the engine says, its stdin what we say. */
function sshSocket(a: SshAddress): Duplex {
  const child = spawn('ssh', sshArgv(a), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const socket = Duplex.from({ readable: child.stdout, writable: child.stdin }) as Duplex & Record<string, unknown>;
  const fail = (why: string): void => {
    if (!socket.destroyed) socket.destroy(new Error(why));
  };
  child.on('error', (err) => fail(`ssh could not be started (${err.message}): install the OpenSSH client.`));
  child.on('exit', (code) => {
    const said = stderr.trim().split('\n').filter(Boolean).pop();
    if (code !== 0 && code !== null) fail(`ssh to ${a.host} ended with code ${code}${said ? `: ${said}` : ''}`);
  });
  socket.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  // A kept-alive connection the agent closes while idle ends with an AbortError and no request listening.
  socket.on('error', () => {});
  // What http.Agent and ClientRequest call on a net.Socket; a pipe has no such knobs.
  for (const m of ['setKeepAlive', 'setNoDelay', 'ref', 'unref']) socket[m] = () => socket;
  socket.setTimeout = (_ms: number, cb?: () => void) => {
    if (cb) socket.once('timeout', cb);
    return socket;
  };
  return socket;
}

/** An HTTP agent whose connections are ssh processes; kept alive so a request does not pay a handshake each time. */
export class SshDialAgent extends http.Agent {
  constructor(private readonly address: SshAddress) {
    super({ keepAlive: true, maxFreeSockets: 8 });
  }

  override createConnection(): Duplex {
    return sshSocket(this.address);
  }
}
