import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest, type BackendKind } from '../../../shared/contract/agents.js';
import { HiveError } from '../../../shared/errors.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { waitFor } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { killAgentProcesses, readText } from './agent-procs.js';

const backends: { kind: BackendKind; has: boolean }[] = [
  { kind: 'process', has: true },
  { kind: 'tmux', has: hasService('tmux') },
];

const MARK = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
/** Every way a shell or tmux could be tricked into running something, ending in ";" (tmux's separator). */
const NASTY_TASK = [
  'fix the bug; rm -rf ~',
  `$(touch ${MARK})`,
  `\`touch ${MARK}\``,
  `"; touch ${MARK}; echo "`,
  `'; touch ${MARK}; echo '`,
  `&& touch ${MARK} & | touch ${MARK}`,
  `newline\ntouch ${MARK}\n`,
  '#{pane_pid} %1 ~user $HOME ${PATH} \\; trailing;',
].join(' ');
const NASTY_ROLE = `rev'ie"wer; $(touch ${MARK}) \`id\`\nx;`;
const NASTY_NAMES = ['; rm -rf ~', `$(touch ${MARK})`, '`id`', 'a"b', "a'b", 'line\nbreak', 'trailing;', 'a b', '-lead', '../up', 'a/b', '', 'x'.repeat(65)];

async function rejection(p: Promise<unknown>): Promise<HiveError> {
  try {
    await p;
  } catch (err) {
    return err as HiveError;
  }
  throw new Error('expected a rejection');
}

