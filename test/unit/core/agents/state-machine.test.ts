import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HiveError } from '../../../../shared/errors.js';
import { AGENT_STATUSES, TRANSITIONS, canTransition, type AgentStatus } from '../../../../shared/lifecycle.js';
import { AgentRepo } from '../../../../electron/core/agents/agent-repo.js';
import { DEFAULT_POLICY } from '../../../../electron/core/agents/default-policy.js';
import { StateMachine } from '../../../../electron/core/agents/state-machine.js';
import { EventLog } from '../../../../electron/core/events/event-log.js';
import { systemClock } from '../../../../electron/core/ports/clock.js';
import { openDatabase, type Db } from '../../../../electron/core/store/database.js';
import { tempDir } from '../../../support/git-repo.js';

/** The lifecycle table against a real SQLite file: every pair of statuses, legal or not. */
describe('StateMachine on a real database', () => {
  let dir: string;
  let db: Db;
  let repo: AgentRepo;
  let events: EventLog;
  let machine: StateMachine;
  let n = 0;

  beforeAll(() => {
    dir = tempDir('hive-sm-');
    db = openDatabase(path.join(dir, 'hive.db'));
    repo = new AgentRepo(db);
    events = new EventLog(db, systemClock);
    machine = new StateMachine(db, repo, events, systemClock);
  });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function agentIn(status: AgentStatus): string {
    const name = `a${++n}`;
    repo.insert({
      name,
      role: 'r',
      task: 't',
      status,
      backend: 'process',
      preset: 'custom',
      command: 'true',
      repo: '/nowhere',
      worktree: `/nowhere/${name}`,
      branch: `hive/${name}`,
      createdAt: systemClock.iso(),
      sleepMode: 'snapshot',
      image: null,
      policy: DEFAULT_POLICY,
      options: {},
    });
    return name;
  }

  const rowOf = (name: string) => db.prepare('SELECT * FROM agents WHERE name = ?').get(name);
  const eventsOf = (name: string) => db.prepare('SELECT * FROM events WHERE agent = ? ORDER BY id').all(name);

  const pairs = AGENT_STATUSES.flatMap((from) => AGENT_STATUSES.map((to) => [from, to] as const));
  const legal = pairs.filter(([f, t]) => canTransition(f, t));
  const illegal = pairs.filter(([f, t]) => !canTransition(f, t));

  it('the table only names known statuses and covers every status', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...AGENT_STATUSES].sort());
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(AGENT_STATUSES).toContain(t);
    expect(legal.length).toBeGreaterThan(20);
    expect(illegal.length).toBeGreaterThan(20);
  });

  it.each(legal)('legal %s → %s updates the row and appends one status event in the same commit', (from, to) => {
    const name = agentIn(from);
    const fired: string[] = [];
    const sub = machine.onDidChange((c) => fired.push(`${c.event.from}->${c.event.to}`));
    const { agent, event } = machine.transition({ name, to, cause: `test ${from}->${to}`, actor: 'tester', patch: { lastError: 'why' } });
    sub.dispose();
    expect(agent.status).toBe(to);
    expect(agent.lastError).toBe('why');
    expect(event).toMatchObject({ agent: name, kind: 'status', from, to, cause: `test ${from}->${to}`, actor: 'tester' });
    expect((rowOf(name) as { status: string }).status).toBe(to);
    const evs = eventsOf(name) as { kind: string; from_status: string; to_status: string; id: number }[];
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ kind: 'status', from_status: from, to_status: to, id: event.id });
    expect(fired).toEqual([`${from}->${to}`]);
  });

  it.each(illegal)('illegal %s → %s throws ILLEGAL_TRANSITION and changes nothing', (from, to) => {
    const name = agentIn(from);
    const before = { row: rowOf(name), events: eventsOf(name), total: db.prepare('SELECT count(*) AS c FROM events').get() };
    const fired: unknown[] = [];
    const sub = machine.onDidChange((c) => fired.push(c));
    let err: unknown;
    try {
      machine.transition({ name, to, cause: 'should not happen', patch: { lastError: 'should not be written', pid: 4242 } });
    } catch (e) {
      err = e;
    }
    sub.dispose();
    expect(err).toBeInstanceOf(HiveError);
    expect((err as HiveError).code).toBe('ILLEGAL_TRANSITION');
    expect((err as HiveError).message).toContain(from);
    expect((err as HiveError).message).toContain(to);
    expect(rowOf(name)).toEqual(before.row);
    expect(eventsOf(name)).toEqual(before.events);
    expect(db.prepare('SELECT count(*) AS c FROM events').get()).toEqual(before.total);
    expect(fired).toEqual([]);
  });

  it('a `from` guard refuses a legal transition from an unexpected state and changes nothing', () => {
    const name = agentIn('running');
    const before = rowOf(name);
    expect(() => machine.transition({ name, to: 'stopped', from: ['stopping'], cause: 'race' })).toThrowError(
      expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }),
    );
    expect(rowOf(name)).toEqual(before);
    expect(eventsOf(name)).toEqual([]);
  });

  it('a failure inside the transaction (alsoInTransaction) rolls back the row and the event', () => {
    const name = agentIn('running');
    const before = rowOf(name);
    expect(() =>
      machine.transition({
        name,
        to: 'sleeping',
        cause: 'snapshot row fails',
        alsoInTransaction: () => {
          throw new Error('disk full');
        },
      }),
    ).toThrow('disk full');
    expect(rowOf(name)).toEqual(before);
    expect(eventsOf(name)).toEqual([]);
  });

  it('an unknown agent is AGENT_NOT_FOUND and appends nothing', () => {
    const total = db.prepare('SELECT count(*) AS c FROM events').get();
    expect(() => machine.transition({ name: 'ghost', to: 'running', cause: 'x' })).toThrowError(
      expect.objectContaining({ code: 'AGENT_NOT_FOUND' }),
    );
    expect(db.prepare('SELECT count(*) AS c FROM events').get()).toEqual(total);
  });

  it('a chain of transitions leaves events whose from equals the previous to', () => {
    const name = agentIn('registered');
    const path: AgentStatus[] = ['starting', 'running', 'stopping', 'sleeping', 'starting', 'running', 'crashed', 'recovering', 'running', 'stopped'];
    for (const to of path) machine.transition({ name, to, cause: 'chain' });
    const evs = eventsOf(name) as { from_status: string; to_status: string }[];
    expect(evs.map((e) => e.to_status)).toEqual(path);
    for (let i = 1; i < evs.length; i++) expect(evs[i]!.from_status).toBe(evs[i - 1]!.to_status);
  });
  it('shows sampled CPU and memory only while an agent is running, not its last reading after it stops', () => {
    const name = agentIn('running');
    repo.setUsage(name, { cpuPercent: 12.5, memoryBytes: 4096 });
    expect(repo.get(name)).toMatchObject({ cpuPercent: 12.5, memoryBytes: 4096 });
    machine.transition({ name, to: 'stopping', from: ['running'], cause: 'test', actor: 'test' });
    expect(repo.get(name)).toMatchObject({ cpuPercent: null, memoryBytes: null });
    expect(repo.list().find((a) => a.name === name)).toMatchObject({ cpuPercent: null, memoryBytes: null });
  });
});
