import { isHiveError } from '../../../shared/errors';

/**
 * A sentence a person can act on. Core errors already are sentences; anything else (a bug, a network
 * failure) is described without its stack trace.
 */
export function errorMessage(err: unknown): string {
  if (isHiveError(err)) return err.message;
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    const msg = (err as { message: string }).message.split('\n')[0]!.trim();
    return msg ? `Something went wrong: ${msg}` : 'Something went wrong. Try again, and check the host log if it persists.';
  }
  return 'Something went wrong. Try again, and check the host log if it persists.';
}
