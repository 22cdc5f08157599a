import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../support/git-repo.js';
import { CLI, hive, waitFor } from '../../support/host-process.js';

const line = (level: number, agent: string, msg: string) => JSON.stringify({ level, time: Date.now(), agent, action: 'test', msg }) + '\n';

describe('hive logs (the host log read by the CLI, no host needed)', () => {
  it('prints the last lines across rotated files, filters by level and agent, and follows across a rotation without losing a line', async () => {
    const dataDir = tempDir('hive-logs-');
    const logs = path.join(dataDir, 'logs');
    mkdirSync(logs);
    writeFileSync(path.join(logs, 'hive.1.log'), line(30, 'a', 'old one') + line(40, 'b', 'old two'));
    writeFileSync(path.join(logs, 'hive.log'), line(30, 'a', 'new one') + 'not json\n' + line(50, 'b', 'new two'));
    const all = await hive(dataDir, ['logs', '--json', '-n', '0']);
    expect(all.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['old one', 'old two', 'new one', 'new two']);
    const last = await hive(dataDir, ['logs', '--json', '-n', '1']);
    expect(JSON.parse(last.stdout).msg).toBe('new two');
    const warnB = await hive(dataDir, ['logs', '--json', '-n', '0', '--level', 'warn', '--agent', 'b']);
    expect(warnB.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['old two', 'new two']);

    const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'logs', '--follow', '--json', '-n', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    try {
      await waitFor(() => out.includes('new two'), 10_000, 20, 'the first lines');
      await new Promise((r) => setTimeout(r, 300));
      // Written and rotated away within one poll, then a new file: every line arrives once, in order.
      appendFileSync(path.join(logs, 'hive.log'), line(30, 'c', 'just before rotation'));
      renameSync(path.join(logs, 'hive.log'), path.join(logs, 'hive.2.log'));
      writeFileSync(path.join(logs, 'hive.log'), line(30, 'c', 'after rotation'));
      await waitFor(() => out.includes('after rotation'), 10_000, 20, 'the line after the rotation');
      const msgs = out.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
      expect(msgs.slice(-2)).toEqual(['just before rotation', 'after rotation']);
      expect(msgs.filter((m) => m === 'new two')).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('--version prints the install\'s version; --follow on a data dir without a log says it is waiting, then prints what arrives', async () => {
    const version = (JSON.parse(readFileSync(path.resolve('package.json'), 'utf8')) as { version: string }).version;
    const dataDir = tempDir('hive-logs-empty-');
    expect((await hive(dataDir, ['--version'])).stdout.trim()).toBe(version);
    const child = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'logs', '--follow', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    try {
      await waitFor(() => err.includes('waiting for a host'), 10_000, 20, 'the waiting message');
      expect(err).toContain(path.join(dataDir, 'logs'));
      expect(out).toBe('');
      mkdirSync(path.join(dataDir, 'logs'));
      writeFileSync(path.join(dataDir, 'logs', 'hive.log'), line(30, 'a', 'first line'));
      await waitFor(() => out.includes('first line'), 10_000, 20, 'the first line');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
