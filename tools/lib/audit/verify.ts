// `mnops audit verify`: walk the chain and say exactly which record broke it and how.
import type { AuditTrail, ChainedRecord } from './trail.js';
import { canonicalJson, hashRecord, type AuditRecord } from './record.js';

export type BreakKind = 'changed' | 'removed' | 'inserted' | 'reordered' | 'truncated' | 'broken-link' | 'file-mismatch';

export interface ChainBreak {
  kind: BreakKind;
  seq: number;
  recordId?: string;
  commit?: string;
  message: string;
}

export interface VerifyReport {
  records: number;
  checkpoints: number;
  breaks: ChainBreak[];
  ms: number;
}

const short = (c: string | undefined) => (c ? c.slice(0, 12) : '?');

/** What a record says, without its place in the chain. */
function content(r: AuditRecord): Omit<AuditRecord, 'seq' | 'prev' | 'hash'> {
  const { seq: _s, prev: _p, hash: _h, ...rest } = r;
  return rest;
}

export async function verifyTrail(trail: AuditTrail): Promise<VerifyReport> {
  const t0 = performance.now();
  const { tip, checkpoints } = await trail.snapshot();
  // One fetch: snapshot() already brought the branch and the checkpoints.
  const chain: ChainedRecord[] = tip ? await trail.recordsAt(tip) : [];
  const breaks: ChainBreak[] = [];

  // 1. The chain itself: sequence numbers, links and hashes.
  let prev: AuditRecord | undefined;
  chain.forEach(({ record, commit }, i) => {
    const expectedSeq = i + 1;
    if (hashRecord(record) !== record.hash) {
      breaks.push({ kind: 'changed', seq: record.seq, recordId: record.id, commit, message: `record #${record.seq} (${record.id}) in commit ${short(commit)} does not match its own hash: it was changed` });
    }
    if (record.seq !== expectedSeq || record.prev !== (prev?.hash ?? '')) {
      breaks.push({
        kind: 'broken-link',
        seq: expectedSeq,
        recordId: record.id,
        commit,
        message: `record #${record.seq} (${record.id}) in commit ${short(commit)} does not follow record #${prev?.seq ?? 0}: a record before it was removed, inserted or reordered`,
      });
    }
    prev = record;
  });

  // 2. Checkpoints (tags the branch cannot move) against the chain. A record whose content
  // differs is changed; a checkpointed id that is gone is removed (or truncated, past the
  // end); an id never checkpointed is inserted; ids whose relative order differs are
  // reordered. Shifts caused by one of these are not reported again.
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
      breaks.push({ kind: 'changed', seq: found.at, recordId: want.id, commit: found.commit, message: `record #${found.at} (${want.id}) in commit ${short(found.commit)} differs from the one checkpointed in commit ${short(cp.commit)}: it was changed` });
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
        breaks.push({ kind: 'inserted', seq: i + 1, recordId: c.record.id, commit: c.commit, message: `record #${i + 1} (${c.record.id}) in commit ${short(c.commit)} was never checkpointed: it was inserted` });
      }
    });
  }

  // 3. The day files at the tip hold exactly the records of the commits, byte for byte.
  if (tip) {
    const lines = new Map<string, string>();
    for (const [file, fileLines] of await trail.dayFiles(tip)) for (const l of fileLines) lines.set(l, file);
    const expected = new Set(chain.map((c) => canonicalJson(c.record)));
    for (const c of chain) {
      if (!lines.has(canonicalJson(c.record))) {
        breaks.push({ kind: 'file-mismatch', seq: c.record.seq, recordId: c.record.id, commit: c.commit, message: `record #${c.record.seq} (${c.record.id}) from commit ${short(c.commit)} is not in the day files at the tip: a file was edited` });
      }
    }
    for (const [line, file] of lines) {
      if (!expected.has(line)) breaks.push({ kind: 'file-mismatch', seq: 0, message: `${file} holds a line no audit commit added: ${line.slice(0, 80)}` });
    }
  }
  breaks.sort((a, b) => a.seq - b.seq);
  return { records: chain.length, checkpoints: checkpoints.length, breaks, ms: performance.now() - t0 };
}
