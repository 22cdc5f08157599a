import { z } from 'zod';
import { Preset, RestartPolicy } from './agents.js';

/** One environment variable a preset's tool is started with (model endpoint, API key, proxy). */
export const ToolEnvVar = z.object({
  /** Null for a secret: its value is kept out of the database, logs and snapshots (a 0600 file in the data dir). */
  value: z.string().nullable(),
  secret: z.boolean(),
  /** For a secret: its last four characters, so people can tell keys apart. */
  hint: z.string().nullable(),
});
export type ToolEnvVar = z.infer<typeof ToolEnvVar>;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** pino's levels: what the host writes to `<data-dir>/logs/hive.log`. */
export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

export const Failover = z.object({ enabled: z.boolean(), afterSec: z.number().int().min(1).max(86_400) });
export type Failover = z.infer<typeof Failover>;

export const Settings = z.object({
  /** Restart policy every agent starts from; each agent may override any field. */
  policyDefaults: RestartPolicy,
  /** Snapshots kept per agent; older ones are pruned (blobs no other snapshot uses are deleted). */
  snapshotRetention: z.number().int().positive(),
  /**
   * Redis for messaging, read when the host starts (`--redis` / HIVE_REDIS_URL win over it); null: the
   * in-process bus. A change takes effect at the next host start: the running bus is not switched live.
   */
  redisUrl: z.string().nullable(),
  /** Per preset: variables its tool gets (e.g. claude: ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY). */
  toolEnv: z.partialRecord(Preset, z.record(z.string(), ToolEnvVar)),
  /** The host's log level (`--log-level` and HIVE_LOG_LEVEL win over it); a change applies at once. */
  logLevel: LogLevel,
  /**
   * Docker engines: when an engine has not answered for `afterSec`, its agents that should run are moved to
   * another engine that fits and started there from their last synced branch and snapshot. Off by default:
   * work since the last sync stays on the engine that went away.
   */
  failover: Failover,
});
export type Settings = z.infer<typeof Settings>;

export const settingsChannels = {
  'settings:get': { req: z.object({}).default({}), res: Settings },
  'settings:set': {
    req: z.object({
      policyDefaults: RestartPolicy.partial().optional(),
      snapshotRetention: z.number().int().min(1).max(10_000).optional(),
      /** A redis:// or rediss:// URL; '' or null goes back to the in-process bus (at the next host start). */
      redisUrl: z
        .union([z.literal(''), z.string().trim().regex(/^rediss?:\/\/\S+$/, 'Give redis://[user:password@]host:port[/db] or rediss:// for TLS, or an empty value for the in-process bus.')])
        .nullable()
        .optional(),
      /** Sets (value) or removes (null) one variable of a preset's environment. */
      toolEnv: z
        .object({
          preset: Preset,
          name: z.string().regex(ENV_NAME, 'Give an environment variable name: letters, digits and _, not starting with a digit.'),
          value: z.string().max(65_536).nullable(),
          /** Default: names with KEY, TOKEN, SECRET or PASSWORD in them are secrets. */
          secret: z.boolean().optional(),
        })
        .optional(),
      logLevel: LogLevel.optional(),
      failover: Failover.partial().optional(),
    }),
    res: Settings,
  },
} as const;
