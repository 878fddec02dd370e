// The checks `mnops audit verify` runs, as functions of data: a chain of real sealed records
// and one change at a time, each reported as the break it is, with the record and commit it
// names. The same checks on a real trail in git are in verify.test.ts and signing.test.ts.
import { describe, expect, it } from 'vitest';
import { chainBreaks, checkpointBreaks, headBreaks, recordsOfHistory, signatureBreaks, witnessBreaks, type ChainedRecord } from '../../tools/lib/audit/checks.js';
import { addedRecord, parseRecordLine, type CommitChange } from '../../tools/lib/audit/files.js';
import type { AuditGovernance, AuditSigner } from '../../tools/lib/audit/governance.js';
import { checkWriter, signerRefusal } from '../../tools/lib/audit/governance.js';
import { hashRecord, sealRecord, type AuditRecord } from '../../tools/lib/audit/record.js';
import { generateSigningKey, parsePublicKey, parseSigningKey } from '../../tools/lib/audit/signing.js';
import { canonicalJson } from '../../tools/lib/json/canonical.js';

const commit = (n: number) => String(n).repeat(40).slice(0, 40);
const entry = (n: number) => ({ id: `id-${n}`, time: '2026-12-01T10:00:00.000Z', actor: 'ci', action: 'apply' as const, environment: 'dev', outcome: 'success' as const });

/** A chain of `n` records, each added by its own commit. */
function chainOf(n: number, options: Parameters<typeof sealRecord>[3] = {}): ChainedRecord[] {
  const out: ChainedRecord[] = [];
  for (let i = 1; i <= n; i++) out.push({ record: sealRecord(entry(i), i, out[i - 2]?.record.hash ?? '', options), commit: commit(i) });
  return out;
}
const rehash = (r: Omit<AuditRecord, 'hash'>): AuditRecord => ({ ...r, hash: hashRecord(r) });
const kinds = (bs: { kind: string; seq: number }[]) => bs.map((b) => `${b.kind}#${b.seq}`);

