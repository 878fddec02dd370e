// The checks `mnops audit verify` runs, as functions of data: each returns the breaks it
// finds, one per record, saying which record and why.
import { SETTINGS_FILE } from '../manifest/ecosystem.js';
import { escapeControlChars } from '../report/formats/text.js';
import { addedRecord, type CommitChange } from './files.js';
import { signerFor, signerRefusal, type AuditGovernance } from './governance.js';
import { canonicalJson } from '../json/canonical.js';
import { hashRecord, signedPayload, type AuditRecord } from './record.js';
import { signatureHolds } from './signing.js';
import type { Checkpoint, MovedCheckpoint } from './trail.js';
import type { Witness } from './witness.js';

export type BreakKind =
  | 'changed'
  | 'removed'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'broken-link'
  | 'file-mismatch'
  | 'unsigned'
  | 'unknown-key'
  | 'bad-signature'
  | 'rewritten'
  | 'checkpoint-moved'
  | 'head-mismatch'
  | 'local-behind'
  | 'local-diverged';

export interface ChainBreak {
  kind: BreakKind;
  seq: number;
  recordId?: string;
  commit?: string;
  message: string;
}

/** A record of the chain with the commit that added it (absent when read from the files alone). */
export interface ChainedRecord {
  record: AuditRecord;
  commit?: string;
}

/** A chain head recorded outside the trail (a GitHub deployment status), which the chain must contain. */
export interface ExternalHead {
  seq: number;
  hash: string;
  /** Where it was recorded, for the message. */
  source: string;
}

export const short = (c: string | undefined): string => (c ? c.slice(0, 12) : '?');
/** Messages quote record fields, which a forger chooses: shown, never obeyed by a terminal. */
const inert = (breaks: ChainBreak[]): ChainBreak[] => breaks.map((b) => ({ ...b, message: escapeControlChars(b.message) }));
const inCommit = (commit: string | undefined) => (commit ? ` in commit ${short(commit)}` : '');

/**
 * The records the branch's commits add, oldest first, and a break for every commit that does
 * anything but add one record line to a day file (an edit, a deletion, another file, a merge).
 */
export function recordsOfHistory(changes: readonly CommitChange[]): { chain: ChainedRecord[]; breaks: ChainBreak[] } {
  const chain: ChainedRecord[] = [];
  const breaks: ChainBreak[] = [];
  for (const c of changes) {
    const record = addedRecord(c);
    if (record) {
      chain.push({ record, commit: c.commit });
      continue;
    }
    const what =
      c.parents.length > 1
        ? 'is a merge: the audit branch is linear, it was written by hand'
        : c.removed.length > 0
          ? `edits or deletes ${c.removed.length} line(s) of ${[...new Set(c.removed.map((r) => r.file))].join(', ')}: day files are append-only, a file was edited by hand`
          : c.other.length > 0
            ? `changes ${c.other.slice(0, 3).join(', ')}, which is no record line: a file was edited by hand`
            : c.added.length === 0
              ? 'adds no record (whatever its message says): it was made by hand'
              : c.added.length > 1
                ? `adds ${c.added.length} lines (one record per commit): a file was edited by hand`
                : `adds a line to ${c.added[0]!.file} that is no audit record: a file was edited by hand`;
    breaks.push({ kind: 'file-mismatch', seq: chain.length + 1, commit: c.commit, message: `commit ${short(c.commit)} ${what}` });
  }
  return { chain, breaks: inert(breaks) };
}

/** Sequence numbers, links and hashes. */
export function chainBreaks(chain: readonly ChainedRecord[]): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  let prev: AuditRecord | undefined;
  chain.forEach(({ record, commit }, i) => {
    const expectedSeq = i + 1;
    if (hashRecord(record) !== record.hash) {
      breaks.push({ kind: 'changed', seq: record.seq, recordId: record.id, commit, message: `record #${record.seq} (${record.id})${inCommit(commit)} does not match its own hash: it was changed` });
    }
    if (record.seq !== expectedSeq || record.prev !== (prev?.hash ?? '')) {
      breaks.push({
        kind: 'broken-link',
        seq: expectedSeq,
        recordId: record.id,
        commit,
        message: `record #${record.seq} (${record.id})${inCommit(commit)} does not follow record #${prev?.seq ?? 0}: a record before it was removed, inserted or reordered`,
      });
    }
    prev = record;
  });
  return inert(breaks);
}

