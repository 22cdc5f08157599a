import type { RestartPolicy } from '../../../shared/contract/agents.js';
import type { Settings } from '../../../shared/contract/settings.js';
import { RestartPolicy as RestartPolicySchema } from '../../../shared/contract/agents.js';
import { DEFAULT_POLICY } from '../agents/default-policy.js';
import type { Db } from '../store/database.js';

const DEFAULTS: Settings = { policyDefaults: DEFAULT_POLICY, snapshotRetention: 20, redisUrl: null };

/**
 * User settings in the `settings` table (one JSON value per key). The restart policy here is the default
 * for every agent; an agent's own overrides win (see AgentRepo).
 */
export class SettingsStore {
  private cache: Settings | null = null;

  constructor(private readonly db: Db) {}

  get(): Settings {
    if (this.cache) return this.cache;
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    const stored = Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
    const policy = RestartPolicySchema.partial().safeParse(stored.policyDefaults ?? {});
    const retention = Number(stored.snapshotRetention);
    this.cache = {
      policyDefaults: { ...DEFAULTS.policyDefaults, ...(policy.success ? policy.data : {}) },
      snapshotRetention: Number.isInteger(retention) && retention > 0 ? retention : DEFAULTS.snapshotRetention,
      redisUrl: typeof stored.redisUrl === 'string' && stored.redisUrl ? stored.redisUrl : null,
    };
    return this.cache;
  }

  set(patch: { policyDefaults?: Partial<RestartPolicy>; snapshotRetention?: number; redisUrl?: string | null }): Settings {
    const current = this.get();
    const upsert = this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      if (patch.policyDefaults) upsert.run('policyDefaults', JSON.stringify({ ...current.policyDefaults, ...patch.policyDefaults }));
      if (patch.snapshotRetention !== undefined) upsert.run('snapshotRetention', JSON.stringify(patch.snapshotRetention));
      // The same `redisUrl` row createBus() reads at host start.
      if (patch.redisUrl !== undefined) {
        if (patch.redisUrl) upsert.run('redisUrl', JSON.stringify(patch.redisUrl.trim()));
        else this.db.prepare('DELETE FROM settings WHERE key = ?').run('redisUrl');
      }
    })();
    this.cache = null;
    return this.get();
  }

  policyDefaults(): RestartPolicy {
    return this.get().policyDefaults;
  }
}
