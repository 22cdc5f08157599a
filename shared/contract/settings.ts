import { z } from 'zod';
import { RestartPolicy } from './agents.js';

export const Settings = z.object({
  /** Restart policy every agent starts from; each agent may override any field. */
  policyDefaults: RestartPolicy,
  /** Snapshots kept per agent; older ones are pruned (blobs no other snapshot uses are deleted). */
  snapshotRetention: z.number().int().positive(),
});
export type Settings = z.infer<typeof Settings>;

export const settingsChannels = {
  'settings:get': { req: z.object({}).default({}), res: Settings },
  'settings:set': {
    req: z.object({ policyDefaults: RestartPolicy.partial().optional(), snapshotRetention: z.number().int().min(1).max(10_000).optional() }),
    res: Settings,
  },
} as const;
