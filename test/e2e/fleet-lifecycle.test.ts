import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tmuxSocketFor } from '../../electron/core/supervisor/tmux-backend.js';
import { makeGitRepo, tempDir } from '../support/git-repo.js';
import { startHostProcess, type HostProcess } from '../support/host-process.js';
import { hasService } from '../support/services.js';
import { endTmuxServer } from '../support/tmux-cleanup.js';
import { launchChromium, screenshot } from './chromium-ui.js';

const ready = hasService('chromium') && hasService('tmux') && hasService('git');

const TICK = "bash -c 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'";
const NAMES = ['e2e-alpha', 'e2e-beta', 'e2e-gamma'];

/**
 * The control center end to end: real `hive serve` on a temp data dir, a real git repo, real tmux agents,
 * driven through the UI in real headless Chromium. Screenshots go to test-artifacts/.
 */
describe.skipIf(!ready)('GUI end to end in Chromium against hive serve', () => {
  let host: HostProcess;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let repo: string;
  const consoleErrors: string[] = [];

  const row = (name: string) => page.getByRole('row', { name, exact: true });
  const button = (name: string, label: string) => row(name).getByRole('button', { name: label, exact: true });
  const status = (name: string) => row(name).locator('.status-badge');

  beforeAll(async () => {
    repo = makeGitRepo({ 'README.md': '# e2e\n', 'src/app.ts': 'export const x = 1;\n' });
    host = await startHostProcess(tempDir('hive-e2e-data-'));
    browser = await launchChromium();
    page = browser.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (host) {
      for (const n of NAMES) await fetch(`${host.url}/api/invoke/agents:stop`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: n }) }).catch(() => {});
      await host.stop();
      // The agents live on the host's own tmux server (one per data dir); make sure none outlive the test.
      await endTmuxServer(tmuxSocketFor(host.dataDir));
    }
  }, 60_000);

  it('refuses the page and the WebSocket without the token', async () => {
    const res = await fetch(`${host.url}/`);
    expect(res.status).toBe(401);
    const p = await browser.context.newPage();
    const closed = await p.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
          ws.onclose = () => resolve('refused');
        }),
      `${host.url.replace('http', 'ws')}/ws`,
    );
    expect(closed).toBe('refused');
    await p.close();
  });

  it('opens on the printed URL and shows how to spawn the first agent', async () => {
    await page.goto(host.uiUrl);
    await page.getByText('No agents yet').waitFor({ timeout: 15_000 });
    await screenshot(page, '01-empty-fleet');
  });

  it('spawns three tmux agents from the spawn dialog and sees them running', async () => {
    for (const [i, name] of NAMES.entries()) {
      await page.getByRole('button', { name: 'New agent' }).first().click();
      const dlg = page.getByRole('dialog', { name: 'Spawn an agent' });
      await dlg.getByText('Custom', { exact: true }).click();
      await dlg.getByRole('textbox', { name: 'Name' }).fill(name);
      await dlg.getByRole('textbox', { name: 'Role' }).fill(['frontend', 'backend', 'tests'][i]!);
      await dlg.getByRole('textbox', { name: /Repository path/ }).fill(repo);
      await dlg.getByRole('textbox', { name: /Command/ }).fill(TICK);
      await dlg.getByRole('textbox', { name: 'Task' }).fill(`print ticks (${name})`);
      await dlg.getByRole('radio', { name: 'tmux' }).check();
      if (i === 0) await screenshot(page, '02-spawn-dialog');
      await dlg.getByRole('button', { name: 'Spawn' }).click();
      await dlg.waitFor({ state: 'detached', timeout: 30_000 });
    }
    for (const name of NAMES) await expectStatus(name, 'running');
    expect(await row('e2e-beta').getByText('backend', { exact: true }).count()).toBe(1);
    await screenshot(page, '03-fleet-running');
  });

  it('disables actions the current state does not allow', async () => {
    expect(await button('e2e-alpha', 'Wake').isDisabled()).toBe(true);
    expect(await button('e2e-alpha', 'Sleep').isEnabled()).toBe(true);
    expect(await button('e2e-alpha', 'Restart').isEnabled()).toBe(true);
    expect(await button('e2e-alpha', 'Stop').isEnabled()).toBe(true);
  });

  it('sleeps one agent and wakes it again', async () => {
    await button('e2e-alpha', 'Sleep').click();
    await expectStatus('e2e-alpha', 'sleeping');
    expect(await button('e2e-alpha', 'Sleep').isDisabled()).toBe(true);
    expect(await button('e2e-alpha', 'Restart').isDisabled()).toBe(true);
    await screenshot(page, '04-one-sleeping');
    await button('e2e-alpha', 'Wake').click();
    await expectStatus('e2e-alpha', 'running');
  });

  it('restarts one agent: a new process, back to running', async () => {
    const before = await api<{ pid: number }>('agents:get', { name: 'e2e-beta' });
    await button('e2e-beta', 'Restart').click();
    await expectStatus('e2e-beta', 'running', (a) => a.pid !== before.pid);
    const events = await api<Array<{ cause: string; to: string | null }>>('events:list', { agent: 'e2e-beta', limit: 50 });
    expect(events.some((e) => /restart/.test(e.cause))).toBe(true);
  });

  it('stops one agent; a stopped agent cannot be slept or stopped again', async () => {
    await button('e2e-gamma', 'Stop').click();
    await expectStatus('e2e-gamma', 'stopped');
    expect(await button('e2e-gamma', 'Sleep').isDisabled()).toBe(true);
    expect(await button('e2e-gamma', 'Stop').isDisabled()).toBe(true);
    expect(await button('e2e-gamma', 'Wake').isEnabled()).toBe(true);
    await screenshot(page, '05-fleet-mixed-states');
  });

  it('shows live output arriving in the agent view', async () => {
    await row('e2e-alpha').getByRole('link', { name: 'e2e-alpha' }).click();
    const term = page.getByTestId('terminal');
    await term.locator('.xterm-rows').waitFor({ timeout: 15_000 });
    const lastTick = async () => {
      const text = (await term.locator('.xterm-rows').innerText()) ?? '';
      const all = [...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
      return all.length ? Math.max(...all) : 0;
    };
    await page.waitForFunction(() => /tick \d+/.test(document.querySelector('.xterm-rows')?.textContent ?? ''), null, { timeout: 20_000 });
    const first = await lastTick();
    await page.waitForFunction((n) => {
      const all = [...(document.querySelector('.xterm-rows')?.textContent ?? '').matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
      return all.length > 0 && Math.max(...all) >= n + 2;
    }, first, { timeout: 20_000 });
    expect(await lastTick()).toBeGreaterThanOrEqual(first + 2);
    await page.getByRole('tab', { name: 'Events' }).click();
    await page.getByRole('table', { name: 'Event log' }).waitFor();
    await screenshot(page, '06-agent-detail');
  });

  it('draws the metrics page, with bus latency from the host\'s own counters and the scrape config to copy', async () => {
    // A few messages through the bus, read by their recipient: the latency chart has something to show.
    for (let i = 0; i < 5; i++) await api('msg:send', { from: 'e2e-beta', to: 'e2e-alpha', body: `hello ${i}` });
    const got = await api<unknown[]>('msg:inbox', { name: 'e2e-alpha' });
    expect(got).toHaveLength(5);
    await page.getByRole('link', { name: 'Metrics' }).click();
    await page.getByRole('figure', { name: 'Agents per state over time' }).waitFor();
    const bus = page.getByRole('figure', { name: 'Bus delivery latency' });
    await bus.locator('svg').first().waitFor();
    expect(await bus.innerText()).toMatch(/5 delivered of 5 sent/);
    await page.getByRole('figure', { name: 'Conflicts and resolver decisions' }).waitFor();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy scrape config' }).click();
    await page.getByRole('button', { name: 'Copied ✓' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(`credentials_file: "${path.join(host.dataDir, 'api.token')}"`);
    expect(copied).toContain(`targets: ["${new URL(host.url).host}"]`);
    await page.waitForTimeout(500);
    await screenshot(page, '07-metrics', { fullPage: true });
  });

  it('logged no errors in the page', () => {
    // The token-less probe above is refused on purpose.
    expect(consoleErrors.filter((e) => !/favicon/.test(e) && !/^401 /.test(e))).toEqual([]);
  });

  async function api<T>(channel: string, payload: unknown): Promise<T> {
    const res = await fetch(`${host.url}/api/invoke/${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    return ((await res.json()) as { result: T }).result;
  }

  /** Waits for the row to show the status (and, optionally, for the core's record to satisfy `also`). */
  async function expectStatus(name: string, want: string, also?: (a: { pid: number; status: string }) => boolean): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const shown = await row(name).getAttribute('data-status');
      const ok = shown === want && (!also || also(await api<{ pid: number; status: string }>('agents:get', { name })));
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${name} did not reach ${want} in the UI (shows ${shown}).`);
      await page.waitForTimeout(100);
    }
    expect((await status(name).textContent())?.trim()).toBe(want);
  }
});
