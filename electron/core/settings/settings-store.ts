import type { RestartPolicy } from '../../../shared/contract/agents.js';
import type { Preset } from '../../../shared/contract/agents.js';
import { Failover as FailoverSchema, LogLevel as LogLevelSchema, type LogLevel, type Settings, type ToolEnvVar } from '../../../shared/contract/settings.js';
import { SecretFile } from './secret-file.js';
import { RestartPolicy as RestartPolicySchema } from '../../../shared/contract/agents.js';
import { HiveError } from '../../../shared/errors.js';
import { DEFAULT_POLICY } from '../agents/default-policy.js';
import type { Db } from '../store/database.js';

const DEFAULTS: Settings = { policyDefaults: DEFAULT_POLICY, snapshotRetention: 20, redisUrl: null, toolEnv: {}, logLevel: 'info', failover: { enabled: false, afterSec: 300 } };

export const looksSecret = (name: string): boolean => /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/i.test(name);

/**
 * User settings in the `settings` table (one JSON value per key). The restart policy here is the default
 * for every agent; an agent's own overrides win (see AgentRepo).
 */
export class SettingsStore {
  private cache: Settings | null = null;

  /** Secret values live here, never in the database (`<dataDir>/secrets.json`, mode 0600). */
  private readonly secrets: SecretFile | null;

  constructor(
    private readonly db: Db,
    secretsFile: string | null = null,
  ) {
    this.secrets = secretsFile ? new SecretFile(secretsFile) : null;
  }

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
      toolEnv: stored.toolEnv && typeof stored.toolEnv === 'object' ? (stored.toolEnv as Settings['toolEnv']) : {},
      logLevel: LogLevelSchema.safeParse(stored.logLevel).data ?? DEFAULTS.logLevel,
      failover: { ...DEFAULTS.failover, ...(FailoverSchema.partial().safeParse(stored.failover ?? {}).data ?? {}) },
    };
    return this.cache;
  }

  set(patch: {
    policyDefaults?: Partial<RestartPolicy>;
    snapshotRetention?: number;
    redisUrl?: string | null;
    toolEnv?: { preset: Preset; name: string; value: string | null; secret?: boolean };
    logLevel?: LogLevel;
    failover?: Partial<Settings['failover']>;
  }): Settings {
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
      if (patch.logLevel) upsert.run('logLevel', JSON.stringify(patch.logLevel));
      if (patch.failover) upsert.run('failover', JSON.stringify({ ...current.failover, ...patch.failover }));
      if (patch.toolEnv) upsert.run('toolEnv', JSON.stringify(this.nextToolEnv(current.toolEnv, patch.toolEnv)));
    })();
    this.cache = null;
    return this.get();
  }

  private nextToolEnv(current: Settings['toolEnv'], e: { preset: Preset; name: string; value: string | null; secret?: boolean }): Settings['toolEnv'] {
    const vars = { ...(current[e.preset] ?? {}) };
    const id = `${e.preset}:${e.name}`;
    if (e.value === null) {
      delete vars[e.name];
      this.secrets?.delete(id);
    } else {
      const secret = e.secret ?? looksSecret(e.name);
      if (secret && !this.secrets) throw new HiveError('INVALID_INPUT', 'Secrets need a data dir to keep them in.');
      if (secret) this.secrets!.set(id, e.value);
      else this.secrets?.delete(id);
      vars[e.name] = secret ? { value: null, secret: true, hint: e.value.length > 8 ? e.value.slice(-4) : null } : { value: e.value, secret: false, hint: null };
    }
    return { ...current, [e.preset]: vars };
  }

  /** The variables a preset's tool starts with, secrets read from their file. */
  envFor(preset: Preset): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, v] of Object.entries(this.get().toolEnv[preset] ?? {}) as [string, ToolEnvVar][]) {
      const value = v.secret ? this.secrets?.get(`${preset}:${name}`) : v.value;
      if (value !== null && value !== undefined) out[name] = value;
    }
    return out;
  }

  /** Every secret value, for masking them wherever text leaves the core (events, logs). */
  secretValues(): string[] {
    return this.secrets?.values() ?? [];
  }

  policyDefaults(): RestartPolicy {
    return this.get().policyDefaults;
  }
}
