import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../electron/core/ports/clock.js';
import type { ExitInfo, StartSpec } from '../../../electron/core/supervisor/backend.js';
import { ProcessBackend } from '../../../electron/core/supervisor/process-backend.js';

let dir: string;
let backend: ProcessBackend;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hive-pb-'));
  backend = new ProcessBackend(dir, systemClock);
});

afterEach(async () => {
  await backend.stop('slow', { killTimeoutMs: 1000 });
  rmSync(dir, { recursive: true, force: true });
});

const spec = (): StartSpec =>
  ({
    name: 'slow',
    // Takes 300 ms to act on SIGTERM, like an agent saving its state.
    argv: ['sh', '-c', "trap 'sleep 0.3; exit 0' TERM; while :; do sleep 0.05; done"],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HIVE_AGENT: 'slow', HIVE_DATA_DIR: dir },
    logPath: path.join(dir, 'slow.log'),
  }) as StartSpec;

describe('ProcessBackend with real processes', () => {
  it('a second stop soon after the first is not reported as an exit (the first stop’s mark once expired inside it)', { timeout: 20_000 }, async () => {
    const exits: ExitInfo[] = [];
    backend.onDidExit((e) => exits.push(e));
    await backend.start(spec());
    await sleep(100);
    await backend.stop('slow');
    await backend.start(spec());
    // The old mark was cleared 1 s after the first stop: the second process's exit lands after that.
    await sleep(800);
    await backend.stop('slow');
    await sleep(300);
    expect(exits).toEqual([]);
    // A real exit is still reported.
    await backend.start({ ...spec(), argv: ['sh', '-c', 'exit 3'] });
    const deadline = Date.now() + 5000;
    while (exits.length === 0 && Date.now() < deadline) await sleep(20);
    expect(exits).toMatchObject([{ name: 'slow', code: 3, reason: 'exit' }]);
  });
});
