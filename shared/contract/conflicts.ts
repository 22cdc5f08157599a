import { z } from 'zod';

/**
 * The merge-conflict engine: pre-flight detection, intent claims, integration merges in a separate
 * worktree, the escalation queue and its resolve actions. Channels `conflicts:*`, `intent:*`, `merge:*`.
 */
const agentName = z.string().min(1).max(200);
const id = z.string().min(1).max(200);
const relPath = z.string().min(1).max(4096);

export const ConflictStatus = z.enum(['open', 'auto-resolved', 'escalated', 'resolved', 'abandoned']);
export type ConflictStatus = z.infer<typeof ConflictStatus>;

export const ConflictAttempt = z.object({
  at: z.string(),
  hunk: z.number().int().nullable(),
  strategy: z.string(),
  result: z.string(),
  reason: z.string(),
});
export type ConflictAttempt = z.infer<typeof ConflictAttempt>;

export const ConflictHunk = z.object({
  index: z.number().int(),
  base: z.string(),
  ours: z.string(),
  theirs: z.string(),
  status: z.enum(['resolved', 'escalated']),
  strategy: z.string().nullable(),
  reason: z.string(),
  resolution: z.string().nullable(),
});
export type ConflictHunk = z.infer<typeof ConflictHunk>;

export const SideIntent = z.object({
  agent: z.string().nullable(),
  task: z.string().nullable(),
  intent: z.string().nullable(),
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
});
export type SideIntent = z.infer<typeof SideIntent>;

export const ConflictSummary = z.object({
  id: z.string(),
  mergeId: z.string(),
  agent: z.string(),
  path: z.string(),
  status: ConflictStatus,
  reason: z.string(),
  hunks: z.number().int(),
  branch: z.string(),
  into: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConflictSummary = z.infer<typeof ConflictSummary>;

export const ConflictItem = ConflictSummary.extend({
  base: z.string().nullable(),
  ours: z.string().nullable(),
  theirs: z.string().nullable(),
  withMarkers: z.string(),
  proposal: z.string().nullable(),
  autoResult: z.string().nullable(),
  resolution: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  hunkList: z.array(ConflictHunk),
  intents: z.object({ ours: SideIntent, theirs: SideIntent }),
  attempts: z.array(ConflictAttempt),
});
export type ConflictItem = z.infer<typeof ConflictItem>;

export const RiskRange = z.object({ start: z.number().int(), end: z.number().int() });
export const RiskFile = z.object({ path: z.string(), ranges: z.array(RiskRange), reason: z.string() });
export const RiskPair = z.object({
  a: z.string(),
  b: z.string(),
  kind: z.enum(['integration', 'agents', 'intent']),
  clean: z.boolean(),
  files: z.array(RiskFile),
});
export type RiskPair = z.infer<typeof RiskPair>;
export const PreflightReport = z.object({
  checkedAt: z.string(),
  into: z.record(z.string(), z.string()),
  pairs: z.array(RiskPair),
  checked: z.number().int(),
  errors: z.array(z.object({ agent: z.string(), message: z.string() })),
});
export type PreflightReport = z.infer<typeof PreflightReport>;

export const IntentClaim = z.object({
  id: z.number().int(),
  agent: z.string(),
  repo: z.string(),
  path: z.string(),
  reason: z.string(),
  createdAt: z.string(),
});
export type IntentClaim = z.infer<typeof IntentClaim>;

export const MergeFileOutcome = z.object({
  path: z.string(),
  status: z.enum(['auto-resolved', 'escalated']),
  strategies: z.array(z.string()),
  reason: z.string(),
  itemId: z.string(),
});
export const MergeResult = z.object({
  id: z.string(),
  agent: z.string(),
  branch: z.string(),
  into: z.string(),
  status: z.enum(['clean', 'auto-resolved', 'escalated', 'resolved', 'abandoned', 'up-to-date', 'check-failed']),
  commit: z.string().nullable(),
  worktree: z.string(),
  files: z.array(MergeFileOutcome),
  message: z.string(),
});
export type MergeResult = z.infer<typeof MergeResult>;

export const ResolveTake = z.enum(['ours', 'theirs', 'both', 'proposal']);
export const ConflictSettings = z.object({
  checkCommand: z.string().max(10_000).nullable(),
  llm: z
    .object({
      kind: z.enum(['anthropic', 'openai-compatible', 'command']),
      model: z.string().max(200).default(''),
      baseUrl: z.string().max(2000).optional(),
      apiKeyEnv: z.string().max(200).optional(),
      command: z.string().max(4096).optional(),
      args: z.array(z.string().max(4096)).max(100).optional(),
    })
    .nullable(),
});
export type ConflictSettings = z.infer<typeof ConflictSettings>;

export const conflictsChannels = {
  'conflicts:preflight': {
    req: z.object({ agent: agentName.optional() }).default({}),
    res: PreflightReport,
  },
  'conflicts:list': {
    req: z
      .object({ status: ConflictStatus.optional(), agent: agentName.optional(), limit: z.number().int().positive().max(10_000).default(500) })
      .default({ limit: 500 }),
    res: z.array(ConflictSummary),
  },
  'conflicts:get': { req: z.object({ id }), res: ConflictItem },
  'conflicts:resolve': {
    req: z
      .object({ id, take: ResolveTake.optional(), text: z.string().max(50_000_000).optional() })
      .refine((r) => (r.take === undefined) !== (r.text === undefined), 'Give exactly one of `take` or `text`.'),
    res: z.object({ item: ConflictSummary, merge: MergeResult }),
  },
  'conflicts:abandon': { req: z.object({ id }), res: ConflictSummary },
  'conflicts:sendBack': {
    req: z.object({ id, note: z.string().max(100_000).optional() }),
    res: z.object({ sent: z.boolean(), via: z.string(), message: z.string() }),
  },
  'conflicts:getSettings': { req: z.object({}).default({}), res: ConflictSettings },
  'conflicts:setSettings': { req: ConflictSettings.partial(), res: ConflictSettings },
  'merge:run': {
    req: z.object({ name: agentName, into: z.string().min(1).max(500).optional() }),
    res: MergeResult,
  },
  'merge:list': {
    req: z.object({ limit: z.number().int().positive().max(10_000).default(100) }).default({ limit: 100 }),
    res: z.array(MergeResult.omit({ files: true })),
  },
  'intent:claim': {
    req: z.object({ agent: agentName, paths: z.array(relPath).min(1).max(1000), reason: z.string().max(10_000).default('') }),
    res: z.object({ claims: z.array(IntentClaim), overlaps: z.array(z.object({ path: z.string(), agent: z.string(), claimed: z.string(), reason: z.string() })) }),
  },
  'intent:release': {
    req: z.object({ agent: agentName, paths: z.array(relPath).max(1000).optional() }),
    res: z.object({ released: z.number().int() }),
  },
  'intent:list': { req: z.object({ agent: agentName.optional() }).default({}), res: z.array(IntentClaim) },
} as const;