function signatureShape(r: AuditRecord): { keyId: string; value: string } | undefined | 'malformed' {
  const s = r.signature as unknown;
  if (s === undefined) return undefined;
  const g = s as { keyId?: unknown; value?: unknown };
  return typeof g === 'object' && g !== null && typeof g.keyId === 'string' && typeof g.value === 'string' ? { keyId: g.keyId, value: g.value } : 'malformed';
}

/**
 * Every record from `signedFrom` on is signed by a listed key that may sign its seq, and every
 * signature there is holds. Without listed signers nothing can be checked (reported, not failed).
 */
export function signatureBreaks(chain: readonly ChainedRecord[], governance: AuditGovernance): ChainBreak[] {
  if (governance.signers.length === 0) return [];
  const breaks: ChainBreak[] = [];
  const where = `${SETTINGS_FILE} at ${governance.source}`;
  for (const { record: r, commit } of chain) {
    const sig = signatureShape(r);
    const at = `record #${r.seq} (${r.id}, ${r.action} ${r.environment} by ${r.actor})${inCommit(commit)}`;
    if (sig === undefined) {
      if (r.seq >= governance.signedFrom) breaks.push({ kind: 'unsigned', seq: r.seq, recordId: r.id, commit, message: `${at} is not signed: every record from #${governance.signedFrom} on must be signed by a signer listed in ${where} — it was written without the key, or forged` });
      continue;
    }
    if (sig === 'malformed') {
      breaks.push({ kind: 'bad-signature', seq: r.seq, recordId: r.id, commit, message: `${at} has a malformed signature field: it was changed` });
      continue;
    }
    const signer = signerFor(governance, sig.keyId);
    if (!signer) {
      breaks.push({ kind: 'unknown-key', seq: r.seq, recordId: r.id, commit, message: `${at} is signed by key ${sig.keyId}, which ${where} does not list: it was not written by a listed signer` });
    } else if (signerRefusal(signer, r.seq, r.action)) {
      breaks.push({ kind: 'unknown-key', seq: r.seq, recordId: r.id, commit, message: `${at} is signed by key ${sig.keyId}, but ${signerRefusal(signer, r.seq, r.action)} (${where})` });
    } else if (!signatureHolds(signedPayload(r), sig.value, signer.publicKey)) {
      breaks.push({ kind: 'bad-signature', seq: r.seq, recordId: r.id, commit, message: `${at}: its signature by ${signer.name} (key ${sig.keyId}) does not match its content — it was changed after signing, or re-chained` });
    }
  }
  return inert(breaks);
}

/** What a record says, without its place in the chain. */
function content(r: AuditRecord): Omit<AuditRecord, 'seq' | 'prev' | 'hash' | 'signature'> {
  const { seq: _s, prev: _p, hash: _h, signature: _g, ...rest } = r;
  return rest;
}

/**
 * Checkpoints (tags that are never moved) against the chain. A record whose content differs is
 * changed; a checkpointed id that is gone is removed (or truncated, past the end); an id never
 * checkpointed is inserted; ids whose relative order differs are reordered. Shifts caused by
 * one of these are not reported again. A checkpoint the remote moved is reported as such.
 */
