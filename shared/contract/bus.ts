import { z } from 'zod';

/**
 * Messaging between agents and their working memory. Agents call these with their own name (`from` /
 * `name`, taken from HIVE_AGENT by the CLI); the GUI calls `msg:list` and `bus:state`.
 */
const agentName = z.string().min(1).max(200);
const topicName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'A topic uses letters, digits, ".", ":", "-" and "_".');
const memoryKey = z.string().min(1).max(1000);

export const BusKind = z.enum(['redis', 'in-process']);
export type BusKind = z.infer<typeof BusKind>;
export const BusStateName = z.enum(['connected', 'degraded', 'disconnected']);
export const BusState = z.object({ kind: BusKind, state: BusStateName, detail: z.string().nullable() });
export type BusState = z.infer<typeof BusState>;

/** One message as one recipient sees it (`deliveredAt`/`ackedAt` are that recipient's). */
export const BusMessage = z.object({
  id: z.string(),
  seq: z.number().int(),
  from: z.string(),
  to: z.string().nullable(),
  topic: z.string().nullable(),
  broadcast: z.boolean(),
  type: z.string(),
  body: z.string(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  ackedAt: z.string().nullable(),
});
export type BusMessage = z.infer<typeof BusMessage>;

export const MessageRecipient = z.object({
  name: z.string(),
  deliveredAt: z.string().nullable(),
  ackedAt: z.string().nullable(),
});
/** A message with the delivery state of every recipient: the GUI's view. */
export const MessageView = BusMessage.extend({ recipients: z.array(MessageRecipient) });
export type MessageView = z.infer<typeof MessageView>;

export const SendRequest = z
  .object({
    from: agentName,
    to: agentName.optional(),
    topic: topicName.optional(),
    all: z.boolean().optional(),
    type: z.string().min(1).max(100).default('text'),
    body: z.string().max(1_000_000),
    /** A caller-chosen id makes a retried send idempotent (same id → same message, stored once). */
    id: z.string().min(1).max(200).optional(),
  })
  .refine((r) => [r.to !== undefined, r.topic !== undefined, r.all === true].filter(Boolean).length === 1, {
    message: 'Give exactly one of `to`, `topic` or `all`.',
  });
export type SendRequest = z.input<typeof SendRequest>;

export const busChannels = {
  'msg:send': { req: SendRequest, res: MessageView },
  'msg:inbox': {
    req: z.object({
      name: agentName,
      /** Long-poll: wait up to this long for a first message when the inbox is empty. */
      waitMs: z.number().int().min(0).max(600_000).default(0),
      /** Acknowledge what is returned (the default); false returns them again until `msg:ack`. */
      ack: z.boolean().default(true),
      limit: z.number().int().positive().max(10_000).default(1000),
    }),
    res: z.array(BusMessage),
  },
  'msg:ack': {
    req: z.object({ name: agentName, ids: z.array(z.string().min(1).max(200)).max(10_000) }),
    res: z.object({ acked: z.number().int() }),
  },
  'msg:subscribe': {
    req: z.object({ name: agentName, topic: topicName }),
    res: z.object({ topics: z.array(z.string()) }),
  },
  'msg:unsubscribe': {
    req: z.object({ name: agentName, topic: topicName }),
    res: z.object({ topics: z.array(z.string()) }),
  },
  'msg:list': {
    req: z
      .object({
        agent: agentName.optional(),
        topic: topicName.optional(),
        limit: z.number().int().positive().max(10_000).default(200),
        beforeSeq: z.number().int().optional(),
      })
      .default({ limit: 200 }),
    res: z.array(MessageView),
  },
  'msg:topics': {
    req: z.object({}).default({}),
    res: z.array(z.object({ topic: z.string(), subscribers: z.array(z.string()), messages: z.number().int() })),
  },
  'msg:pane': {
    req: z.object({ name: agentName, enabled: z.boolean() }),
    res: z.object({ name: z.string(), enabled: z.boolean() }),
  },
  'memory:set': {
    req: z.object({ name: agentName, key: memoryKey, value: z.string().max(1_000_000) }),
    res: z.object({ ok: z.literal(true) }),
  },
  'memory:get': {
    req: z.object({ name: agentName, key: memoryKey.optional() }),
    res: z.record(z.string(), z.string()),
  },
  'bus:state': { req: z.object({}).default({}), res: BusState },
} as const;
