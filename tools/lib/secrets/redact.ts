// Redaction: what every message, record, report and GitHub request goes through before it
// leaves the process. Known secret values first (whole, then line by line), then the token
// shapes of the one list, so a value nobody declared still never shows in a known format.
import { knownSecrets, secretParts } from './known.js';
import { TOKEN_SHAPES, toRegExp } from './shapes.js';

const SPANS = TOKEN_SHAPES.map((s) => toRegExp(s.span ?? s.pattern, 'g'));

/** Known secret values (those resolved in this process, and `extra`) and token-shaped text become `***`. */
export function redact(text: string, extra: readonly string[] = []): string {
  const values = extra.length ? [...new Set([...extra.flatMap(secretParts), ...knownSecrets()])].sort((a, b) => b.length - a.length) : knownSecrets();
  let out = text;
  for (const v of values) if (out.includes(v)) out = out.split(v).join('***');
  for (const re of SPANS) out = out.replace(re, '***');
  return out;
}

/** redact() over every string of a JSON-like value: a report is redacted before it is serialised, never after. */
export function redactDeep<T>(value: T, extra: readonly string[] = []): T {
  if (typeof value === 'string') return redact(value, extra) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, extra)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, extra)])) as T;
  }
  return value;
}