export function checkpointBreaks(chain: readonly ChainedRecord[], checkpoints: readonly (Checkpoint & { record?: AuditRecord })[], moved: readonly MovedCheckpoint[]): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  for (const m of moved) {
    breaks.push({
      kind: 'checkpoint-moved',
      seq: m.seq,
      commit: m.remote,
      message: `checkpoint #${m.seq} was moved on the remote: this clone holds commit ${short(m.local)}, the remote now names ${short(m.remote)} — the audit branch and its tags were rewritten`,
    });
  }
  const chainIds = chain.map((c) => c.record.id);
  const inChain = new Map(chain.map((c, i) => [c.record.id, { ...c, at: i + 1 }]));
  const checkpointIds = new Set(checkpoints.map((c) => c.record?.id).filter((id): id is string => Boolean(id)));
  for (const cp of checkpoints) {
    const want = cp.record;
    if (!want) continue;
    const found = inChain.get(want.id);
    if (!found) {
      const kind = cp.seq > chain.length ? 'truncated' : 'removed';
      breaks.push({
        kind,
        seq: cp.seq,
        recordId: want.id,
        commit: cp.commit,
        message:
          kind === 'truncated'
            ? `record #${cp.seq} (${want.id}, checkpoint commit ${short(cp.commit)}) is missing: the chain ends at #${chain.length}`
            : `record #${cp.seq} (${want.id}, ${want.action} ${want.environment}) was removed (it was added in commit ${short(cp.commit)})`,
      });
    } else if (canonicalJson(content(found.record)) !== canonicalJson(content(want))) {
      breaks.push({ kind: 'changed', seq: found.at, recordId: want.id, commit: found.commit, message: `record #${found.at} (${want.id})${inCommit(found.commit)} differs from the one checkpointed in commit ${short(cp.commit)}: it was changed` });
    }
  }
  const expectedOrder = checkpoints.map((c) => c.record?.id).filter((id): id is string => id !== undefined && inChain.has(id));
  const actualOrder = chainIds.filter((id) => checkpointIds.has(id));
  expectedOrder.forEach((id, i) => {
    if (actualOrder[i] !== id) {
      const c = inChain.get(id)!;
      breaks.push({ kind: 'reordered', seq: c.at, recordId: id, commit: c.commit, message: `record ${id} is #${c.at} but was checkpointed before ${actualOrder[i] ?? 'the end'}: the chain was reordered` });
    }
  });
  if (checkpoints.length > 0) {
    const lastCheckpoint = checkpoints[checkpoints.length - 1]!.seq;
    chain.forEach((c, i) => {
      if (i + 1 <= lastCheckpoint && !checkpointIds.has(c.record.id)) {
        breaks.push({ kind: 'inserted', seq: i + 1, recordId: c.record.id, commit: c.commit, message: `record #${i + 1} (${c.record.id})${inCommit(c.commit)} was never checkpointed: it was inserted` });
      }
    });
  }
  return inert(breaks);
}

/** The chain extends what this clone verified before: the record at the witness's seq has its hash. */
export function witnessBreaks(chain: readonly ChainedRecord[], witness: Witness | undefined): ChainBreak[] {
  if (!witness) return [];
  const now = chain[witness.seq - 1]?.record;
  if (now?.seq === witness.seq && now.hash === witness.hash) return [];
  const was = `this clone verified record #${witness.seq} as ${short(witness.hash)} on ${witness.verifiedAt}`;
  const is = now ? `the trail's #${witness.seq} is now ${short(now.hash)} (${now.id}, ${now.action} ${now.environment} by ${now.actor})` : `the trail now ends at #${chain.length}`;
  return inert([
    {
      kind: 'rewritten',
      seq: witness.seq,
      ...(now ? { recordId: now.id } : {}),
      message: `the audit trail was rewritten: ${was}, ${is} — its history was replaced (force-pushed); trust neither until it is explained`,
    },
  ]);
}

/** Every head recorded elsewhere is a record of this chain, with that hash. */
export function headBreaks(chain: readonly ChainedRecord[], heads: readonly ExternalHead[]): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  for (const h of heads) {
    const r = chain[h.seq - 1]?.record;
    if (r?.seq === h.seq && r.hash === h.hash) continue;
    breaks.push({
      kind: 'head-mismatch',
      seq: h.seq,
      ...(r ? { recordId: r.id } : {}),
      message: `${h.source} records the audit head #${h.seq} ${short(h.hash)}, but ${r ? `the trail's #${h.seq} is ${short(r.hash)} (${r.id})` : `the trail ends at #${chain.length}`}: the trail was rewritten after that deployment`,
    });
  }
  return inert(breaks);
}
