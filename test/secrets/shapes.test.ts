// One list of what looks like a secret: the token shapes in tools/lib/secrets are what the
// secrets.plaintext rule matches (through its settings input, judged by the real bundle) and
// what redaction replaces; the Rego holds no list of its own. Redaction of known values: whole,
// line by line, longest first.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_KEY_PATTERN, TOKEN_SHAPES, looksSecret, redact, rememberSecrets } from '../../tools/lib/secrets/index.js';
import { sourceFiles } from '../../tools/lib/policy/bundle.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { FIXED_NOW, PROJECT_ROOT, edit, exampleRepo, removeDir } from '../helpers/repo.js';

/** One sample per token shape, in the list's order. */
const SAMPLES = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'AKIAABCDEFGHIJKLMNOP',
  'ghp_0123456789abcdefghijABCDEFGHIJ0123456789',
  'github_pat_0123456789abcdefghij_ABCDEFG',
  'xoxb-1234567890-abcdef',
  'AIzaSyA0123456789abcdefghijklmnopqrstuv',
  'sk_live_0123456789abcdefABCD',
  'glpat-0123456789abcdefghij',
  'npm_0123456789abcdefghijABCDEFGHIJ012345',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  'postgres://app:s3cret@db:5432/app',
];
const BENIGN = ['json', '/var/run/docker.sock', 'https://example.com/path', 'mnops/base:1.2.0', 'eu-west-1'];
/** One key per alternative of the key pattern, in its order, with a plain value. */
const SECRET_KEYS = ['DB_PASSWORD', 'passwd', 'SSH_PASSPHRASE', 'client_secret', 'GITHUB_TOKEN', 'API_KEY', 'apiKey', 'privateKey', 'AWS_ACCESS_KEY_ID', 'accessKey', 'CLIENT_SECRET', 'credentials'];
const PLAIN_KEYS = ['LOG_LEVEL', 'HTTP_PORT', 'POLICY_BUNDLE_PATH', 'retentionDays', 'socket', 'ACCESS_LOG'];
const GOV = 'platforms/governance-platform/platform.yaml';

let root = '';
afterAll(() => root && removeDir(root));

describe('the one list of secret shapes', () => {
  it('has a sample for every shape, each matching its own shape and none of the benign strings', () => {
    expect(SAMPLES).toHaveLength(TOKEN_SHAPES.length);
    TOKEN_SHAPES.forEach((shape, i) => expect(new RegExp(shape.pattern).test(SAMPLES[i]!), shape.pattern).toBe(true));
    for (const s of SAMPLES) expect(looksSecret('UPSTREAM', s), s).toBe(true);
    for (const s of BENIGN) expect(looksSecret('UPSTREAM', s), s).toBe(false);
    for (const key of SECRET_KEYS) expect(looksSecret(key, 'x'), key).toBe(true);
    for (const key of PLAIN_KEYS) expect(looksSecret(key, 'x'), key).toBe(false);
  });

  it('is what secrets.plaintext matches: the real bundle flags every sample and nothing benign', async () => {
    root = exampleRepo();
    const entries = [...SAMPLES, ...BENIGN].map((v, i) => `    SAMPLE_${i}: ${JSON.stringify(v)}\n`).join('');
    edit(root, GOV, '  env:\n', `  env:\n${entries}`);
    const { report } = await validate({ root, now: new Date(FIXED_NOW) });
    const flagged = report.findings.filter((f) => f.ruleId === 'secrets.plaintext' && f.file === GOV).map((f) => f.path);
    expect(flagged.sort()).toEqual(SAMPLES.map((_, i) => `/spec/env/SAMPLE_${i}`).sort());
  }, 60_000);

  it('its key pattern is what secrets.plaintext matches: the real bundle flags a plain value under every secret key and no other', async () => {
    const keyed = exampleRepo();
    try {
      const entries = [...SECRET_KEYS, ...PLAIN_KEYS].map((k) => `    ${k}: plain-value\n`).join('');
      edit(keyed, GOV, '  env:\n', `  env:\n${entries}`);
      const { report } = await validate({ root: keyed, now: new Date(FIXED_NOW) });
      const flagged = report.findings.filter((f) => f.ruleId === 'secrets.plaintext' && f.file === GOV).map((f) => f.path);
      expect(flagged.sort()).toEqual(SECRET_KEYS.map((k) => `/spec/env/${k}`).sort());
    } finally {
      removeDir(keyed);
    }
  }, 60_000);

  it('lives in one place: no Rego source outside the tests carries a shape or the key pattern', async () => {
    const sources = (await sourceFiles(PROJECT_ROOT)).filter((f) => !f.endsWith('_test.rego'));
    expect(sources.length).toBeGreaterThan(5);
    const text = sources.map((f) => readFileSync(path.isAbsolute(f) ? f : path.join(PROJECT_ROOT, f), 'utf8')).join('\n');
    for (const shape of TOKEN_SHAPES) expect(text, shape.pattern).not.toContain(shape.pattern);
    expect(text).not.toContain(DEFAULT_SECRET_KEY_PATTERN);
  });

  it('is what redaction replaces: every sample becomes ***, a private key block whole, a URL keeps its user', () => {
    for (const s of SAMPLES) expect(redact(`before ${s} after`), s).not.toContain(s.slice(8));
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----';
    expect(redact(`key: ${pem} done`)).toBe('key: *** done');
    expect(redact('dial postgres://app:s3cret@db:5432/app')).toBe('dial postgres://app:***@db:5432/app');
    for (const s of BENIGN) expect(redact(s)).toBe(s);
  });
});

describe('redaction of known values', () => {
  it('replaces a remembered value whole and each of its lines, the longest first; short values are left alone', () => {
    rememberSecrets(['first-line-of-a-file\nsecond-line-of-a-file', 'abc', 'token-value-1']);
    expect(redact('x first-line-of-a-file\nsecond-line-of-a-file y')).toBe('x *** y');
    expect(redact('last: second-line-of-a-file')).toBe('last: ***');
    expect(redact('token-value-1 and token-value-12')).toBe('*** and ***2');
    expect(redact('abc')).toBe('abc');
    expect(redact('a value given here', ['value given'])).toBe('a *** here');
  });
});
