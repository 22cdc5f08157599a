import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { HiveError } from '../../../shared/errors.js';
import type { Git } from '../git/git.js';
import { WORKSPACE } from '../supervisor/docker/container-spec.js';
import { LABEL_AGENT, LABEL_DATA_DIR, LABEL_ROLE, workspaceVolume } from '../supervisor/docker/docker-labels.js';
import { engineMessage, isNotFound } from '../supervisor/docker/engine-errors.js';
import { extractTo, packFiles } from '../supervisor/docker/tar.js';

/** The part of an agent record the workspace needs. */
export interface WorkspaceAgent {
  name: string;
  repo: string;
  worktree: string;
  branch: string;
  image: string | null;
}

export interface SyncResult {
  /** The commit hive/NAME points at after the sync. */
  head: string | null;
  /** Commits that arrived on hive/NAME. */
  commits: number;
  /** Uncommitted files (changed, added or deleted) mirrored into the local worktree. */
  files: number;
  /** Local edits in the worktree that the sync would have overwritten, saved here first (null: none). */
  savedLocalEdits: string | null;
  at: string;
}

/** What the last sync wrote into the local worktree: lets the next one tell its own files from a person's edits. */
interface Manifest {
  files: Record<string, string>;
}

// The workspace's .git comes back from a machine we do not control: nothing in it may make the host's git run
// a program (core.fsmonitor, hooks, filters and the rest live in config and hooks/, both replaced).
const SAFE_GIT = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', '-c', 'core.untrackedCache=false'];
const CLEAN_CONFIG = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n';

/**
 * The workspace of an agent on an engine that cannot see this machine's files: a Docker volume the host
 * fills and reads over the engine's archive API, so any image works (no git, ssh or rsync needed in it).
 *
 * Seed: a clone of the agent's branch (its `.git`) plus the worktree's files as they are (uncommitted work
 * included). Pull: the workspace comes back as an archive; its new commits go onto `hive/NAME` (fast-forward
 * only; a diverged history is kept under `refs/hive/remote/NAME`, never forced), and its uncommitted files
 * are mirrored into the local worktree, after any edit a person made there is saved under `archives/`.
 */
export class RemoteWorkspace {
  constructor(
    private readonly git: Git,
    private readonly dataDir: string,
    private readonly hash: string,
  ) {}

  volumeName(agent: string): string {
    return workspaceVolume(this.hash, agent);
  }

  async exists(docker: Dockerode, agent: string): Promise<boolean> {
    try {
      await docker.getVolume(this.volumeName(agent)).inspect();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw new HiveError('BACKEND_UNAVAILABLE', `Could not look for the workspace volume of ${agent}: ${engineMessage(err)}`);
    }
  }

