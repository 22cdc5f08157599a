import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../electron/core/store/database.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, waitFor } from '../../support/host-process.js';
import { killAgentProcesses, pidRunning } from '../core/agent-procs.js';

const require = createRequire(import.meta.url);

/** `hive serve` start-up and shutdown: a damaged or locked store is a clear error, never recreated. */
describe('hive serve start-up and shutdown', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = tempDir('hive-serve-');
  });
  afterEach(() => {
    killAgentProcesses(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a corrupt hive.db: DATABASE_CORRUPT, exit 1, the file untouched, no host.json, the lock released', async () => {
    const garbage = randomBytes(20_000);
    writeFileSync(path.join(dataDir, 'hive.db'), garbage);
    const first = await hive(dataDir, ['serve', '--port', '0']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^hive: The database .*hive\.db is damaged .*Nothing was changed\..*\[DATABASE_CORRUPT\]\n$/s);
    expect(readFileSync(path.join(dataDir, 'hive.db')).equals(garbage)).toBe(true);
    expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
    // Same answer again (not HOST_LOCKED: the failed host let go of the lock).
    const second = await hive(dataDir, ['serve', '--port', '0']);
    expect(second.stderr).toContain('[DATABASE_CORRUPT]');
  }, 60_000);

  it('a hive.db held under an exclusive lock by another process: DATABASE_LOCKED, exit 1', async () => {
    openDatabase(path.join(dataDir, 'hive.db')).close();
    const script = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(path.join(dataDir, 'hive.db'))});
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.prepare("INSERT INTO settings (key, value) VALUES ('held', '1')").run();
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);
    `;
    const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve());
        holder.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)));
      });
      const r = await hive(dataDir, ['serve', '--port', '0']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is locked by another process.*\[DATABASE_LOCKED\]/s);
      expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 60_000);

  it('SIGTERM: a clean exit 0, host.json removed, agents keep running, the next host adopts them', async () => {
    const repo = makeGitRepo();
    try {
      const host = await startHostProcess(dataDir);
      const a = await hiveJson<{ pid: number }>(dataDir, ['agents', 'spawn', '--name', 'survivor', '--repo', repo, '--backend', 'process', '--cmd', 'while :; do sleep 0.2; done']);
      expect(pidRunning(a.pid)).toBe(true);
      const exited = new Promise<number | null>((r) => host.child.once('exit', (code) => r(code)));
      host.child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(host.output()).toContain('SIGTERM: stopping the host; agents keep running.');
      expect(existsSync(path.join(dataDir, 'host.json'))).toBe(false);
      expect(pidRunning(a.pid)).toBe(true);

      const next = await startHostProcess(dataDir);
      try {
        expect(next.output()).toContain('Re-attached to 1 running agent(s): survivor');
        const listed = await waitFor(async () => (await hiveJson<{ name: string; status: string; pid: number }[]>(dataDir, ['agents', 'list']))[0], 20_000, 200, 'the list');
        expect(listed).toMatchObject({ name: 'survivor', status: 'running', pid: a.pid });
        await hive(dataDir, ['agents', 'stop', 'survivor']);
        await waitFor(() => !pidRunning(a.pid), 15_000, 50, 'the adopted agent to stop');
      } finally {
        await next.stop();
      }
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  }, 120_000);
});
