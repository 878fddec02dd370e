// Ed25519 keys for the trail. The private key lives in the runner secret MNOPS_AUDIT_KEY as
// one line of base64 (PKCS#8 DER; a PEM block is accepted too); public keys are listed in the
// governance settings as base64 SPKI DER. A key is named in records by its id: the first 16
// hex digits of the SHA-256 of its SPKI DER.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { UsageError } from '../repo/errors.js';

export const KEY_ENV = 'MNOPS_AUDIT_KEY';

export interface SigningKey {
  privateKey: KeyObject;
  keyId: string;
  /** The public key as listed in governance. */
  publicKey: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
}

function publicText(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

export function parseSigningKey(text: string, source = KEY_ENV): SigningKey {
  const trimmed = text.trim();
  let privateKey: KeyObject;
  try {
    privateKey = trimmed.includes('-----BEGIN') ? createPrivateKey(trimmed) : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new UsageError(`${source} is not a private key (base64 PKCS#8 DER or PEM)`, 'create one with: mnops audit keygen');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new UsageError(`${source} is a ${privateKey.asymmetricKeyType ?? 'non-Ed25519'} key; audit records are signed with Ed25519`, 'create one with: mnops audit keygen');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, keyId: keyIdOf(publicKey), publicKey: publicText(publicKey) };
}

/** The runner's signing key, or undefined when the secret is not set. */
export function signingKeyFromEnv(env: NodeJS.ProcessEnv = process.env): SigningKey | undefined {
  const text = env[KEY_ENV];
  return text ? parseSigningKey(text) : undefined;
}

/** A listed public key (base64 SPKI DER); `where` names the setting in errors. */
export function parsePublicKey(text: string, where: string): KeyObject {
  try {
    const key = createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType === 'ed25519') return key;
  } catch {
    // reported below
  }
  throw new UsageError(`${where} is not an Ed25519 public key (base64 SPKI DER)`, 'paste the publicKey line mnops audit keygen printed');
}

export function generateSigningKey(): { privateKey: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), publicKey: publicText(publicKey), keyId: keyIdOf(publicKey) };
}

export function signatureHolds(payload: Buffer, signature: string, publicKey: KeyObject): boolean {
  try {
    return verify(null, payload, publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