describe('chainBreaks', () => {
  it('a chain as written has none', () => {
    expect(chainBreaks(chainOf(3))).toEqual([]);
  });

  it('a record that does not match its own hash is changed, named with its commit', () => {
    const chain = chainOf(3);
    chain[1] = { ...chain[1]!, record: { ...chain[1]!.record, environment: 'prod' } };
    expect(chainBreaks(chain)).toEqual([
      { kind: 'changed', seq: 2, recordId: 'id-2', commit: commit(2), message: `record #2 (id-2) in commit ${commit(2).slice(0, 12)} does not match its own hash: it was changed` },
    ]);
  });

  it('a wrong seq or prev, re-hashed consistently, is a broken link; the first record must link to nothing', () => {
    const chain = chainOf(3);
    chain[2] = { record: rehash({ ...chain[2]!.record, prev: chain[0]!.record.hash }) };
    expect(chainBreaks(chain)).toEqual([
      { kind: 'broken-link', seq: 3, recordId: 'id-3', message: 'record #3 (id-3) does not follow record #2: a record before it was removed, inserted or reordered' },
    ]);
    const renumbered = chainOf(2);
    renumbered[1] = { ...renumbered[1]!, record: rehash({ ...renumbered[1]!.record, seq: 5 }) };
    expect(kinds(chainBreaks(renumbered))).toEqual(['broken-link#2']);
    const first = chainOf(1);
    first[0] = { ...first[0]!, record: rehash({ ...first[0]!.record, prev: 'f'.repeat(64) }) };
    expect(chainBreaks(first)[0]!.message).toMatch(/does not follow record #0:/);
  });

  it('a record field a forger chose is shown in the message, never obeyed by a terminal', () => {
    const chain = chainOf(1);
    chain[0] = { record: { ...chain[0]!.record, id: 'x\u001b[2Jy' } };
    expect(chainBreaks(chain)[0]!.message).toContain('x\\u001b[2Jy');
  });
});

describe('recordsOfHistory', () => {
  const line = (r: AuditRecord) => ({ file: 'records/2026/12/01.jsonl', text: canonicalJson(r) });
  const change = (over: Partial<CommitChange>): CommitChange => ({ commit: commit(9), parents: [commit(8)], added: [], removed: [], other: [], ...over });

  it('each commit that adds one record line is a link; anything else is a file mismatch saying what the commit did', () => {
    const [a, b] = chainOf(2).map((c) => c.record);
    const { chain, breaks } = recordsOfHistory([
      change({ commit: commit(1), added: [line(a!)] }),
      change({ parents: [commit(1), commit(2)], added: [line(b!)] }),
      change({ removed: [line(a!), { ...line(a!), file: 'records/2026/12/02.jsonl' }, line(a!)] }),
      change({ other: ['README.md', 'a', 'b', 'c'] }),
      change({}),
      change({ added: [line(a!), line(b!)] }),
      change({ added: [{ file: 'records/2026/12/01.jsonl', text: '{"not": "a record"}' }] }),
      change({ commit: commit(2), added: [line(b!)] }),
    ]);
    expect(chain).toEqual([{ record: a, commit: commit(1) }, { record: b, commit: commit(2) }]);
    const at = `commit ${commit(9).slice(0, 12)}`;
    expect(breaks.map((x) => [x.kind, x.seq, x.message])).toEqual([
      ['file-mismatch', 2, `${at} is a merge: the audit branch is linear, it was written by hand`],
      ['file-mismatch', 2, `${at} edits or deletes 3 line(s) of records/2026/12/01.jsonl, records/2026/12/02.jsonl: day files are append-only, a file was edited by hand`],
      ['file-mismatch', 2, `${at} changes README.md, a, b, which is no record line: a file was edited by hand`],
      ['file-mismatch', 2, `${at} adds no record (whatever its message says): it was made by hand`],
      ['file-mismatch', 2, `${at} adds 2 lines (one record per commit): a file was edited by hand`],
      ['file-mismatch', 2, `${at} adds a line to records/2026/12/01.jsonl that is no audit record: a file was edited by hand`],
    ]);
  });

  it('a record line is a JSON object with the fields of one', () => {
    const [r] = chainOf(1).map((c) => c.record);
    expect(parseRecordLine(canonicalJson(r))).toEqual(r);
    for (const field of ['id', 'time', 'action', 'environment', 'seq', 'prev', 'hash'] as const) {
      expect(parseRecordLine(canonicalJson({ ...r, [field]: field === 'seq' ? '1' : 1 })), field).toBeUndefined();
    }
    for (const text of ['null', '"text"', '[1]', '{', '']) expect(parseRecordLine(text), text).toBeUndefined();
    expect(addedRecord(change({ added: [line(r!)], other: ['x'] }))).toBeUndefined();
    expect(addedRecord(change({ added: [line(r!)], removed: [line(r!)] }))).toBeUndefined();
  });
});

describe('signatureBreaks', () => {
  const keyA = generateSigningKey();
  const keyB = generateSigningKey();
  const signer = (k: typeof keyA, over: Partial<AuditSigner> = {}): AuditSigner => ({ name: `signer-${k.keyId.slice(0, 4)}`, keyId: k.keyId, publicKey: parsePublicKey(k.publicKey, 'test'), ...over });
  const gov = (signers: AuditSigner[], signedFrom = 1): AuditGovernance => ({ signers, signedFrom, source: 'HEAD (abc)' });
  const signed = (n: number, k = keyA) => chainOf(n, { key: parseSigningKey(k.privateKey) });

  it('without signers nothing is checked; signed by a listed key, nothing is wrong', () => {
    expect(signatureBreaks(chainOf(2), gov([]))).toEqual([]);
    expect(signatureBreaks(signed(3), gov([signer(keyA)]))).toEqual([]);
  });

  it('unsigned from signedFrom on, signed by a key not listed, or one that may not sign that seq or action', () => {
    const unsigned = chainOf(3);
    expect(kinds(signatureBreaks(unsigned, gov([signer(keyA)], 2)))).toEqual(['unsigned#2', 'unsigned#3']);
    expect(signatureBreaks(unsigned, gov([signer(keyA)], 3))[0]!.message).toMatch(/^record #3 \(id-3, apply dev by ci\) in commit 333333333333 is not signed: every record from #3 on must be signed by a signer listed in ecosystem\/governance\/settings\.yaml at HEAD \(abc\)/);
    const byB = signed(1, keyB);
    expect(signatureBreaks(byB, gov([signer(keyA)]))).toMatchObject([{ kind: 'unknown-key', message: expect.stringContaining(`is signed by key ${keyB.keyId}, which ecosystem/governance/settings.yaml at HEAD (abc) does not list`) }]);
    expect(signatureBreaks(signed(2), gov([signer(keyA, { until: 1 })]))).toMatchObject([{ kind: 'unknown-key', seq: 2, message: expect.stringContaining('may sign only up to #1 (the key was retired)') }]);
    expect(signatureBreaks(signed(1), gov([signer(keyA, { actions: ['deploy'] })]))).toMatchObject([{ kind: 'unknown-key', message: expect.stringContaining('may sign only deploy') }]);
  });

  it('a signature that does not hold, or is not of the shape of one', () => {
    const chain = signed(2);
    chain[0] = { ...chain[0]!, record: rehash({ ...chain[0]!.record, environment: 'prod' }) };
    chain[1] = { ...chain[1]!, record: { ...chain[1]!.record, signature: { keyId: 7 } as unknown as AuditRecord['signature'] } };
    expect(signatureBreaks(chain, gov([signer(keyA)])).map((b) => [b.kind, b.seq, b.message.replace(/^.*?: /, '')])).toEqual([
      ['bad-signature', 1, `its signature by ${signer(keyA).name} (key ${keyA.keyId}) does not match its content — it was changed after signing, or re-chained`],
      ['bad-signature', 2, 'it was changed'],
    ]);
    const nulled = signed(1);
    nulled[0] = { record: { ...nulled[0]!.record, signature: null as unknown as AuditRecord['signature'] } };
    expect(kinds(signatureBreaks(nulled, gov([signer(keyA)])))).toEqual(['bad-signature#1']);
  });

  it('a writer of a governed trail must hold a listed key that may sign the record', () => {
    const a = parseSigningKey(keyA.privateKey);
    expect(() => checkWriter(gov([]), undefined, 1, 'apply')).not.toThrow();
    expect(() => checkWriter(gov([signer(keyA)]), a, 1, 'apply')).not.toThrow();
    expect(() => checkWriter(gov([signer(keyA)]), undefined, 1, 'apply')).toThrow(/is signed \(signers signer-\w+ in .* at HEAD \(abc\)\) but MNOPS_AUDIT_KEY is not set: nothing was recorded/);
    expect(() => checkWriter(gov([signer(keyA)]), parseSigningKey(keyB.privateKey), 1, 'apply')).toThrow(/it is not a listed audit signer/);
    expect(() => checkWriter(gov([signer(keyA, { until: 4 })]), a, 5, 'apply')).toThrow(/may sign only up to #4/);
    expect(signerRefusal(signer(keyA, { until: 4 }), 4, 'apply')).toBeUndefined();
    expect(signerRefusal(signer(keyA, { actions: ['apply', 'deploy'] }), 9, 'deploy')).toBeUndefined();
  });
});

describe('checkpointBreaks', () => {
  const cps = (chain: ChainedRecord[], seqs: number[]) => seqs.map((seq) => ({ seq, commit: commit(seq), record: chain[seq - 1]!.record }));

  it('a chain that holds every checkpoint as it was has none', () => {
    const chain = chainOf(4);
    expect(checkpointBreaks(chain, cps(chain, [1, 2, 3, 4]), [])).toEqual([]);
    // Records after the last checkpoint are not inserted ones: they are new.
    expect(checkpointBreaks(chain, cps(chain, [1, 2]), [])).toEqual([]);
  });

  it('removed, truncated, changed, reordered and inserted, each once', () => {
    const chain = chainOf(4);
    const all = cps(chain, [1, 2, 3, 4]);
    expect(kinds(checkpointBreaks([chain[0]!, chain[2]!, chain[3]!], all, []))).toEqual(['removed#2']);
    expect(checkpointBreaks(chain.slice(0, 2), all, []).map((b) => `${b.kind}#${b.seq} ${b.message}`)).toEqual([
      `truncated#3 record #3 (id-3, checkpoint commit ${commit(3).slice(0, 12)}) is missing: the chain ends at #2`,
      `truncated#4 record #4 (id-4, checkpoint commit ${commit(4).slice(0, 12)}) is missing: the chain ends at #2`,
    ]);
    expect(checkpointBreaks([chain[0]!, chain[2]!, chain[3]!], all, [])[0]!.message).toBe(`record #2 (id-2, apply dev) was removed (it was added in commit ${commit(2).slice(0, 12)})`);
    const changed = chain.map((c, i) => (i === 1 ? { ...c, record: { ...c.record, outcome: 'failure' as const } } : c));
    expect(checkpointBreaks(changed, all, [])).toMatchObject([{ kind: 'changed', seq: 2, recordId: 'id-2', commit: commit(2) }]);
    // Only its place in the chain differs: not changed.
    const relinked = chain.map((c, i) => (i === 1 ? { ...c, record: rehash({ ...c.record, prev: 'x' }) } : c));
    expect(checkpointBreaks(relinked, all, [])).toEqual([]);
    const swapped = [chain[0]!, chain[2]!, chain[1]!, chain[3]!];
    expect(kinds(checkpointBreaks(swapped, all, []))).toEqual(['reordered#3', 'reordered#2']);
    const extra = { record: sealRecord(entry(99), 2, '', {}), commit: commit(7) };
    expect(checkpointBreaks([chain[0]!, extra, ...chain.slice(1)], cps(chain, [1, 2, 3]), []).filter((b) => b.kind === 'inserted')).toEqual([
      { kind: 'inserted', seq: 2, recordId: 'id-99', commit: commit(7), message: `record #2 (id-99) in commit ${commit(7).slice(0, 12)} was never checkpointed: it was inserted` },
    ]);
  });

  it('a checkpoint the remote moved', () => {
    expect(checkpointBreaks(chainOf(1), [], [{ seq: 1, local: commit(1), remote: commit(2) }])).toEqual([
      { kind: 'checkpoint-moved', seq: 1, commit: commit(2), message: `checkpoint #1 was moved on the remote: this clone holds commit ${commit(1).slice(0, 12)}, the remote now names ${commit(2).slice(0, 12)} — the audit branch and its tags were rewritten` },
    ]);
  });
});

describe('witnessBreaks and headBreaks', () => {
  const chain = chainOf(3);
  const r2 = chain[1]!.record;

  it('the record this clone verified, or a deployment recorded, is still there with its hash', () => {
    expect(witnessBreaks(chain, undefined)).toEqual([]);
    expect(witnessBreaks(chain, { seq: 2, hash: r2.hash, verifiedAt: '2026-12-01T00:00:00Z' })).toEqual([]);
    expect(headBreaks(chain, [{ seq: 2, hash: r2.hash, source: 'deployment 7' }])).toEqual([]);
  });

  it('another hash at that seq, or a chain that no longer reaches it, is a rewrite', () => {
    expect(witnessBreaks(chain, { seq: 2, hash: 'a'.repeat(64), verifiedAt: '2026-12-01T00:00:00Z' })).toEqual([
      {
        kind: 'rewritten',
        seq: 2,
        recordId: 'id-2',
        message: `the audit trail was rewritten: this clone verified record #2 as aaaaaaaaaaaa on 2026-12-01T00:00:00Z, the trail's #2 is now ${r2.hash.slice(0, 12)} (id-2, apply dev by ci) — its history was replaced (force-pushed); trust neither until it is explained`,
      },
    ]);
    expect(witnessBreaks(chain, { seq: 5, hash: 'a'.repeat(64), verifiedAt: 'then' })[0]).toEqual({ kind: 'rewritten', seq: 5, message: expect.stringContaining('the trail now ends at #3') });
    // A record at that place that claims another seq is no match either.
    const renumbered = chain.map((c, i) => (i === 1 ? { ...c, record: { ...c.record, seq: 9 } } : c));
    expect(kinds(witnessBreaks(renumbered, { seq: 2, hash: r2.hash, verifiedAt: 'then' }))).toEqual(['rewritten#2']);
    expect(kinds(headBreaks(renumbered, [{ seq: 2, hash: r2.hash, source: 's' }]))).toEqual(['head-mismatch#2']);
    expect(headBreaks(chain, [{ seq: 2, hash: 'b'.repeat(64), source: 'deployment 7' }, { seq: 4, hash: 'c'.repeat(64), source: 'deployment 8' }])).toEqual([
      { kind: 'head-mismatch', seq: 2, recordId: 'id-2', message: `deployment 7 records the audit head #2 bbbbbbbbbbbb, but the trail's #2 is ${r2.hash.slice(0, 12)} (id-2): the trail was rewritten after that deployment` },
      { kind: 'head-mismatch', seq: 4, message: 'deployment 8 records the audit head #4 cccccccccccc, but the trail ends at #3: the trail was rewritten after that deployment' },
    ]);
  });
});
