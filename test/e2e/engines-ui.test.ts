import { rmSync } from 'node:fs';
import Dockerode from 'dockerode';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirHash } from '../../electron/core/supervisor/docker/docker-labels.js';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/busybox-image.js';
import { releaseDockerShared, useDockerShared } from '../support/docker-engine-lock.js';
import { removeDataDirResources } from '../support/docker-cleanup.js';
import { makeGitRepo, tempDir } from '../support/git-repo.js';
import { startHostProcess, type HostProcess } from '../support/host-process.js';
import { hasService } from '../support/services.js';
import { launchChromium, screenshot } from './chromium-ui.js';

const ready = hasService('chromium') && hasService('docker');

/**
 * Where each agent runs, in the window: the fleet's Engine column and filter, the detail page's engine and
 * its Move control. The second engine is this machine's engine added under another name (the host treats
 * it as another machine: workspace in a volume); real Chromium against a real `hive serve`.
 */
describe.skipIf(!ready)('Docker engines in the GUI (Chromium against hive serve)', () => {
  let host: HostProcess;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  let repo: string;
  const errors: string[] = [];
  const invoke = async (channel: string, body: unknown) => {
    const r = await fetch(`${host.url}/api/invoke/${channel}`, { method: 'POST', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await r.json()) as { result?: unknown };
    if (!r.ok) throw new Error(`${channel}: ${JSON.stringify(json)}`);
    return json.result;
  };

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage();
    repo = makeGitRepo({ 'README.md': '# engines\n' });
    host = await startHostProcess(tempDir('hive-e2e-engines-'));
    await invoke('engines:add', { name: 'builder', url: 'unix:///var/run/docker.sock' });
    for (const [name, engine] of [['on-local', 'local'], ['on-builder', 'builder']] as const) {
      await invoke('agents:spawn', { name, repo, backend: 'docker', image: BUSYBOX_IMAGE, engine, cmd: 'echo up; sleep 600', role: 'build' });
    }
    await invoke('agents:spawn', { name: 'plain', repo, backend: 'process', cmd: 'sleep 600' });
    browser = await launchChromium();
    page = browser.page;
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (host) {
      for (const n of ['on-local', 'on-builder', 'plain']) await invoke('agents:stop', { name: n }).catch(() => {});
      await host.stop();
      await removeDataDirResources(new Dockerode(), dataDirHash(host.dataDir));
    }
    releaseDockerShared();
    if (host) rmSync(host.dataDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }, 60_000);

  const row = (name: string) => page.getByRole('row', { name, exact: true });

  it('shows the engine of every docker agent and filters the fleet by engine', async () => {
    await page.goto(host.uiUrl);
    await row('on-builder').waitFor({ timeout: 15_000 });
    await expect.poll(() => row('on-builder').locator('.col-engine').textContent()).toBe('builder');
    expect(await row('on-local').locator('.col-engine').textContent()).toBe('local');
    expect(await row('plain').locator('.col-engine').textContent()).toBe('—');
    await screenshot(page, 'engines-01-fleet');

    await page.getByLabel('Filter by Docker engine').selectOption('builder');
    await expect.poll(() => page.locator('.agent-row').count()).toBe(1);
    expect(await page.locator('.agent-row').first().getAttribute('data-agent')).toBe('on-builder');
    await screenshot(page, 'engines-02-filtered');
    await page.getByLabel('Filter by Docker engine').selectOption('');
    await expect.poll(() => page.locator('.agent-row').count()).toBe(3);
  }, 60_000);

  it('shows the engine on the detail page and moves a sleeping agent with one click', async () => {
    await row('on-builder').dblclick();
    await page.getByRole('heading', { name: 'on-builder' }).waitFor();
    await expect.poll(() => page.locator('.fact-engine dd .mono').textContent()).toBe('builder');
    // Running: Move is offered but disabled, with the reason.
    const move = page.getByRole('button', { name: 'Move…' });
    expect(await move.isDisabled()).toBe(true);
    expect(await move.getAttribute('title')).toMatch(/Sleep or stop the agent first/);

    await page.getByRole('button', { name: 'Sleep', exact: true }).click();
    await expect.poll(() => page.locator('.agent-header .status-badge').textContent(), { timeout: 20_000 }).toBe('sleeping');
    await page.getByRole('button', { name: 'Move…' }).click();
    await page.getByLabel('Target engine').waitFor();
    await page.getByLabel('Target engine').selectOption('local');
    await screenshot(page, 'engines-03-move');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await expect.poll(() => page.locator('.fact-engine dd .mono').textContent(), { timeout: 20_000 }).toBe('local');
    const agent = (await invoke('agents:get', { name: 'on-builder' })) as { engine: string; status: string };
    expect(agent).toMatchObject({ engine: 'local', status: 'sleeping' });
    await screenshot(page, 'engines-04-moved');
    expect(errors).toEqual([]);
  }, 60_000);
});