describe('bad input to the core', () => {
  let f: CoreFixture;
  let savedPath: string | undefined;
  const extra: string[] = [];
  beforeEach(async () => {
    savedPath = process.env.PATH;
    f = await makeCore();
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    killAgentProcesses(f.dataDir);
    await f.cleanup();
    for (const d of extra.splice(0)) rmSync(d, { recursive: true, force: true });
    expect(existsSync(MARK)).toBe(false);
  });

  const spawn = (req: Record<string, unknown>) => f.core.agents.spawn(SpawnRequest.parse({ repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600', ...req }), 'test');

  it('an unknown agent is AGENT_NOT_FOUND for every action', async () => {
    const a = f.core.agents;
    for (const p of [a.sleep('ghost', 't'), a.wake('ghost', 't'), a.restart('ghost', 't'), a.stop('ghost', 't'), a.remove('ghost', true, 't'), a.checkpoint('ghost', null, 't')]) {
      const err = await rejection(p);
      expect(err.code).toBe('AGENT_NOT_FOUND');
      expect(err.message).toContain('"ghost"');
    }
    expect(() => a.get('ghost')).toThrowError(expect.objectContaining({ code: 'AGENT_NOT_FOUND' }));
    expect(() => a.heartbeat('ghost')).toThrowError(expect.objectContaining({ code: 'AGENT_NOT_FOUND' }));
    expect(() => a.saveMemory('ghost', [], 't')).toThrowError(expect.objectContaining({ code: 'AGENT_NOT_FOUND' }));
  });

  it('a duplicate name is AGENT_EXISTS and leaves the first agent untouched', async () => {
    const first = await spawn({ name: 'dup' });
    const err = await rejection(spawn({ name: 'dup', cmd: 'echo second' }));
    expect(err.code).toBe('AGENT_EXISTS');
    expect(err.message).toContain('dup');
    const now = f.core.agents.get('dup');
    expect(now).toMatchObject({ status: 'running', pid: first.pid, command: 'sleep 600' });
    expect(f.core.agents.list()).toHaveLength(1);
  });

  it('malformed names (shell syntax, separators, empty, too long) are INVALID_NAME and create nothing', async () => {
    for (const name of NASTY_NAMES) {
      const err = await rejection(spawn({ name }));
      expect(err.code, JSON.stringify(name)).toBe('INVALID_NAME');
      expect(err.message).toMatch(/letters, digits|characters long|empty/);
    }
    expect(f.core.agents.list()).toEqual([]);
    expect(existsSync(path.join(f.dataDir, 'worktrees')) ? readdirSync(path.join(f.dataDir, 'worktrees')) : []).toEqual([]);
    expect(execFileSync('git', ['branch', '--list', 'hive/*'], { cwd: f.repo, encoding: 'utf8' }).trim()).toBe('');
  });

  it('a repo path that is not a git repository (or missing, or without commits) is NOT_A_GIT_REPO', async () => {
    const plain = tempDir('hive-not-git-');
    const empty = tempDir('hive-no-commits-');
    extra.push(plain, empty);
    execFileSync('git', ['init', '-q'], { cwd: empty });
    for (const repo of [plain, path.join(plain, 'does-not-exist'), empty]) {
      const err = await rejection(spawn({ name: 'nogit', repo }));
      expect(err.code).toBe('NOT_A_GIT_REPO');
      expect(err.message).toMatch(/not a git repository|no commits/);
    }
    expect(f.core.agents.list()).toEqual([]);
  });

  it('the custom preset needs a command line', async () => {
    const err = await rejection(f.core.agents.spawn(SpawnRequest.parse({ name: 'nocmd', repo: f.repo, backend: 'process', preset: 'custom' }), 'test'));
    expect(err.code).toBe('INVALID_INPUT');
  });

  for (const { kind, has } of backends) {
    it.skipIf(!has)(`[${kind}] a command that is not found: the agent is errored with the exec error in lastError and the events`, async () => {
      await spawn({ name: 'nocmd', backend: kind, cmd: 'definitely-not-a-command-xyz' });
      await waitFor(() => f.core.agents.get('nocmd').status === 'errored', 20_000, 50, 'errored');
      const a = f.core.agents.get('nocmd');
      expect(a.lastError).toMatch(/definitely-not-a-command-xyz: (command )?not found/);
      expect(a.lastExitCode).toBe(127);
      expect(a.pid).toBeNull();
      const ev = f.core.events.list({ agent: 'nocmd', limit: 50 }).find((e) => e.kind === 'status' && e.to === 'errored');
      expect(ev?.cause).toMatch(/definitely-not-a-command-xyz: (command )?not found/);
      // It is not restarted in a loop.
      await new Promise((r) => setTimeout(r, 1000));
      expect(f.core.agents.get('nocmd')).toMatchObject({ status: 'errored', restarts: 0 });
    }, 60_000);

    it.skipIf(!has)(`[${kind}] a command not found is errored at once, never taken for a crash (six at once, no restarts)`, async () => {
      const names = ['nf0', 'nf1', 'nf2', 'nf3', 'nf4', 'nf5'];
      for (const name of names) await spawn({ name, backend: kind, cmd: 'definitely-not-a-command-xyz' });
      await waitFor(() => names.every((n) => f.core.agents.get(n).status === 'errored'), 30_000, 100, 'all errored');
      for (const name of names) {
        expect(f.core.agents.get(name)).toMatchObject({ status: 'errored', restarts: 0, lastExitCode: 127 });
        const chain = f.core.events.list({ agent: name, limit: 50 }).filter((e) => e.kind === 'status').reverse().map((e) => `${e.from}>${e.to}`);
        expect(chain, name).toEqual(['registered>starting', 'starting>running', 'running>errored']);
      }
    }, 60_000);

    it.skipIf(!has)(`[${kind}] preset claude without claude on PATH: SPAWN_FAILED, errored, with a clear message`, async () => {
      process.env.PATH = '/usr/bin:/bin';
      const err = await rejection(spawn({ name: 'noclaude', backend: kind, preset: 'claude', cmd: undefined, task: 'hi' }));
      expect(err.code).toBe('SPAWN_FAILED');
      expect(err.message).toMatch(/Command not found: claude/);
      const a = f.core.agents.get('noclaude');
      expect(a).toMatchObject({ status: 'errored', pid: null });
      expect(a.lastError).toMatch(/Command not found: claude.*PATH/);
      const chain = f.core.events.list({ agent: 'noclaude', limit: 50 }).filter((e) => e.kind === 'status').reverse().map((e) => `${e.from}>${e.to}`);
      expect(chain).toEqual(['registered>starting', 'starting>errored']);
    }, 60_000);

    it.skipIf(!has)(`[${kind}] injection strings in task and role are stored and passed verbatim and never executed`, async () => {
      // A stand-in `claude` records its argv and environment exactly (NUL-separated), then waits.
      const bin = tempDir('hive-fake-bin-');
      const out = tempDir('hive-fake-out-');
      extra.push(bin, out);
      writeFileSync(
        path.join(bin, 'claude'),
        `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > '${out}/argv'\nprintf '%s\\0%s' "$HIVE_TASK" "$HIVE_ROLE" > '${out}/env'\nexec sleep 600\n`,
      );
      chmodSync(path.join(bin, 'claude'), 0o755);
      process.env.PATH = `${bin}:${savedPath}`;
      const agent = await spawn({ name: 'inject', backend: kind, preset: 'claude', cmd: undefined, task: NASTY_TASK, role: NASTY_ROLE });
      expect(agent).toMatchObject({ status: 'running', task: NASTY_TASK, role: NASTY_ROLE });
      await waitFor(() => existsSync(path.join(out, 'env')) && readFileSync(path.join(out, 'env'), 'utf8').length > 0, 20_000, 50, 'the fake claude to run');
      // `--session-id <uuid>` (chosen by Agent Hive), then the task as one argument.
      const first = readFileSync(path.join(out, 'argv'), 'utf8').split('\0').slice(0, -1);
      expect(first).toEqual(['--session-id', first[1], NASTY_TASK]);
      expect(readFileSync(path.join(out, 'env'), 'utf8').split('\0')).toEqual([NASTY_TASK, NASTY_ROLE]);
      const listed = f.core.agents.list().find((a) => a.name === 'inject')!;
      expect(listed.task).toBe(NASTY_TASK);
      expect(listed.role).toBe(NASTY_ROLE);
      // Sleep and wake carry the task through the snapshot and the resume prompt, still verbatim.
      await f.core.agents.sleep('inject', 'test');
      rmSync(path.join(out, 'argv'));
      rmSync(path.join(out, 'env'));
      await f.core.agents.wake('inject', 'test');
      // The env file is written after argv is complete (argv exists, empty, as soon as its redirection opens
      // it: reading it then was a flake seen once in five full runs).
      await waitFor(() => existsSync(path.join(out, 'env')) && readFileSync(path.join(out, 'env'), 'utf8').length > 0, 20_000, 50, 'the fake claude to run again');
      // This stand-in writes no session, so there is nothing to resume: the same id again, and the resume
      // prompt (with the task in it) as one argument.
      const resumed = readFileSync(path.join(out, 'argv'), 'utf8').split('\0').slice(0, -1);
      expect(resumed).toHaveLength(3);
      expect(resumed.slice(0, 2)).toEqual(first.slice(0, 2));
      expect(resumed[2]).toContain(NASTY_TASK);
      expect(existsSync(MARK)).toBe(false);
    }, 90_000);
  }
});

describe.skipIf(!hasService('tmux'))('a data dir and repo path full of shell and tmux syntax (tmux backend)', () => {
  it('works: output reaches the log, nothing is executed', async () => {
    const weird = `hive data $(touch ${MARK}) \`id\` 'q' "d" #{pane_pid} ;`;
    // MARK has slashes, so these paths nest a few folders deep: the full path still reads `$(touch /tmp/…)`.
    const root = tempDir('hive-weird-');
    const dataDir = path.join(root, weird);
    const repo = path.join(root, `hive repo $(touch ${MARK}) ; end`);
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(repo, { recursive: true });
    execFileSync('cp', ['-a', `${makeGitRepo()}/.`, repo]);
    const f = await makeCore({ dataDir });
    try {
      const a = await f.core.agents.spawn(SpawnRequest.parse({ name: 'weird', repo, backend: 'tmux', preset: 'custom', cmd: 'echo hello-from-weird; sleep 600' }), 'test');
      expect(a.status).toBe('running');
      await waitFor(() => readText(f.core.agents.logPath('weird')).includes('hello-from-weird'), 20_000, 50, 'output in the log');
      await f.core.agents.stop('weird', 'test');
      expect(existsSync(MARK)).toBe(false);
    } finally {
      killAgentProcesses(dataDir);
      await f.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
    expect(existsSync(MARK)).toBe(false);
  }, 60_000);
});
