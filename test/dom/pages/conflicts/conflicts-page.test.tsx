// @vitest-environment jsdom
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channels, type ChannelName, type Res } from '../../../../shared/contract/index';
import { ConflictService } from '../../../../electron/core/conflicts/conflict-service';
import { conflictsHandlers } from '../../../../electron/core/conflicts/handlers';
import { EventLog } from '../../../../electron/core/events/event-log';
import { Git } from '../../../../electron/core/git/git';
import { systemClock } from '../../../../electron/core/ports/clock';
import { openDatabase, type Db } from '../../../../electron/core/store/database';
import { ConflictsPage } from '../../../../renderer/src/pages/conflicts/conflicts-page';
import { FakeHiveApi, makeAgent } from '../../fake-hive-api';

/**
 * The Conflicts page on the fake HiveApi (only for agents:list and push events), with every conflicts:*,
 * merge:* and intent:* channel answered by a real ConflictService on a temp SQLite file and a real git
 * repository, validated with the contract's schemas as the host does.
 */
describe('conflicts page (fake HiveApi shell, real ConflictService and git)', () => {
  let dir: string;
  let repo: string;
  let db: Db;
  let svc: ConflictService;
  let api: FakeHiveApi;
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });

  function agent(name: string, content: string) {
    const wt = path.join(dir, 'wt', name);
    git(repo, 'worktree', 'add', '-q', '-b', `hive/${name}`, wt, 'main');
    execFileSync('sh', ['-c', 'printf "%s" "$1" > src.ts', 'sh', content], { cwd: wt });
    git(wt, 'commit', '-qam', `${name} edits`);
    const now = new Date().toISOString();
    db.prepare(`INSERT INTO agents (name, role, task, status, backend, preset, command, repo, worktree, branch, created_at, updated_at) VALUES (?, '', ?, 'running', 'process', 'custom', 'true', ?, ?, ?, ?, ?)`).run(
      name, `task ${name}`, repo, wt, `hive/${name}`, now, now,
    );
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-cf-dom-'));
    repo = path.join(dir, 'repo');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    git(repo, 'config', 'user.email', 't@example.com');
    git(repo, 'config', 'user.name', 'T');
    execFileSync('sh', ['-c', 'printf "export const limit = 1;\\n" > src.ts'], { cwd: repo });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'init');
    db = openDatabase(path.join(dir, 'hive.db'));
    api = new FakeHiveApi([makeAgent('a'), makeAgent('b')]);
    svc = new ConflictService({
      db,
      git: new Git(),
      clock: systemClock,
      events: new EventLog(db, systemClock),
      dataDir: dir,
      notify: () => {},
      push: (event, payload) => api.emit(event, payload as never),
    });
    const handlers = conflictsHandlers({ conflicts: svc }) as Record<string, (req: unknown, ctx: { actor: string }) => unknown>;
    for (const ch of Object.keys(handlers) as ChannelName[]) {
      (api.overrides as Record<string, (req: unknown) => Promise<unknown>>)[ch] = async (req) =>
        channels[ch].res.parse(await handlers[ch]!(channels[ch].req.parse(req), { actor: 'gui' })) as Res<typeof ch>;
    }
    agent('a', 'export const limit = 2;\n');
    agent('b', 'export const limit = 3;\n');
  });

  afterEach(() => {
    cleanup();
    svc.dispose();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // git under a loaded CI machine: give each step time.
  const slow = { timeout: 30_000 };

  it('pre-flight shows the pair at risk; merge escalates; take theirs from the 3-way view commits with a Hive-Resolution trailer', { timeout: 120_000 }, async () => {
    render(<ConflictsPage api={api} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Check pre-flight' }));
    expect(await screen.findByText(/src\.ts:1/, undefined, slow)).toBeTruthy();

    await waitFor(() => expect((screen.getByLabelText('Agent to merge') as HTMLSelectElement).value).toBe('a'), slow);
    fireEvent.click(screen.getByRole('button', { name: 'Merge' }));
    expect(await screen.findByText(/hive\/a → main: clean/, undefined, slow)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Agent to merge'), { target: { value: 'b' } });
    fireEvent.click(screen.getByRole('button', { name: 'Merge' }));
    expect(await screen.findByText(/hive\/b → main: escalated/, undefined, slow)).toBeTruthy();

    // The merge selected the escalated file: base / ours / theirs side by side, both intents shown.
    expect((await screen.findByLabelText('hunk 1 base', undefined, slow)).textContent).toBe('export const limit = 1;\n');
    expect(screen.getByLabelText('hunk 1 ours').textContent).toBe('export const limit = 2;\n');
    expect(screen.getByLabelText('hunk 1 theirs').textContent).toBe('export const limit = 3;\n');
    expect(screen.getByText('Accept proposal').hasAttribute('disabled')).toBe(true);
    // The queue (filtered to escalated by default) lists it too.
    expect(await screen.findByText('src.ts', { selector: '.cf-row-path' }, slow)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Take theirs' }));
    expect(await screen.findByText(/Merged into main|hive\/integration\/main/, undefined, slow)).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Take theirs' })).toBeNull(), slow);
    expect(git(repo, 'log', '-1', '--format=%B', 'hive/integration/main')).toContain('Hive-Resolution: src.ts: gui (took theirs)');
    // The queue filter: escalated is now empty, resolved shows the item.
    fireEvent.change(screen.getByLabelText('Filter by status'), { target: { value: 'resolved' } });
    expect(await screen.findByText('src.ts', { selector: '.cf-row-path' }, slow)).toBeTruthy();
  });
});