  /** Creates the volume and fills it from the local worktree (its branch's history and its files as they are). */
  async seed(docker: Dockerode, agent: WorkspaceAgent): Promise<{ files: number }> {
    const volume = this.volumeName(agent.name);
    await docker.createVolume({ Name: volume, Labels: { [LABEL_DATA_DIR]: this.hash, [LABEL_AGENT]: agent.name } });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'hive-seed-'));
    try {
      const ws = path.join(tmp, 'ws');
      const clone = await this.git.run(tmp, ['clone', '--quiet', '--no-checkout', '--single-branch', '--branch', agent.branch, '--', agent.repo, ws], { allowFailure: true });
      if (clone.code !== 0) throw new HiveError('SPAWN_FAILED', `Could not prepare the workspace of ${agent.name}: git clone said ${clone.stderr.trim()}`);
      await this.git.run(ws, ['remote', 'remove', 'origin'], { allowFailure: true });
      await this.git.run(ws, ['read-tree', 'HEAD']);
      // The objects as real files, not links to this machine's repository (a local clone hard-links them; fine) —
      // and no alternates file naming a path that does not exist over there.
      rmSync(path.join(ws, '.git', 'objects', 'info', 'alternates'), { force: true });
      const files = (await this.git.out(agent.worktree, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])).split('\0').filter((f) => f && existsSync(path.join(agent.worktree, f)));
      await this.withHelper(docker, agent, async (c) => {
        await c.putArchive(packFiles(ws, walk(ws, '.git')), { path: WORKSPACE, copyUIDGID: '1' });
        await c.putArchive(packFiles(agent.worktree, unique(files)), { path: WORKSPACE, copyUIDGID: '1' });
      });
      return { files: files.length };
    } catch (err) {
      // A half-filled volume must not pass for the workspace at the next start.
      await docker.getVolume(volume).remove({ force: true }).catch(() => {});
      throw err instanceof HiveError ? err : new HiveError('SPAWN_FAILED', `Could not fill the workspace of ${agent.name} on its engine: ${engineMessage(err)}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Brings the workspace back: commits onto hive/NAME, uncommitted files into the local worktree. */
  async pull(docker: Dockerode, agent: WorkspaceAgent): Promise<SyncResult> {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'hive-pull-'));
    try {
      const ws = path.join(tmp, 'ws');
      mkdirSync(ws);
      await this.withHelper(docker, agent, async (c) => {
        const stream = (await c.getArchive({ path: WORKSPACE })) as unknown as Readable;
        await extractTo(stream, ws, 1);
      });
      const gitDir = path.join(ws, '.git');
      if (!existsSync(path.join(gitDir, 'HEAD'))) {
        const kept = this.keep(ws, agent.name, 'workspace');
        throw new HiveError('MERGE_FAILED', `The workspace of ${agent.name} has no git repository any more (.git removed inside the container), so its work cannot be told apart from the branch. A full copy was saved to ${kept}.`);
      }
      writeFileSync(path.join(gitDir, 'config'), CLEAN_CONFIG);
      rmSync(path.join(gitDir, 'hooks'), { recursive: true, force: true });
      const git = (cwd: string, args: string[], allowFailure = false) => this.git.run(cwd, [...SAFE_GIT, ...args], { allowFailure });
      const remoteHead = (await git(ws, ['rev-parse', '--verify', '-q', 'HEAD'], true)).stdout.trim() || null;
      if (!remoteHead) {
        const kept = this.keep(ws, agent.name, 'workspace');
        throw new HiveError('MERGE_FAILED', `The workspace of ${agent.name} has no commit checked out; nothing was changed here. A full copy was saved to ${kept}.`);
      }
      const localHead = (await git(agent.worktree, ['rev-parse', 'HEAD'])).stdout.trim();
      let target = localHead;
      let commits = 0;
      if (remoteHead !== localHead) {
        const f = await git(agent.worktree, ['fetch', '--no-tags', '--quiet', ws, 'HEAD'], true);
        if (f.code !== 0) throw new HiveError('MERGE_FAILED', `Could not fetch the commits of ${agent.name} from its workspace: ${f.stderr.trim()}`);
        const ff = (await git(agent.worktree, ['merge-base', '--is-ancestor', localHead, remoteHead], true)).code === 0;
        if (!ff) {
          await git(agent.worktree, ['update-ref', `refs/hive/remote/${agent.name}`, remoteHead]);
          throw new HiveError(
            'MERGE_FAILED',
            `${agent.branch} here and the branch in the workspace of ${agent.name} have diverged (a commit made here, or history rewritten there). Nothing was overwritten: the workspace's branch is saved as refs/hive/remote/${agent.name}; merge or reset one onto the other.`,
          );
        }
        commits = Number((await git(agent.worktree, ['rev-list', '--count', `${localHead}..${remoteHead}`])).stdout.trim()) || 0;
        target = remoteHead;
      }
      const saved = await this.saveLocalEdits(agent, ws);
      await git(agent.worktree, ['reset', '--hard', '--quiet', target]);
      await git(agent.worktree, ['clean', '-fdq']);
      const changed = unique([
        ...(await git(ws, ['diff', '--name-only', '-z', '--no-renames', 'HEAD'])).stdout.split('\0'),
        ...(await git(ws, ['ls-files', '-z', '--others', '--exclude-standard'])).stdout.split('\0'),
      ]).filter(Boolean);
      const manifest: Manifest = { files: {} };
      const root = realpathSync(agent.worktree);
      for (const rel of changed) {
        const from = path.join(ws, rel);
        const to = path.join(agent.worktree, rel);
        if (!inside(agent.worktree, to)) continue;
        // Never through a link: a symlinked directory (committed there) must not carry a write out of the worktree.
        if (!parentInside(root, to)) continue;
        if (lexists(from)) {
          mkdirSync(path.dirname(to), { recursive: true });
          if (!parentInside(root, to)) continue;
          rmSync(to, { force: true, recursive: true });
          if (lstatSync(from).isSymbolicLink()) symlinkSync(readlinkSync(from), to);
          else cpSync(from, to);
        } else {
          rmSync(to, { force: true });
        }
        manifest.files[rel] = fingerprint(to);
      }
      writeFileSync(this.manifestPath(agent.name), JSON.stringify(manifest));
      return { head: target, commits, files: changed.length, savedLocalEdits: saved, at: new Date().toISOString() };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Removes the workspace volume (after its work was brought back). */
  async drop(docker: Dockerode, agent: string): Promise<void> {
    await docker
      .getVolume(this.volumeName(agent))
      .remove({ force: true })
      .catch((err: unknown) => {
        if (!isNotFound(err)) throw new HiveError('BACKEND_UNAVAILABLE', `Could not remove the workspace volume of ${agent}: ${engineMessage(err)}`);
      });
    rmSync(this.manifestPath(agent), { force: true });
  }

  private manifestPath(agent: string): string {
    const dir = path.join(this.dataDir, 'run');
    mkdirSync(dir, { recursive: true });
    return path.join(dir, `${agent}.sync.json`);
  }

  /**
   * Files in the local worktree that differ from what the last sync wrote there (and from the workspace's
   * copy) are a person's edits: copied
   * to `<data-dir>/archives/<name>-local-<stamp>/` before the mirror overwrites them.
   */
  private async saveLocalEdits(agent: WorkspaceAgent, ws: string): Promise<string | null> {
    let manifest: Manifest = { files: {} };
    try {
      manifest = JSON.parse(readFileSync(this.manifestPath(agent.name), 'utf8')) as Manifest;
    } catch {}
    const status = await this.git.run(agent.worktree, [...SAFE_GIT, 'status', '--porcelain', '-z', '--untracked-files=all', '--no-renames']);
    const dirty = status.stdout
      .split('\0')
      .filter(Boolean)
      .map((l) => l.slice(3));
    // Not an edit at risk: what the last sync wrote, or what the workspace holds anyway (the same content).
    const edits = dirty.filter((rel) => {
      const here = fingerprint(path.join(agent.worktree, rel));
      return manifest.files[rel] !== here && fingerprint(path.join(ws, rel)) !== here;
    });
    if (edits.length === 0) return null;
    const dir = path.join(this.dataDir, 'archives', `${agent.name}-local-${stamp()}`);
    for (const rel of edits) {
      const from = path.join(agent.worktree, rel);
      if (!lexists(from)) continue;
      mkdirSync(path.dirname(path.join(dir, 'files', rel)), { recursive: true });
      cpSync(from, path.join(dir, 'files', rel), { dereference: false });
    }
    writeFileSync(path.join(dir, 'README.txt'), `Edits made in ${agent.worktree} while ${agent.name} ran on another engine, saved before a sync overwrote them:\n${edits.join('\n')}\n`);
    return dir;
  }

  private keep(ws: string, agent: string, what: string): string {
    const dir = path.join(this.dataDir, 'archives', `${agent}-${what}-${stamp()}`);
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(ws, dir);
    return dir;
  }

  /**
   * A container that is never started, with the workspace volume mounted: the archive API reads and writes
   * the volume through it whether the agent runs, sleeps or was never started. Made from the agent's own
   * image, which is on that engine.
   */
  private async withHelper<T>(docker: Dockerode, agent: WorkspaceAgent, fn: (c: Dockerode.Container) => Promise<T>): Promise<T> {
    if (!agent.image) throw new HiveError('INVALID_INPUT', `${agent.name} has no image, so its workspace cannot be reached.`);
    const c = await docker.createContainer({
      name: `hive-${this.hash}-${agent.name}.sync-${randomBytes(3).toString('hex')}`,
      Image: agent.image,
      Entrypoint: [],
      Cmd: ['true'],
      Labels: { [LABEL_DATA_DIR]: this.hash, [LABEL_AGENT]: agent.name, [LABEL_ROLE]: 'sync' },
      HostConfig: { Mounts: [{ Type: 'volume', Source: this.volumeName(agent.name), Target: WORKSPACE }], NetworkMode: 'none' },
    });
    try {
      return await fn(c);
    } finally {
      await c.remove({ force: true, v: false }).catch(() => {});
    }
  }
}

// One list for the whole walk: not `out.push(...walk(sub))`, which throws past ~120,000 paths under one
// directory (a dependency tree) because a spread passes each path as an argument.
function walk(root: string, rel: string, out: string[] = []): string[] {
  out.push(rel);
  const abs = path.join(root, rel);
  if (!lstatSync(abs).isDirectory()) return out;
  for (const e of readdirSync(abs)) walk(root, path.posix.join(rel, e), out);
  return out;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** True when the nearest existing directory above `p` is really inside `root` (no symlinked parent). */
function parentInside(root: string, p: string): boolean {
  let dir = path.dirname(p);
  while (!lexists(dir)) dir = path.dirname(dir);
  const real = realpathSync(dir);
  const rel = path.relative(root, real);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).includes('.git');
}

/** Content of a path as the sync sees it: a hash of a file, of a link's target, or `deleted`. */
function fingerprint(p: string): string {
  try {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return `link:${readlinkSync(p)}`;
    if (!st.isFile()) return 'other';
    return createHash('sha1').update(readFileSync(p)).digest('hex');
  } catch {
    return 'deleted';
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
