import { createHash } from 'node:crypto';
import path from 'node:path';

/** Labels on every container the app creates: how it finds its own containers and never touches others. */
export const LABEL_AGENT = 'agent-hive.agent';
export const LABEL_DATA_DIR = 'agent-hive.data-dir';
/** 'agent' for the container running the agent, 'standby' for a pre-started spare waiting to take over. */
export const LABEL_ROLE = 'agent-hive.role';
/** On a warm standby: a hash of the configuration it was made for (warm-standby.ts standbyKeyHash). */
export const LABEL_STANDBY_KEY = 'agent-hive.standby-key';

/** Two data dirs on one engine must not see each other's containers: the label carries a hash of the path. */
export function dataDirHash(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
}

/** The name of the container that runs the agent. A standby has the same name plus a suffix until it takes over. */
export function containerName(hash: string, agent: string): string {
  return `hive-${hash}-${agent}`;
}

const STANDBY_SUFFIX = '.standby-';

export function standbyName(hash: string, agent: string, seq: string): string {
  return `${containerName(hash, agent)}${STANDBY_SUFFIX}${seq}`;
}

/** A container still named as a standby (one that took over carries the agent's name). */
export function namedAsStandby(names: readonly string[]): boolean {
  return names.some((n) => n.includes(STANDBY_SUFFIX));
}

/** Docker reports names with a leading slash. */
export function bareName(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/** The volume that holds an agent's workspace on an engine that cannot see this machine's files. */
export function workspaceVolume(hash: string, agent: string): string {
  return `hive-${hash}-${agent}-ws`;
}
