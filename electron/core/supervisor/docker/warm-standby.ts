import { createHash } from 'node:crypto';
import type Dockerode from 'dockerode';

/**
 * A warm standby is a second container per agent, created and started ahead of time with the agent's
 * exact configuration, whose shell waits for one line on stdin before it `exec`s the agent's argv. A crash
 * then costs one write instead of a container create + start (the engine's start alone is ~0.5 s).
 *
 * The line carries the environment changes since the standby was made (a recovery adds the resume file),
 * as `export K='v'` statements with single-quote escaping; anything that cannot go on one line, or any
 * change outside the environment, means a cold start instead.
 */
const WRAPPER = 'IFS= read -r _hive_go || exit 0; eval "$_hive_go"; unset _hive_go; exec "$@"';

export function standbyCmd(argv: string[]): string[] {
  return ['/bin/sh', '-c', WRAPPER, 'hive-agent', ...argv];
}

/** Everything but the environment and the name: what must be equal for the standby to take over. */
export function standbyKey(opts: Dockerode.ContainerCreateOptions): string {
  const { Env: _env, name: _name, ...rest } = opts;
  return JSON.stringify(rest);
}

/**
 * standbyKey with the image's id (a tag rebuilt or pulled meanwhile names another image), as a label value:
 * a host that adopts the agent after a restart knows what its standby was made for.
 */
export function standbyKeyHash(opts: Dockerode.ContainerCreateOptions, imageId: string): string {
  return createHash('sha256').update(`${imageId}\n${standbyKey(opts)}`).digest('hex').slice(0, 32);
}

/**
 * The environment a standby was given, from what the engine reports (its image's variables included): the
 * image's own entries are dropped, so an activation line never unsets them.
 */
export function givenEnv(containerEnv: readonly string[], imageEnv: readonly string[]): string[] {
  const image = new Set(imageEnv);
  return containerEnv.filter((e) => !image.has(e));
}

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function quote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

function parse(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

/** The line that turns the standby's environment into `next`, or null when it cannot be one line. */
export function activationLine(standbyEnv: readonly string[], next: readonly string[]): string | null {
  const before = parse(standbyEnv);
  const after = parse(next);
  const parts: string[] = [];
  for (const [k, v] of after) {
    if (before.get(k) === v) continue;
    if (!VAR_NAME.test(k) || /[\n\r\0]/.test(v)) return null;
    parts.push(`export ${k}=${quote(v)}`);
  }
  for (const k of before.keys()) {
    if (after.has(k)) continue;
    if (!VAR_NAME.test(k)) return null;
    parts.push(`unset ${k}`);
  }
  return parts.join('; ');
}
