import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TmuxBackend } from '../../../electron/core/supervisor/tmux-backend.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { API_PREFIX } from '../../../shared/contract/wire.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { expectStatusChain, killAgentProcesses, pidRunning, sha256 } from '../core/agent-procs.js';

type Listed = Record<string, unknown> & { name: string; status: string; pid: number | null; lastHeartbeatAt: string | null; lastError: string | null; worktree: string; role: string };

const LIST_FIELDS = ['name', 'status', 'backend', 'pid', 'restarts', 'branch', 'worktree', 'role', 'lastHeartbeatAt'];
const MARK = `/tmp/pwned-${randomBytes(6).toString('hex')}`;

/**
 * The agent's command: prints its environment, calls `hive heartbeat` and `hive memory save` the way an
 * agent would (plain `hive`, found on the PATH the host gives it), then ticks.
 */
const AGENT_CMD = [
  `printf 'ENV agent=%s url=%s token=%s data=%s\\n' "$HIVE_AGENT" "$HIVE_URL" "$HIVE_TOKEN" "$HIVE_DATA_DIR"`,
  'hive heartbeat && echo HEARTBEAT-OK',
  `mkdir -p scratch && printf 'learned: %s\\n' "$HIVE_AGENT" > scratch/lesson.md && hive memory save --json scratch/lesson.md && echo MEMORY-OK`,
  'while :; do echo tick; sleep 0.2; done',
].join('; ');

const backends = [
  { kind: 'process', has: true },
  { kind: 'tmux', has: hasService('tmux') },
] as const;

