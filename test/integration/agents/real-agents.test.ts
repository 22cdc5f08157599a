import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../shared/contract/agents.js';
import { systemClock } from '../../../electron/core/ports/clock.js';
import { TmuxBackend } from '../../../electron/core/supervisor/tmux-backend.js';
import { launchChromium, screenshot } from '../../e2e/chromium-ui.js';
import { fakeAnthropic, fakeGemini, fakeOpenAi, type FakeModel } from '../../support/fake-models.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { hive, startHostProcess, waitFor, type HostProcess } from '../../support/host-process.js';
import { agentClisBin, hasService } from '../../support/services.js';

/**
 * The real agent CLIs (Claude Code, Codex CLI, Gemini CLI; pinned by scripts/install-agent-clis.sh) started
 * by their presets in tmux by a real `hive serve`, each in a fresh HOME, against a FAKE model endpoint (the
 * only fake). What the agent sends to the endpoint proves what happened: the task arrived, typed text
 * arrived as one message, and after sleep/wake or kill -9 the next request carries the earlier turns.
 */
const ready = hasService('tmux') && hasService('git') && hasService('agent-clis');
const withChromium = ready && hasService('chromium');

interface Run {
  host: HostProcess;
  dataDir: string;
  home: string;
  repo: string;
  cli: (args: string[]) => Promise<string>;
  agent: (name: string) => Promise<Agent>;
}

