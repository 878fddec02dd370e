// What a record may hold and how it is sealed, the live lease read from records, the witness
// file and the signing keys — as functions of data, without git.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { currentLease } from '../../tools/lib/audit/lease.js';
import { AuditFieldError, checkEntry, dayFile, DAY_FILE, hashRecord, sealRecord, signedPayload, type AuditEntry, type AuditRecord } from '../../tools/lib/audit/record.js';
import { generateSigningKey, keyIdOf, parsePublicKey, parseSigningKey, signatureHolds, signingKeyFromEnv } from '../../tools/lib/audit/signing.js';
import { readWitness, writeWitness } from '../../tools/lib/audit/witness.js';
import { removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const base: AuditEntry = { id: 'id-1', time: '2026-12-01T10:00:00.000Z', actor: 'ci', action: 'deploy', environment: 'prod', outcome: 'success' };

describe('sealRecord', () => {
  it('copies the fields a record may hold, and nothing else, chained and hashed', () => {
    const entry = {
      ...base,
      platform: 'api-platform',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      reason: 'release',
      commit: 'c'.repeat(40),
      fingerprints: ['f1'],
      inventory: { 'b-platform': { version: '2.0.0', specHash: 'h2' }, 'a-platform': { version: '1.0.0', specHash: 'h1' } },
      exception: { name: 'x', rule: 'resources.ceiling', expires: '2027-01-01' },
      lease: { id: 'l1', holder: 'ci', expiresAt: '2026-12-01T11:00:00.000Z' },
      env: { SECRET: 'no' },
    } as AuditEntry;
    const r = sealRecord(entry, 3, 'p'.repeat(64));
    expect(r).toEqual({
      id: 'id-1',
      time: '2026-12-01T10:00:00.000Z',
      actor: 'ci',
      action: 'deploy',
      environment: 'prod',
      platform: 'api-platform',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      outcome: 'success',
      reason: 'release',
      commit: 'c'.repeat(40),
      fingerprints: ['f1'],
      inventory: { 'a-platform': { version: '1.0.0', specHash: 'h1' }, 'b-platform': { version: '2.0.0', specHash: 'h2' } },
      exception: { name: 'x', rule: 'resources.ceiling', expires: '2027-01-01' },
      lease: { id: 'l1', holder: 'ci', expiresAt: '2026-12-01T11:00:00.000Z' },
      seq: 3,
      prev: 'p'.repeat(64),
      hash: r.hash,
    });
    expect(Object.keys(r.inventory!)).toEqual(['a-platform', 'b-platform']);
    expect(r.hash).toBe(hashRecord(r));
    expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    // Without an id or a time: a fresh id and now.
    const fresh = sealRecord({ actor: 'ci', action: 'apply', environment: 'dev', outcome: 'success' }, 1, '');
    expect(fresh.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.now() - Date.parse(fresh.time)).toBeLessThan(60_000);
  });

  it('known secret values are masked in every text it carries', () => {
    const s = 'hunter2secret';
    const r = sealRecord(
      { ...base, actor: `ci ${s}`, platform: `p-${s}`, fromVersion: s, toVersion: s, reason: `leaked ${s}`, fingerprints: [s], inventory: { [s]: { version: s, specHash: 'h' } }, exception: { name: s, rule: s, expires: '2027-01-01' }, lease: { id: 'l', holder: s, expiresAt: 'e' } },
      1,
      '',
      { secrets: [s] },
    );
    expect(JSON.stringify(r)).not.toContain(s);
    expect(r.reason).toBe('leaked ***');
    expect(r.inventory).toEqual({ '***': { version: '***', specHash: 'h' } });
  });

  it('the actor is the runner’s identity; a name the caller gave apart from it is kept as claimed', () => {
    const r = sealRecord({ ...base, actor: 'mallory' }, 1, '', { identity: { actor: 'github-actions[bot]', run: 'https://example.test/run/1' } });
    expect(r).toMatchObject({ actor: 'github-actions[bot]', claimedActor: 'mallory', run: 'https://example.test/run/1' });
    const same = sealRecord({ ...base, actor: 'ci' }, 1, '', { identity: { actor: 'ci' } });
    expect(same).not.toHaveProperty('claimedActor');
    expect(same).not.toHaveProperty('run');
    expect(() => sealRecord(base, 1, '', { identity: { actor: 'a\nb' } })).toThrow(/the audit record's actor \(the runner identity\) contains/);
    expect(() => sealRecord(base, 1, '', { identity: { actor: 'ci', run: 'x\ty' } })).toThrow(/the audit record's run contains/);
  });

  it('signed with a key, the signature covers everything but itself and the hash', () => {
    const k = generateSigningKey();
    const key = parseSigningKey(k.privateKey);
    const r = sealRecord(base, 2, 'p'.repeat(64), { key });
    expect(r.signature!.keyId).toBe(k.keyId);
    const pub = parsePublicKey(k.publicKey, 'test');
    expect(signatureHolds(signedPayload(r), r.signature!.value, pub)).toBe(true);
    expect(signatureHolds(signedPayload({ ...r, seq: 3 }), r.signature!.value, pub)).toBe(false);
    expect(signatureHolds(signedPayload(r), 'not base64 at all!', pub)).toBe(false);
    expect(signedPayload(r).toString()).toMatch(/^mnops-audit-record-v1\n\{/);
    expect(signedPayload(r).toString()).not.toContain('"hash"');
    expect(signedPayload(r).toString()).not.toContain('"signature"');
  });
});

describe('checkEntry', () => {
  it('refuses an unknown action or outcome, naming the ones there are', () => {
    expect(() => checkEntry({ ...base, action: 'nuke' as AuditEntry['action'] })).toThrow(AuditFieldError);
    expect(() => checkEntry({ ...base, action: 'nuke' as AuditEntry['action'] })).toThrow('"nuke" is not an audit action');
    try {
      checkEntry({ ...base, outcome: 'meh' as AuditEntry['outcome'] });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ message: '"meh" is not an audit outcome', hint: expect.stringMatching(/^use one of: success, failure, /) });
    }
  });

  it('refuses a control character in any text it carries, naming the field and where; and a text that is not one', () => {
    const bad: [string, AuditEntry][] = [
      ['actor', { ...base, actor: 'a\nb' }],
      ['environment', { ...base, environment: 'p\rq' }],
      ['id', { ...base, id: 'i\u0000' }],
      ['time', { ...base, time: 't\u001b' }],
      ['platform', { ...base, platform: 'x\u0007' }],
      ['from-version', { ...base, fromVersion: '1\n' }],
      ['to-version', { ...base, toVersion: '1\n' }],
      ['reason', { ...base, reason: 'a\u2028b' }],
      ['commit', { ...base, commit: 'c\n' }],
      ['fingerprint', { ...base, fingerprints: ['ok', 'f\n'] }],
      ['inventory platform name', { ...base, inventory: { 'a\n': { version: '1', specHash: 'h' } } }],
      ['inventory version of a', { ...base, inventory: { a: { version: '1\n', specHash: 'h' } } }],
      ['inventory spec hash of a', { ...base, inventory: { a: { version: '1', specHash: 'h\n' } } }],
      ['lease holder', { ...base, lease: { id: 'l', holder: 'h\n', expiresAt: 'e' } }],
    ];
    for (const [field, entry] of bad) expect(() => checkEntry(entry), field).toThrow(new RegExp(`^the audit record's ${field} contains .* \\(at character \\d+\\): nothing was recorded$`));
    expect(() => checkEntry({ ...base, actor: 5 as unknown as string })).toThrow("the audit record's actor is not text: nothing was recorded");
    expect(() => checkEntry({ ...base, platform: 'fine', reason: 'plain text', fingerprints: ['a'], inventory: { a: { version: '1', specHash: 'h' } } })).not.toThrow();
  });
});

describe('dayFile', () => {
  it('one file per UTC day, matching the day-file pattern', () => {
    expect(dayFile('2026-12-01T23:59:59.999Z')).toBe('records/2026/12/01.jsonl');
    expect(DAY_FILE.test(dayFile('2026-01-09T00:00:00Z'))).toBe(true);
    for (const f of ['records/2026/12/01.json', 'x/records/2026/12/01.jsonl', 'records/2026/12/1.jsonl', 'records/2026/12/01.jsonl.bak']) expect(DAY_FILE.test(f), f).toBe(false);
  });
});

describe('currentLease', () => {
  const lease = (id: string, expiresAt = '2026-12-01T12:00:00.000Z') => ({ id, holder: 'ci', expiresAt });
  const rec = (action: AuditRecord['action'], outcome: AuditRecord['outcome'], l: ReturnType<typeof lease>, environment = 'prod') => sealRecord({ ...base, action, outcome, environment, lease: l }, 1, '');
  const NOW = new Date('2026-12-01T11:00:00.000Z');

  it('the last lease acquired on the environment and not released, while it has not expired', () => {
    expect(currentLease([], 'prod', NOW)).toBeUndefined();
    expect(currentLease([rec('lock', 'acquired', lease('a'))], 'prod', NOW)).toEqual(lease('a'));
    expect(currentLease([rec('lock', 'acquired', lease('a'))], 'dev', NOW)).toBeUndefined();
    expect(currentLease([rec('lock', 'acquired', lease('a')), rec('unlock', 'released', lease('a'))], 'prod', NOW)).toBeUndefined();
    // Releasing another lease releases nothing; a later acquisition replaces the earlier.
    expect(currentLease([rec('lock', 'acquired', lease('a')), rec('unlock', 'released', lease('b'))], 'prod', NOW)).toEqual(lease('a'));
    expect(currentLease([rec('lock', 'acquired', lease('a')), rec('lock', 'acquired', lease('b'))], 'prod', NOW)).toEqual(lease('b'));
    // A lock record that is no acquisition (a denied one) holds nothing.
    expect(currentLease([rec('lock', 'denied', lease('a'))], 'prod', NOW)).toBeUndefined();
    // Expired, or expiring at this very moment.
    expect(currentLease([rec('lock', 'acquired', lease('a', '2026-12-01T10:59:59.000Z'))], 'prod', NOW)).toBeUndefined();
    expect(currentLease([rec('lock', 'acquired', lease('a', NOW.toISOString()))], 'prod', NOW)).toBeUndefined();
    // Records without a lease are passed over.
    expect(currentLease([rec('lock', 'acquired', lease('a')), sealRecord({ ...base, action: 'unlock', outcome: 'released' }, 2, '')], 'prod', NOW)).toEqual(lease('a'));
  });
});

describe('the witness file', () => {
  it('written and read back; missing is none; anything else is refused, not trusted', async () => {
    const dir = tempDir('mnops-witness-');
    dirs.push(dir);
    const file = path.join(dir, 'nested', 'w.json');
    expect(await readWitness(file)).toBeUndefined();
    const w = { seq: 3, hash: 'a'.repeat(64), verifiedAt: '2026-12-01T00:00:00Z' };
    await writeWitness(file, w);
    expect(await readWitness(file)).toEqual(w);
    for (const bad of ['not json', 'null', JSON.stringify({ ...w, seq: 0 }), JSON.stringify({ ...w, seq: 1.5 }), JSON.stringify({ ...w, hash: 'A'.repeat(64) }), JSON.stringify({ ...w, hash: `${'a'.repeat(64)}b` }), JSON.stringify({ ...w, verifiedAt: 1 }), JSON.stringify({ seq: 3, verifiedAt: 'x' })]) {
      writeFileSync(file, bad);
      await expect(readWitness(file), bad).rejects.toMatchObject({ message: `the audit witness ${file} is not valid` });
    }
    await expect(readWitness(dir)).rejects.toThrow(/EISDIR/);
  });
});

describe('signing keys', () => {
  it('a private key as base64 DER or PEM; anything else, or another kind of key, is refused saying how to make one', () => {
    const k = generateSigningKey();
    expect(k.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(parseSigningKey(`  ${k.privateKey}\n`)).toMatchObject({ keyId: k.keyId, publicKey: k.publicKey });
    const pem = parseSigningKey(k.privateKey).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(parseSigningKey(pem).keyId).toBe(k.keyId);
    expect(() => parseSigningKey('nonsense')).toThrow('MNOPS_AUDIT_KEY is not a private key (base64 PKCS#8 DER or PEM)');
    expect(() => parseSigningKey('nonsense', 'the file k')).toThrow('the file k is not a private key');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(() => parseSigningKey(rsa)).toThrow('MNOPS_AUDIT_KEY is a rsa key; audit records are signed with Ed25519');
    expect(signingKeyFromEnv({})).toBeUndefined();
    expect(signingKeyFromEnv({ MNOPS_AUDIT_KEY: k.privateKey })!.keyId).toBe(k.keyId);
    expect(keyIdOf(parsePublicKey(k.publicKey, 'x'))).toBe(k.keyId);
    const rsaPublic = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    for (const text of ['nonsense', rsaPublic]) expect(() => parsePublicKey(text, 'signers[0]'), text).toThrow('signers[0] is not an Ed25519 public key (base64 SPKI DER)');
  });
});
