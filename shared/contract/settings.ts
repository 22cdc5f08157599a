import { z } from 'zod';
import { RestartPolicy } from './agents.js';

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
    }),
    res: Settings,
  },
} as const;
