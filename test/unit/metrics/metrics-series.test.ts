import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { metricsSeries } from '../../../electron/core/metrics/metrics-series.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';
import { tempDir } from '../../support/git-repo.js';

describe('metrics series from the events table (real SQLite file)', () => {
  let dir: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const T0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  function status(agent: string, s: number, from: string | null, to: string) {
    db.prepare("INSERT INTO events (at, agent, kind, from_status, to_status, cause) VALUES (?, ?, 'status', ?, ?, 'test')").run(at(s), agent, from, to);
  }
  function recovery(agent: string, s: number, downtimeMs: number) {
    db.prepare("INSERT INTO events (at, agent, kind, cause, data) VALUES (?, ?, 'recovery', 'test', ?)").run(at(s), agent, JSON.stringify({ downtimeMs }));
  }

  it('counts agents per state per bucket, restarts, recoveries, the recovery histogram and uptime', () => {
    dir = tempDir();
    db = openDatabase(path.join(dir, 'hive.db'));
    // a: running from before the window; crashes at 30 s, back at 30.2 s.
    status('a', -100, 'starting', 'running');
    status('a', 30, 'running', 'crashed');
    status('a', 30, 'crashed', 'recovering');
    status('a', 30.2, 'recovering', 'running');
    recovery('a', 30.2, 180);
    // b: created inside the window at 40 s, running until it sleeps at 50 s.
    status('b', 40, 'registered', 'starting');
    status('b', 40, 'starting', 'running');
    status('b', 50, 'running', 'sleeping');

    const now = T0 + 60_000;
    const m = metricsSeries(db, now, 60_000, 10_000);
    expect(m.restartsOverTime).toHaveLength(6);
    expect(m.restartsOverTime[3]).toMatchObject({ restarts: 1, recoveries: 1 });
    expect(m.restartsOverTime.reduce((n, b) => n + b.restarts, 0)).toBe(1);
    expect(m.recoveryHistogram.find((h) => h.bucket === '100–250 ms')?.count).toBe(1);
    const last = m.statesOverTime[m.statesOverTime.length - 1]!;
    expect(last.running).toBe(1);
    expect(last.sleeping).toBe(1);
    const first = m.statesOverTime[0]!;
    expect(first.running).toBe(1);
    expect(first.sleeping).toBe(0);
    const up = Object.fromEntries(m.uptimeByAgent.map((u) => [u.agent, u.uptimePercent]));
    // a was down 0.2 s of 60 s; b ran 10 s of the 20 s it existed.
    expect(up.a).toBeCloseTo(99.7, 1);
    expect(up.b).toBeCloseTo(50, 1);
  });
});
