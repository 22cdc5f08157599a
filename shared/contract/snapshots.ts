import { z } from 'zod';

export const SnapshotType = z.enum(['sleep', 'checkpoint', 'crash', 'migrated']);
export type SnapshotType = z.infer<typeof SnapshotType>;

export const SnapshotMeta = z.object({
  id: z.string(),
  agent: z.string(),
  type: SnapshotType,
  createdAt: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
  note: z.string().nullable(),
});
export type SnapshotMeta = z.infer<typeof SnapshotMeta>;

export const MemoryFile = z.object({ path: z.string(), contentBase64: z.string(), sha256: z.string() });
export type MemoryFile = z.infer<typeof MemoryFile>;

/** What a snapshot holds: everything needed to bring an agent back with its context. */
export const SnapshotContents = z.object({
  version: z.literal(1),
  agent: z.string(),
  type: SnapshotType,
  createdAt: z.string(),
  task: z.string(),
  role: z.string(),
  outputTail: z.string(),
  memoryFiles: z.array(MemoryFile),
  git: z
    .object({ branch: z.string(), head: z.string(), status: z.string(), patch: z.string() })
    .nullable(),
  sessionId: z.string().nullable(),
  workingMemory: z.record(z.string(), z.string()).default({}),
  pendingMessages: z.array(z.unknown()).default([]),
  notes: z.string().default(''),
});
export type SnapshotContents = z.infer<typeof SnapshotContents>;

const id = z.string().min(1).max(200);
export const snapshotsChannels = {
  'snapshots:list': { req: z.object({ name: z.string().min(1).max(200) }), res: z.array(SnapshotMeta) },
  'snapshots:show': {
    req: z.object({ id }),
    res: z.object({ meta: SnapshotMeta, contents: SnapshotContents }),
  },
  'snapshots:diff': { req: z.object({ a: id, b: id }), res: z.object({ diff: z.string() }) },
  'snapshots:restore': { req: z.object({ id }), res: z.object({ agent: z.string(), restoredFiles: z.number().int() }) },
  'snapshots:checkpoint': {
    req: z.object({ name: z.string().min(1).max(200), note: z.string().max(10_000).optional() }),
    res: SnapshotMeta,
  },
  'memory:save': {
    req: z.object({
      name: z.string().min(1).max(200),
      files: z
        .array(
          z.object({
            path: z.string().min(1).max(4096).refine((s) => !s.includes('\0'), { message: 'must not contain NUL (\\0) characters' }),
            contentBase64: z.base64({ message: 'must be base64' }),
          }),
        )
        .max(10_000),
    }),
    res: z.object({ saved: z.array(z.string()) }),
  },
} as const;
