import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Dockerode from 'dockerode';
import { HiveError } from '../../../../shared/errors.js';
import { agentNameProblem } from '../../../../shared/names.js';
import type { StartSpec } from '../backend.js';
import { LABEL_AGENT, LABEL_DATA_DIR, workspaceVolume } from './docker-labels.js';
import { STATUS_DIR, statusDir } from './exit-status.js';

/** Where the worktree appears inside every agent container (and its working dir). */
export const WORKSPACE = '/workspace';
/** Name the container uses for the host when it is not on the host network (Docker ≥ 20.10 `host-gateway`). */
export const HOST_ALIAS = 'host.docker.internal';

// Docker refuses less than 6 MB; more than 1 TiB is a typo, not a limit.
export const MEMORY_MB_RANGE = { min: 6, max: 1_048_576 } as const;
// The engine works in 1/100 CPU steps; it also refuses more CPUs than the machine has and says so.
export const CPUS_RANGE = { min: 0.01, max: 1024 } as const;
// A network name (bridge, host, none, or a user network). `container:<id>` would join another container's
// namespaces — possibly one that is not ours — so it is refused.
const NETWORK_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface ContainerSpecContext {
  hash: string;
  /** Only worktrees under this directory may be bind-mounted. */
  worktreesDir: string;
  /** Host environment variables passed through besides HIVE_* (API keys the agent CLI needs). */
  passEnv: readonly string[];
  defaultNetwork: string;
  /** `uid:gid` the agent runs as, so files it writes in the worktree belong to the user. */
  user: string | undefined;
  /** Where the host writes per-run files (the resume file); only those are mounted, read-only. */
  runDir: string;
  /**
   * 'bind': the worktree is bind-mounted (the engine sees this machine's files). 'volume': an engine on
   * another machine; the workspace is a Docker volume the host seeds and syncs over the API (remote-workspace.ts),
   * and the resume file is copied in before the container starts.
   */
  workspace?: 'bind' | 'volume';
}

/** Where the resume file (context after a wake or recovery) appears inside the container. */
export const RESUME_FILE = '/hive/resume.md';

export interface Limits {
  nanoCpus: number | undefined;
  memoryBytes: number | undefined;
  network: string;
}

export function validateLimits(limits: StartSpec['limits'], defaultNetwork: string): Limits {
  const cpus = limits?.cpus;
  if (cpus !== undefined && !(Number.isFinite(cpus) && cpus >= CPUS_RANGE.min && cpus <= CPUS_RANGE.max)) {
    throw new HiveError('INVALID_INPUT', `CPU limit ${cpus} is out of range: use ${CPUS_RANGE.min} to the number of CPUs of the Docker host.`);
  }
  const mb = limits?.memoryMb;
  if (mb !== undefined && !(Number.isInteger(mb) && mb >= MEMORY_MB_RANGE.min && mb <= MEMORY_MB_RANGE.max)) {
    throw new HiveError('INVALID_INPUT', `Memory limit ${mb} MB is out of range: use a whole number from ${MEMORY_MB_RANGE.min} to ${MEMORY_MB_RANGE.max} MB.`);
  }
  const network = limits?.network ?? defaultNetwork;
  if (!NETWORK_PATTERN.test(network)) {
    throw new HiveError('INVALID_INPUT', `Network ${JSON.stringify(network)} is not allowed: use bridge, host, none or the name of a Docker network.`);
  }
  return {
    nanoCpus: cpus === undefined ? undefined : Math.round(cpus * 1e9),
    memoryBytes: mb === undefined ? undefined : mb * 1024 * 1024,
    network,
  };
}

/** The worktree must be a real directory inside the data dir's worktrees: never mount an arbitrary host path. */
export function checkedWorktree(cwd: string, worktreesDir: string): string {
  let real: string;
  let root: string;
  try {
    real = realpathSync(cwd);
  } catch {
    throw new HiveError('INVALID_INPUT', `The worktree ${cwd} does not exist, so it cannot be mounted into the container.`);
  }
  try {
    root = realpathSync(worktreesDir);
  } catch {
    throw new HiveError('INVALID_INPUT', `The worktrees directory ${worktreesDir} does not exist; only worktrees under it can be mounted.`);
  }
  const rel = path.relative(root, real);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new HiveError(
      'INVALID_INPUT',
      `Refusing to mount ${cwd} into a container: only worktrees under ${worktreesDir} may be mounted.`,
    );
  }
  return real;
}

/**
 * The agents reach the API at HIVE_URL. On the host network loopback is the host's; on a bridge (or a
 * user network) loopback is the container's own, so loopback hosts become `host.docker.internal`, which
 * `ExtraHosts: host-gateway` maps to the bridge gateway. The API must then listen on that gateway address
 * too (see `bridgeGateway`).
 */
export function containerHiveUrl(url: string, network: string): string {
  if (network === 'host' || network === 'none') return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (!['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(u.hostname)) return url;
  u.hostname = HOST_ALIAS;
  const out = u.toString();
  return !url.endsWith('/') && u.pathname === '/' && out.endsWith('/') ? out.slice(0, -1) : out;
}

/**
 * HIVE_* variables and the pass-through list only: the host's PATH, HOME and the rest mean nothing in the
 * image. Host paths become container paths; the data dir is not in the container, so HIVE_DATA_DIR is dropped.
 */
export function containerEnv(env: Record<string, string>, ctx: ContainerSpecContext, network: string, hiveUrl?: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('HIVE_') && !ctx.passEnv.includes(k)) continue;
    if (k === 'HIVE_DATA_DIR') continue;
    if (k === 'HIVE_URL') out.push(`${k}=${hiveUrl ?? containerHiveUrl(v, network)}`);
    else if (k === 'HIVE_WORKTREE') out.push(`${k}=${WORKSPACE}`);
    else if (k === 'HIVE_RESUME_FILE') out.push(`${k}=${ctx.workspace === 'volume' || resumeMount(v, ctx) ? RESUME_FILE : ''}`);
    else out.push(`${k}=${v}`);
  }
  for (const k of ctx.passEnv) {
    const v = process.env[k];
    if (v !== undefined && !(k in env)) out.push(`${k}=${v}`);
  }
  return out;
}

