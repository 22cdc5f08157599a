import type Dockerode from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiBridge } from '../../../../electron/core/supervisor/docker/api-bridge.js';

/** An engine's answer about its bridge network (a fake: the real dockerd's gateway is always on this machine). */
function engineSaying(gateway: string | null): Dockerode {
  return { getNetwork: () => ({ inspect: async () => ({ IPAM: { Config: gateway ? [{ Gateway: gateway }] : [] } }) }) } as unknown as Dockerode;
}

describe('ApiBridge when the API cannot be forwarded (fake engine answers)', () => {
  let bridge: ApiBridge | null = null;
  afterEach(() => {
    bridge?.dispose();
    bridge = null;
  });

  it('says why, instead of handing the container a URL that silently does not answer', async () => {
    // 192.0.2.1 (TEST-NET-1) is never an address of this machine: binding there fails.
    bridge = new ApiBridge(engineSaying('192.0.2.1'));
    const url = await bridge.urlFor('http://127.0.0.1:4321', 'bridge');
    expect(url).toBe('http://host.docker.internal:4321');
    expect(bridge.problemFor('http://127.0.0.1:4321')).toMatch(/cannot listen on the bridge gateway: .*EADDRNOTAVAIL/);
  });

  it('names an unknown gateway, and has nothing to say for host networking', async () => {
    bridge = new ApiBridge(engineSaying(null));
    await bridge.urlFor('http://127.0.0.1:4322', 'bridge');
    expect(bridge.problemFor('http://127.0.0.1:4322')).toMatch(/bridge gateway/);
    expect(await bridge.urlFor('http://127.0.0.1:4323', 'host')).toBe('http://127.0.0.1:4323');
    expect(bridge.problemFor('http://127.0.0.1:4323')).toBeNull();
  });
});