async function startRun(tag: string): Promise<Run> {
  const dataDir = tempDir(`hive-real-${tag}-`);
  const home = tempDir(`hive-home-${tag}-`);
  const repo = makeGitRepo();
  const env = { HOME: home, PATH: `${agentClisBin()}${path.delimiter}${process.env.PATH}` };
  const host = await startHostProcess(dataDir, [], env);
  const cli = async (args: string[]) => {
    const r = await hive(dataDir, args, { HOME: home });
    if (r.code !== 0) throw new Error(`hive ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const agent = async (name: string) => JSON.parse(await cli(['agents', 'show', name, '--json'])) as Agent;
  return { host, dataDir, home, repo, cli, agent };
}

async function endRun(run: Run | undefined): Promise<void> {
  if (!run) return;
  for (const a of JSON.parse(await run.cli(['agents', 'list', '--json']).catch(() => '[]')) as { name: string }[]) {
    await run.cli(['agents', 'stop', a.name]).catch(() => {});
  }
  await run.host.stop();
  await new TmuxBackend(run.dataDir, systemClock).killServer();
  for (const d of [run.dataDir, run.home]) rmSync(d, { recursive: true, force: true });
}


const has = (texts: string[], s: string) => texts.some((t) => t.includes(s));

/** kill -9 of the agent's process and its children, from outside, as a crash would. */
function killHard(pid: number): void {
  let children: string[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    // No children: the pane's process is the tool itself.
  }
  for (const p of [...children, String(pid)]) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {}
  }
}

async function killAndRecover(r: Run, name: string): Promise<void> {
  const a = await r.agent(name);
  killHard(a.pid!);
  await waitFor(async () => {
    const x = await r.agent(name);
    return x.status === 'running' && x.pid !== a.pid && x.restarts > a.restarts;
  }, 30_000, 100, `${name} recovered`);
}

describe.skipIf(!ready)('Claude Code (real CLI, FAKE Anthropic endpoint) under Agent Hive', () => {
  let run: Run | undefined;
  let model: FakeModel;
  beforeAll(async () => {
    model = await fakeAnthropic();
    run = await startRun('claude');
    await run.cli(['settings', 'env', 'claude', `ANTHROPIC_BASE_URL=${model.url}`]);
    await run.cli(['settings', 'env', 'claude', 'ANTHROPIC_API_KEY=sk-ant-test-0123456789abcdefghijKLMNOPQRST']);
  }, 60_000);
  afterAll(async () => {
    await endRun(run);
    await model?.close();
  }, 60_000);

  it('a first run in a fresh HOME goes straight to work: trust, API key and onboarding recorded in its config, the user\'s other settings kept', async () => {
    const r = run!;
    writeFileSync(path.join(r.home, '.claude.json'), JSON.stringify({ theme: 'light', projects: { '/elsewhere': { allowedTools: ['Bash'] } } }));
    await r.cli(['agents', 'spawn', '--name', 'cc', '--repo', r.repo, '--preset', 'claude', '--task', 'write the first note']);
    await waitFor(() => has(model.lastUserTexts(), 'write the first note'), 45_000, 200, 'the task at the FAKE endpoint');
    const a = await waitFor(async () => {
      const x = await r.agent('cc');
      return x.activity?.state === 'idle' && x.activity.source === 'hooks' ? x : null;
    }, 30_000, 200, 'idle from its Stop hook');
    expect(a.status).toBe('running');
    expect(a.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const config = JSON.parse(readFileSync(path.join(r.home, '.claude.json'), 'utf8')) as {
      projects: Record<string, Record<string, unknown>>;
      theme: string;
      customApiKeyResponses: { approved: string[] };
    };
    expect(config.projects[a.worktree].hasTrustDialogAccepted).toBe(true);
    expect(config.projects['/elsewhere']).toEqual({ allowedTools: ['Bash'] });
    expect(config.theme).toBe('light');
    expect(config.customApiKeyResponses.approved).toContain('abcdefghijKLMNOPQRST');
    // Its hooks live in the uncommitted local settings, which git ignores: no "uncommitted work" to guard.
    expect(existsSync(path.join(a.worktree, '.claude', 'settings.local.json'))).toBe(true);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: a.worktree, encoding: 'utf8' })).toBe('');
    // The key is not in the database.
    expect(readFileSync(path.join(r.dataDir, 'hive.db')).includes('sk-ant-test-0123456789')).toBe(false);
  }, 120_000);

  it('hive agents send delivers multi-line text as one message, confirmed from its transcript; working → idle from its hooks', async () => {
    const r = run!;
    const out = await r.cli(['agents', 'send', 'cc', 'second line one\nsecond line two SLOW', '--json']);
    expect(JSON.parse(out)).toMatchObject({ ok: true, confirmedBy: 'transcript' });
    // The FAKE endpoint takes 2 s over this turn: the fleet shows the agent working, from UserPromptSubmit.
    const busy = await waitFor(async () => {
      const a = await r.agent('cc');
      return a.activity?.state === 'working' ? a.activity : null;
    }, 10_000, 100, 'working');
    expect(busy.source).toBe('hooks');
    await waitFor(() => has(model.lastUserTexts(), 'second line one\nsecond line two'), 30_000, 200, 'the pasted text');
    await waitFor(async () => (await r.agent('cc')).activity?.state === 'idle', 30_000, 200, 'idle again');
  }, 90_000);

  it('sleep → wake resumes the same conversation: the next request carries the earlier turns', async () => {
    const r = run!;
    const before = (await r.agent('cc')).sessionId;
    await r.cli(['agents', 'sleep', 'cc']);
    await r.cli(['agents', 'wake', 'cc']);
    expect((await r.agent('cc')).sessionId).toBe(before);
    await waitFor(async () => (await r.agent('cc')).activity?.state === 'idle', 30_000, 200, 'idle after wake');
    await r.cli(['agents', 'send', 'cc', 'third after wake']);
    await waitFor(() => has(model.lastUserTexts(), 'third after wake'), 30_000, 200, 'the message after wake');
    const texts = model.lastUserTexts();
    expect(has(texts, 'write the first note')).toBe(true);
    expect(has(texts, 'second line one')).toBe(true);
  }, 120_000);

  it('kill -9 of the agent: recovered and resumed the same way', async () => {
    const r = run!;
    await killAndRecover(r, 'cc');
    await waitFor(async () => (await r.agent('cc')).activity?.state === 'idle', 30_000, 200, 'idle after recovery');
    await r.cli(['agents', 'send', 'cc', 'fourth after crash']);
    await waitFor(() => has(model.lastUserTexts(), 'fourth after crash'), 30_000, 200, 'the message after the crash');
    expect(has(model.lastUserTexts(), 'third after wake')).toBe(true);
  }, 120_000);

  it.skipIf(!withChromium)('a permission question shows as "waiting for you" with its choices; one click in Chromium answers it and the agent goes on', async () => {
    const r = run!;
    const file = path.join((await r.agent('cc')).worktree, 'from-tool.txt');
    model.toolOnce('RUNTOOL', `echo tool-ran > ${file}`);
    await r.cli(['agents', 'send', 'cc', 'RUNTOOL now']);
    const waiting = await waitFor(async () => {
      const x = await r.agent('cc');
      return x.activity?.state === 'waiting' && x.activity.choices.length > 0 ? x : null;
    }, 30_000, 200, 'waiting for you');
    expect(waiting.activity!.choices.map((c) => c.label).join(' ')).toMatch(/Yes/);
    const browser = await launchChromium();
    try {
      await browser.page.goto(`${r.host.uiUrl}#/agent/cc`);
      const banner = browser.page.getByRole('alert', { name: 'Waiting for you' });
      await banner.waitFor({ timeout: 15_000 });
      // The real TUI in the terminal view (its output replayed from the log, then live).
      await browser.page.locator('.xterm-rows').getByText(/RUNTOOL now|Bash/).first().waitFor({ timeout: 30_000 });
      await screenshot(browser.page, 'real-claude-waiting');
      await banner.getByRole('button', { name: 'Yes', exact: true }).click();
      await waitFor(() => existsSync(file), 30_000, 200, 'the tool to run after the click');
      await waitFor(async () => (await r.agent('cc')).activity?.state !== 'waiting', 30_000, 200, 'no longer waiting');
      await browser.page.getByRole('alert', { name: 'Waiting for you' }).waitFor({ state: 'detached', timeout: 15_000 });
      await screenshot(browser.page, 'real-claude-agent-page');
    } finally {
      await browser.close();
    }
    const events = await r.cli(['events', '--agent', 'cc', '--json']);
    expect(events).toContain('waiting for you');
    expect(events).toContain('answered');
  }, 120_000);
});

