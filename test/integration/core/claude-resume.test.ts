import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { tempDir } from '../../support/git-repo.js';
import { waitFor } from '../../support/host-process.js';
import { killAgentProcesses } from './agent-procs.js';

/**
 * Sleep / wake with the claude preset, end to end, with a stand-in script for claude (the real CLI is
 * tested in test/integration/agents/real-agents.test.ts): it records its argv and, like Claude Code, writes
 * its session under ~/.claude/projects/<worktree path, every non-alphanumeric as ->/<session id>.jsonl, the id
 * being the one `--session-id` gave it.
 */
describe('claude preset: sleep learns the session id, wake resumes it (fake claude binary)', () => {
  let f: CoreFixture;
  let saved: { PATH?: string; HOME?: string };
  let bin: string;
  let home: string;
  let out: string;
  beforeEach(async () => {
    saved = { PATH: process.env.PATH, HOME: process.env.HOME };
    bin = tempDir('hive-fake-claude-');
    home = tempDir('hive-home-');
    out = tempDir('hive-claude-out-');
    writeFileSync(
      path.join(bin, 'claude'),
      [
        '#!/bin/sh',
        `for a in "$@"; do printf '%s\\0' "$a"; done > '${out}/argv.tmp' && mv '${out}/argv.tmp' '${out}/argv'`,
        `dir="$HOME/.claude/projects/$(pwd | sed 's/[^a-zA-Z0-9]/-/g')"`,
        'id=""; prev=""; for a in "$@"; do [ "$prev" = "--session-id" ] && id="$a"; [ "$prev" = "--resume" ] && id="$a"; prev="$a"; done',
        'mkdir -p "$dir" && [ -e "$dir/$id.jsonl" ] || echo "{}" > "$dir/$id.jsonl"',
        'exec sleep 600',
        '',
      ].join('\n'),
    );
    chmodSync(path.join(bin, 'claude'), 0o755);
    process.env.PATH = `${bin}:${saved.PATH}`;
    process.env.HOME = home;
    f = await makeCore();
  });
  afterEach(async () => {
    process.env.PATH = saved.PATH;
    process.env.HOME = saved.HOME;
    killAgentProcesses(f.dataDir);
    await f.cleanup();
    for (const d of [bin, home, out]) rmSync(d, { recursive: true, force: true });
  });

  const argv = () => readFileSync(path.join(out, 'argv'), 'utf8').split('\0').slice(0, -1);

  it('first start gets the task; after sleep, wake runs `claude --resume <id>`; git state and task are in the snapshot', async () => {
    const { core } = f;
    const a = await core.agents.spawn(SpawnRequest.parse({ name: 'cc', repo: f.repo, backend: 'process', preset: 'claude', task: 'refactor the parser' }), 'test');
    await waitFor(() => existsSync(path.join(out, 'argv')), 20_000, 50, 'claude to start');
    const first = argv();
    expect(first).toEqual(['--session-id', first[1], 'refactor the parser']);
    const id = first[1]!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(core.agents.get('cc').sessionId).toBe(id);
    const sessionFile = path.join(home, '.claude', 'projects', a.worktree.replace(/[^a-zA-Z0-9]/g, '-'), `${id}.jsonl`);
    await waitFor(() => existsSync(sessionFile), 20_000, 50, 'the session file');

    writeFileSync(path.join(a.worktree, 'README.md'), '# edited while working\n');
    await core.agents.sleep('cc', 'test');
    const snap = core.snapshots.read(core.snapshots.list('cc')[0]!.id).contents;
    expect(snap.sessionId).toBe(id);
    expect(snap.task).toBe('refactor the parser');
    expect(snap.git).toMatchObject({ branch: 'hive/cc', head: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: a.worktree, encoding: 'utf8' }).trim() });
    expect(snap.git!.status).toContain('M README.md');
    expect(snap.git!.patch).toContain('+# edited while working');
    expect(core.agents.get('cc').sessionId).toBe(id);

    rmSync(path.join(out, 'argv'));
    const woken = await core.agents.wake('cc', 'test');
    expect(woken.status).toBe('running');
    await waitFor(() => existsSync(path.join(out, 'argv')), 20_000, 50, 'claude to start again');
    expect(argv()).toEqual(['--resume', id]);
    const ev = core.events.list({ agent: 'cc', limit: 1 })[0]!;
    expect(ev).toMatchObject({ kind: 'status', from: 'starting', to: 'running', cause: `woken by test; context resumed with session (session ${id})` });
  }, 90_000);
});
