// The one list of what looks like a secret: key names (passwords, tokens, keys) and token
// formats. The `secrets.plaintext` policy gets these through its settings input (the Rego has
// no list of its own); redaction replaces them in every message, record and report; labels,
// plans and drift show such values only as a digest.
/** Keys that name secrets. RE2 syntax (`(?i)`), as the Rego policies read it. */
export const DEFAULT_SECRET_KEY_PATTERN = '(?i)(passw(or)?d|passphrase|secret|token|api[_.-]?key|private[_.-]?key|access[_.-]?key|client[_.-]?secret|credentials?)';

export interface TokenShape {
  /** What the policy looks for: RE2 syntax (no look-around), read by JavaScript alike. */
  pattern: string;
  /**
   * What redaction replaces, when that is not the match itself (JavaScript syntax): a private
   * key runs from its header to its END line, a URL keeps its scheme and user.
   */
  span?: string;
}

/** Token formats that are secrets wherever they appear. */
export const TOKEN_SHAPES: readonly TokenShape[] = [
  { pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----', span: '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)' },
  { pattern: '\\bA(KIA|SIA)[0-9A-Z]{16}\\b' },
  { pattern: '\\bgh[pousr]_[A-Za-z0-9]{36,}\\b' },
  { pattern: '\\bgithub_pat_[A-Za-z0-9_]{22,}\\b' },
  { pattern: '\\bxox[abposr]-[A-Za-z0-9-]{10,}' },
  { pattern: '\\bAIza[0-9A-Za-z_-]{35}\\b' },
  { pattern: '\\b[rs]k_live_[0-9A-Za-z]{16,}\\b' },
  { pattern: '\\bglpat-[0-9A-Za-z_-]{20,}\\b' },
  { pattern: '\\bnpm_[A-Za-z0-9]{36}\\b' },
  { pattern: '\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}' },
  { pattern: '://[^/\\s:@]+:[^/\\s:@]+@', span: '(?<=://[^/\\s:@]+:)[^/\\s:@]+(?=@)' },
];

/** The token formats as the policy's `secrets.valuePatterns` defaults. */
export const DEFAULT_SECRET_VALUE_PATTERNS: readonly string[] = TOKEN_SHAPES.map((s) => s.pattern);

/** An RE2 pattern with a leading `(?i)` as a JavaScript RegExp. */
export function toRegExp(pattern: string, flags = ''): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), `i${flags}`) : new RegExp(pattern, flags);
}

const KEY = toRegExp(DEFAULT_SECRET_KEY_PATTERN);
const VALUES = DEFAULT_SECRET_VALUE_PATTERNS.map((p) => toRegExp(p));

/** True when a plain value under this key should be treated as a secret. */
export function looksSecret(key: string, value: string): boolean {
  return KEY.test(key) || VALUES.some((re) => re.test(value));
}

/** What is shown instead of a secret-looking value: its keyed digest when known, never the value. */
export function maskedValue(keyedDigest: string | undefined): string {
  return keyedDigest ? `(secret-looking value, ${keyedDigest})` : '(secret-looking value)';
}
