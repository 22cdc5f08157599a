import { isIP } from 'node:net';
import { HiveError } from '../../../shared/errors.js';

/** Where an engine answers, parsed and checked: what `DOCKER_HOST` may say, nothing more. */
export type EngineAddress =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls: boolean }
  | { kind: 'ssh'; host: string; port: number | null; user: string | null };

export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

// Hosts and users are passed to ssh as arguments: nothing that ssh could read as an option.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\]|[0-9.]+)$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

function bad(url: string, why: string): HiveError {
  return new HiveError('INVALID_INPUT', `Engine URL ${JSON.stringify(url)}: ${why}`);
}

/** True for 127.0.0.0/8, ::1 and `localhost`: the only hosts plain (unencrypted, unauthenticated) TCP may go to. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

function port(raw: string, url: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) throw bad(url, `port ${raw} is not a port number (1 to 65535).`);
  return n;
}

/**
 * Parses `unix:///path/docker.sock`, `tcp://host:port` or `ssh://[user@]host[:port]`. Plain TCP is refused
 * unless it stays on this machine (loopback): the Docker API has no password, so anyone who reaches the port
 * runs containers as root there. TLS files go with tcp:// only, and then all three.
 */
export function parseEngineUrl(url: string, tls: TlsFiles = {}): EngineAddress {
  const given = [tls.ca, tls.cert, tls.key].filter((x) => x !== undefined).length;
  const m = /^([a-z]+):\/\/(.*)$/.exec(url.trim());
  if (!m) throw bad(url, 'give unix:///path/to/docker.sock, tcp://HOST:PORT (with --tls-ca/--tls-cert/--tls-key) or ssh://USER@HOST[:PORT].');
  const [, scheme, rest] = m as unknown as [string, string, string];
  if (scheme !== 'tcp' && given > 0) throw bad(url, `TLS files go with tcp:// URLs only (${scheme}:// has its own security).`);
  if (scheme === 'unix') {
    if (!rest.startsWith('/') || rest.includes('\0')) throw bad(url, 'a unix socket URL names an absolute path: unix:///var/run/docker.sock.');
    return { kind: 'unix', socketPath: rest };
  }
  if (scheme === 'tcp') {
    const hp = /^(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(rest);
    if (!hp) throw bad(url, 'a TCP URL is tcp://HOST:PORT, for example tcp://build-server:2376.');
    const host = hp[1]!;
    if (!HOST.test(host)) throw bad(url, `${JSON.stringify(host)} is not a host name or address.`);
    if (given > 0 && given < 3) throw bad(url, 'TLS needs all three files: --tls-ca (the CA that signed the engine), --tls-cert and --tls-key (this client\'s certificate and key).');
    const useTls = given === 3;
    if (!useTls && !isLoopback(host)) {
      throw bad(
        url,
        `plain TCP to ${host} is refused: the Docker API has no password, so anyone on the network who reaches that port could run containers as root there, and everything (agents' code, API keys) would cross the network in clear. Give --tls-ca, --tls-cert and --tls-key (the files dockerd --tlsverify uses), or use ssh://USER@${host}.`,
      );
    }
    return { kind: 'tcp', host: host.replace(/^\[|\]$/g, ''), port: port(hp[2]!, url), tls: useTls };
  }
  if (scheme === 'ssh') {
    const sm = /^(?:([^@/]+)@)?(\[[^\]]+\]|[^:/@]+)(?::(\d+))?\/?$/.exec(rest);
    if (!sm) throw bad(url, 'an SSH URL is ssh://USER@HOST or ssh://USER@HOST:PORT.');
    const [, user, host, p] = sm;
    if (user !== undefined && !USER.test(user)) throw bad(url, `${JSON.stringify(user)} is not a user name.`);
    if (!HOST.test(host!)) throw bad(url, `${JSON.stringify(host)} is not a host name or address.`);
    return { kind: 'ssh', host: host!.replace(/^\[|\]$/g, ''), port: p ? port(p, url) : null, user: user ?? null };
  }
  throw bad(url, `${scheme}:// is not an engine address: use unix://, tcp:// or ssh://.`);
}
