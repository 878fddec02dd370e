// Audit records: one JSON line each, hash-chained and signed. The signature covers every
// field but the signature and the hash — seq and prev included, so a re-hashed chain cannot
// keep it valid; the hash covers every field but itself (the signature included), so a
// changed, removed, inserted or reordered record breaks the chain from that point on. Both
// are over canonical JSON (keys sorted).
import { createHash, randomUUID, sign } from 'node:crypto';
import { canonicalJson } from '../json/canonical.js';
import { MnopsError } from '../repo/errors.js';
import { redact } from '../secrets/index.js';
import { firstControlChar } from '../report/control-chars.js';
import { escapeControlChars } from '../report/formats/text.js';
import type { RunnerIdentity } from './identity.js';
import type { SigningKey } from './signing.js';

export const AUDIT_ACTIONS = ['deploy', 'promote', 'rollback', 'apply', 'teardown', 'heal', 'drift-detected', 'drift-cleared', 'exception-used', 'lock', 'unlock'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const AUDIT_OUTCOMES = ['success', 'failure', 'denied', 'started', 'acquired', 'released', 'expired', 'broken', 'detected', 'cleared'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** A field that cannot be recorded as given: nothing is written. */
export class AuditFieldError extends MnopsError {}

export interface LeaseInfo {
  id: string;
  holder: string;
  /** RFC 3339, UTC. */
  expiresAt: string;
}

/** exception-used: the PolicyException that waived a finding of what the operation deployed. */
export interface ExceptionUse {
  name: string;
  /** The rule it waives. */
  rule: string;
  /** Its expiry date (YYYY-MM-DD). */
  expires: string;
}

/** What a caller provides; the trail adds seq, prev and hash. */
export interface AuditEntry {
  /** Idempotency key: appending the same id twice writes it once. Generated when absent. */
  id?: string;
  /** RFC 3339, UTC; default now. */
  time?: string;
  /**
   * Who the caller says acted. The record's actor is the runner's identity; a different name
   * given here is kept as claimedActor, never as the verified one.
   */
  actor: string;
  action: AuditAction;
  environment: string;
  platform?: string;
  fromVersion?: string;
  toVersion?: string;
  outcome: AuditOutcome;
  reason?: string;
  /** The manifest commit the action acted on. */
  commit?: string;
  lease?: LeaseInfo;
  /** drift-detected / drift-cleared: which differences (each stable while it lasts). */
  fingerprints?: string[];
  /** apply / deploy / heal / teardown: what the environment runs afterwards (platform → version and spec hash). */
  inventory?: Inventory;
  exception?: ExceptionUse;
}

/** The platforms an operation left running: what mnops owns, whatever today's files say. */
export type Inventory = Record<string, { version: string; specHash: string }>;

export interface AuditSignature {
  /** Id of the signing key (see keyIdOf). */
  keyId: string;
  /** Ed25519 signature of signedPayload(record), base64. */
  value: string;
}

export interface AuditRecord extends Required<Pick<AuditEntry, 'id' | 'time' | 'actor' | 'action' | 'environment' | 'outcome'>> {
  /** Who wrote it, as the runner knows it (see runnerIdentity): covered by the signature. */
  actor: string;
  /** The Actions run that wrote it. */
  run?: string;
  /** A name the caller gave that is not the runner's identity (`--actor`). */
  claimedActor?: string;
  platform?: string;
  fromVersion?: string;
  toVersion?: string;
  reason?: string;
  commit?: string;
  lease?: LeaseInfo;
  fingerprints?: string[];
  inventory?: Inventory;
  exception?: ExceptionUse;
  /** 1-based position in the chain. */
  seq: number;
  /** Hash of the previous record ('' for the first). */
  prev: string;
  signature?: AuditSignature;
  hash: string;
}

export function hashRecord(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _omit, ...rest } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The bytes a record's signature covers: everything but the signature and the hash. */
export function signedPayload(record: Omit<AuditRecord, 'hash' | 'signature'> | AuditRecord): Buffer {
  const { hash: _h, signature: _s, ...rest } = record as AuditRecord;
  return Buffer.from(`mnops-audit-record-v1\n${canonicalJson(rest)}`);
}

export interface SealOptions {
  /** Known secret values: replaced by *** everywhere. */
  secrets?: readonly string[];
  /** The writer as the runner knows it; without it the entry's actor is taken as given. */
  identity?: RunnerIdentity;
  key?: SigningKey;
}

/**
 * Field-by-field copy of what a record may hold: nothing else (no env, no secrets) gets in.
 * Refuses a field with a control character: a line break in a record could make a reader
 * that splits lines see a record nobody wrote.
 */
export function sealRecord(entry: AuditEntry, seq: number, prev: string, options: SealOptions = {}): AuditRecord {
  checkEntry(entry);
  const scrub = (s: string | undefined) => (s === undefined ? undefined : redact(s, options.secrets ?? []));
  const who = options.identity;
  if (who) checkText('actor (the runner identity)', who.actor);
  if (who?.run) checkText('run', who.run);
  const base: Omit<AuditRecord, 'hash'> = {
    id: entry.id ?? randomUUID(),
    time: entry.time ?? new Date().toISOString(),
    actor: scrub(who?.actor ?? entry.actor)!,
    ...(who?.run ? { run: who.run } : {}),
    ...(who && entry.actor !== who.actor ? { claimedActor: scrub(entry.actor) } : {}),
    action: entry.action,
    environment: entry.environment,
    ...(entry.platform !== undefined ? { platform: scrub(entry.platform) } : {}),
    ...(entry.fromVersion !== undefined ? { fromVersion: scrub(entry.fromVersion) } : {}),
    ...(entry.toVersion !== undefined ? { toVersion: scrub(entry.toVersion) } : {}),
    outcome: entry.outcome,
    ...(entry.reason !== undefined ? { reason: scrub(entry.reason) } : {}),
    ...(entry.commit !== undefined ? { commit: entry.commit } : {}),
    ...(entry.fingerprints !== undefined ? { fingerprints: entry.fingerprints.map((f) => scrub(String(f))!) } : {}),
    ...(entry.inventory !== undefined ? { inventory: copyInventory(entry.inventory, scrub) } : {}),
    ...(entry.exception !== undefined ? { exception: { name: scrub(entry.exception.name)!, rule: scrub(entry.exception.rule)!, expires: String(entry.exception.expires) } } : {}),
    ...(entry.lease !== undefined ? { lease: { id: entry.lease.id, holder: scrub(entry.lease.holder)!, expiresAt: entry.lease.expiresAt } } : {}),
    seq,
    prev,
  };
  if (options.key) base.signature = { keyId: options.key.keyId, value: sign(null, signedPayload(base), options.key.privateKey).toString('base64') };
  return { ...base, hash: hashRecord(base) };
}

function checkText(field: string, value: unknown): void {
  if (typeof value !== 'string') throw new AuditFieldError(`the audit record's ${field} is not text: nothing was recorded`, 'pass it as a string');
  const c = firstControlChar(value);
  if (c) {
    throw new AuditFieldError(
      `the audit record's ${field} contains ${c.description} (at character ${c.position}): nothing was recorded`,
      `give the ${field} as one line of plain text`,
    );
  }
}

/** Every text an entry carries, checked before anything is written. */
export function checkEntry(entry: AuditEntry): void {
  if (!(AUDIT_ACTIONS as readonly string[]).includes(entry.action)) throw new AuditFieldError(`"${escapeControlChars(String(entry.action))}" is not an audit action`, `use one of: ${AUDIT_ACTIONS.join(', ')}`);
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(entry.outcome)) throw new AuditFieldError(`"${escapeControlChars(String(entry.outcome))}" is not an audit outcome`, `use one of: ${AUDIT_OUTCOMES.join(', ')}`);
  const optional = { id: entry.id, time: entry.time, platform: entry.platform, 'from-version': entry.fromVersion, 'to-version': entry.toVersion, reason: entry.reason, commit: entry.commit };
  checkText('actor', entry.actor);
  checkText('environment', entry.environment);
  for (const [field, value] of Object.entries(optional)) if (value !== undefined) checkText(field, value);
  for (const f of entry.fingerprints ?? []) checkText('fingerprint', f);
  for (const [name, v] of Object.entries(entry.inventory ?? {})) {
    checkText('inventory platform name', name);
    checkText(`inventory version of ${name}`, v.version);
    checkText(`inventory spec hash of ${name}`, v.specHash);
  }
  if (entry.lease) for (const [field, value] of Object.entries(entry.lease)) checkText(`lease ${field}`, value);
}

function copyInventory(inv: Inventory, scrub: (s: string) => string | undefined): Inventory {
  const out: Inventory = {};
  for (const name of Object.keys(inv).sort()) out[scrub(name)!] = { version: scrub(String(inv[name]!.version))!, specHash: String(inv[name]!.specHash) };
  return out;
}

export function isAuditRecord(v: unknown): v is AuditRecord {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    typeof r.time === 'string' &&
    typeof r.action === 'string' &&
    typeof r.environment === 'string' &&
    typeof r.seq === 'number' &&
    typeof r.prev === 'string' &&
    typeof r.hash === 'string'
  );
}

/** records/YYYY/MM/DD.jsonl — one file per UTC day. */
export const DAY_FILE = /^records\/\d{4}\/\d{2}\/\d{2}\.jsonl$/;

export function dayFile(time: string): string {
  const d = time.slice(0, 10);
  return `records/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}.jsonl`;
}
