import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PREFIX } from '../../../shared/contract/wire.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { TmuxBackend } from '../../../electron/core/supervisor/tmux-backend.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { hasService } from '../../support/services.js';
import { hive, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { agentLeaders, expectStatusChain, killAgentProcesses } from '../core/agent-procs.js';

/**
 * A child that loops sleep/wake on several agents through the API, concurrently, and appends one line per
 * call that returned 200 (written synchronously before the next call). Killed along with the host.
 */
const BURST = `
const fs = require('node:fs');
const [url, token, out, ...names] = process.argv.slice(1);
async function call(channel, name) {
  const res = await fetch(url + ${JSON.stringify(API_PREFIX)} + channel, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
    body: JSON.stringify({ name }),
  });
  const body = await res.json();
  if (res.status === 200) fs.appendFileSync(out, JSON.stringify({ name, channel, status: body.result.status }) + '\\n');
}
async function loop(name) {
  for (;;) {
    await call('agents:sleep', name).catch(() => {});
    await call('agents:wake', name).catch(() => {});
  }
}
for (const n of names) loop(n);
`;

interface Row {
  id: number;
  agent: string;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  cause: string;
}

const backends = [
  { kind: 'process', has: true },
  { kind: 'tmux', has: hasService('tmux') },
] as const;

for (const { kind, has } of backends) {
  describe.skipIf(!has)(`kill -9 of the host in the middle of a burst of transitions (${kind} backend)`, () => {
    let dataDir: string;
    let repo: string;
    let host: HostProcess | undefined;
    beforeAll(() => {
      dataDir = tempDir('hive-crash-');
      repo = makeGitRepo();
    });
    afterAll(async () => {
      await host?.stop();
      killAgentProcesses(dataDir);
      if (kind === 'tmux') await new TmuxBackend(dataDir, systemClock).killServer();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo, { recursive: true, force: true });
    });

    it('leaves an intact database holding every transition whose call returned, and the next host starts', async () => {
      host = await startHostProcess(dataDir);
      const names = ['k1', 'k2', 'k3'];
      for (const name of names) {
        const r = await hive(dataDir, ['agents', 'spawn', '--name', name, '--repo', repo, '--backend', kind, '--cmd', 'while :; do sleep 0.1; done']);
        expect(r.code, r.stderr).toBe(0);
      }
      const out = path.join(dataDir, 'burst.jsonl');
      const burst = spawn(process.execPath, ['-e', BURST, host.url, host.token, out, ...names], { stdio: 'ignore' });
      const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).length : 0);
      try {
        // Let a good number of transitions commit, then kill at a random moment.
        await waitFor(() => lines() >= 8, 90_000, 50, 'a burst of completed calls');
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 700)));
        await host.kill();
      } finally {
        burst.kill('SIGKILL');
      }
      const hostPid = host.child.pid;
      host = undefined;

      const done = readFileSync(out, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { name: string; channel: string; status: string });
      expect(done.length).toBeGreaterThanOrEqual(8);

      const db = new Database(path.join(dataDir, 'hive.db'));
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.pragma('foreign_key_check')).toEqual([]);
        for (const name of names) {
          const rows = db.prepare("SELECT * FROM events WHERE agent = ? AND kind = 'status' ORDER BY id").all(name) as Row[];
          // One unbroken chain: every status event starts where the previous one ended.
          expectStatusChain(rows.map((r) => ({ kind: r.kind, agent: r.agent, from: r.from_status as never, to: r.to_status as never })));
          // The row agrees with the last event.
          const row = db.prepare('SELECT status FROM agents WHERE name = ?').get(name) as { status: string };
          expect(row.status).toBe(rows.at(-1)!.to_status);
          // Every call that returned is in the log: as many committed sleeps and wakes as answered calls, at least.
          const answeredSleeps = done.filter((d) => d.name === name && d.channel === 'agents:sleep').length;
          const answeredWakes = done.filter((d) => d.name === name && d.channel === 'agents:wake').length;
          const slept = rows.filter((r) => r.from_status === 'stopping' && r.to_status === 'sleeping').length;
          const woken = rows.filter((r) => r.from_status === 'starting' && r.to_status === 'running' && r.cause.startsWith('woken')).length;
          expect(slept).toBeGreaterThanOrEqual(answeredSleeps);
          expect(woken).toBeGreaterThanOrEqual(answeredWakes);
          // And nothing was committed that no call could have made: at most one more of each (in flight).
          expect(slept).toBeLessThanOrEqual(answeredSleeps + 1);
          expect(woken).toBeLessThanOrEqual(answeredWakes + 1);
          // Each committed sleep has its snapshot row.
          const snaps = (db.prepare("SELECT count(*) AS c FROM snapshots WHERE agent = ? AND type = 'sleep'").get(name) as { c: number }).c;
          expect(snaps).toBe(Math.min(slept, 20));
        }
      } finally {
        db.close();
      }

      // The dead host's host.json is left behind: the CLI says no host runs (exit 3), naming the dead pid.
      const stale = await hive(dataDir, ['agents', 'list']);
      expect(stale.code).toBe(3);
      expect(stale.stderr).toContain(`(pid ${hostPid}) is not running any more`);

      // The lock died with the host: a new one starts on the same data dir and reconciles.
      host = await startHostProcess(dataDir);
      const after = await waitFor(async () => {
        const r = await hive(dataDir, ['agents', 'list', '--json']);
        const list = r.code === 0 ? (JSON.parse(r.stdout) as { name: string; status: string }[]) : [];
        return list.length === 3 && list.every((a) => ['running', 'sleeping', 'stopped'].includes(a.status)) ? list : null;
      }, 60_000, 500, 'every agent settled after the new host reconciled');
      expect(after.map((a) => a.name).sort()).toEqual(names);
      const ev = await hive(dataDir, ['events', '--json', '--limit', '5000']);
      const all = JSON.parse(ev.stdout) as { agent: string; kind: string; from: string; to: string }[];
      for (const name of names) expectStatusChain(all.filter((e) => e.agent === name).reverse() as never);
      // Never two copies, never an orphan: a running agent has exactly one process, any other none.
      for (const a of after) {
        expect(agentLeaders(dataDir, a.name).length, `${a.name} is ${a.status}`).toBe(a.status === 'running' ? 1 : 0);
      }
    }, 240_000);
  });
}
