import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HiveError } from '../../../../shared/errors.js';
import { AgentRepo } from '../../../../electron/core/agents/agent-repo.js';
import { DEFAULT_POLICY } from '../../../../electron/core/agents/default-policy.js';
import { KeyedMutex } from '../../../../electron/core/agents/keyed-mutex.js';
import { StateMachine } from '../../../../electron/core/agents/state-machine.js';
import type { DockerEngines } from '../../../../electron/core/engines/docker-engines.js';
import { EventLog } from '../../../../electron/core/events/event-log.js';
import { systemClock } from '../../../../electron/core/ports/clock.js';
import { Emitter } from '../../../../electron/core/ports/disposable.js';
import { openDatabase, type Db } from '../../../../electron/core/store/database.js';
import { DockerReconciler } from '../../../../electron/core/supervisor/docker/docker-reconciler.js';
import { tempDir } from '../../../support/git-repo.js';

/**
 * What the reconciler does when an engine answers again and adopting one container fails. The engine's
 * answers are FAKED here (a container that vanishes between the listing and its adoption, an API error for
 * one container): neither can be timed on a real engine. The database, the lifecycle and the events are real.
 */
describe('DockerReconciler: an engine back, one adoption failing (engine answers faked)', () => {
  let dir: string;
  let db: Db;
  let repo: AgentRepo;
  let machine: StateMachine;
  let reconciler: DockerReconciler | null = null;
  let mutex: KeyedMutex;
  const change = new Emitter<{ engine: string; available: boolean; reason?: string }>();
  const adopted: string[] = [];
  const lost: string[] = [];
  const notices: { level: string; title: string; body: string }[] = [];

  const backend = {
    listAlive: async () => [{ name: 'gone' }, { name: 'api-error' }, { name: 'fine' }],
    isTracked: () => false,
    adopt: async ({ name }: { name: string }) => {
      if (name === 'gone') throw new HiveError('AGENT_NOT_FOUND', `No container for ${name} on the Docker engine; it cannot be adopted.`);
      if (name === 'api-error') throw new Error('(HTTP code 500) server error - inspect failed');
      adopted.push(name);
    },
    reportLost: (name: string) => lost.push(name),
    stop: async () => undefined,
  };

  beforeEach(() => {
    dir = tempDir('hive-reconcile-');
    db = openDatabase(path.join(dir, 'hive.db'));
    repo = new AgentRepo(db);
    machine = new StateMachine(db, repo, new EventLog(db, systemClock), systemClock);
    for (const name of ['gone', 'api-error', 'fine']) {
      repo.insert({ name, role: 'r', task: 't', status: 'unreachable', backend: 'docker', preset: 'custom', command: 'true', repo: '/nowhere', worktree: `/nowhere/${name}`, branch: `hive/${name}`, createdAt: systemClock.iso(), sleepMode: 'snapshot', image: 'busybox', policy: DEFAULT_POLICY, options: {} });
    }
    adopted.length = 0;
    lost.length = 0;
    notices.length = 0;
    const engines = { onDidChangeEngine: change.event, backendOf: () => backend } as unknown as DockerEngines;
    mutex = new KeyedMutex();
    reconciler = new DockerReconciler({ engines, repo, machine, service: { logPath: (n: string) => path.join(dir, `${n}.log`), mutex }, notify: (level, title, body) => notices.push({ level, title, body }) });
  });
  afterEach(async () => {
    await reconciler?.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const eventsOf = (name: string) => db.prepare('SELECT kind, cause FROM events WHERE agent = ? ORDER BY id').all(name) as { kind: string; cause: string }[];
  const settle = async () => {
    for (let i = 0; i < 50 && repo.get('fine').status !== 'running'; i++) await new Promise((r) => setTimeout(r, 10));
  };

  it('adopts the others, recovers the one whose container is gone, and says why for the one it could not adopt', async () => {
    change.fire({ engine: 'local', available: true });
    await settle();
    // Before, the first failure ended the loop: 'fine' stayed unreachable until the engine changed again.
    expect(repo.get('fine').status).toBe('running');
    expect(adopted).toEqual(['fine']);
    // Container gone: reported lost, so the watchdog recovers it per its policy.
    expect(lost).toEqual(['gone']);
    expect(eventsOf('gone').map((e) => e.cause)).toContain("engine local answers again, but the agent's container is gone: recovered per its restart policy");
    // Any other failure: still unreachable, and the event log says what failed and what to do.
    expect(repo.get('api-error').status).toBe('unreachable');
    const failed = eventsOf('api-error').find((e) => e.kind === 'reconcile-failed');
    expect(failed?.cause).toContain('adopting the agent\'s container failed: (HTTP code 500) server error - inspect failed');
    expect(failed?.cause).toContain('hive agents stop api-error');
    // Left unreachable: a person is told (desktop notice), once, for that agent only.
    expect(notices).toEqual([{ level: 'warning', title: 'api-error could not be re-attached', body: failed!.cause }]);
  });

  it('a reconciliation that fails as a whole is an event, not a silent gap, and the next change still runs', async () => {
    const listAlive = backend.listAlive;
    backend.listAlive = async () => [{ name: 'fine' }];
    const isTracked = backend.isTracked;
    // Outside the per-agent guard: the listing of this engine's agents fails.
    const list = repo.list.bind(repo);
    let broken = true;
    repo.list = () => {
      if (broken) throw new Error('database is closing');
      return list();
    };
    try {
      change.fire({ engine: 'local', available: true });
      for (let i = 0; i < 50 && db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'reconcile-failed'").get()!.n === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const failed = db.prepare("SELECT agent, cause FROM events WHERE kind = 'reconcile-failed'").all() as { agent: string | null; cause: string }[];
      expect(failed).toEqual([{ agent: null, cause: 'engine local answers again, but reconciling its agents failed: database is closing. The next change of the engine tries again.' }]);
      expect(repo.get('fine').status).toBe('unreachable');
      broken = false;
      change.fire({ engine: 'local', available: true });
      await settle();
      expect(repo.get('fine').status).toBe('running');
    } finally {
      backend.listAlive = listAlive;
      backend.isTracked = isTracked;
    }
  });

  it('an agent stopped while the reconciliation waited for its lock is left stopped, not adopted', async () => {
    let release!: () => void;
    const held = mutex.run('fine', () => new Promise<void>((r) => (release = r)));
    change.fire({ engine: 'local', available: true });
    // 'gone' and 'api-error' are handled; 'fine' waits behind the lock, where a stop now takes it.
    for (let i = 0; i < 50 && lost.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    machine.transition({ name: 'fine', to: 'stopped', from: ['unreachable'], cause: 'stop requested by test', actor: 'test' });
    release();
    await held;
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    expect(adopted).toEqual([]);
    expect(repo.get('fine').status).toBe('stopped');
    expect(eventsOf('fine').filter((e) => e.kind !== 'status')).toEqual([]);
  });

  it('one whose container is not alive is reported lost, unless it was stopped while the reconciliation waited for its lock', async () => {
    const listAlive = backend.listAlive;
    backend.listAlive = async () => [{ name: 'fine' }];
    try {
      let release!: () => void;
      const held = mutex.run('gone', () => new Promise<void>((r) => (release = r)));
      change.fire({ engine: 'local', available: true });
      await new Promise((r) => setTimeout(r, 30));
      machine.transition({ name: 'gone', to: 'stopped', from: ['unreachable'], cause: 'stop requested by test', actor: 'test' });
      release();
      await held;
      await settle();
      for (let i = 0; i < 50 && !lost.includes('api-error'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(lost).toEqual(['api-error']);
      expect(repo.get('fine').status).toBe('running');
    } finally {
      backend.listAlive = listAlive;
    }
  });
});
