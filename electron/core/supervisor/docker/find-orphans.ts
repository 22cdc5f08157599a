import type Dockerode from 'dockerode';
import { bareName, LABEL_AGENT, LABEL_DATA_DIR } from './docker-labels.js';

export interface Orphan {
  id: string;
  /** Container name without the leading slash. */
  container: string;
  /** The agent name on the label. */
  agent: string;
  image: string;
  state: string;
  createdAt: string;
}

/**
 * Containers labelled as ours (this data dir) whose agent the database does not know. They are reported,
 * never deleted: the user adopts them or removes them (`docker rm -f <container>`).
 */
export async function findOrphans(docker: Dockerode, hash: string, knownNames: Iterable<string>): Promise<Orphan[]> {
  const known = new Set(knownNames);
  const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_DATA_DIR}=${hash}`] }) });
  return list
    .filter((c) => !known.has(c.Labels[LABEL_AGENT] ?? ''))
    .map((c) => ({
      id: c.Id,
      container: bareName(c.Names[0] ?? c.Id),
      agent: c.Labels[LABEL_AGENT] ?? '',
      image: c.Image,
      state: c.State,
      createdAt: new Date(c.Created * 1000).toISOString(),
    }));
}
