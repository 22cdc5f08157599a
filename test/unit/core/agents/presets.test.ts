import { mkdirSync, rmSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SnapshotContents } from '../../../../shared/contract/snapshots.js';
import { directArgv, learnClaudeSessionId, onPath, planLaunch, presetCommand, resumePrompt } from '../../../../electron/core/agents/presets.js';
import { tempDir } from '../../../support/git-repo.js';

const NASTY = `fix it; rm -rf ~ $(touch /tmp/pwned) \`id\` "quoted" 'single'\nsecond line;`;

function snap(over: Partial<SnapshotContents> = {}): SnapshotContents {
  return {
    version: 1,
    agent: 'ada',
    type: 'sleep',
    createdAt: '2026-01-01T00:00:00.000Z',
    task: 'the task',
    role: 'dev',
    outputTail: 'last line',
    memoryFiles: [],
    git: null,
    sessionId: null,
    workingMemory: {},
    pendingMessages: [],
    notes: '',
    ...over,
  };
}

describe('planLaunch', () => {
  it('claude resumes its own session by id when the snapshot has one', () => {
    const plan = planLaunch({ preset: 'claude', command: '', task: NASTY, snapshot: snap({ sessionId: 'abc-123' }), sessionId: 'abc-123' });
    expect(plan).toEqual({ argv: ['claude', '--resume', 'abc-123'], resumedWith: 'session', sessionId: 'abc-123' });
  });

  it('claude starts a new session under the id it is given, so the id is known before Claude writes it', () => {
    const plan = planLaunch({ preset: 'claude', command: '', task: NASTY, snapshot: null, sessionId: null, newSessionId: '11111111-2222-4333-8444-555555555555' });
    expect(plan).toEqual({ argv: ['claude', '--session-id', '11111111-2222-4333-8444-555555555555', NASTY], resumedWith: 'none', sessionId: '11111111-2222-4333-8444-555555555555' });
  });

  it('claude without a session gets the task prompt as exactly one argv element, verbatim', () => {
    const plan = planLaunch({ preset: 'claude', command: '', task: NASTY, snapshot: null, sessionId: null });
    expect(plan).toEqual({ argv: ['claude', NASTY], resumedWith: 'none' });
  });

  it('claude with a snapshot but no session id gets a resume prompt (one argv element)', () => {
    const plan = planLaunch({ preset: 'claude', command: '', task: NASTY, snapshot: snap({ task: NASTY }), sessionId: null });
    expect(plan.resumedWith).toBe('prompt');
    expect(plan.argv).toHaveLength(2);
    expect(plan.argv[1]).toContain(NASTY);
  });

  it('claude with no task runs bare', () => {
    expect(planLaunch({ preset: 'claude', command: '', task: '', snapshot: null, sessionId: null }).argv).toEqual(['claude']);
  });

  it('codex and gemini take the prompt as one argument and stay interactive; they resume their own session by id', () => {
    expect(planLaunch({ preset: 'codex', command: '', task: NASTY, snapshot: null, sessionId: null }).argv).toEqual(['codex', NASTY]);
    expect(planLaunch({ preset: 'codex', command: '', task: NASTY, snapshot: snap(), sessionId: 's-1', toolArgs: ['-c', 'x=1'] })).toEqual({ argv: ['codex', '-c', 'x=1', 'resume', 's-1'], resumedWith: 'session', sessionId: 's-1' });
    expect(planLaunch({ preset: 'gemini', command: '', task: NASTY, snapshot: null, sessionId: null }).argv).toEqual(['gemini', '--prompt-interactive', NASTY]);
  });

  it('aider starts interactive with auto-commits on (never --message, which exits) and gets its task typed; a wake restores its chat history', () => {
    const plan = planLaunch({ preset: 'aider', command: '', task: NASTY, snapshot: null, sessionId: null });
    expect(plan).toEqual({ argv: ['aider'], resumedWith: 'none', initialInput: NASTY });
    expect(plan.argv).not.toContain('--message');
    expect(plan.argv).not.toContain('--no-auto-commits');
    expect(planLaunch({ preset: 'aider', command: '', task: NASTY, snapshot: snap(), sessionId: null }).argv).toEqual(['aider', '--restore-chat-history']);
  });

  it('a preset given a command line runs that program and its options before the preset\'s own arguments; shell syntax is refused', () => {
    expect(planLaunch({ preset: 'claude', command: ' /opt/claude-next/bin/claude  --verbose ', task: 'T', snapshot: null, sessionId: 'abc' }).argv).toEqual(['/opt/claude-next/bin/claude', '--verbose', '--resume', 'abc']);
    expect(planLaunch({ preset: 'gemini', command: 'gemini-nightly', task: 'T', snapshot: null, sessionId: null, newSessionId: 'id-1' }).argv).toEqual(['gemini-nightly', '--session-id', 'id-1', '--prompt-interactive', 'T']);
    expect(planLaunch({ preset: 'codex', command: '', task: 'T', snapshot: null, sessionId: null }).argv).toEqual(['codex', 'T']);
    for (const bad of ['claude; rm -rf ~', 'claude "$HOME"', '~/bin/claude', 'claude | tee x']) {
      expect(() => presetCommand('claude', bad), bad).toThrow(/plain words .* use the custom preset/);
    }
  });

  it('custom runs the user command line through /bin/sh -c and nothing else is added to it', () => {
    const plan = planLaunch({ preset: 'custom', command: 'echo hi && sleep 1', task: NASTY, snapshot: null, sessionId: null });
    expect(plan).toEqual({ argv: ['/bin/sh', '-c', 'echo hi && sleep 1'], resumedWith: 'none' });
    const resumed = planLaunch({ preset: 'custom', command: 'x', task: NASTY, snapshot: snap(), sessionId: null });
    expect(resumed).toEqual({ argv: ['/bin/sh', '-c', 'x'], resumedWith: 'prompt' });
  });

  it('a plain custom command line found on an absolute PATH entry runs without the shell; anything shell-like keeps it', () => {
    const PATH = '/usr/local/bin:/usr/bin:/bin';
    const plan = (command: string, envPath: string | undefined) => planLaunch({ preset: 'custom', command, task: '', snapshot: null, sessionId: null, envPath }).argv;
    expect(plan('sleep 1000', PATH)).toEqual(['sleep', '1000']);
    expect(plan('  bash   /tmp/agent.sh --flag=x  ', PATH)).toEqual(['bash', '/tmp/agent.sh', '--flag=x']);
    expect(plan('/bin/sleep 5', PATH)).toEqual(['/bin/sleep', '5']);
    const shelled = [
      'echo hi && sleep 1', 'echo "quoted"', "echo 'single'", 'echo $HOME', 'echo `id`', 'echo $(id)', 'ls *.ts', 'ls ~/x', 'a | b', 'a; b',
      'a > out', 'a < in', 'a &', 'echo a\nb', 'FOO=1 sleep 1', 'cd /tmp', 'exec sleep 1', 'while', 'read x', 'echo {a,b}', 'echo a#b',
      'no-such-program-hive 1', 'bin/relative 1', './local.sh',
    ];
    for (const line of shelled) expect(plan(line, PATH), line).toEqual(['/bin/sh', '-c', line]);
    // A relative PATH entry could resolve in the worktree first; Docker's PATH is the container's: keep the shell.
    expect(plan('sleep 1', `node_modules/.bin:${PATH}`)).toEqual(['/bin/sh', '-c', 'sleep 1']);
    expect(plan('sleep 1', undefined)).toEqual(['/bin/sh', '-c', 'sleep 1']);
  });

  it('directArgv is null for an empty line and for a non-executable file', () => {
    expect(directArgv('', '/bin')).toBeNull();
    const file = path.join(tempDir('hive-noexec-'), 'notes.txt');
    writeFileSync(file, 'not a program', { mode: 0o644 });
    expect(directArgv(file, '/bin')).toBeNull();
  });

  it('custom without a command line is INVALID_INPUT', () => {
    expect(() => planLaunch({ preset: 'custom', command: '   ', task: '', snapshot: null, sessionId: null })).toThrowError(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

describe('resumePrompt', () => {
  it('names the agent, role, task, restored memory files, git state and pending messages', () => {
    const p = resumePrompt(
      snap({
        memoryFiles: [{ path: '.hive/memory/notes.md', contentBase64: '', sha256: '' }],
        git: { branch: 'hive/ada', head: 'abcdef1234567890', status: '## hive/ada\n M x', patch: '' },
        pendingMessages: [{}, {}],
        notes: 'be careful',
      }),
    );
    expect(p).toContain('agent "ada" (role: dev)');
    expect(p).toContain('Your task: the task');
    expect(p).toContain('.hive/memory/notes.md');
    expect(p).toContain('branch hive/ada at abcdef123456');
    expect(p).toContain('uncommitted changes');
    expect(p).toContain('2 message(s)');
    expect(p).toContain('Notes: be careful');
    expect(p).toContain('last line');
  });
});

describe('onPath and learnClaudeSessionId', () => {
  const dir = tempDir('hive-presets-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds programs on the given PATH only', () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'claude'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'claude'), 0o755);
    expect(onPath('claude', bin)).toBe(true);
    expect(onPath('claude', path.join(dir, 'empty'))).toBe(false);
    expect(onPath('/bin/sh')).toBe(true);
    expect(onPath('/definitely/not/here')).toBe(false);
  });

  it("learns the newest Claude Code session of the worktree from ~/.claude/projects", () => {
    const home = path.join(dir, 'home');
    const worktree = '/data/worktrees/ada.v2';
    expect(learnClaudeSessionId(worktree, home)).toBeNull();
    const proj = path.join(home, '.claude', 'projects', '-data-worktrees-ada-v2');
    mkdirSync(proj, { recursive: true });
    writeFileSync(path.join(proj, 'old-session.jsonl'), '{}');
    writeFileSync(path.join(proj, 'new-session.jsonl'), '{}');
    writeFileSync(path.join(proj, 'notes.txt'), '');
    utimesSync(path.join(proj, 'old-session.jsonl'), new Date(1000), new Date(1000));
    expect(learnClaudeSessionId(worktree, home)).toBe('new-session');
  });
});
