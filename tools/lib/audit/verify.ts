// `mnops audit verify`: walk the chain, the signatures, the checkpoints, this clone's witness
// and any heads recorded elsewhere, and say exactly which record broke and how.
import { MnopsError } from '../repo/errors.js';
import { chainBreaks, checkpointBreaks, headBreaks, recordsOfHistory, signatureBreaks, witnessBreaks, type ChainBreak, type ChainedRecord, type ExternalHead } from './checks.js';
import { addedRecord, recordsAt } from './files.js';
import { gitRun, resolveRef } from './plumbing.js';
import type { AuditGovernance } from './governance.js';
import type { AuditRecord } from './record.js';
import type { AuditTrail } from './trail.js';
import { readWitness, witnessFile, writeWitness, type Witness } from './witness.js';

export type { BreakKind, ChainBreak, ExternalHead } from './checks.js';

export interface VerifyOptions {
  /** Check this clone's witness and move it forward after a clean verify (default true). */
  witness?: boolean;
  /** Chain heads recorded elsewhere (GitHub deployment statuses): each must be a record of the chain. */
  heads?: readonly ExternalHead[];
}

export interface VerifyReport {
  records: number;
  checkpoints: number;
  breaks: ChainBreak[];
  signatures: {
    /** Signers are listed: every record from signedFrom on must be signed by one. */
    governed: boolean;
    /** Where the signers were read. */
    source: string;
    signers: string[];
    signedFrom: number;
    signed: number;
  };
  /** What this clone has verified up to (after this run). */
  witness?: Witness & { advanced: boolean };
  /** External heads checked. */
  heads: number;
  /** The ref whose records were walked (the remote's branch when there is one) and its commit. */
  verified: { ref: string; commit?: string; seq: number };
  /** This clone's own branch, when a remote one was verified: where it stands against it. */
  local?: { ref: string; commit?: string; seq: number; state: 'same' | 'behind' | 'ahead' | 'diverged' | 'absent' };
  ms: number;
}

const lastSeq = async (root: string, commit: string | undefined) => (commit ? Math.max(0, ...(await recordsAt(root, commit)).map((r) => r.seq)) : 0);

/**
 * Where the local branch stands against the remote one verified. A local branch missing
 * records the remote has (cut back, or never updated) is not the trail that was verified:
 * it is a break, so a truncated clone does not pass on the strength of the remote.
 */
async function localAgainstRemote(trail: AuditTrail, tip: string | undefined, seq: number): Promise<{ local: NonNullable<VerifyReport['local']>; breaks: ChainBreak[] }> {
  const ref = `refs/heads/${trail.branch}`;
  const commit = await resolveRef(trail.root, ref);
  const localSeq = await lastSeq(trail.root, commit);
  const base = { ref: trail.branch, ...(commit ? { commit } : {}), seq: localSeq };
  if (!commit) return { local: { ...base, state: 'absent' }, breaks: [] };
  if (!tip || commit === tip) return { local: { ...base, state: tip ? 'same' : 'ahead' }, breaks: [] };
  const ancestor = async (a: string, b: string) => (await gitRun(trail.root, ['merge-base', '--is-ancestor', a, b])).code === 0;
  const remote = `${trail.remote}/${trail.branch}`;
  if (await ancestor(tip, commit)) return { local: { ...base, state: 'ahead' }, breaks: [] };
  const behind = await ancestor(commit, tip);
  const missing = seq === localSeq + 1 ? `record #${seq}` : seq > localSeq ? `records #${localSeq + 1}–#${seq}` : 'records';
  const message = behind
    ? `the local branch ${trail.branch} (${commit.slice(0, 12)}, up to #${localSeq}) is missing ${missing} that ${remote} (${tip.slice(0, 12)}) has`
    : `the local branch ${trail.branch} (${commit.slice(0, 12)}, up to #${localSeq}) has diverged from ${remote} (${tip.slice(0, 12)}, up to #${seq})`;
  const hint = behind
    ? `if nobody cut it back on purpose, update it: git fetch ${trail.remote} ${trail.branch}:${trail.branch}`
    : `find who rewrote it (git log ${trail.branch} ${remote}); the remote's trail is the published one`;
  return { local: { ...base, state: behind ? 'behind' : 'diverged' }, breaks: [{ kind: behind ? 'local-behind' : 'local-diverged', seq: localSeq + 1, commit, message: `${message} — ${hint}` }] };
}

