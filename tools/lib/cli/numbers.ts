// What a numeric flag or action input takes, read here and only here: a value that is not
// what it takes is a UsageError (exit 2, a failed step) with one sentence naming the flag, the
// value and what it accepts. Number('30s') is NaN, and a NaN timeout or concurrency silently
// meant "never time out" or "schedule nothing". No commander here: the actions import it.
import { UsageError } from '../repo/errors.js';

/** What a numeric flag takes, each with the sentence that says so. */
export type NumberKind = 'count' | 'positive' | 'percent' | 'duration';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** setTimeout fires at once past 2^31-1 ms (about 24.8 days): a longer wait would be no wait at all. */
const MAX_DURATION_MS = 24 * 3_600_000;

function fail(flag: string, raw: string, problem: string, accepted: string): never {
  throw new UsageError(`${flag}: ${JSON.stringify(raw)} ${problem}; ${accepted}`);
}

function wholeNumber(flag: string, raw: string, min: number, accepted: string): number {
  const text = raw.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) fail(flag, raw, 'is not a whole number', accepted);
  if (n < min) fail(flag, raw, `is below ${min}`, accepted);
  return n;
}

/**
 * A duration in milliseconds: plain seconds (30, 1.5), or numbers with units ms, s, m, h,
 * one or several (500ms, 30s, 5m, 1h30m). Above 0 and at most 24h.
 */
export function parseDuration(flag: string, raw: string): number {
  const accepted = 'write seconds (30) or a duration like 30s, 5m, 1h30m (at most 24h)';
  const text = raw.trim().toLowerCase();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) {
    ms = 0;
    for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  } else return fail(flag, raw, 'is not a duration', accepted);
  if (!(ms > 0) || ms > MAX_DURATION_MS) fail(flag, raw, ms > 0 ? 'is longer than 24h' : 'is not above zero', accepted);
  return Math.round(ms);
}

/** Parses `raw` as `kind` for `flag` (named in the error), e.g. parseNumber('--concurrency', '4', 'positive'). */
export function parseNumber(flag: string, raw: string, kind: NumberKind): number {
  switch (kind) {
    case 'count':
      return wholeNumber(flag, raw, 0, 'write a whole number of 0 or more');
    case 'positive':
      return wholeNumber(flag, raw, 1, 'write a whole number of 1 or more');
    case 'percent': {
      const text = raw.trim().replace(/%$/, '');
      const n = Number(text);
      if (!/^\d+(\.\d+)?$/.test(text) || n > 100) fail(flag, raw, 'is not a percentage', 'write a number from 0 to 100, e.g. 90');
      return n;
    }
    case 'duration':
      return parseDuration(flag, raw);
  }
}
