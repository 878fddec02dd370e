// The one list of what looks like a secret: key names (passwords, tokens, keys) and token
// formats. The `secrets.plaintext` policy gets these as its defaults; labels and plans use
// them to keep such values out of everything the engine and the terminal show.

/** Keys that name secrets. RE2 syntax (`(?i)`), as the Rego policies read it. */
export const DEFAULT_SECRET_KEY_PATTERN = '(?i)(passw(or)?d|passphrase|secret|token|api[_.-]?key|private[_.-]?key|access[_.-]?key|client[_.-]?secret|credentials?)';

/** Token formats that are secrets wherever they appear. */
export const DEFAULT_SECRET_VALUE_PATTERNS: readonly string[] = [
  '-----BEGIN [A-Z ]*PRIVATE KEY-----',
  '\\bA(KIA|SIA)[0-9A-Z]{16}\\b',
  '\\bgh[pousr]_[A-Za-z0-9]{36,}\\b',
  '\\bgithub_pat_[A-Za-z0-9_]{22,}\\b',
  '\\bxox[abposr]-[A-Za-z0-9-]{10,}',
  '\\bAIza[0-9A-Za-z_-]{35}\\b',
  '\\b[rs]k_live_[0-9A-Za-z]{16,}\\b',
  '\\bglpat-[0-9A-Za-z_-]{20,}\\b',
  '\\bnpm_[A-Za-z0-9]{36}\\b',
  '\\beyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}',
  '://[^/\\s:@]+:[^/\\s:@]+@',
];

/** An RE2 pattern with a leading `(?i)` as a JavaScript RegExp. */
export function toRegExp(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
}

const KEY = toRegExp(DEFAULT_SECRET_KEY_PATTERN);
const VALUES = DEFAULT_SECRET_VALUE_PATTERNS.map(toRegExp);

/** True when a plain value under this key should be treated as a secret. */
export function looksSecret(key: string, value: string): boolean {
  return KEY.test(key) || VALUES.some((re) => re.test(value));
}

/** What is shown instead of a secret-looking value: its keyed digest when known, never the value. */
export function maskedValue(keyedDigest: string | undefined): string {
  return keyedDigest ? `(secret-looking value, ${keyedDigest})` : '(secret-looking value)';
}
