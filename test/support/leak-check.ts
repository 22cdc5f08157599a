import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { processesMatching } from './tmux-cleanup.js';

/**
 * vitest globalSetup: after the whole run, nothing the tests started may be left — no tmux server or client,
 * redis-server, Chromium, Prometheus, `hive serve`, agent process (anything running from a test's temp dir)
 * or container labelled by a test's data dir. What was there before the run is not counted. The run fails
 * with the list otherwise in CI (a leak is a bug: fix the test's cleanup, not this list); elsewhere it warns.
 */
const tmp = os.tmpdir();
const KINDS: { what: string; needles: string[] }[] = [
  { what: 'tmux', needles: ['tmux'] },
  { what: 'redis-server', needles: ['redis-server'] },
  { what: 'chromium', needles: ['chromium', '--headless'] },
  { what: 'prometheus', needles: ['prometheus', '--storage.tsdb.path'] },
  { what: 'hive serve', needles: ['cli/main.js', ' serve'] },
  { what: 'process in a test temp dir', needles: [`${tmp}/hive-`] },
];

function snapshot(): Map<number, string> {
  const out = new Map<number, string>();
  for (const k of KINDS) for (const p of processesMatching(...k.needles)) out.set(p.pid, `${k.what}: ${p.cmd.slice(0, 200)}`);
  return out;
}

function containers(): Set<string> {
  try {
    const out = execFileSync('docker', ['ps', '-aq', '--filter', 'label=agent-hive.data-dir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return new Set(out.split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}

export default function setup(): () => Promise<void> {
  const before = snapshot();
  const containersBefore = containers();
  return async () => {
    let left: string[] = [];
    // Cleanups that end in a SIGTERM need a moment.
    for (let i = 0; i < 40; i++) {
      left = [...snapshot()].filter(([pid]) => !before.has(pid)).map(([pid, what]) => `pid ${pid} ${what}`);
      left.push(...[...containers()].filter((c) => !containersBefore.has(c)).map((c) => `container ${c}`));
      if (left.length === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    const msg = `The test run left ${left.length} thing(s) running (each test must clean up what it starts):\n${left.join('\n')}`;
    // In CI nothing else runs beside the suite: a leftover is the suite's. Here another run may be going on.
    if (process.env.CI) throw new Error(msg);
    console.warn(`\n!!!! ${msg}\n(not failing outside CI: other runs on this machine may own some of these) !!!!\n`);
  };
}
