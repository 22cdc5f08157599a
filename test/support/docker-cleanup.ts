import type Dockerode from 'dockerode';
import { LABEL_DATA_DIR } from '../../electron/core/supervisor/docker/docker-labels.js';

/**
 * Removes every container and volume labelled with a data dir's hash on one engine (containers outlive a
 * core on purpose; workspace volumes outlive their containers). An engine that does not answer is skipped.
 */
export async function removeDataDirResources(docker: Dockerode, hash: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${LABEL_DATA_DIR}=${hash}`] });
  for (const c of await docker.listContainers({ all: true, filters }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  for (const v of (await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }))).Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true }).catch(() => {});
}