describe.skipIf(!ready)('Codex CLI (real CLI, FAKE OpenAI Responses endpoint) under Agent Hive', () => {
  let run: Run | undefined;
  let model: FakeModel;
  beforeAll(async () => {
    model = await fakeOpenAi();
    run = await startRun('codex');
    await run.cli(['settings', 'env', 'codex', `OPENAI_BASE_URL=${model.url}/v1`]);
    await run.cli(['settings', 'env', 'codex', 'OPENAI_API_KEY=sk-test-codex-0123456789']);
  }, 60_000);
  afterAll(async () => {
    await endRun(run);
    await model?.close();
  }, 60_000);

  it('starts without its trust or login screen, reports idle through notify, input confirmed from its rollout file, resumes its own session after sleep/wake and after kill -9', async () => {
    const r = run!;
    await r.cli(['agents', 'spawn', '--name', 'cx', '--repo', r.repo, '--preset', 'codex', '--task', 'codex first task']);
    await waitFor(() => has(model.lastUserTexts(), 'codex first task'), 45_000, 200, 'the task at the FAKE endpoint').catch(async (err: Error) => {
      const screen = execFileSync('tmux', ['-L', new TmuxBackend(r.dataDir, systemClock).socket, 'capture-pane', '-p', '-t', 'cx'], { encoding: 'utf8' });
      throw new Error(`${err.message}\nits screen:\n${screen}\nrequests: ${JSON.stringify(model.turns()).slice(0, 2000)}`);
    });
    await waitFor(async () => (await r.agent('cx')).activity?.state === 'idle', 30_000, 200, 'idle from notify');
    // Confirmed from its own rollout file.
    expect(JSON.parse(await r.cli(['agents', 'send', 'cx', 'codex second', '--json']))).toMatchObject({ confirmedBy: 'transcript' });
    await waitFor(() => has(model.lastUserTexts(), 'codex second'), 30_000, 200, 'the typed message');
    await r.cli(['agents', 'sleep', 'cx']);
    await r.cli(['agents', 'wake', 'cx']);
    const a = await r.agent('cx');
    expect(a.sessionId).toBeTruthy();
    const events = await r.cli(['events', '--agent', 'cx', '--json']);
    expect(events).toContain(`context resumed with session (session ${a.sessionId})`);
    const screen = () => execFileSync('tmux', ['-L', new TmuxBackend(r.dataDir, systemClock).socket, 'capture-pane', '-p', '-t', '=cx:'], { encoding: 'utf8' });
    await waitFor(() => screen().includes('codex second'), 30_000, 200, 'the resumed conversation on its screen');
    await r.cli(['agents', 'send', 'cx', 'codex after wake']);
    await waitFor(() => has(model.lastUserTexts(), 'codex after wake'), 30_000, 200, 'the message after wake');
    expect(has(model.lastUserTexts(), 'codex first task')).toBe(true);
    expect(has(model.lastUserTexts(), 'codex second')).toBe(true);
    // kill -9: recovered, and the same conversation again.
    await killAndRecover(r, 'cx');
    await waitFor(() => screen().includes('codex after wake'), 30_000, 200, 'the resumed conversation after the crash');
    await r.cli(['agents', 'send', 'cx', 'codex after crash']);
    await waitFor(() => has(model.lastUserTexts(), 'codex after crash'), 30_000, 200, 'the message after the crash');
    expect(has(model.lastUserTexts(), 'codex second')).toBe(true);
  }, 150_000);
});

