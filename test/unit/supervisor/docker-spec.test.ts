import { describe, expect, it } from 'vitest';
import { containerHiveUrl, validateLimits } from '../../../electron/core/supervisor/docker/container-spec.js';
import { dataDirHash } from '../../../electron/core/supervisor/docker/docker-labels.js';
import { splitExitCode } from '../../../electron/core/supervisor/docker/engine-errors.js';
import { activationLine, givenEnv, standbyKey, standbyKeyHash } from '../../../electron/core/supervisor/docker/warm-standby.js';

describe('docker container spec', () => {
  it('rewrites loopback API URLs for bridged containers only', () => {
    expect(containerHiveUrl('http://127.0.0.1:4317', 'bridge')).toBe('http://host.docker.internal:4317');
    expect(containerHiveUrl('http://localhost:4317/api/', 'my-net')).toBe('http://host.docker.internal:4317/api/');
    expect(containerHiveUrl('http://127.0.0.1:4317', 'host')).toBe('http://127.0.0.1:4317');
    expect(containerHiveUrl('http://10.0.0.5:4317', 'bridge')).toBe('http://10.0.0.5:4317');
  });

  it('validates limits and network names', () => {
    expect(validateLimits({ cpus: 1.5, memoryMb: 512 }, 'bridge')).toEqual({ nanoCpus: 1_500_000_000, memoryBytes: 512 * 1024 * 1024, network: 'bridge' });
    expect(() => validateLimits({ cpus: 0.001 }, 'bridge')).toThrow(/CPU limit/);
    expect(() => validateLimits({ memoryMb: 5 }, 'bridge')).toThrow(/Memory limit/);
    expect(() => validateLimits({ memoryMb: 1.5 }, 'bridge')).toThrow(/Memory limit/);
    expect(() => validateLimits({ network: 'container:abc' }, 'bridge')).toThrow(/not allowed/);
    expect(() => validateLimits({ network: 'a b' }, 'bridge')).toThrow(/not allowed/);
  });

  it('hashes the data dir to 12 hex digits, stable for equivalent paths', () => {
    expect(dataDirHash('/tmp/x')).toMatch(/^[0-9a-f]{12}$/);
    expect(dataDirHash('/tmp/x/')).toBe(dataDirHash('/tmp/y/../x'));
    expect(dataDirHash('/tmp/x')).not.toBe(dataDirHash('/tmp/z'));
  });

  it('reads 128+N exit codes as signal N', () => {
    expect(splitExitCode(137)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(splitExitCode(143)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(splitExitCode(3)).toEqual({ code: 3, signal: null });
    expect(splitExitCode(255)).toEqual({ code: 255, signal: null });
  });
});

describe('warm standby activation', () => {
  it('exports changed variables with shell-safe quoting and unsets removed ones', () => {
    const line = activationLine(['HIVE_AGENT=a', 'HIVE_OLD=1'], ['HIVE_AGENT=a', 'HIVE_RESUME_FILE=/hive/resume.md', "HIVE_TASK=it's $(rm -rf /)"]);
    expect(line).toBe("export HIVE_RESUME_FILE='/hive/resume.md'; export HIVE_TASK='it'\\''s $(rm -rf /)'; unset HIVE_OLD");
    expect(activationLine(['A=1'], ['A=1'])).toBe('');
  });

  it('refuses what cannot travel on one line', () => {
    expect(activationLine([], ['HIVE_TASK=two\nlines'])).toBeNull();
    expect(activationLine([], ['BAD-NAME=x'])).toBeNull();
  });

  it('keys on everything but the environment and the name', () => {
    const a = standbyKey({ name: 'x', Image: 'i', Cmd: ['a'], Env: ['A=1'] });
    expect(standbyKey({ name: 'y', Image: 'i', Cmd: ['a'], Env: ['A=2'] })).toBe(a);
    expect(standbyKey({ name: 'x', Image: 'i', Cmd: ['b'], Env: ['A=1'] })).not.toBe(a);
    // The label form carries the image's id: the same tag pointing at another image is another key.
    const o = { name: 'x', Image: 'i', Cmd: ['a'], Env: ['A=1'] };
    expect(standbyKeyHash(o, 'sha256:1')).toMatch(/^[0-9a-f]{32}$/);
    expect(standbyKeyHash({ ...o, name: 'y', Env: ['A=2'] }, 'sha256:1')).toBe(standbyKeyHash(o, 'sha256:1'));
    expect(standbyKeyHash(o, 'sha256:2')).not.toBe(standbyKeyHash(o, 'sha256:1'));
    // An adopted standby's environment without its image's own variables (an activation line never unsets them).
    expect(givenEnv(['PATH=/bin', 'HIVE_AGENT=a', 'NODE_VERSION=20'], ['PATH=/bin', 'NODE_VERSION=20'])).toEqual(['HIVE_AGENT=a']);
    expect(givenEnv(['PATH=/opt', 'HIVE_AGENT=a'], ['PATH=/bin'])).toEqual(['PATH=/opt', 'HIVE_AGENT=a']);
  });
});
