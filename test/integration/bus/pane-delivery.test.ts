import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../../electron/core/bus/in-process-bus.js';
import { formatForPane, formatPendingForResume, PaneDelivery } from '../../../electron/core/bus/pane-delivery.js';
import { run } from '../../../electron/core/ports/exec.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { openDatabase, type Db } from '../../../electron/core/store/database.js';
import { hasService } from '../../support/services.js';

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('pane delivery (opt-in, for agents that only read their terminal)', () => {
  let dir: string;
  let db: Db;
  let bus: InProcessBus;
  let delivery: PaneDelivery | null;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-pane-'));
    db = openDatabase(path.join(dir, 'hive.db'));
    bus = new InProcessBus({ db, clock: systemClock });
    delivery = null;
  });
  afterEach(async () => {
    await delivery?.dispose();
    await bus.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.skipIf(!hasService('tmux'))('into a real tmux pane', () => {
    const socket = `hive-bus-test-${process.pid}`;
    const tmux = (...args: string[]) => run('tmux', ['-L', socket, ...args]);
    afterEach(async () => {
      await tmux('kill-server').catch(() => {});
    });

    it('types each message for an opted-in agent into its pane and acknowledges it', async () => {
      await tmux('new-session', '-d', '-s', 'bob', '-x', '200', '-y', '50', 'cat');
      const capture = async () => (await tmux('capture-pane', '-p', '-t', 'bob')).stdout;
      // What the tmux backend supplies: type literally, press Enter, verify the text reached the pane.
      const sendInput = async (name: string, text: string) => {
        await tmux('send-keys', '-t', name, '-l', text);
        await tmux('send-keys', '-t', name, 'Enter');
        await until('the text in the pane', async () => (await capture()).includes(text), 2000);
      };
      delivery = new PaneDelivery({ bus, clock: systemClock, sendInput, pollMs: 100 });
      await bus.send({ from: 'alice', to: 'carol', body: 'not for a pane' });
      bus.setPaneDelivery('bob', true);
      await bus.send({ from: 'alice', to: 'bob', body: 'first' });
      await bus.send({ from: 'alice', to: 'bob', body: 'second\nline' });
      await until('both acknowledged', () => bus.pendingFor('bob').length === 0);
      const screen = await capture();
      expect(screen).toContain('[hive message from alice] first');
      expect(screen).toContain('[hive message from alice] second ⏎ line');
      expect(screen.indexOf('first')).toBeLessThan(screen.indexOf('second'));
      expect(bus.pendingFor('carol')).toHaveLength(1);
    });
  });

  it('retries a failed typing attempt and keeps the message until it gets through (flaky sendInput stand-in)', async () => {
    const typed: string[] = [];
    let failures = 4;
    const sendInput = async (_name: string, text: string) => {
      if (failures-- > 0) throw new Error('pane did not show the text');
      typed.push(text);
    };
    bus.setPaneDelivery('bob', true);
    delivery = new PaneDelivery({ bus, clock: systemClock, sendInput, attempts: 3, retryDelayMs: 10, pollMs: 100 });
    await bus.send({ from: 'alice', to: 'bob', body: 'one' });
    await bus.send({ from: 'alice', topic: 'x', body: 'nobody' });
    await bus.send({ from: 'alice', to: 'bob', body: 'two' });
    await until('delivered after retries and acknowledged', () => typed.length === 2 && bus.pendingFor('bob').length === 0);
    expect(typed).toEqual(['[hive message from alice] one', '[hive message from alice] two']);
    expect(bus.pendingFor('bob')).toEqual([]);
  });

  it('formats messages for a pane and for the resume context', async () => {
    await bus.subscribe('bob', 'ops');
    await bus.send({ from: 'alice', topic: 'ops', body: 'deploy' });
    await bus.send({ from: 'carol', all: true, body: 'hi all' });
    const pending = bus.pendingFor('bob');
    expect(pending.map(formatForPane)).toEqual(['[hive message from alice on #ops] deploy', '[hive message from carol to all] hi all']);
    expect(formatPendingForResume(pending)).toMatch(/^Messages that arrived while you were away .*\n- \S+ \[hive message from alice on #ops\] deploy\n- /);
    expect(formatPendingForResume([])).toBe('');
  });
});
