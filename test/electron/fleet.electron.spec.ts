import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = path.join(root, 'test-artifacts');
const TICK = "bash -c 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'";
const NAMES = ['el-alpha', 'el-beta', 'el-gamma'];

function electronPath(): string | null {
  try {
    const p = createRequire(path.join(root, 'package.json'))('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function tmp(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

function gitRepo(): string {
  const dir = tmp('hive-el-repo-');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'test@agent-hive.local');
  git('config', 'user.name', 'Agent Hive Test');
  execFileSync('sh', ['-c', 'echo "# electron e2e" > README.md'], { cwd: dir });
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return dir;
}

const bin = electronPath();
test.skip(!bin, 'The Electron binary is not installed (optional dependency); run `npm install electron@38` with internet access.');

test.describe.serial('desktop app end to end (real Electron)', () => {
  let app: ElectronApplication;
  let page: Page;
  const repo = gitRepo();
  const dataDir = tmp('hive-el-data-');
  const row = (name: string) => page.getByRole('row', { name, exact: true });
  const button = (name: string, label: string) => row(name).getByRole('button', { name: label, exact: true });
  const expectStatus = (name: string, status: string) => expect(row(name)).toHaveAttribute('data-status', status, { timeout: 30_000 });
  const shot = async (name: string) => {
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, `electron-${name}.png`) });
  };

  test.beforeAll(async () => {
    app = await electron.launch({ executablePath: bin!, args: [root, '--data-dir', dataDir], cwd: root });
    page = await app.firstWindow();
  });

  test.afterAll(async () => {
    await app?.close();
    // The app's agents live on a tmux server of their own per data dir (see tmuxSocketFor in the core).
    const socket = `agent-hive-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 10)}`;
    try {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {}
  });

  test('the window is sandboxed and only sees window.hive', async () => {
    const probe = await page.evaluate(() => ({
      keys: Object.keys((window as unknown as { hive: object }).hive).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(probe).toEqual({ keys: ['invoke', 'on', 'pickDirectory'], require: 'undefined', process: 'undefined' });
    // Navigation away from the app is refused by the main process.
    await page.evaluate(() => {
      window.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^file:.*index\.html/);
    await expect(page.getByText('No agents yet')).toBeVisible();
    await shot('01-empty');
  });

  test('spawns three tmux agents and sees them running', async () => {
    for (const name of NAMES) {
      await page.getByRole('button', { name: 'New agent' }).first().click();
      const dlg = page.getByRole('dialog', { name: 'Spawn an agent' });
      await dlg.getByText('Custom', { exact: true }).click();
      await dlg.getByRole('textbox', { name: 'Name' }).fill(name);
      await dlg.getByRole('textbox', { name: /Repository path/ }).fill(repo);
      await dlg.getByRole('textbox', { name: /Command/ }).fill(TICK);
      await dlg.getByRole('button', { name: 'Spawn' }).click();
      await expect(dlg).toBeHidden({ timeout: 30_000 });
    }
    for (const n of NAMES) await expectStatus(n, 'running');
    await expect(button('el-alpha', 'Wake')).toBeDisabled();
    await shot('02-running');
  });

  test('sleep and wake, restart, stop', async () => {
    await button('el-alpha', 'Sleep').click();
    await expectStatus('el-alpha', 'sleeping');
    await expect(button('el-alpha', 'Sleep')).toBeDisabled();
    await button('el-alpha', 'Wake').click();
    await expectStatus('el-alpha', 'running');
    await button('el-beta', 'Restart').click();
    await expectStatus('el-beta', 'running');
    await button('el-gamma', 'Stop').click();
    await expectStatus('el-gamma', 'stopped');
    await expect(button('el-gamma', 'Stop')).toBeDisabled();
    await shot('03-mixed');
  });

  test('live output arrives in the agent view', async () => {
    await row('el-alpha').getByRole('link', { name: 'el-alpha' }).click();
    await expect(page.getByTestId('terminal').locator('.xterm-rows')).toContainText(/tick \d+/, { timeout: 20_000 });
    const count = async () => ((await page.getByTestId('terminal').locator('.xterm-rows').textContent()) ?? '').match(/tick/g)?.length ?? 0;
    const before = await count();
    await expect.poll(count, { timeout: 20_000 }).toBeGreaterThan(before + 1);
    await shot('04-agent');
  });
});
