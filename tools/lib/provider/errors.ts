// Errors of the reconcile targets. Both are MnopsErrors, so the CLI maps them to exit 2 with
// their message as one sentence. Messages never carry a secret value (see redact()).
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

/** Replaces every secret value occurring in `text` with `***` (longest first). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const value of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(value).join('***');
  }
  return out;
}
