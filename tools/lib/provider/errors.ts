// Errors of the reconcile targets. Both are MnopsErrors, so the CLI maps them to exit 2 with
// their message as one sentence. Messages never carry a secret value (see secrets/redact.ts).
import { MnopsError } from '../repo/errors.js';

/** The engine answered but a workload could not be created, verified, or made healthy. */
export class ProviderError extends MnopsError {}

/** The engine does not answer at all (no socket, connection refused or reset). */
export class EngineUnreachableError extends MnopsError {}

const UNREACHABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** True for the errors a client gets when the engine's endpoint does not answer. */
export function isUnreachable(err: unknown): err is NodeJS.ErrnoException {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** An error as dockerode reports an HTTP answer from the engine. */
interface HttpError extends Error {
  statusCode?: number;
  json?: { message?: string } | null;
}

export function statusOf(err: unknown): number | undefined {
  return (err as HttpError | undefined)?.statusCode;
}

/** The engine's own message without dockerode's "(HTTP code 404) no such container - " prefix. */
export function engineMessage(err: unknown): string {
  const e = err as HttpError;
  return e?.json?.message ?? (err instanceof Error ? err.message : String(err));
}

/** A teardown that could not remove everything: it tried all, and names what is left. */
export class TeardownError extends ProviderError {
  constructor(
    readonly environment: string,
    readonly left: readonly string[],
  ) {
    super(`teardown of ${environment} could not remove ${left.length} object(s): ${left.join('; ')}`, 'remove them by hand (docker rm / docker network rm / docker service rm), or run teardown again once what holds them is gone');
  }
}
