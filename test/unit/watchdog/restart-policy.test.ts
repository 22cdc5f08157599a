import { describe, expect, it } from 'vitest';
import type { RestartPolicy } from '../../../shared/contract/agents.js';
import { DEFAULT_POLICY } from '../../../electron/core/agents/default-policy.js';
import type { ExitInfo } from '../../../electron/core/supervisor/backend.js';
import { backoffDelay, classifyExit, countsAsQuickCrash, restartsInWindow } from '../../../electron/core/watchdog/restart-policy.js';

const policy = (p: Partial<RestartPolicy> = {}): RestartPolicy => ({ ...DEFAULT_POLICY, ...p });
const exit = (e: Partial<ExitInfo>): ExitInfo => ({ name: 'a', code: null, signal: null, at: 0, reason: 'exit', ...e });

describe('backoffDelay', () => {
  it('restarts at once the first time with the default policy, then doubles from 100 ms', () => {
    const p = policy();
    expect([0, 1, 2, 3, 4, 5].map((s) => backoffDelay(p, s))).toEqual([0, 100, 200, 400, 800, 1600]);
  });

  it('starts from initialDelayMs when it is larger than 100 ms and grows by factor', () => {
    const p = policy({ initialDelayMs: 500, factor: 3 });
    expect([0, 1, 2, 3].map((s) => backoffDelay(p, s))).toEqual([500, 500, 1500, 4500]);
  });

  it('never exceeds maxDelayMs, however long the streak', () => {
    const p = policy({ initialDelayMs: 1000, factor: 2, maxDelayMs: 5000 });
    expect([1, 2, 3, 4, 10, 50, 1000].map((s) => backoffDelay(p, s))).toEqual([1000, 2000, 4000, 5000, 5000, 5000, 5000]);
  });

  it('with factor 1 the delay is constant (at least 100 ms after the first restart)', () => {
    const p = policy({ initialDelayMs: 0, factor: 1 });
    expect([0, 1, 2, 9].map((s) => backoffDelay(p, s))).toEqual([0, 100, 100, 100]);
  });

  it('is a whole number of ms and monotonic in the streak', () => {
    const p = policy({ initialDelayMs: 7, factor: 1.7, maxDelayMs: 60_000 });
    let last = -1;
    for (let s = 0; s < 40; s++) {
      const d = backoffDelay(p, s);
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(last);
      expect(d).toBeLessThanOrEqual(60_000);
      last = d;
    }
  });
});

describe('classifyExit', () => {
  it('an exit code in stopExitCodes is a stop', () => {
    expect(classifyExit(exit({ code: 0 }), policy(), 50_000)).toBe('stopped');
    expect(classifyExit(exit({ code: 42 }), policy({ stopExitCodes: [0, 42] }), 5)).toBe('stopped');
  });

  it('any other exit code is a crash, also 0 when 0 is not listed', () => {
    expect(classifyExit(exit({ code: 1 }), policy(), 50_000)).toBe('crashed');
    expect(classifyExit(exit({ code: 0 }), policy({ stopExitCodes: [] }), 50_000)).toBe('crashed');
  });

  it('signals, lost servers, removed sessions and unknown codes are crashes', () => {
    expect(classifyExit(exit({ reason: 'killed', signal: 'SIGKILL' }), policy(), 10)).toBe('crashed');
    expect(classifyExit(exit({ reason: 'server-lost' }), policy(), 10)).toBe('crashed');
    expect(classifyExit(exit({ reason: 'removed' }), policy(), 10)).toBe('crashed');
    expect(classifyExit(exit({ code: null }), policy(), 10)).toBe('crashed');
  });

  it('a signal never counts as a stop, even with a listed code', () => {
    expect(classifyExit(exit({ reason: 'killed', code: 0, signal: 'SIGTERM' }), policy(), 10)).toBe('crashed');
  });

  it('126/127 soon after start mean the command cannot run: not-found (no crash loop)', () => {
    expect(classifyExit(exit({ code: 127 }), policy(), 200)).toBe('not-found');
    expect(classifyExit(exit({ code: 126 }), policy(), 9_999)).toBe('not-found');
  });

  it('126/127 after a long run are ordinary crashes (a command inside the agent failed)', () => {
    expect(classifyExit(exit({ code: 127 }), policy(), 10_000)).toBe('crashed');
    expect(classifyExit(exit({ code: 126 }), policy(), 60_000)).toBe('crashed');
  });

  it('a listed stop code wins over not-found', () => {
    expect(classifyExit(exit({ code: 127 }), policy({ stopExitCodes: [127] }), 10)).toBe('stopped');
  });
});

describe('countsAsQuickCrash', () => {
  it("the agent's own exits and kills count toward the backoff streak, also kill -9 (the OOM killer sends it)", () => {
    for (const backend of ['tmux', 'process', 'docker'] as const) {
      expect(countsAsQuickCrash(exit({ code: 3 }), backend)).toBe(true);
      expect(countsAsQuickCrash(exit({ reason: 'killed', signal: 'SIGKILL' }), backend)).toBe(true);
      expect(countsAsQuickCrash(exit({ reason: 'killed', signal: 'SIGSEGV' }), backend)).toBe(true);
      expect(countsAsQuickCrash(exit({ reason: 'hung' }), backend)).toBe(true);
    }
  });

  it('a session or container removed from outside does not, on any backend', () => {
    for (const backend of ['tmux', 'process', 'docker'] as const) expect(countsAsQuickCrash(exit({ reason: 'removed' }), backend)).toBe(false);
  });

  it('on tmux a lost server and a hung-up terminal (SIGHUP) do not; elsewhere they count (a vanished process, a container has no terminal)', () => {
    expect(countsAsQuickCrash(exit({ reason: 'server-lost' }), 'tmux')).toBe(false);
    expect(countsAsQuickCrash(exit({ reason: 'killed', signal: 'SIGHUP' }), 'tmux')).toBe(false);
    expect(countsAsQuickCrash(exit({ reason: 'server-lost' }), 'process')).toBe(true);
    expect(countsAsQuickCrash(exit({ reason: 'server-lost' }), 'docker')).toBe(true);
    expect(countsAsQuickCrash(exit({ reason: 'killed', signal: 'SIGHUP' }), 'docker')).toBe(true);
  });
});

describe('restartsInWindow', () => {
  it('keeps only restarts younger than the window', () => {
    expect(restartsInWindow([1000, 5000, 9000, 9999], 10_000, 5000)).toEqual([9000, 9999]);
  });

  it('a restart exactly windowMs old has left the window', () => {
    expect(restartsInWindow([5000], 10_000, 5000)).toEqual([]);
    expect(restartsInWindow([5001], 10_000, 5000)).toEqual([5001]);
  });

  it('is empty for no history and keeps the order', () => {
    expect(restartsInWindow([], 10_000, 5000)).toEqual([]);
    expect(restartsInWindow([9500, 9100, 9900], 10_000, 5000)).toEqual([9500, 9100, 9900]);
  });
});
