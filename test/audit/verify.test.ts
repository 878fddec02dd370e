// Tampering with the trail in a clone and force-pushing it is caught by verify, with the
// record and the commit named — including a chain an attacker re-hashed consistently.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail, verifyTrail, type AuditRecord } from '../../tools/lib/audit/index.js';
import { commitFile } from '../../tools/lib/audit/plumbing.js';
import { canonicalJson } from '../../tools/lib/json/canonical.js';
import { dayFile, hashRecord } from '../../tools/lib/audit/record.js';
import { git, mnops, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A bare remote with one record-bearing trail of six records, and a clone to read it from. */
async function world(): Promise<{ remote: string; reader: string; records: AuditRecord[] }> {
  const base = tempDir('mnops-audit-');
  dirs.push(base);
  const remote = `${base}/remote.git`;
  git(base, 'init', '-q', '--bare', remote);
  git(base, 'clone', '-q', remote, `${base}/writer`);
  const trail = await AuditTrail.open({ root: `${base}/writer` });
  const records: AuditRecord[] = [];
  for (let i = 1; i <= 6; i++) {
    const r = await trail.append({ id: `r${i}`, actor: 'alice', action: 'deploy', environment: i % 2 ? 'dev' : 'prod', platform: 'runtime-platform', toVersion: `1.${i}.0`, outcome: 'success' });
    records.push(r.record!);
  }
  git(base, 'clone', '-q', remote, `${base}/reader`);
  return { remote, reader: `${base}/reader`, records };
}

function rechain(r: AuditRecord, prev: AuditRecord | undefined): AuditRecord {
  const { hash: _h, ...rest } = { ...r, seq: (prev?.seq ?? 0) + 1, prev: prev?.hash ?? '' };
  return { ...rest, hash: hashRecord(rest) };
}

/** Rebuilds the branch from `records` with correct hashes and links, and force-pushes it. */
async function forcePushChain(remote: string, entries: AuditRecord[], options: { rehash: boolean }): Promise<void> {
  const dir = tempDir('mnops-attacker-');
  dirs.push(dir);
  git(dir, 'clone', '-q', remote, `${dir}/c`);
  const clone = `${dir}/c`;
  let parent: string | undefined;
  let prev: AuditRecord | undefined;
  let content = '';
  for (const e of entries) {
    // Re-chained as an attacker would: every field kept, seq, prev and hash recomputed.
    const record = options.rehash ? rechain(e, prev) : e;
    content += `${canonicalJson(record)}\n`;
    parent = await commitFile(clone, parent, dayFile(record.time), content, `audit #${record.seq}\n\n${canonicalJson(record)}\n`, {
      name: 'mallory',
      email: 'm@x',
      date: record.time,
    });
    prev = record;
  }
  git(clone, 'push', '-q', '--force', 'origin', `${parent}:refs/heads/mnops/audit`);
}

describe('mnops audit verify', () => {
  let w: Awaited<ReturnType<typeof world>>;
  beforeAll(async () => {
    w = await world();
  }, 60_000);

  it('an untouched trail verifies, exit 0', async () => {
    const r = await mnops(['audit', 'verify', '--root', w.reader]);
    expect(r.stdout).toMatch(/6 records, chain intact \(6 checkpoints\)/);
    expect(r.status).toBe(0);
  });

  const kinds = async (mutate: (records: AuditRecord[]) => AuditRecord[], rehash = true) => {
    const fresh = await world();
    await forcePushChain(fresh.remote, mutate(fresh.records.map((r) => ({ ...r }))), { rehash });
    const report = await verifyTrail(await AuditTrail.open({ root: fresh.reader }));
    return { report, records: fresh.records };
  };

  it('a changed record (even re-hashed consistently) is reported with its seq and commit', async () => {
    const { report } = await kinds((rs) => {
      rs[2]!.outcome = 'failure';
      return rs;
    });
    expect(report.breaks.map((b) => [b.kind, b.seq, b.recordId])).toEqual([['changed', 3, 'r3']]);
    expect(report.breaks[0]!.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('a changed record that was not re-hashed breaks its own hash', async () => {
    const { report } = await kinds((rs) => {
      rs[2]!.reason = 'edited after the fact';
      return rs;
    }, false);
    expect(report.breaks.map((b) => b.kind)).toContain('changed');
    expect(report.breaks.every((b) => b.seq === 3)).toBe(true);
  });

  it('a removed record', async () => {
    const { report } = await kinds((rs) => rs.filter((r) => r.id !== 'r3'));
    expect(report.breaks.map((b) => [b.kind, b.seq, b.recordId])).toEqual([['removed', 3, 'r3']]);
  });

  it('an inserted record', async () => {
    const { report } = await kinds((rs) => {
      const forged = { ...rs[1]!, id: 'forged', reason: 'never happened' };
      return [...rs.slice(0, 2), forged, ...rs.slice(2)];
    });
    expect(report.breaks.map((b) => [b.kind, b.seq, b.recordId])).toEqual([['inserted', 3, 'forged']]);
  });

  it('reordered records', async () => {
    const { report } = await kinds((rs) => [rs[0]!, rs[1]!, rs[3]!, rs[2]!, rs[4]!, rs[5]!]);
    expect(report.breaks.map((b) => [b.kind, b.recordId]).sort()).toEqual([
      ['reordered', 'r3'],
      ['reordered', 'r4'],
    ]);
  });

  it('a record whose prev is not its predecessor\'s hash (itself hashed consistently) is a broken link', async () => {
    const fresh = await world();
    const rs = fresh.records;
    // r3 re-hashed over a prev that names no record, r4.. re-chained after it: every record matches its own hash.
    const { hash: _h, ...unhashed } = { ...rs[2]!, prev: 'a'.repeat(64) };
    const r3 = { ...unhashed, hash: hashRecord(unhashed) };
    const tail: AuditRecord[] = [r3];
    for (const r of rs.slice(3)) tail.push(rechain(r, tail.at(-1)));
    await forcePushChain(fresh.remote, [rs[0]!, rs[1]!, ...tail], { rehash: false });
    const report = await verifyTrail(await AuditTrail.open({ root: fresh.reader }));
    const links = report.breaks.filter((b) => b.kind === 'broken-link');
    expect(links.map((b) => [b.seq, b.recordId])).toEqual([[3, 'r3']]);
    expect(links[0]!.message).toMatch(/^record #3 \(r3\) in commit [0-9a-f]{12} does not follow record #2: a record before it was removed, inserted or reordered$/);
    expect(report.breaks.some((b) => b.kind === 'changed' && b.message.includes('does not match its own hash'))).toBe(false);
  });

  it('a truncated tail is caught by the checkpoints', async () => {
    const { report } = await kinds((rs) => rs.slice(0, 4), false);
    expect(report.breaks.map((b) => [b.kind, b.seq])).toEqual([
      ['truncated', 5],
      ['truncated', 6],
    ]);
  });

  it('the CLI exits 1 and names the record and commit', async () => {
    const fresh = await world();
    await forcePushChain(fresh.remote, fresh.records.slice(0, 5), { rehash: false });
    const r = await mnops(['audit', 'verify', '--root', fresh.reader]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/truncated\s+record #6 \(r6, checkpoint commit [0-9a-f]{12}\) is missing: the chain ends at #5/);
  });

  it('a day file edited in a new commit without a record is a file mismatch', async () => {
    const fresh = await world();
    const dir = tempDir('mnops-edit-');
    dirs.push(dir);
    git(dir, 'clone', '-q', '-b', 'mnops/audit', fresh.remote, `${dir}/c`);
    const file = dayFile(fresh.records[0]!.time);
    const { readFileSync, writeFileSync } = await import('node:fs');
    const text = readFileSync(`${dir}/c/${file}`, 'utf8');
    writeFileSync(`${dir}/c/${file}`, text.replace('"outcome":"success"', '"outcome":"failure"'));
    git(`${dir}/c`, 'commit', '-qam', `audit #6\n\n${canonicalJson(fresh.records[5])}`);
    git(`${dir}/c`, 'push', '-q', 'origin', 'mnops/audit');
    const report = await verifyTrail(await AuditTrail.open({ root: fresh.reader }));
    expect(report.breaks.some((b) => b.kind === 'file-mismatch')).toBe(true);
  });
});
