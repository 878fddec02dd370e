// The secrets capability: what looks like a secret (one list, shared with the policy), which
// values this process knows to be secret, and redaction of both.
export { DEFAULT_SECRET_KEY_PATTERN, DEFAULT_SECRET_VALUE_PATTERNS, TOKEN_SHAPES, looksSecret, maskedValue, toRegExp, type TokenShape } from './shapes.js';
export { MIN_SECRET_LENGTH, knownSecrets, onSecret, rememberSecrets, secretParts } from './known.js';
export { redact, redactDeep } from './redact.js';
