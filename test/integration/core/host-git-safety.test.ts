import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git } from '../../../electron/core/git/git.js';
import { makeGitRepo, tempDir } from '../../support/git-repo.js';

/**
 * A Docker agent has the repository's git folder mounted writable: what it writes into the shared config or
 * hooks must not run on the host when the host runs git (real git, a real repository).
 */
describe("the host's git calls ignore commands planted in the repository's config and hooks", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('core.fsmonitor and .git/hooks do not run for the host, and still run for a plain git (the attack is real)', async () => {
    const repo = makeGitRepo({ 'a.txt': 'one\n' });
    const out = tempDir('hive-git-safety-');
    dirs.push(repo, out);
    const planted = (what: string) => path.join(out, what);
    execFileSync('git', ['-C', repo, 'config', 'core.fsmonitor', `touch ${planted('fsmonitor-ran')}; false`]);
    mkdirSync(path.join(repo, '.git', 'hooks'), { recursive: true });
    writeFileSync(path.join(repo, '.git', 'hooks', 'post-commit'), `#!/bin/sh\ntouch ${planted('hook-ran')}\n`, { mode: 0o755 });
    writeFileSync(path.join(repo, 'a.txt'), 'two\n');

    const git = new Git();
    await git.run(repo, ['status', '--porcelain']);
    await git.run(repo, ['commit', '-q', '-am', 'by the host'], { env: { GIT_AUTHOR_NAME: 'h', GIT_AUTHOR_EMAIL: 'h@h', GIT_COMMITTER_NAME: 'h', GIT_COMMITTER_EMAIL: 'h@h' } });
    expect(existsSync(planted('fsmonitor-ran'))).toBe(false);
    expect(existsSync(planted('hook-ran'))).toBe(false);

    // The same calls through plain git run both: what the host used to do.
    writeFileSync(path.join(repo, 'a.txt'), 'three\n');
    execFileSync('git', ['-C', repo, 'status', '--porcelain']);
    execFileSync('git', ['-C', repo, '-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-am', 'by a person']);
    expect(existsSync(planted('fsmonitor-ran'))).toBe(true);
    expect(existsSync(planted('hook-ran'))).toBe(true);
  });
});
