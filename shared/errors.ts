/**
 * Stable error codes that cross every process boundary. A code never changes meaning once shipped:
 * the CLI, the GUI and scripts branch on them.
 */
export const ERROR_CODES = [
  'AGENT_NOT_FOUND',
  'AGENT_EXISTS',
  'INVALID_NAME',
  'INVALID_INPUT',
  'ILLEGAL_TRANSITION',
  'NOT_A_GIT_REPO',
  'WORKTREE_DIRTY',
  'SNAPSHOT_NOT_FOUND',
  'SNAPSHOT_CORRUPT',
  'BACKEND_UNAVAILABLE',
  'SPAWN_FAILED',
  'DATABASE_CORRUPT',
  'DATABASE_LOCKED',
  'HOST_NOT_RUNNING',
  'HOST_LOCKED',
  'UNAUTHORIZED',
  'UNKNOWN_CHANNEL',
  'MIGRATION_FAILED',
  'IMAGE_NOT_FOUND',
  'CONFLICT_NOT_FOUND',
  'MERGE_FAILED',
  'BUS_UNAVAILABLE',
  'ENGINE_NOT_FOUND',
  'ENGINE_EXISTS',
  'ENGINE_IN_USE',
  /** The host did not answer in time; what was asked may still be under way there. */
  'HOST_TIMEOUT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/** The one error type services throw. `message` is a sentence for a person: what failed and what to do. */
export class HiveError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'HiveError';
    this.code = code;
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }

  static fromPayload(payload: ErrorPayload): HiveError {
    const code = (ERROR_CODES as readonly string[]).includes(payload.code) ? payload.code : 'INTERNAL';
    return new HiveError(code, payload.message);
  }
}

export function isHiveError(err: unknown): err is HiveError {
  return err instanceof HiveError;
}

/** Turns anything thrown into a payload safe to show a user: never a stack trace. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof HiveError) return err.toPayload();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Internal error: ${message}` };
}
