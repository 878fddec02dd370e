// Audit records: one JSON line each, hash-chained. The hash covers every field but itself
// (canonical JSON: keys sorted), so a changed, removed, inserted or reordered record breaks
// the chain from that point on.
import { createHash, randomUUID } from 'node:crypto';
import { redact } from '../secrets/index.js';

export const AUDIT_ACTIONS = ['deploy', 'promote', 'rollback', 'apply', 'teardown', 'heal', 'drift-detected', 'drift-cleared', 'exception-used', 'lock', 'unlock'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditOutcome = 'success' | 'failure' | 'denied' | 'started' | 'acquired' | 'released' | 'expired' | 'broken' | 'detected' | 'cleared';

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

export interface AuditRecord extends Required<Pick<AuditEntry, 'id' | 'time' | 'actor' | 'action' | 'environment' | 'outcome'>> {
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
  hash: string;
}

/** JSON with keys sorted at every level: the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function hashRecord(record: Omit<AuditRecord, 'hash'> | AuditRecord): string {
  const { hash: _omit, ...rest } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Field-by-field copy of what a record may hold: nothing else (no env, no secrets) gets in. */
export function sealRecord(entry: AuditEntry, seq: number, prev: string, secrets: readonly string[] = []): AuditRecord {
  const scrub = (s: string | undefined) => (s === undefined ? undefined : redact(s, secrets));
  const base: Omit<AuditRecord, 'hash'> = {
    id: entry.id ?? randomUUID(),
    time: entry.time ?? new Date().toISOString(),
    actor: scrub(entry.actor)!,
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
  return { ...base, hash: hashRecord(base) };
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
export function dayFile(time: string): string {
  const d = time.slice(0, 10);
  return `records/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}.jsonl`;
}
