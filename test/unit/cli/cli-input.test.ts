import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../electron/cli/api-client.js';
import { mergeExitCode } from '../../../electron/cli/commands/conflicts.js';
import { decimal, numberOption, readTextFile } from '../../../electron/cli/format.js';

describe('CLI input parsing', () => {
  it('numbers are decimal only: empty, hex and exponents are refused, naming the flag', () => {
    expect(decimal('42')).toBe(42);
    expect(decimal(' 2.5 ')).toBe(2.5);
    expect(decimal('-3')).toBe(-3);
    for (const v of ['', '  ', '0x10', '1e3', 'Infinity', '12abc', '.']) expect(decimal(v), JSON.stringify(v)).toBeNaN();
    expect(() => numberOption('--lines', { integer: true, min: 0 })('')).toThrow(/^--lines takes a whole number of at least 0, not ""\.$/);
    expect(() => numberOption('--limit', { integer: true, min: 1 })('0x10')).toThrow(/not "0x10"/);
  });

  it('a file a flag names: a message that says which flag and why, not a raw ENOENT', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-cli-input-'));
    try {
      expect(() => readTextFile(path.join(dir, 'nope.txt'), '--file')).toThrow(/^Cannot read --file .*nope\.txt: there is no such file\. Give the path of a readable text file \("-" for standard input\)\.$/);
      expect(() => readTextFile(dir, '--file')).toThrow(/: it is a folder\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hive merge exit codes: 0 landed, 2 waiting for a person, 1 check failed or abandoned', () => {
    expect(['clean', 'auto-resolved', 'resolved', 'up-to-date'].map((s) => mergeExitCode(s as never))).toEqual([0, 0, 0, 0]);
    expect(mergeExitCode('escalated')).toBe(2);
    expect(mergeExitCode('check-failed')).toBe(1);
    expect(mergeExitCode('abandoned')).toBe(1);
  });
});

describe('ApiClient against a real HTTP server', () => {
  let server: Server | null = null;
  afterEach(async () => {
    const s = server;
    server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  });

  it('a host that does not answer in time is HOST_TIMEOUT ("may still be doing it"), not HOST_NOT_RUNNING', async () => {
    server = createServer(() => {
      // Never answers: a stop waiting out a long kill timeout, a merge's check command.
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = new ApiClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
    await expect(client.invoke('agents:list', {} as never, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'HOST_TIMEOUT', message: expect.stringMatching(/did not answer agents:list within 0\.3 s\. It may still be doing it/) });
  });

  it('nothing listening is HOST_NOT_RUNNING', async () => {
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server!.close(r));
    server = null;
    await expect(new ApiClient(`http://127.0.0.1:${port}`, 'token').invoke('agents:list', {} as never)).rejects.toMatchObject({ code: 'HOST_NOT_RUNNING' });
  });
});