describe.skipIf(!ready)('Gemini CLI (real CLI, FAKE Gemini endpoint) under Agent Hive', () => {
  let run: Run | undefined;
  let model: FakeModel;
  beforeAll(async () => {
    model = await fakeGemini();
    run = await startRun('gemini');
    mkdirSync(path.join(run.home, '.gemini'), { recursive: true });
    await run.cli(['settings', 'env', 'gemini', `GOOGLE_GEMINI_BASE_URL=${model.url}`]);
    await run.cli(['settings', 'env', 'gemini', 'GEMINI_API_KEY=fake-gemini-key-0123456789']);
  }, 60_000);
  afterAll(async () => {
    await endRun(run);
    await model?.close();
  }, 60_000);

  it('starts without its trust or sign-in screens, reports idle through its hooks, input confirmed from its chat file, resumes its own session after sleep/wake and after kill -9', async () => {
    const r = run!;
    // A name of its own per attempt: a retry must not meet the first attempt's agent.
    const gm = `gm-${Math.random().toString(36).slice(2, 7)}`;
    const screen = () => execFileSync('tmux', ['-L', new TmuxBackend(r.dataDir, systemClock).socket, 'capture-pane', '-p', '-t', `=${gm}:`], { encoding: 'utf8' });
    const diagnose = async (err: Error) => {
      throw new Error(`${err.message}\nagent: ${JSON.stringify(await r.agent(gm))}\nevents: ${await r.cli(['events', '--agent', gm])}\nscreen:\n${screen()}`);
    };
    await r.cli(['agents', 'spawn', '--name', gm, '--repo', r.repo, '--preset', 'gemini', '--task', 'gemini first task']);
    await waitFor(() => has(model.lastUserTexts(), 'gemini first task'), 45_000, 200, 'the task at the FAKE endpoint');
    await waitFor(async () => (await r.agent(gm)).activity?.state === 'idle', 30_000, 200, 'idle from AfterAgent');
    await waitFor(() => screen().includes('Type your message'), 30_000, 200, 'its input box');
    expect(JSON.parse(await r.cli(['agents', 'send', gm, 'gemini second', '--json']))).toMatchObject({ confirmedBy: 'transcript' });
    await waitFor(() => has(model.lastUserTexts(), 'gemini second'), 30_000, 200, 'the typed message');
    expect(has(model.lastUserTexts(), 'gemini first task')).toBe(true);

    // Sleep and wake: `gemini --resume <id>` in its terminal. The test runs with CI=true, which Gemini CLI
    // takes for "headless" (it then exited 42 on --resume): Agent Hive blanks it for the tool.
    await r.cli(['agents', 'sleep', gm]);
    await r.cli(['agents', 'wake', gm]);
    // Its SessionStart hook says the resumed session is up; then its input box, as a person would wait.
    await waitFor(async () => (await r.agent(gm)).activity !== null, 30_000, 200, 'started again').catch(diagnose);
    await waitFor(() => screen().includes('Type your message'), 30_000, 200, 'its input box after wake').catch(diagnose);
    expect(JSON.parse(await r.cli(['agents', 'send', gm, 'gemini after wake', '--json']))).toMatchObject({ confirmedBy: 'transcript' });
    await waitFor(() => has(model.lastUserTexts(), 'gemini after wake'), 30_000, 200, 'the message after wake');
    // Its own conversation: the earlier turns travel with the new request, and no fallback was needed.
    expect(has(model.lastUserTexts(), 'gemini second')).toBe(true);
    const events = await r.cli(['events', '--agent', gm, '--json']);
    expect(events).not.toContain('could not be resumed');
    expect(events).not.toContain('exited with code 42');

    // kill -9: recovered by the watchdog, and the same conversation again.
    await killAndRecover(r, gm);
    await waitFor(async () => (await r.agent(gm)).activity !== null, 30_000, 200, 'its SessionStart after the crash').catch(diagnose);
    await waitFor(() => screen().includes('Type your message'), 30_000, 200, 'its input box after the crash').catch(diagnose);
    expect(JSON.parse(await r.cli(['agents', 'send', gm, 'gemini after crash', '--json']))).toMatchObject({ confirmedBy: 'transcript' });
    await waitFor(() => has(model.lastUserTexts(), 'gemini after crash'), 30_000, 200, 'the message after the crash');
    expect(has(model.lastUserTexts(), 'gemini after wake')).toBe(true);
    expect(await r.cli(['events', '--agent', gm, '--json'])).not.toContain('could not be resumed');
  }, 150_000);
});