/** One real host for the file (a CLI call costs a Node start-up; a host start costs more). */
describe('hive CLI against a real `hive serve`', () => {
  let dataDir: string;
  let repo: string;
  let host: HostProcess;
  beforeAll(async () => {
    dataDir = tempDir('hive-cli-');
    repo = makeGitRepo();
    host = await startHostProcess(dataDir);
  });
  afterAll(async () => {
    await host?.stop();
    killAgentProcesses(dataDir);
    if (backends[1].has) await new TmuxBackend(dataDir, systemClock).killServer();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
    expect(existsSync(MARK)).toBe(false);
  });

  const list = () => hiveJson<Listed[]>(dataDir, ['agents', 'list']);
  const one = async (name: string) => (await list()).find((a) => a.name === name)!;
  /** Status probes and polling go over HTTP (a CLI call is a Node start-up); the actions go through the CLI. */
  const get = async (name: string): Promise<Listed> => {
    const res = await fetch(`${host.url}${API_PREFIX}agents:get`, { method: 'POST', headers: { authorization: `Bearer ${host.token}` }, body: JSON.stringify({ name }) });
    return ((await res.json()) as { result: Listed }).result;
  };

  it('unknown agent: AGENT_NOT_FOUND, exit 1, a one-line message, for every command that takes a name', async () => {
    const cmds = [
      ['agents', 'show', 'ghost'],
      ['agents', 'sleep', 'ghost'],
      ['agents', 'wake', 'ghost'],
      ['agents', 'restart', 'ghost'],
      ['agents', 'stop', 'ghost'],
      ['agents', 'remove', 'ghost'],
      ['agents', 'logs', 'ghost'],
      ['snapshots', 'list', 'ghost'],
      ['snapshots', 'checkpoint', 'ghost'],
      ['heartbeat', '--agent', 'ghost'],
    ];
    const results = await Promise.all(cmds.map((args) => hive(dataDir, args)));
    results.forEach((r, i) => {
      expect(r.code, cmds[i]!.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^hive: No agent named "ghost"\. .*\[AGENT_NOT_FOUND\]\n$/);
    });
  }, 90_000);

  it('numeric flags that are not numbers: a message naming the flag and the value, exit 1, nothing sent', async () => {
    const cases: [string[], RegExp][] = [
      [['agents', 'spawn', '--name', 'n1', '--repo', repo, '--backend', 'docker', '--cpus', 'abc'], /^hive: --cpus takes a number from 0\.01 to 1024, not "abc"\. \[INVALID_INPUT\]\n$/],
      [['agents', 'spawn', '--name', 'n2', '--repo', repo, '--backend', 'docker', '--memory-mb', '12abc'], /^hive: --memory-mb takes a whole number of at least 1, not "12abc"\. \[INVALID_INPUT\]\n$/],
      [['events', '--limit', 'abc'], /^hive: --limit takes a whole number of at least 1, not "abc"\./],
      [['agents', 'logs', 'x', '--bytes', '-5'], /^hive: --bytes takes a whole number from 1 to 16777216, not "-5"\./],
      [['conflicts', 'list', '--limit', '0'], /^hive: --limit takes a whole number of at least 1, not "0"\./],
      // An empty value was 0 (hang detection silently off), hex and exponents were numbers.
      [['agents', 'policy', 'ghost', '--hang-timeout', ''], /^hive: --hang-timeout takes a non-negative number, not ""\./],
      [['logs', '-n', ''], /^hive: --lines takes a whole number \(0 = all\), not ""\./],
      [['msg', 'inbox', '--agent', 'a', '--wait', '0x10'], /^hive: --wait takes 0 to 600 seconds, not "0x10"\./],
      [['agents', 'send', 'ghost', '--file', '/nonexistent/x.txt'], /^hive: Cannot read --file \/nonexistent\/x\.txt: there is no such file\./],
    ];
    const results = await Promise.all(cases.map(([args]) => hive(dataDir, args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
    expect((await hiveJson<unknown[]>(dataDir, ['agents', 'list', '--json'])).some((a) => ['n1', 'n2'].includes((a as { name: string }).name))).toBe(false);
  }, 90_000);

  it('bad spawns: duplicate name, malformed names, a repo that is not git, claude not on PATH', async () => {
    await hiveJson(dataDir, ['agents', 'spawn', '--name', 'twin', '--repo', repo, '--backend', 'process', '--cmd', 'sleep 600']);
    const notGit = tempDir('hive-not-git-');
    const spawnArgs = (name: string, r = repo, extra: string[] = ['--cmd', 'sleep 600']) => ['agents', 'spawn', '--name', name, '--repo', r, '--backend', 'process', ...extra];
    const badNames = ['; rm -rf ~', `$(touch ${MARK})`, '`id`', 'a b', 'x;', 'new\nline'];
    const [dup, nogit, noclaude, ...names] = await Promise.all([
      hive(dataDir, spawnArgs('twin')),
      hive(dataDir, spawnArgs('nogit', notGit)),
      hive(dataDir, spawnArgs('noclaude', repo, ['--preset', 'claude', '--task', 'hello'])),
      ...badNames.map((n) => hive(dataDir, spawnArgs(n))),
    ]);
    rmSync(notGit, { recursive: true, force: true });
    expect(dup!.code).toBe(1);
    expect(dup!.stderr).toMatch(/An agent named twin already exists.*\[AGENT_EXISTS\]/);
    expect(nogit!.code).toBe(1);
    expect(nogit!.stderr).toMatch(/is not a git repository.*\[NOT_A_GIT_REPO\]/);
    for (const r of names) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is not allowed\. Use letters, digits.*\[INVALID_NAME\]/s);
    }
    // The host's PATH decides whether claude exists; this machine has none.
    if (!execFileSync('sh', ['-c', 'command -v claude || true'], { encoding: 'utf8' }).trim()) {
      expect(noclaude!.code).toBe(1);
      expect(noclaude!.stderr).toMatch(/Command not found: claude.*\[SPAWN_FAILED\]/);
      expect(await get('noclaude')).toMatchObject({ status: 'errored', pid: null, lastError: expect.stringMatching(/Command not found: claude/) });
    }
    const agents = await list();
    expect(agents.map((a) => a.name).filter((n) => n !== 'noclaude')).toEqual(['twin']); // nothing from the refused spawns
    expect((await get('twin')).status).toBe('running');
    await hive(dataDir, ['agents', 'stop', 'twin']);
  }, 90_000);

  for (const { kind, has } of backends) {
    describe.skipIf(!has)(`${kind} backend`, () => {
      const A = `cli-${kind}`;

      it('spawn --json; list --json has the documented fields; output, env, heartbeat and memory save from inside', async () => {
        const spawned = await hiveJson<Listed>(dataDir, ['agents', 'spawn', '--name', A, '--repo', repo, '--backend', kind, '--preset', 'custom', '--cmd', AGENT_CMD, '--role', 'dev', '--task', 'tick']);
        expect(spawned).toMatchObject({ name: A, status: 'running', backend: kind, branch: `hive/${A}`, role: 'dev', task: 'tick' });

        const row = await one(A);
        for (const k of LIST_FIELDS) expect(row).toHaveProperty(k);
        expect(row).toMatchObject({ status: 'running', backend: kind, restarts: 0, branch: `hive/${A}`, role: 'dev', worktree: path.join(dataDir, 'worktrees', A) });
        expect(typeof row.pid).toBe('number');

        // Output arrives in the log and in `agents logs`.
        await waitFor(() => /tick/.test(readFileSync(path.join(dataDir, 'logs', `${A}.log`), 'utf8')), 30_000, 100, 'agent output in its log');
        const logsRun = await hive(dataDir, ['agents', 'logs', A]);
        expect(logsRun.code).toBe(0);
        const logs = logsRun.stdout;
        expect(logs).toContain('tick');
        // The four variables, pointing at this host.
        const token = readFileSync(path.join(dataDir, 'api.token'), 'utf8').trim();
        expect(logs).toContain(`ENV agent=${A} url=${host.url} token=${token} data=${dataDir}`);
        // `hive heartbeat` from inside updated lastHeartbeatAt; `hive memory save` wrote .hive/memory/.
        expect(logs).toContain('HEARTBEAT-OK');
        expect(logs).toContain('MEMORY-OK');
        expect(logs).toMatch(/"saved": \[\s*"\.hive\/memory\/scratch\/lesson\.md"\s*\]/);
        const hb = (await get(A)).lastHeartbeatAt;
        expect(hb).toBeTruthy();
        expect(Date.now() - Date.parse(hb!)).toBeLessThan(300_000);
        const saved = path.join(dataDir, 'worktrees', A, '.hive', 'memory', 'scratch', 'lesson.md');
        expect(readFileSync(saved, 'utf8')).toBe(`learned: ${A}\n`);
        const memEvent = (await hiveJson<{ kind: string; cause: string }[]>(dataDir, ['events', '--agent', A])).find((e) => e.kind === 'memory');
        expect(memEvent?.cause).toBe('1 memory file(s) saved');
      }, 90_000);

      it('sleep / wake / restart / stop / remove, with snapshots and events in their documented shapes', async () => {
        const pid1 = (await get(A)).pid;
        const memFile = path.join(dataDir, 'worktrees', A, '.hive', 'memory', 'scratch', 'lesson.md');
        const memSha = sha256(readFileSync(memFile));

        let r = await hive(dataDir, ['agents', 'sleep', A]);
        expect(r).toMatchObject({ code: 0, stdout: `${A} is sleeping\n` });
        expect(await get(A)).toMatchObject({ status: 'sleeping', pid: null });
        await waitFor(() => !pidRunning(pid1), 15_000, 50, 'the process to end');

        const snaps = await hiveJson<Record<string, unknown>[]>(dataDir, ['snapshots', 'list', A]);
        expect(snaps).toHaveLength(1);
        for (const k of ['id', 'type', 'createdAt', 'sha256', 'bytes']) expect(snaps[0]).toHaveProperty(k);
        expect(snaps[0]).toMatchObject({ type: 'sleep', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number) });

        rmSync(memFile);
        r = await hive(dataDir, ['agents', 'wake', A]);
        expect(r).toMatchObject({ code: 0, stdout: `${A} is running\n` });
        expect(sha256(readFileSync(memFile))).toBe(memSha);
        const pid2 = (await get(A)).pid;
        expect(pidRunning(pid2)).toBe(true);

        r = await hive(dataDir, ['agents', 'restart', A]);
        expect(r).toMatchObject({ code: 0, stdout: `${A} is running\n` });
        const pid3 = (await get(A)).pid;
        expect(pid3).not.toBe(pid2);

        const ids = await hiveJson<{ id: string; type: string }[]>(dataDir, ['snapshots', 'list', A]);
        expect(ids.map((s) => s.type)).toEqual(['checkpoint', 'sleep']);
        const [show, diff, diffJson, cp] = await Promise.all([
          hive(dataDir, ['snapshots', 'show', ids[0]!.id]),
          hive(dataDir, ['snapshots', 'diff', ids[1]!.id, ids[0]!.id]),
          hiveJson<{ diff: string }>(dataDir, ['snapshots', 'diff', ids[1]!.id, ids[0]!.id]),
          hiveJson<{ id: string; type: string }>(dataDir, ['snapshots', 'checkpoint', A, '--note', 'by hand']),
        ]);
        expect(show.code).toBe(0);
        expect(show.stdout).toContain(ids[0]!.id);
        expect(show.stdout).toContain('.hive/memory/scratch/lesson.md');
        expect(diff.code).toBe(0);
        expect(diff.stdout).toContain(`--- ${ids[1]!.id}`);
        expect(diff.stdout).toContain(`+++ ${ids[0]!.id}`);
        expect(diffJson.diff).toBe(diff.stdout.replace(/\n$/, ''));
        const restored = await hiveJson<{ agent: string; restoredFiles: number }>(dataDir, ['snapshots', 'restore', ids[1]!.id]);
        expect(restored).toMatchObject({ agent: A, restoredFiles: 1 });
        expect(cp.type).toBe('checkpoint');

        r = await hive(dataDir, ['agents', 'stop', A]);
        expect(r).toMatchObject({ code: 0, stdout: `${A} is stopped\n` });
        await waitFor(() => !pidRunning(pid3), 15_000, 50, 'the process to end on stop');

        const events = await hiveJson<Record<string, unknown>[]>(dataDir, ['events', '--agent', A]);
        for (const e of events) for (const k of ['at', 'agent', 'from', 'to', 'cause']) expect(e).toHaveProperty(k);
        expect(events.every((e) => e.agent === A)).toBe(true);
        const chain = expectStatusChain([...events].reverse() as never);
        expect(chain.at(-1)).toEqual({ from: 'stopping', to: 'stopped' });
        expect(events.find((e) => e.to === 'sleeping')).toMatchObject({ from: 'stopping', cause: 'slept by cli' });

        // The worktree holds the saved memory file (untracked): plain remove refuses, --force archives.
        r = await hive(dataDir, ['agents', 'remove', A]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/uncommitted change.*\[WORKTREE_DIRTY\]/s);
        expect(existsSync(memFile)).toBe(true);
        r = await hive(dataDir, ['agents', 'remove', A, '--force', '--json']);
        expect(r.code).toBe(0);
        const removed = JSON.parse(r.stdout) as { removed: boolean; archive: string };
        expect(removed.removed).toBe(true);
        expect(readFileSync(path.join(removed.archive, 'uncommitted.patch'), 'utf8')).toContain(`learned: ${A}`);
        expect((await list()).some((a) => a.name === A)).toBe(false);
        expect(existsSync(path.join(dataDir, 'worktrees', A))).toBe(false);
      }, 150_000);

      it('a command that is not found: errored, the exec error in list --json lastError and in events', async () => {
        const n = `nocmd-${kind}-${Math.random().toString(36).slice(2, 6)}`; // unique: a retry spawns again
        const r = await hive(dataDir, ['agents', 'spawn', '--name', n, '--repo', repo, '--backend', kind, '--cmd', 'definitely-not-a-command-xyz']);
        expect(r.code).toBe(0);
        const errored = await waitFor(async () => {
          const a = await get(n);
          return a.status === 'errored' ? a : null;
        }, 30_000, 250, `${n} to be errored`);
        expect(errored.lastError).toMatch(/definitely-not-a-command-xyz: (command )?not found/);
        const ev = await hiveJson<{ to: string; cause: string }[]>(dataDir, ['events', '--agent', n]);
        expect(ev.find((e) => e.to === 'errored')?.cause).toMatch(/definitely-not-a-command-xyz: (command )?not found/);
      }, 90_000);

      it('task and role full of shell syntax are shown verbatim by list/show --json, reach the agent verbatim, never execute', async () => {
        const n = `inj-${kind}`;
        const task = `; rm -rf ~ $(touch ${MARK}) \`touch ${MARK}\` "dq" 'sq'\nsecond line; trailing;`;
        const role = `$(touch ${MARK});`;
        const out = path.join(dataDir, `${n}-task.out`);
        const r = await hive(dataDir, ['agents', 'spawn', '--name', n, '--repo', repo, '--backend', kind, '--cmd', `printf "%s" "$HIVE_TASK" > '${out}'; sleep 600`, '--task', task, '--role', role]);
        expect(r.code).toBe(0);
        const [listed, shown] = await Promise.all([one(n), hiveJson<{ task: string; role: string }>(dataDir, ['agents', 'show', n])]);
        expect(listed.role).toBe(role);
        expect(shown).toMatchObject({ task, role });
        await waitFor(() => existsSync(out) && readFileSync(out, 'utf8') === task, 20_000, 100, 'the agent to see its task verbatim');
        await hive(dataDir, ['agents', 'stop', n]);
        expect(existsSync(MARK)).toBe(false);
      }, 90_000);
    });
  }
});
