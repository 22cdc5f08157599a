import { describe, expect, it } from 'vitest';
import { isLoopback, parseEngineUrl } from '../../../electron/core/engines/engine-url.js';
import { sshArgv } from '../../../electron/core/engines/ssh-dial.js';

const tls = { ca: 'ca', cert: 'cert', key: 'key' };

describe('engine URLs', () => {
  it('parses the three kinds the docker CLI knows', () => {
    expect(parseEngineUrl('unix:///var/run/docker.sock')).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseEngineUrl('tcp://build-1.example.com:2376', tls)).toEqual({ kind: 'tcp', host: 'build-1.example.com', port: 2376, tls: true });
    expect(parseEngineUrl('tcp://127.0.0.1:2375')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375, tls: false });
    expect(parseEngineUrl('tcp://[::1]:2375')).toEqual({ kind: 'tcp', host: '::1', port: 2375, tls: false });
    expect(parseEngineUrl('ssh://dev@build-1:2222')).toEqual({ kind: 'ssh', host: 'build-1', port: 2222, user: 'dev' });
    expect(parseEngineUrl('ssh://build-1')).toEqual({ kind: 'ssh', host: 'build-1', port: null, user: null });
  });

  it('refuses plain TCP off this machine, with the reason and what to do', () => {
    expect(() => parseEngineUrl('tcp://10.0.0.5:2375')).toThrow(/plain TCP to 10\.0\.0\.5 is refused: the Docker API has no password.*--tls-ca.*ssh:\/\/USER@10\.0\.0\.5/);
    expect(() => parseEngineUrl('tcp://localhost:2375')).not.toThrow();
    expect(isLoopback('127.8.9.10')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
    expect(isLoopback('[::1]')).toBe(true);
  });

  it('wants all three TLS files, and only with tcp://', () => {
    expect(() => parseEngineUrl('tcp://build:2376', { ca: 'x' })).toThrow(/all three files/);
    expect(() => parseEngineUrl('ssh://a@b', tls)).toThrow(/TLS files go with tcp:\/\//);
    expect(() => parseEngineUrl('unix:///s', tls)).toThrow(/TLS files go with tcp:\/\//);
  });

  it('refuses what is not an address, and anything ssh could read as an option', () => {
    expect(() => parseEngineUrl('docker.sock')).toThrow(/give unix:\/\//);
    expect(() => parseEngineUrl('http://x:1')).toThrow(/not an engine address/);
    expect(() => parseEngineUrl('unix://relative.sock')).toThrow(/absolute path/);
    expect(() => parseEngineUrl('tcp://host:99999', tls)).toThrow(/not a port number/);
    expect(() => parseEngineUrl('ssh://-oProxyCommand=touch@host')).toThrow(/not a user name/);
    expect(() => parseEngineUrl('ssh://user@-oProxyCommand=x')).toThrow(/not a host name/);
  });

  it('runs ssh with the host after --, never a shell, and with an ssh_config when given', () => {
    const a = { kind: 'ssh' as const, host: 'build-1', port: 2222, user: 'dev' };
    expect(sshArgv(a, {})).toEqual(['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', '-p', '2222', '-l', 'dev', '--', 'build-1', 'docker', 'system', 'dial-stdio']);
    expect(sshArgv({ ...a, port: null, user: null }, { HIVE_SSH_CONFIG: '/x/config' })).toEqual(['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', '-F', '/x/config', '--', 'build-1', 'docker', 'system', 'dial-stdio']);
  });
});