/**
 * A linked worktree's `.git` is a file naming `<repo>/.git/worktrees/<name>`, whose objects and refs live in
 * the repository's git dir. Git in the container needs both, at the same absolute paths, or every commit the
 * agent makes fails. Only a real git dir is mounted (HEAD, objects and refs present).
 */
export function gitDirMounts(worktree: string): string[] {
  const dotGit = path.join(worktree, '.git');
  try {
    if (!statSync(dotGit).isFile()) return [];
    const m = /^gitdir:\s*(.+)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
    if (!m) return [];
    const gitdir = path.resolve(worktree, m[1]!.trim());
    const commonFile = path.join(gitdir, 'commondir');
    const common = existsSync(commonFile) ? path.resolve(gitdir, readFileSync(commonFile, 'utf8').trim()) : gitdir;
    const real = realpathSync(common);
    if (!['HEAD', 'objects', 'refs'].every((f) => existsSync(path.join(real, f)))) return [];
    // Same path inside: the `.git` file and the worktree's `gitdir` back-link hold absolute host paths.
    return [`${real}:${real}:rw`, ...(real !== common ? [`${real}:${common}:rw`] : [])];
  } catch {
    return [];
  }
}

function resumeMount(file: string | undefined, ctx: ContainerSpecContext): string | null {
  if (!file) return null;
  try {
    const real = realpathSync(file);
    const rel = path.relative(realpathSync(ctx.runDir), real);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? real : null;
  } catch {
    return null;
  }
}

/**
 * The resume file is mounted on every run, existing or not yet written (then empty), so a run with context
 * and one without have the same mounts (a warm standby can take over either). The host rewrites the file
 * in place, so the container sees the current content.
 */
function resumeSource(spec: StartSpec, ctx: ContainerSpecContext): string {
  const given = resumeMount(spec.env.HIVE_RESUME_FILE, ctx);
  if (given) return given;
  const file = path.join(ctx.runDir, `${spec.name}.resume.md`);
  mkdirSync(ctx.runDir, { recursive: true });
  writeFileSync(file, '', { flag: 'a' });
  return realpathSync(file);
}

/**
 * Create options for the container of one agent. `cmd` is the exact argv: the image's ENTRYPOINT is
 * cleared so the argv means the same thing as on the other backends.
 */
export function createOptions(
  spec: StartSpec,
  ctx: ContainerSpecContext,
  name: string,
  cmd: string[],
  hiveUrl?: string,
  hostAddress?: string | null,
): Dockerode.ContainerCreateOptions {
  const problem = agentNameProblem(spec.name);
  if (problem) throw new HiveError('INVALID_NAME', problem);
  if (!spec.image) {
    throw new HiveError('INVALID_INPUT', 'The docker backend needs an image: pass --image IMAGE (see docker/README.md to build one).');
  }
  const limits = validateLimits(spec.limits, ctx.defaultNetwork);
  const worktree = checkedWorktree(spec.cwd, ctx.worktreesDir);
  const bridged = limits.network !== 'host' && limits.network !== 'none';
  const volume = ctx.workspace === 'volume';
  const resume = volume ? null : resumeSource(spec, ctx);
  return {
    name,
    Image: spec.image,
    Entrypoint: [],
    Cmd: cmd,
    Env: containerEnv(spec.env, ctx, limits.network, hiveUrl),
    WorkingDir: WORKSPACE,
    User: ctx.user,
    Labels: { [LABEL_AGENT]: spec.name, [LABEL_DATA_DIR]: ctx.hash },
    Tty: false,
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      // The worktree also at its host path: git's back-link from the repository names that path, and
      // `git worktree prune` inside the container must not take the worktree for deleted.
      Binds: volume
        ? undefined
        : [`${worktree}:${WORKSPACE}:rw`, `${worktree}:${worktree}:rw`, ...gitDirMounts(worktree), `${resume}:${RESUME_FILE}:ro`, `${statusDir(ctx.runDir, spec.name)}:${STATUS_DIR}:rw`],
      Mounts: volume ? [{ Type: 'volume', Source: workspaceVolume(ctx.hash, spec.name), Target: WORKSPACE }] : undefined,
      NanoCpus: limits.nanoCpus,
      Memory: limits.memoryBytes,
      // Swap beyond the limit would make the memory limit meaningless.
      MemorySwap: limits.memoryBytes,
      NetworkMode: limits.network,
      // The bridge gateway's address when known (a local engine): `host-gateway` is what the engine thinks
      // it is, and Docker 20.10 with live-restore makes it "<nil>" after the engine restarts with containers
      // running (moby/moby#42753), which left every later container without a way to the API.
      ExtraHosts: bridged ? [`${HOST_ALIAS}:${hostAddress ?? 'host-gateway'}`] : undefined,
      // The watchdog owns restarts; Docker restarting on its own would race it.
      RestartPolicy: { Name: 'no' },
      // docker-init as PID 1 forwards SIGTERM to `sh -c` commands (which ignore it as PID 1) and reaps zombies.
      Init: true,
    },
  };
}
