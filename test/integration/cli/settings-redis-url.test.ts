import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/git-repo.js';
import { hive, hiveJson, startHostProcess, type HostProcess } from '../../support/host-process.js';
import { hasService } from '../../support/services.js';
import { RedisServer } from '../bus/redis-server.js';
import { invoke } from '../watchdog/watchdog-helpers.js';

/**
 * `hive settings set --redis-url`: validated, stored, shown, and used by the next host start (a real
 * redis-server); an empty value goes back to the in-process bus. HIVE_REDIS_URL is cleared for the hosts so
 * the setting is what decides.
 */
describe.skipIf(!hasService('redis-server'))('the redisUrl setting (real hosts, real redis-server)', () => {
  const dataDir = tempDir('hive-redis-setting-');
  let host: HostProcess | undefined;
  let redis: RedisServer | undefined;
  const env = { HIVE_REDIS_URL: '' };
  afterAll(async () => {
    await host?.stop();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is stored, applies at the next host start, and can be cleared', async () => {
    redis = await RedisServer.start();
    host = await startHostProcess(dataDir, [], env);
    expect(await hiveJson<{ kind: string }>(dataDir, ['msg', 'state'])).toMatchObject({ kind: 'in-process' });

    const bad = await hive(dataDir, ['settings', 'set', '--redis-url', 'http://example.com']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('redis://');
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // a sentence, not a stack trace

    const set = await hive(dataDir, ['settings', 'set', '--redis-url', redis.url]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('changes when the host restarts');
    expect(await hiveJson<{ redisUrl: string | null }>(dataDir, ['settings'])).toMatchObject({ redisUrl: redis.url });
    // The running host keeps its bus.
    expect(await hiveJson<{ kind: string }>(dataDir, ['msg', 'state'])).toMatchObject({ kind: 'in-process' });

    await host.stop();
    host = await startHostProcess(dataDir, [], env);
    expect(await hiveJson<{ kind: string; state: string }>(dataDir, ['msg', 'state'])).toMatchObject({ kind: 'redis' });

    // A password in the URL is stored (the host needs it) but never written into the event log.
    const withPassword = redis.url.replace('redis://', 'redis://hive:s3cret-pw@');
    expect((await hive(dataDir, ['settings', 'set', '--redis-url', withPassword])).code).toBe(0);
    const events = await invoke<unknown[]>(host, 'events:list', { limit: 20 });
    expect(JSON.stringify(events)).not.toContain('s3cret-pw');
    expect(JSON.stringify(events)).toContain('hive:***@');

    const cleared = await hive(dataDir, ['settings', 'set', '--redis-url', '']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(await hiveJson<{ redisUrl: string | null }>(dataDir, ['settings'])).toMatchObject({ redisUrl: null });
    await host.stop();
    host = await startHostProcess(dataDir, [], env);
    expect(await hiveJson<{ kind: string }>(dataDir, ['msg', 'state'])).toMatchObject({ kind: 'in-process' });
  }, 120_000);
});
