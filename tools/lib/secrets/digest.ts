// Digests of secret material are keyed (HMAC-SHA256) with a per-environment key that never
// enters git. The spec-hash label, drift's views, the audit trail's inventories, Swarm secret
// names and docker secret volumes all carry such digests; without the key a reader of any of
// them cannot test guesses of a weak secret offline.
//
// The key lives on the environment's engine (a Swarm config, or a labelled volume on a plain
// Docker engine), created with 32 random bytes the first time a workload with secrets is
// applied there, and read back by every later run, so hashes are stable across runs and
// machines with no configuration. Whoever can read it through the engine's API can read the
// secrets on that engine anyway.
import { createHmac, randomBytes } from 'node:crypto';
import { MnopsError } from '../repo/errors.js';

export const DIGEST_KEY_BYTES = 32;

/** The engine object that holds an environment's key: `mnops[-<project>]-key-<env>`. */
export function digestKeyName(environment: string, project = ''): string {
  return `${project ? `mnops-${project}` : 'mnops'}-key-${environment}`;
}

/** The key an engine stores, or why it cannot be used. */
export function parseDigestKey(stored: string, where: string): Buffer {
  const key = Buffer.from(stored, 'base64');
  if (key.length !== DIGEST_KEY_BYTES || key.toString('base64') !== stored) {
    throw new MnopsError(
      `${where} does not hold a ${DIGEST_KEY_BYTES}-byte digest key`,
      `remove it; the next apply creates a new key (and redeploys every platform with secrets once)`,
    );
  }
  return key;
}

export function newDigestKey(): Buffer {
  return randomBytes(DIGEST_KEY_BYTES);
}

/** HMAC-SHA256 (hex) of the parts, separated so that no two part lists collide. */
export function keyedDigest(key: Buffer, parts: readonly string[]): string {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(`${Buffer.byteLength(part)}:`).update(part);
  return mac.digest('hex');
}

/** How a keyed digest is shown in labels, plans and drift. */
export function shownDigest(hex: string): string {
  return `hmac:${hex.slice(0, 16)}`;
}

/** Where a provider keeps the key of an environment. */
export interface DigestKeyStore {
  /** The stored key (base64), or undefined when there is none. */
  read(environment: string): Promise<string | undefined>;
  /** Stores the key unless one exists already (then the stored one wins). */
  create(environment: string, key: string): Promise<void>;
}

/**
 * The environment's key: read; when absent and `create`, made and stored, then read back so
 * that two runs creating it at once agree on the one the engine kept.
 */
export async function environmentDigestKey(store: DigestKeyStore, environment: string, create: boolean, where: string): Promise<Buffer | undefined> {
  let stored = await store.read(environment);
  if (stored === undefined && create) {
    await store.create(environment, newDigestKey().toString('base64'));
    stored = await store.read(environment);
    if (stored === undefined) throw new MnopsError(`${where} was created but cannot be read back`, 'check the engine, then run the command again');
  }
  return stored === undefined ? undefined : parseDigestKey(stored, where);
}

/** A provider's side of the key: `create` only on commands that deliver secrets. */
export interface DigestKeyProvider {
  digestKey(environment: string, options: { create: boolean }): Promise<Buffer | undefined>;
}

/**
 * The key for one run, fetched at most once. Plan and drift never create it: when the engine
 * has none, nothing there received a secret from mnops, and a key used once is as good as any.
 */
export function digestKeyFor(provider: DigestKeyProvider, environment: string, create: boolean): () => Promise<Buffer> {
  let pending: Promise<Buffer> | undefined;
  return () => (pending ??= provider.digestKey(environment, { create }).then((key) => key ?? newDigestKey()));
}
