import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpawnRequest } from '../../../shared/contract/agents.js';
import { HiveError } from '../../../shared/errors.js';
import { openDatabase } from '../../../electron/core/store/database.js';
import { makeCore, type CoreFixture } from '../../support/core-fixture.js';
import { waitFor } from '../../support/host-process.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';
import { killAgentProcesses } from './agent-procs.js';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A worktree is never deleted while it holds work: remove refuses, --force archives first. */
describe('remove and the work in an agent worktree (real git)', () => {
  let f: CoreFixture;
  const extra: string[] = [];
  beforeEach(async () => {
    f = await makeCore();
  });
  afterEach(async () => {
    killAgentProcesses(f.dataDir);
    await f.cleanup();
    for (const d of extra.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function stoppedAgent(name: string) {
    const a = await f.core.agents.spawn(SpawnRequest.parse({ name, repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
    await f.core.agents.stop(name, 'test');
    return a;
  }

  function setWorktree(name: string, worktree: string): void {
    const db = openDatabase(path.join(f.dataDir, 'hive.db'));
    try {
      db.prepare('UPDATE agents SET worktree = ? WHERE name = ?').run(worktree, name);
    } finally {
      db.close();
    }
  }

  async function removeError(name: string): Promise<HiveError> {
    try {
      await f.core.agents.remove(name, false, 'test');
    } catch (err) {
      return err as HiveError;
    }
    throw new Error('remove unexpectedly succeeded');
  }

  it('a record whose worktree is not a linked worktree (the repository itself, as an old import could name) never deletes that folder', async () => {
    const a = await stoppedAgent('imported');
    // What an import of `worktree_path: "."` recorded before such paths were refused.
    setWorktree('imported', f.repo);
    writeFileSync(path.join(f.repo, 'precious.txt'), 'keep\n');
    const plain = tempDir('hive-plain-folder-');
    extra.push(plain);
    writeFileSync(path.join(plain, 'notes.txt'), 'mine\n');
    await f.core.agents.remove('imported', true, 'test');
    expect(readFileSync(path.join(f.repo, 'precious.txt'), 'utf8')).toBe('keep\n');
    expect(existsSync(path.join(f.repo, '.git'))).toBe(true);
    const removed = f.core.events.list({ agent: 'imported', kinds: ['removed'] })[0]!;
    expect(removed.cause).toContain(`its folder ${f.repo} is not a worktree of its own (no .git file there), so it was left as it is`);
    // Its own worktree was a linked one and is left too (the record no longer named it); any other folder as well.
    expect(existsSync(a.worktree)).toBe(true);
    const b = await stoppedAgent('elsewhere');
    setWorktree('elsewhere', plain);
    await f.core.agents.remove('elsewhere', true, 'test');
    expect(readFileSync(path.join(plain, 'notes.txt'), 'utf8')).toBe('mine\n');
    rmSync(a.worktree, { recursive: true, force: true });
    rmSync(b.worktree, { recursive: true, force: true });
  });

  it('refuses with uncommitted changes (WORKTREE_DIRTY) and leaves worktree, file and agent in place', async () => {
    const a = await stoppedAgent('dirty');
    writeFileSync(path.join(a.worktree, 'work.txt'), 'precious\n');
    const err = await removeError('dirty');
    expect(err.code).toBe('WORKTREE_DIRTY');
    expect(err.message).toMatch(/uncommitted change/);
    expect(err.message).toContain('--force');
    expect(readFileSync(path.join(a.worktree, 'work.txt'), 'utf8')).toBe('precious\n');
    expect(f.core.agents.get('dirty').status).toBe('stopped');
    expect(git(f.repo, 'worktree', 'list')).toContain(a.worktree);
  });

  it('refuses with commits not merged anywhere, and names them', async () => {
    const a = await stoppedAgent('ahead');
    writeFileSync(path.join(a.worktree, 'feature.txt'), 'feature\n');
    git(a.worktree, 'add', 'feature.txt');
    git(a.worktree, '-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', 'feature');
    const err = await removeError('ahead');
    expect(err.code).toBe('WORKTREE_DIRTY');
    expect(err.message).toMatch(/1 commit\(s\) on hive\/ahead not merged/);
    expect(existsSync(path.join(a.worktree, 'feature.txt'))).toBe(true);

    // Once merged into main, the same agent removes cleanly and its branch goes too.
    git(f.repo, 'merge', '-q', '--ff-only', 'hive/ahead');
    expect(await f.core.agents.remove('ahead', false, 'test')).toEqual({ removed: true, archive: null });
    expect(existsSync(a.worktree)).toBe(false);
    expect(git(f.repo, 'branch', '--list', 'hive/ahead').trim()).toBe('');
  });

  it('--force archives a patch and a bundle that bring the work back, then removes; the branch keeps its commits', async () => {
    const a = await stoppedAgent('forced');
    writeFileSync(path.join(a.worktree, 'committed.txt'), 'committed work\n');
    git(a.worktree, 'add', 'committed.txt');
    git(a.worktree, '-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', 'committed work');
    writeFileSync(path.join(a.worktree, 'README.md'), '# changed readme\n');
    writeFileSync(path.join(a.worktree, 'untracked.txt'), 'untracked work\n');
    writeFileSync(path.join(a.worktree, 'blob.bin'), Buffer.from([0, 1, 2, 3, 255, 0, 10]));
    const indexBefore = git(a.worktree, 'status', '--porcelain');

    const r = await f.core.agents.remove('forced', true, 'test');
    expect(r.removed).toBe(true);
    expect(r.archive).toBeTruthy();
    const archive = r.archive!;
    expect(archive.startsWith(path.join(f.dataDir, 'archives'))).toBe(true);
    expect(readdirSync(archive).sort()).toEqual(expect.arrayContaining(['README.txt', 'branch.bundle', 'uncommitted.patch']));
    expect(indexBefore).toContain('?? untracked.txt'); // the agent's own index was not used for the archive
    expect(existsSync(a.worktree)).toBe(false);
    expect(f.core.repo.find('forced')).toBeNull();
    expect(git(f.repo, 'branch', '--list', 'hive/forced')).toContain('hive/forced');
    expect(f.core.events.list({ agent: 'forced', limit: 1 })[0]).toMatchObject({ kind: 'removed', cause: expect.stringContaining(archive) });

    // The bundle and the patch restore the work in a fresh clone.
    const clone = tempDir('hive-restore-');
    extra.push(clone);
    git(clone, 'clone', '-q', f.repo, '.');
    git(clone, 'bundle', 'verify', path.join(archive, 'branch.bundle'));
    git(clone, 'fetch', '-q', path.join(archive, 'branch.bundle'), 'hive/forced:restored');
    git(clone, 'checkout', '-q', 'restored');
    git(clone, 'apply', '--check', '--index', path.join(archive, 'uncommitted.patch'));
    git(clone, 'apply', '--index', path.join(archive, 'uncommitted.patch'));
    expect(readFileSync(path.join(clone, 'committed.txt'), 'utf8')).toBe('committed work\n');
    expect(readFileSync(path.join(clone, 'README.md'), 'utf8')).toBe('# changed readme\n');
    expect(readFileSync(path.join(clone, 'untracked.txt'), 'utf8')).toBe('untracked work\n');
    expect(readFileSync(path.join(clone, 'blob.bin')).equals(Buffer.from([0, 1, 2, 3, 255, 0, 10]))).toBe(true);
  });

  it('--force with only uncommitted changes writes a patch (no bundle) that applies on the base commit', async () => {
    const a = await stoppedAgent('patchonly');
    writeFileSync(path.join(a.worktree, 'README.md'), '# only changed\n');
    const r = await f.core.agents.remove('patchonly', true, 'test');
    expect(readdirSync(r.archive!)).not.toContain('branch.bundle');
    const clone = tempDir('hive-restore-');
    extra.push(clone);
    git(clone, 'clone', '-q', f.repo, '.');
    git(clone, 'apply', '--index', path.join(r.archive!, 'uncommitted.patch'));
    expect(readFileSync(path.join(clone, 'README.md'), 'utf8')).toBe('# only changed\n');
    // No unmerged commits: the branch goes with the worktree.
    expect(git(f.repo, 'branch', '--list', 'hive/patchonly').trim()).toBe('');
  });

  it('the repository was deleted: remove refuses with a clear reason; --force copies the files, then removes; the name is free again', async () => {
    const a = await stoppedAgent('orphan');
    writeFileSync(path.join(a.worktree, 'only-copy.txt'), 'the last copy\n');
    rmSync(f.repo, { recursive: true, force: true });
    const err = await removeError('orphan');
    expect(err.code).toBe('WORKTREE_DIRTY');
    expect(err.message).toMatch(/git cannot check any more .*moved or deleted/);
    expect(existsSync(path.join(a.worktree, 'only-copy.txt'))).toBe(true);

    const r = await f.core.agents.remove('orphan', true, 'test');
    expect(readFileSync(path.join(r.archive!, 'files', 'only-copy.txt'), 'utf8')).toBe('the last copy\n');
    expect(readFileSync(path.join(r.archive!, 'README.txt'), 'utf8')).toMatch(/plain copy/);
    expect(existsSync(a.worktree)).toBe(false);
    expect(f.core.repo.find('orphan')).toBeNull();
    // The name can be used again (with a repository that exists).
    const repo2 = makeGitRepo();
    extra.push(repo2);
    const again = await f.core.agents.spawn(SpawnRequest.parse({ name: 'orphan', repo: repo2, backend: 'process', preset: 'custom', cmd: 'sleep 600' }), 'test');
    expect(again.status).toBe('running');
  });

  it("a new agent of a removed one's name never resumes the old one's snapshots; they are kept under another name", async () => {
    const old = await f.core.agents.spawn(SpawnRequest.parse({ name: 'same', repo: f.repo, backend: 'process', preset: 'custom', cmd: 'sleep 600', task: 'the OLD task' }), 'test');
    mkdirSync(path.join(old.worktree, '.hive', 'memory'), { recursive: true });
    writeFileSync(path.join(old.worktree, '.hive', 'memory', 'notes.md'), 'old secrets\n');
    await f.core.agents.sleep('same', 'test');
    rmSync(path.join(old.worktree, '.hive'), { recursive: true, force: true });
    await f.core.agents.remove('same', true, 'test');
    const removed = f.core.events.list({ agent: 'same', limit: 1 })[0]!;
    const keptAs = (removed.data as { snapshotsAs: string }).snapshotsAs;
    expect(keptAs).toMatch(/^same~removed-\d+/);
    expect(f.core.snapshots.list(keptAs)).toHaveLength(1);

    // The new one's command fails at once (not found): errored, with no snapshot of its own; a restart then
    // resumed from the newest snapshot of that name — the removed agent's.
    const fresh = await f.core.agents.spawn(SpawnRequest.parse({ name: 'same', repo: f.repo, backend: 'process', preset: 'custom', cmd: 'no-such-command-here', task: 'the new task' }), 'test');
    await waitFor(() => f.core.repo.get('same').status === 'errored', 10_000, 20, 'errored');
    await f.core.agents.restart('same', 'test').catch(() => undefined);
    expect(existsSync(path.join(fresh.worktree, '.hive', 'memory', 'notes.md'))).toBe(false);
    expect(f.core.snapshots.list('same')).toEqual([]);
  });
});
