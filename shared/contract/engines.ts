import { z } from 'zod';

/** The engine of this machine: `DOCKER_HOST`, else the local socket. Always there, never removed. */
export const LOCAL_ENGINE = 'local';

export const ENGINE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const engineName = z
  .string()
  .regex(ENGINE_NAME, 'An engine name is 1 to 40 characters: lower-case letters, digits, - and _, starting with a letter or digit.');

/** A PEM file's content (certificate or key); kept in the data dir's database, never logged. */
const pem = z.string().min(1).max(65_536).regex(/-----BEGIN [A-Z0-9 ]+-----/, 'This is not a PEM file: give the file dockerd --tlsverify was set up with.');

export const Engine = z.object({
  name: z.string(),
  /** unix:///path, tcp://host:port or ssh://user@host[:port]; never carries a credential. */
  url: z.string(),
  tls: z.boolean(),
  reachable: z.boolean(),
  /** The engine's error when it does not answer (or the last one it gave). */
  lastError: z.string().nullable(),
  serverVersion: z.string().nullable(),
  cpus: z.number().int().nullable(),
  memoryBytes: z.number().nullable(),
  /** Agents placed on this engine that are running now. */
  runningAgents: z.number().int(),
  /** Agents placed on this engine, whatever their status. */
  agents: z.number().int(),
  /** How the agent's worktree reaches the container: bind mount (local engine) or a volume synced over the API. */
  workspace: z.enum(['bind', 'volume']),
  /** Since when it has not answered (ISO), null while it answers. */
  unreachableSince: z.string().nullable(),
});
export type Engine = z.infer<typeof Engine>;

export const AddEngineRequest = z.object({
  name: engineName,
  url: z.string().min(1).max(2048),
  tlsCa: pem.optional(),
  tlsCert: pem.optional(),
  tlsKey: pem.optional(),
});

export const enginesChannels = {
  'engines:list': { req: z.object({}).default({}), res: z.array(Engine) },
  'engines:add': { req: AddEngineRequest, res: Engine },
  'engines:remove': { req: z.object({ name: z.string().min(1).max(40) }), res: z.object({ removed: z.literal(true) }) },
} as const;
