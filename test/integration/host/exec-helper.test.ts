import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execHelperPid, run, useExecHelper } from '../../../electron/core/ports/exec.js';
import { ExecHelper, HelperNotStarted } from '../../../electron/core/ports/exec-helper.js';
import { pidAlive } from '../watchdog/watchdog-helpers.js';


async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The same calls, answered in this process and through the helper. */
async function outcomes(dir: string): Promise<unknown[]> {
  const settle = (p: Promise<unknown>) => p.then((r) => ({ ok: r }), (e: Error & { code?: number; stderr?: string }) => ({ err: e.message, code: e.code, stderr: e.stderr }));
  return Promise.all([
    settle(run('sh', ['-c', 'pwd; echo "$HIVE_X"; echo to-err >&2'], { cwd: dir, env: { ...process.env, HIVE_X: 'from env' } })),
    settle(run('cat', [], { input: 'from stdin é\n' })),
    settle(run('cat', [], { input: Buffer.from([0x68, 0x69]) })),
    settle(run('sh', ['-c', 'echo partial; echo bad >&2; exit 3'], { allowFailure: true })),
    settle(run('sh', ['-c', 'echo bad >&2; exit 3'])),
    settle(run('no-such-program-hive', ['x'], { allowFailure: true })),
    settle(run('sleep', ['5'], { timeoutMs: 100, allowFailure: true })),
    // An argument is never a shell string.
    settle(run('echo', ['$(id -u); rm -rf /'])),
  ]);
}

describe('programs started through the exec helper (a host’s)', () => {
  let release: (() => void) | null = null;
  afterEach(() => {
    release?.();
    release = null;
  });

  it('answers every call exactly as running it here does: output, cwd, env, stdin, exit codes, errors, timeouts', async () => {
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'hive-exec-')));
    const here = await outcomes(dir);
    release = useExecHelper();
    const helped = await outcomes(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(execHelperPid()).not.toBeNull();
    expect(execHelperPid()).not.toBe(process.pid);
    expect(helped).toEqual(here);
    // And the answers are the right ones, not merely equal.
    expect(helped[0]).toMatchObject({ ok: { stdout: expect.stringMatching(/\/hive-exec-.*\nfrom env\n$/), stderr: 'to-err\n', code: 0 } });
    expect(helped[1]).toEqual({ ok: { stdout: 'from stdin é\n', stderr: '', code: 0 } });
    expect(helped[2]).toEqual({ ok: { stdout: 'hi', stderr: '', code: 0 } });
    expect(helped[3]).toEqual({ ok: { stdout: 'partial\n', stderr: 'bad\n', code: 3 } });
    expect(helped[4]).toMatchObject({ err: 'sh -c echo bad >&2; exit 3 failed: bad', code: 3 });
    expect(helped[5]).toMatchObject({ err: expect.stringContaining('no-such-program-hive'), code: -1 });
    expect(helped[6]).toMatchObject({ code: -1 });
    expect(helped[7]).toEqual({ ok: { stdout: '$(id -u); rm -rf /\n', stderr: '', code: 0 } });
  });

  it('goes when its last user lets go, and a helper killed from outside fails what it was running (never re-runs it) and is started anew', async () => {
    release = useExecHelper();
    const second = useExecHelper();
    await run('true', []);
    const first = execHelperPid()!;
    const slow = run('sleep', ['5']);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(first, 'SIGKILL');
    await expect(slow).rejects.toThrow(/process helper exited while running this command; it was not retried/);
    expect((await run('echo', ['again'])).stdout).toBe('again\n');
    const next = execHelperPid()!;
    expect(next).not.toBe(first);
    second();
    expect(pidAlive(next)).toBe(true);
    release();
    release = null;
    await until(() => !pidAlive(next));
    expect(execHelperPid()).toBeNull();
    // Without a helper, calls run here again.
    expect((await run('echo', ['here'])).stdout).toBe('here\n');
  });

  it('a helper that cannot start (not Node: an Electron build without RunAsNode) runs nothing and says so, so the caller runs it itself', async () => {
    const h = new ExecHelper('/bin/false');
    await expect(h.run('echo', ['x'], {})).rejects.toBeInstanceOf(HelperNotStarted);
    await until(() => h.broken);
    h.dispose();
  });
});