export async function verifyTrail(trail: AuditTrail, options: VerifyOptions = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const { tip, checkpoints, moved } = await trail.snapshot();
  const governance = await trail.governance();
  // One fetch: snapshot() already brought the branch and the checkpoints.
  const history = recordsOfHistory(tip ? await trail.history(undefined, tip) : []);
  const chain = history.chain;
  const commitRecords = new Map(chain.map((c) => [c.commit!, c.record]));
  // Checkpoints off the branch (a rewrite) are read from their own commits.
  const off = checkpoints.filter((c) => !commitRecords.has(c.commit)).map((c) => c.commit);
  for (const change of await trail.changesOfCommits(off)) {
    const r = addedRecord(change);
    if (r) commitRecords.set(change.commit, r);
  }
  const useWitness = options.witness ?? true;
  const file = useWitness ? await witnessFile(trail.root, trail.branch) : undefined;
  const witness = file ? await readWitness(file) : undefined;

  const breaks = [
    ...history.breaks,
    ...chainBreaks(chain),
    ...signatureBreaks(chain, governance),
    ...checkpointBreaks(
      chain,
      checkpoints.map((c) => ({ ...c, record: commitRecords.get(c.commit) })),
      moved,
    ),
    ...witnessBreaks(chain, witness),
    ...headBreaks(chain, options.heads ?? []),
  ].sort((a, b) => a.seq - b.seq);

  const verifiedSeq = chain.at(-1)?.record.seq ?? 0;
  const verified = { ref: trail.remote ? `${trail.remote}/${trail.branch}` : trail.branch, ...(tip ? { commit: tip } : {}), seq: verifiedSeq };
  const localCheck = trail.remote ? await localAgainstRemote(trail, tip, verifiedSeq) : undefined;
  if (localCheck) breaks.push(...localCheck.breaks);

  let after: VerifyReport['witness'];
  const last = chain.at(-1)?.record;
  if (file && breaks.length === 0 && last && (!witness || last.seq > witness.seq)) {
    after = { seq: last.seq, hash: last.hash, verifiedAt: new Date().toISOString(), advanced: true };
    await writeWitness(file, { seq: after.seq, hash: after.hash, verifiedAt: after.verifiedAt });
  } else if (witness) after = { ...witness, advanced: false };

  return {
    records: chain.length,
    checkpoints: checkpoints.length,
    breaks,
    signatures: summary(chain, governance),
    ...(after ? { witness: after } : {}),
    heads: options.heads?.length ?? 0,
    verified,
    ...(localCheck ? { local: localCheck.local } : {}),
    ms: performance.now() - t0,
  };
}

function summary(chain: readonly ChainedRecord[], g: AuditGovernance): VerifyReport['signatures'] {
  return {
    governed: g.signers.length > 0,
    source: g.source,
    signers: g.signers.map((s) => s.name),
    signedFrom: g.signedFrom,
    signed: chain.filter((c) => c.record.signature !== undefined).length,
  };
}

export class TrailBrokenError extends MnopsError {}

/**
 * Breaks visible in the records at the tip alone — chain, signatures, this clone's witness —
 * without walking the history (cheap enough for every read).
 */
export async function tipBreaks(trail: AuditTrail, records: readonly AuditRecord[]): Promise<ChainBreak[]> {
  const chain = records.map((record) => ({ record }));
  const witness = await readWitness(await witnessFile(trail.root, trail.branch));
  return [...chainBreaks(chain), ...signatureBreaks(chain, await trail.governance()), ...witnessBreaks(chain, witness)];
}

/** The records at the tip, for decisions (a rollback's default version): refused unless tipBreaks finds nothing. */
export async function trustedRecords(trail: AuditTrail, purpose: string): Promise<AuditRecord[]> {
  const records = await trail.records();
  const breaks = await tipBreaks(trail, records);
  if (breaks.length > 0) {
    throw new TrailBrokenError(`the audit trail does not verify, so ${purpose} cannot be read from it: ${breaks[0]!.message}${breaks.length > 1 ? ` (and ${breaks.length - 1} more)` : ''}`, 'run mnops audit verify');
  }
  return records;
}
