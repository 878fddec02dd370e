// Builtins the host supplies to the WASM policy. Each is a standard OPA builtin, so `opa
// test` (topdown) runs the same Rego with OPA's own implementation: the two engines can be
// compared test by test. Anything not here, native to WASM or in the SDK fails `opa build`
// through policies/capabilities.json, never a user's pull request.
import semver from 'semver';
import { PolicyError } from './errors.js';

function strictSemver(v: unknown, fn: string): string {
  if (typeof v !== 'string' || semver.valid(v) === null || v.startsWith('v')) {
    throw new PolicyError(`${fn}: ${JSON.stringify(v)} is not a valid semantic version`);
  }
  return v;
}

export const HOST_BUILTINS: Record<string, (...args: unknown[]) => unknown> = {
  'semver.compare': (a, b) => semver.compare(strictSemver(a, 'semver.compare'), strictSemver(b, 'semver.compare')),
  'semver.is_valid': (v) => typeof v === 'string' && !v.startsWith('v') && semver.valid(v) !== null,
  'time.parse_rfc3339_ns': (s) => {
    const ms = typeof s === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(ms)) throw new PolicyError(`time.parse_rfc3339_ns: ${JSON.stringify(s)} is not an RFC 3339 time`);
    return ms * 1_000_000;
  },
  'object.keys': (o) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new PolicyError('object.keys: operand must be an object');
    return Object.keys(o);
  },
};

export const HOST_BUILTIN_NAMES = Object.keys(HOST_BUILTINS);
