import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RemoteWorkspace, type WorkspaceAgent } from '../../../electron/core/engines/remote-workspace.js';
import { Git } from '../../../electron/core/git/git.js';
import { ensureBusyboxImage, GIT_IMAGE } from '../../support/busybox-image.js';
import { releaseDockerShared, useDockerShared } from '../../support/docker-engine-lock.js';
import { makeGitRepo } from '../../support/git-repo.js';
import { hasService } from '../../support/services.js';

const has = hasService('docker');
/** Docker's log stream without a TTY: frames of an 8-byte header (stream, size) and the bytes. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString();
    i += 8 + size;
  }
  return out;
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/**
 * The workspace of an agent on another machine, against the local engine (the volume and archive API are
 * the same on any engine): what comes back, and what a hostile or broken workspace cannot do to this machine.
 */
describe.skipIf(!has)('remote workspace: seed and pull over the archive API (real dockerd)', () => {
  const docker = new Dockerode();
  let dir: string;
  let ws: RemoteWorkspace;
  let agent: WorkspaceAgent;

  beforeAll(async () => {
    await useDockerShared();
    ensureBusyboxImage(GIT_IMAGE, { withGit: true });
  }, 120_000);
  afterAll(() => releaseDockerShared());

  const setup = (name: string) => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hive-rw-'));
    const repo = makeGitRepo({ 'README.md': '# r\n', 'src/a.txt': 'a\n' });
    const worktree = path.join(dir, 'worktrees', name);
    git(repo, 'worktree', 'add', '-q', '-b', `hive/${name}`, worktree);
    ws = new RemoteWorkspace(new Git(), dir, `rwtest${process.pid}`);
    agent = { name, repo, worktree, branch: `hive/${name}`, image: GIT_IMAGE };
    return { repo, worktree };
  };

  /** Runs a shell line in a throwaway container with the agent's volume at /workspace. */
  const inVolume = async (line: string) => {
    const c = await docker.createContainer({
      Image: GIT_IMAGE,
      Entrypoint: [],
      Cmd: ['sh', '-c', `cd /workspace && ${line}`],
      HostConfig: { Mounts: [{ Type: 'volume', Source: ws.volumeName(agent.name), Target: '/workspace' }], NetworkMode: 'none' },
    });
    await c.start();
    const r = (await c.wait()) as { StatusCode: number };
    const out = demux((await c.logs({ stdout: true, stderr: true })) as Buffer);
    await c.remove({ force: true });
    if (r.StatusCode !== 0) throw new Error(`in the volume: ${line} exited ${r.StatusCode}: ${out}`);
    return out;
  };

  afterEach(async () => {
    await ws.drop(docker, agent.name).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    rmSync(agent.repo, { recursive: true, force: true });
  });

  it('seeds the branch and the uncommitted files, and brings commits, edits and deletions back', async () => {
    const { repo, worktree } = setup('w1');
    writeFileSync(path.join(worktree, 'draft.md'), 'not committed yet\n');
    expect(await ws.exists(docker, 'w1')).toBe(false);
    await ws.seed(docker, agent);
    expect(await ws.exists(docker, 'w1')).toBe(true);
    expect(await inVolume('cat draft.md; git status --porcelain; git log --format=%s')).toBe('not committed yet\n?? draft.md\ninitial\n');

    await inVolume('echo b > src/b.txt && git add src/b.txt && git -c user.name=x -c user.email=x@y commit -qm "add b" && echo changed > README.md && rm src/a.txt && echo new > new.txt');
    const r = await ws.pull(docker, agent);
    expect(r.commits).toBe(1);
    expect(git(repo, 'log', '-1', '--format=%s', 'hive/w1')).toBe('add b');
    expect(readFileSync(path.join(worktree, 'README.md'), 'utf8')).toBe('changed\n');
    expect(existsSync(path.join(worktree, 'src/a.txt'))).toBe(false);
    expect(readFileSync(path.join(worktree, 'new.txt'), 'utf8')).toBe('new\n');
    expect(git(worktree, 'status', '--porcelain').split('\n').map((l) => l.trim()).sort()).toEqual(['?? draft.md', '?? new.txt', 'D src/a.txt', 'M README.md']);
    expect(r.savedLocalEdits).toBeNull();

    // The next pull: nothing new, and the files it wrote last time are not taken for a person's edits.
    const again = await ws.pull(docker, agent);
    expect(again).toMatchObject({ commits: 0, savedLocalEdits: null });
  }, 60_000);

  it('saves an edit made in the local worktree before a pull overwrites it', async () => {
    const { worktree } = setup('w2');
    await ws.seed(docker, agent);
    await inVolume('echo remote > README.md');
    writeFileSync(path.join(worktree, 'README.md'), 'edited here by a person\n');
    const r = await ws.pull(docker, agent);
    expect(readFileSync(path.join(worktree, 'README.md'), 'utf8')).toBe('remote\n');
    expect(r.savedLocalEdits).not.toBeNull();
    expect(readFileSync(path.join(r.savedLocalEdits!, 'files', 'README.md'), 'utf8')).toBe('edited here by a person\n');
  }, 60_000);

  it('never forces a diverged branch: the workspace branch is kept under refs/hive/remote/NAME', async () => {
    const { repo, worktree } = setup('w3');
    await ws.seed(docker, agent);
    await inVolume('echo there > t.txt && git add t.txt && git -c user.name=x -c user.email=x@y commit -qm there');
    writeFileSync(path.join(worktree, 'h.txt'), 'here\n');
    git(worktree, 'add', 'h.txt');
    git(worktree, 'commit', '-qm', 'here');
    const before = git(repo, 'rev-parse', 'hive/w3');
    await expect(ws.pull(docker, agent)).rejects.toThrow(/diverged.*refs\/hive\/remote\/w3/);
    expect(git(repo, 'rev-parse', 'hive/w3')).toBe(before);
    expect(git(repo, 'log', '-1', '--format=%s', 'refs/hive/remote/w3')).toBe('there');
  }, 60_000);

  it('runs nothing from the workspace\'s .git on this machine, and writes nothing outside the worktree', async () => {
    const { worktree } = setup('w4');
    const outside = mkdtempSync(path.join(os.tmpdir(), 'hive-outside-'));
    const pwned = path.join(outside, 'pwned');
    await ws.seed(docker, agent);
    // A hostile agent: a config that runs a program on git status, a hook, and a link out of the worktree.
    await inVolume(
      `git config core.fsmonitor "touch ${pwned}" && printf '#!/bin/sh\\ntouch ${pwned}\\n' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout && ln -s ${outside} escape && echo x > escape-file`,
    );
    await ws.pull(docker, agent);
    expect(existsSync(pwned)).toBe(false);
    expect(readdirSync(outside)).toEqual([]);
    // The link itself comes back as a link (it is the agent's work), never followed.
    expect(readFileSync(path.join(worktree, 'escape-file'), 'utf8')).toBe('x\n');
    rmSync(outside, { recursive: true, force: true });
  }, 60_000);

  it('refuses a workspace whose .git was deleted, keeping a full copy and touching nothing', async () => {
    const { worktree } = setup('w5');
    await ws.seed(docker, agent);
    await inVolume('rm -rf .git && echo lost > README.md');
    await expect(ws.pull(docker, agent)).rejects.toThrow(/no git repository any more.*saved to (\S+)/);
    expect(readFileSync(path.join(worktree, 'README.md'), 'utf8')).toBe('# r\n');
    const kept = readdirSync(path.join(dir, 'archives')).find((d) => d.startsWith('w5-workspace-'))!;
    expect(readFileSync(path.join(dir, 'archives', kept, 'README.md'), 'utf8')).toBe('lost\n');
  }, 60_000);
});
