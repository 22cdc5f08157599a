import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channels, type ChannelName, type Req, type Res } from '../../../shared/contract/index.js';
import { HiveError } from '../../../shared/errors.js';
import { registerMsgCommands } from '../../../electron/cli/commands/msg.js';
import type { CliContext } from '../../../electron/cli/context.js';
import { busHandlers } from '../../../electron/core/bus/handlers.js';
import { InProcessBus } from '../../../electron/core/bus/in-process-bus.js';
import { HiveCore } from '../../../electron/core/hive-core.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';

/**
 * The `hive msg` / `hive memory` commands and the bus handlers end to end, minus HTTP: the stand-in API
 * client validates every request and response with the contract's schemas, as the host does.
 */
describe('hive msg / hive memory commands over the bus handlers', () => {
  let dir: string;
  let db: Db;
  let bus: InProcessBus;
  let out: string[];
  let run: (...args: string[]) => Promise<void>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-msg-cli-'));
    db = openDatabase(path.join(dir, 'hive.db'));
    bus = new InProcessBus({ db, clock: systemClock });
    const handlers = busHandlers({ bus });
    const api = {
      async invoke<C extends ChannelName>(channel: C, payload: Req<C>): Promise<Res<C>> {
        const req = channels[channel].req.parse(payload);
        const handler = (handlers as Record<string, (r: unknown, c: { actor: string }) => unknown>)[channel];
        if (!handler) throw new HiveError('UNKNOWN_CHANNEL', channel);
        return channels[channel].res.parse(await handler(req, { actor: 'test' })) as Res<C>;
      },
    };
    out = [];
    const ctx = {
      dataDir: () => dir,
      api: () => api,
      print(value: unknown, opts: { json?: boolean }, human?: (v: never) => string) {
        out.push(opts.json || !human ? JSON.stringify(value) : human(value as never));
      },
    } as unknown as CliContext;
    run = async (...args: string[]) => {
      const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
      registerMsgCommands(program, ctx);
      await program.parseAsync(['node', 'hive', ...args]);
    };
  });
  afterEach(async () => {
    delete process.env.HIVE_AGENT;
    await bus.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends direct, topic and broadcast messages and reads the inbox as HIVE_AGENT', async () => {
    await run('msg', 'subscribe', 'review', '--agent', 'bob');
    await run('msg', 'inbox', '--agent', 'carol');
    process.env.HIVE_AGENT = 'alice';
    await run('msg', 'send', '--to', 'bob', 'hello', 'bob');
    await run('msg', 'send', '--topic', 'review', 'PR', '7');
    await run('msg', 'send', '--all', 'standup');
    expect(out.slice(-3)).toEqual([
      expect.stringMatching(/^sent \S+ to 1 recipient\(s\): bob$/),
      expect.stringMatching(/to 1 recipient\(s\): bob$/),
      expect.stringMatching(/to 2 recipient\(s\): bob, carol$/),
    ]);
    process.env.HIVE_AGENT = 'bob';
    out = [];
    await run('msg', 'inbox', '--json');
    const got = JSON.parse(out[0]!) as { body: string; to: string | null; topic: string | null; broadcast: boolean }[];
    expect(got.map((m) => m.body)).toEqual(['hello bob', 'PR 7', 'standup']);
    expect(got.map((m) => [m.to, m.topic, m.broadcast])).toEqual([
      ['bob', null, false],
      [null, 'review', false],
      [null, null, true],
    ]);
    out = [];
    await run('msg', 'inbox');
    expect(out).toEqual(['']);
    await run('msg', 'inbox', '--agent', 'carol');
    expect(out[1]).toMatch(/^\[3\] \S+ alice → all: standup$/);
  });

  it('long-polls with --wait and leaves messages with --no-ack until acknowledged', async () => {
    process.env.HIVE_AGENT = 'bob';
    const waiting = run('msg', 'inbox', '--wait', '5', '--json');
    await new Promise((r) => setTimeout(r, 50));
    await bus.send({ from: 'alice', to: 'bob', body: 'late' });
    await waiting;
    expect((JSON.parse(out[0]!) as { body: string }[]).map((m) => m.body)).toEqual(['late']);
    const m = await bus.send({ from: 'alice', to: 'bob', body: 'keep' });
    out = [];
    await run('msg', 'inbox', '--no-ack', '--json');
    await run('msg', 'inbox', '--no-ack', '--json');
    expect(out.map((o) => (JSON.parse(o) as unknown[]).length)).toEqual([1, 1]);
    await run('msg', 'ack', m.id);
    expect(out[2]).toBe('acknowledged 1');
    expect(bus.pendingFor('bob')).toEqual([]);
  });

  it('lists the log with delivery state per recipient', async () => {
    await bus.send({ from: 'alice', to: 'bob', body: 'one' });
    await bus.inbox('bob');
    await bus.send({ from: 'alice', to: 'carol', body: 'two' });
    await run('msg', 'list', '--for', 'alice');
    expect(out[0]).toMatch(/alice → carol: two\n {4}carol:waiting\n.*alice → bob: one\n {4}bob:acked$/);
  });

  it('sets and gets working memory', async () => {
    process.env.HIVE_AGENT = 'bob';
    await run('memory', 'set', 'plan', 'step 1');
    await run('memory', 'set', 'branch', 'feat/x');
    out = [];
    await run('memory', 'get', 'plan');
    await run('memory', 'get');
    await run('memory', 'get', '--json');
    expect(out).toEqual(['step 1', 'branch=feat/x\nplan=step 1', JSON.stringify({ branch: 'feat/x', plan: 'step 1' })]);
    await expect(run('memory', 'get', 'nope')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('says what to do when the agent name is missing or the address is ambiguous', async () => {
    await expect(run('msg', 'inbox')).rejects.toThrow(/HIVE_AGENT is set there\) or pass --agent NAME/);
    await expect(run('msg', 'send', '--agent', 'a', '--to', 'b', '--all', 'x')).rejects.toThrow(/exactly one of/);
    await expect(run('msg', 'inbox', '--agent', 'a', '--wait', 'soon')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('switches pane delivery and reports the bus state', async () => {
    await run('msg', 'pane', 'bob', 'on');
    expect(bus.paneDeliveryAgents()).toEqual(['bob']);
    await run('msg', 'state', '--json');
    expect(JSON.parse(out[1]!)).toMatchObject({ kind: 'in-process', state: 'connected' });
  });
});

describe('HiveCore builds the bus', () => {
  it('is in-process without a Redis URL and pushes bus:message on send', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hive-core-bus-'));
    const saved = process.env.HIVE_REDIS_URL;
    delete process.env.HIVE_REDIS_URL;
    const core = new HiveCore({ dataDir: dir });
    try {
      expect(core.bus.state()).toMatchObject({ kind: 'in-process', state: 'connected' });
      const pushed: unknown[] = [];
      core.onDidPush((e) => pushed.push(e));
      const m = await core.bus.send({ from: 'alice', to: 'bob', body: 'x' });
      expect(pushed).toContainEqual({ event: 'bus:message', payload: { id: m.id, from: 'alice', to: 'bob', topic: null } });
    } finally {
      await core.dispose();
      if (saved !== undefined) process.env.HIVE_REDIS_URL = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
