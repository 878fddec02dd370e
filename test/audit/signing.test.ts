// The trail against insiders, on real repositories (a bare remote, clones): records signed
// with a key listed in the default branch's governance settings; a record forged without the
// key, one signed by an unlisted key and a tampered one are each named by verify; the full
// rewrite — an actor relabelled, the chain re-hashed, the branch force-pushed and the
// checkpoint tags moved — is caught by a clone that verified before (its witness) and by a
// fresh clone through the signatures; hand-given actors are only claimed.
import { afterAll, describe, expect, it } from 'vitest';
import { AuditTrail, generateSigningKey, parseSigningKey, verifyTrail, type AuditRecord, type SigningKey } from '../../tools/lib/audit/index.js';
import { commitFile } from '../../tools/lib/audit/plumbing.js';
import { canonicalJson } from '../../tools/lib/json/canonical.js';
import { dayFile, hashRecord, sealRecord } from '../../tools/lib/audit/record.js';
import { commitMessage } from '../../tools/lib/audit/trail.js';
import { commitNewRepo, git, mnops, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const SETTINGS = 'ecosystem/governance/settings.yaml';
const CI = { actor: 'ci-runner', run: 'https://github.com/o/r/actions/runs/1' };

function settingsYaml(signers: { name: string; publicKey: string; until?: number }[], signedFrom?: number): string {
  const list = signers.map((s) => `      - name: ${s.name}\n        publicKey: ${s.publicKey}\n${s.until !== undefined ? `        until: ${s.until}\n` : ''}`).join('');
  const audit = `${signers.length ? `    signers:\n${list}` : ''}${signedFrom ? `    signedFrom: ${signedFrom}\n` : ''}`;
  return `apiVersion: mnops/v1\nkind: PolicySettings\nmetadata:\n  name: governance\nspec:\n  audit:${audit ? `\n${audit}` : ' {}\n'}`;
}

interface World {
  base: string;
  remote: string;
  writer: string;
  key: SigningKey;
  /** The private key as the runner secret holds it. */
  secret: string;
  records: AuditRecord[];
  clone(name: string): string;
}

/**
 * A bare remote whose default branch lists one signer, and a trail of `count` records written
 * by that signer's runner; record #3 is alice's emergency promote.
 */
async function world(count = 5, settings?: (publicKey: string) => string): Promise<World> {
  const base = tempDir('mnops-signed-');
  dirs.push(base);
  const remote = `${base}/remote.git`;
  git(base, 'init', '-q', '--bare', '-b', 'main', remote);
  const generated = generateSigningKey();
  const seed = commitNewRepo(`${base}/seed`, { [SETTINGS]: settings ? settings(generated.publicKey) : settingsYaml([{ name: 'ci', publicKey: generated.publicKey }]) }, 'governance');
  git(seed, 'push', '-q', remote, 'main');
  const clone = (name: string) => {
    git(base, 'clone', '-q', remote, `${base}/${name}`);
    return `${base}/${name}`;
  };
  const writer = clone('writer');
  const key = parseSigningKey(generated.privateKey);
  const records: AuditRecord[] = [];
  for (let i = 1; i <= count; i++) {
    const identity = i === 3 ? { actor: 'alice' } : CI;
    const trail = await AuditTrail.open({ root: writer, key, identity });
    const entry = i === 3 ? { reason: 'emergency: checkout is down', fromVersion: '2.0.0', toVersion: '2.0.1' } : { toVersion: `1.${i}.0` };
    const r = await trail.append({ id: `r${i}`, actor: identity.actor, action: i === 3 ? 'promote' : 'deploy', environment: i === 3 ? 'prod' : 'dev', platform: 'checkout', outcome: 'success', ...entry });
    records.push(r.record!);
  }
  return { base, remote, writer, key, secret: generated.privateKey, records, clone };
}

/** An attacker's clone of the audit branch. */
function attackerClone(w: World, name = 'attacker'): string {
  const dir = `${w.base}/${name}`;
  git(w.base, 'clone', '-q', '-b', 'mnops/audit', w.remote, dir);
  return dir;
}

/** Commits `records` as the trail would (one line per commit into its day file) on top of `parent`. */
async function commitRecords(repo: string, parent: string | undefined, records: AuditRecord[], earlier: AuditRecord[]): Promise<string[]> {
  const commits: string[] = [];
  const lines = new Map<string, string>();
  for (const r of earlier) lines.set(dayFile(r.time), (lines.get(dayFile(r.time)) ?? '') + `${canonicalJson(r)}\n`);
  for (const r of records) {
    const file = dayFile(r.time);
    lines.set(file, (lines.get(file) ?? '') + `${canonicalJson(r)}\n`);
    parent = await commitFile(repo, parent, file, lines.get(file)!, commitMessage(r), { name: 'mallory', email: 'm@x', date: r.time });
    commits.push(parent);
  }
  return commits;
}

/** seq, prev and hash recomputed, every other field (a signature included) kept: what re-hashing can do. */
function rechain(r: AuditRecord, prev: AuditRecord | undefined): AuditRecord {
  const { hash: _h, ...rest } = { ...r, seq: (prev?.seq ?? 0) + 1, prev: prev?.hash ?? '' };
  return { ...rest, hash: hashRecord(rest) };
}

const kinds = (report: Awaited<ReturnType<typeof verifyTrail>>) => report.breaks.map((b) => [b.kind, b.seq]);

describe('a signed audit trail', () => {
  it('keygen prints a key for the secret and a public key for governance; records signed with it verify', async () => {
    const gen = await mnops(['audit', 'keygen', '--name', 'deploy-bot']);
    expect(gen.status, gen.stderr).toBe(0);
    const secret = gen.stdout.trim();
    expect(secret).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const publicKey = /publicKey: (\S+)/.exec(gen.stderr)?.[1];
    expect(publicKey).toMatch(/^MCowBQYDK2VwAyEA/);
    expect(gen.stderr).toContain('name: "deploy-bot"');
    expect(gen.stderr).toContain(SETTINGS);

    const w = await world(0, () => settingsYaml([{ name: 'deploy-bot', publicKey: publicKey! }]));
    const env = { MNOPS_AUDIT_KEY: secret, GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octocat', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '77', GITHUB_SERVER_URL: 'https://github.com' };
    const appended = await mnops(['audit', 'append', '--root', w.writer, '--action', 'deploy', '--env', 'prod', '--outcome', 'success', '--actor', 'mallory', '--id', 'a1'], { env });
    expect(appended.status, appended.stderr).toBe(0);

    // The hand-given actor is only claimed; the verified actor is the runner's identity.
    const log = await mnops(['audit', 'log', '--root', w.clone('reader'), '--format', 'json']);
    const [record] = JSON.parse(log.stdout) as AuditRecord[];
    expect(record).toMatchObject({ id: 'a1', actor: 'octocat', claimedActor: 'mallory', run: 'https://github.com/o/r/actions/runs/77', signature: { keyId: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    const text = await mnops(['audit', 'log', '--root', `${w.base}/reader`]);
    expect(text.stdout).toMatch(/octocat \(claimed: mallory\)\s+#1/);

    const verify = await mnops(['audit', 'verify', '--root', `${w.base}/reader`]);
    expect(verify.stdout).toContain('1 records, chain intact (1 checkpoints)');
    expect(verify.stdout).toContain('signatures: 1 of 1 records signed; signers deploy-bot from origin/HEAD');
    expect(verify.status, verify.stdout).toBe(0);
  }, 120_000);

  it('outside Actions the verified actor is never $GITHUB_ACTOR (the OS user when no repository names a git identity)', async () => {
    const w = await world(0);
    const trail = await AuditTrail.open({ root: w.writer, key: w.key, identity: { actor: 'root-on-laptop' } });
    const r = await trail.append({ actor: 'alice', action: 'deploy', environment: 'dev', outcome: 'success' });
    expect(r.record).toMatchObject({ actor: 'root-on-laptop', claimedActor: 'alice' });
    expect(r.record!.run).toBeUndefined();
    const { runnerIdentity } = await import('../../tools/lib/audit/identity.js');
    const { userInfo } = await import('node:os');
    expect(runnerIdentity({ GITHUB_ACTOR: 'alice' })).toEqual({ actor: userInfo().username });
    expect(runnerIdentity({ GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'alice', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '5' })).toEqual({ actor: 'alice', run: 'https://github.com/o/r/actions/runs/5' });
  }, 60_000);

  it('a writer of a signed trail without the key, or with an unlisted one, records nothing (exit 2)', async () => {
    const w = await world(1);
    const tip = git(w.remote, 'rev-parse', 'mnops/audit').trim();
    const noKey = await mnops(['audit', 'append', '--root', w.writer, '--action', 'deploy', '--env', 'dev', '--outcome', 'success'], { env: { MNOPS_AUDIT_KEY: undefined } });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toMatch(/the audit trail is signed \(signers ci in ecosystem\/governance\/settings.yaml at origin\/HEAD \([0-9a-f]{12}\)\) but MNOPS_AUDIT_KEY is not set: nothing was recorded/);
    const foreign = await AuditTrail.open({ root: w.writer, key: parseSigningKey(generateSigningKey().privateKey), identity: CI });
    await expect(foreign.append({ actor: 'x', action: 'deploy', environment: 'dev', outcome: 'success' })).rejects.toThrow(/cannot sign this deploy record: it is not a listed audit signer in ecosystem\/governance\/settings.yaml at origin\/HEAD .*nothing was recorded/);
    const garbage = await mnops(['audit', 'append', '--root', w.writer, '--action', 'deploy', '--env', 'dev', '--outcome', 'success'], { env: { MNOPS_AUDIT_KEY: 'not-a-key' } });
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).toContain('MNOPS_AUDIT_KEY is not a private key (base64 PKCS#8 DER or PEM)');
    expect(git(w.remote, 'rev-parse', 'mnops/audit').trim()).toBe(tip);
  }, 60_000);

  it('a record appended by hand with a valid hash chain but without the key is flagged unsigned (exit 1, one line)', async () => {
    const w = await world(3);
    const reader = w.clone('reader');
    const a = attackerClone(w);
    const last = w.records.at(-1)!;
    const forged = sealRecord({ id: 'forged', actor: 'alice', action: 'promote', environment: 'prod', platform: 'checkout', outcome: 'success', reason: 'approved' }, last.seq + 1, last.hash);
    const [commit] = await commitRecords(a, git(a, 'rev-parse', 'HEAD').trim(), [forged], w.records);
    git(a, 'push', '-q', 'origin', `${commit}:refs/heads/mnops/audit`, `${commit}:refs/tags/mnops-audit/4`);

    const r = await mnops(['audit', 'verify', '--root', reader]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('✖ '));
    expect(lines).toEqual([
      expect.stringMatching(/^✖ unsigned +record #4 \(forged, promote prod by alice\) in commit [0-9a-f]{12} is not signed: every record from #1 on must be signed by a signer listed in ecosystem\/governance\/settings.yaml at origin\/HEAD/),
      '✖ 1 break in 4 records',
    ]);
  }, 60_000);

  it('a record signed by a key the default branch does not list is flagged, even when another branch lists it', async () => {
    const w = await world(3);
    const reader = w.clone('reader');
    const a = attackerClone(w);
    const mine = generateSigningKey();
    // The attacker lists their key on a branch of their own: only the default branch counts.
    const branch = `${w.base}/branch`;
    git(w.base, 'clone', '-q', w.remote, branch);
    git(branch, 'checkout', '-q', '-b', 'add-my-key');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${branch}/${SETTINGS}`, settingsYaml([{ name: 'mallory', publicKey: mine.publicKey }]));
    git(branch, 'commit', '-qam', 'trust me');
    git(branch, 'push', '-q', 'origin', 'add-my-key');

    const last = w.records.at(-1)!;
    const forged = sealRecord({ id: 'forged', actor: 'alice', action: 'promote', environment: 'prod', outcome: 'success' }, last.seq + 1, last.hash, { key: parseSigningKey(mine.privateKey) });
    const [commit] = await commitRecords(a, git(a, 'rev-parse', 'HEAD').trim(), [forged], w.records);
    git(a, 'push', '-q', 'origin', `${commit}:refs/heads/mnops/audit`);

    const report = await verifyTrail(await AuditTrail.open({ root: reader }));
    expect(kinds(report)).toEqual([['unknown-key', 4]]);
    expect(report.breaks[0]!.message).toContain(`is signed by key ${mine.keyId}, which ecosystem/governance/settings.yaml at origin/HEAD`);
  }, 60_000);

  it('a signed record changed afterwards (its hash recomputed) fails its signature', async () => {
    const w = await world(3);
    const a = attackerClone(w);
    const tampered = rechain({ ...w.records[2]!, outcome: 'failure' }, w.records[1]);
    const commits = await commitRecords(a, git(a, 'rev-parse', 'HEAD~1').trim(), [tampered], w.records.slice(0, 2));
    git(a, 'push', '-q', '--force', 'origin', `${commits[0]}:refs/heads/mnops/audit`);
    const report = await verifyTrail(await AuditTrail.open({ root: w.clone('reader') }));
    expect(report.breaks.find((b) => b.kind === 'bad-signature')).toMatchObject({ seq: 3, recordId: 'r3' });
    expect(report.breaks.find((b) => b.kind === 'bad-signature')!.message).toMatch(/its signature by ci \(key [0-9a-f]{16}\) does not match its content/);
  }, 60_000);

  it('a key listed for some actions, or up to a seq, signs nothing else', async () => {
    const scoped = generateSigningKey();
    const w = await world(1, (ci) => settingsYaml([{ name: 'ci', publicKey: ci, until: 2 }]).replace('    signers:\n', `    signers:\n      - name: drift-check\n        publicKey: ${scoped.publicKey}\n        actions: [drift-detected, drift-cleared]\n`));
    const drift = await AuditTrail.open({ root: w.writer, key: parseSigningKey(scoped.privateKey), identity: CI });
    await expect(drift.append({ actor: 'x', action: 'promote', environment: 'prod', outcome: 'success' })).rejects.toThrow(/cannot sign this promote record: drift-check may sign only drift-detected, drift-cleared/);
    await drift.append({ id: 'd2', actor: 'x', action: 'drift-detected', environment: 'prod', outcome: 'detected' });
    // Forged by hand with the drift key: a promote it may not sign; and #4 by ci, retired after #2.
    const a = attackerClone(w);
    const last = (await (await AuditTrail.open({ root: a })).head())!;
    const promote = sealRecord({ id: 'p3', actor: 'alice', action: 'promote', environment: 'prod', outcome: 'success' }, last.seq + 1, last.hash, { key: parseSigningKey(scoped.privateKey) });
    const late = sealRecord({ id: 'c4', actor: 'ci', action: 'deploy', environment: 'dev', outcome: 'success' }, promote.seq + 1, promote.hash, { key: w.key });
    const commits = await commitRecords(a, git(a, 'rev-parse', 'HEAD').trim(), [promote, late], [w.records[0]!, last]);
    git(a, 'push', '-q', 'origin', `${commits.at(-1)}:refs/heads/mnops/audit`);
    const report = await verifyTrail(await AuditTrail.open({ root: w.clone('reader') }));
    expect(report.breaks.map((b) => [b.kind, b.seq, b.message.replace(/^.*, but /, '')])).toEqual([
      ['unknown-key', 3, expect.stringMatching(/^drift-check may sign only drift-detected, drift-cleared \(ecosystem/)],
      ['unknown-key', 4, expect.stringMatching(/^ci may sign only up to #2 \(the key was retired\)/)],
    ]);
  }, 60_000);

  it('records before a declared signedFrom are grandfathered; from it on, each must be signed', async () => {
    const w = await world(0, () => settingsYaml([]));
    const unsigned = await AuditTrail.open({ root: w.writer, key: null, identity: CI });
    for (const id of ['old-1', 'old-2']) await unsigned.append({ id, actor: 'ci-runner', action: 'deploy', environment: 'dev', outcome: 'success' });
    // The signers arrive on the default branch later, grandfathering #1 and #2.
    const seed = `${w.base}/seed`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${seed}/${SETTINGS}`, settingsYaml([{ name: 'ci', publicKey: w.key.publicKey }], 3));
    git(seed, 'commit', '-qam', 'sign the trail from #3');
    git(seed, 'push', '-q', w.remote, 'main');
    git(w.writer, 'fetch', '-q', 'origin');
    const signed = await AuditTrail.open({ root: w.writer, key: w.key, identity: CI });
    await signed.append({ id: 'new-3', actor: 'ci-runner', action: 'deploy', environment: 'dev', outcome: 'success' });
    const reader = w.clone('reader');
    const ok = await verifyTrail(await AuditTrail.open({ root: reader }));
    expect(ok.breaks).toEqual([]);
    expect(ok.signatures).toMatchObject({ governed: true, signedFrom: 3, signed: 1 });

    // Without the grandfathering the same trail claims to be governed and is not.
    writeFileSync(`${seed}/${SETTINGS}`, settingsYaml([{ name: 'ci', publicKey: w.key.publicKey }]));
    git(seed, 'commit', '-qam', 'sign everything');
    git(seed, 'push', '-q', w.remote, 'main');
    git(reader, 'fetch', '-q', 'origin');
    expect(kinds(await verifyTrail(await AuditTrail.open({ root: reader }), { witness: false }))).toEqual([
      ['unsigned', 1],
      ['unsigned', 2],
    ]);
  }, 60_000);
});

describe('the rewrite: an actor relabelled, the chain re-hashed, the branch force-pushed, the checkpoint tags moved', () => {
  /** Relabels record #3's actor, re-hashes #3 onward and force-pushes branch and tags. */
  async function rewrite(w: World, options: { resign?: SigningKey } = {}): Promise<void> {
    const a = attackerClone(w);
    const out: AuditRecord[] = [];
    for (const r of w.records) {
      const changed = r.seq === 3 ? { ...r, actor: 'bob' } : r;
      let next = rechain(changed, out.at(-1));
      if (options.resign) {
        const { seq: _s, prev: _p, hash: _h, signature: _g, ...entry } = changed;
        next = sealRecord(entry, next.seq, next.prev, { key: options.resign });
      }
      out.push(next);
    }
    const commits = await commitRecords(a, undefined, out, []);
    git(a, 'push', '-q', '--force', 'origin', `${commits.at(-1)}:refs/heads/mnops/audit`, ...commits.map((c, i) => `+${c}:refs/tags/mnops-audit/${i + 1}`));
  }

  it('a clone that verified before reports the rewrite from its witness, and keeps its own checkpoints', async () => {
    const w = await world(5);
    const reader = w.clone('reader');
    const first = await mnops(['audit', 'verify', '--root', reader]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const tagBefore = git(reader, 'rev-parse', 'refs/tags/mnops-audit/3').trim();

    await rewrite(w);
    const r = await mnops(['audit', 'verify', '--root', reader]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✖ rewritten +the audit trail was rewritten: this clone verified record #5 as [0-9a-f]{12} on \S+, the trail's #5 is now [0-9a-f]{12} \(r5, deploy dev by ci-runner\) — its history was replaced \(force-pushed\)/);
    expect(r.stdout).toMatch(/✖ checkpoint-moved +checkpoint #3 was moved on the remote: this clone holds commit [0-9a-f]{12}, the remote now names [0-9a-f]{12}/);
    expect(r.stdout).toMatch(/✖ bad-signature +record #3 \(r3, promote prod by bob\)/);
    // The fetch never replaced what this clone had.
    expect(git(reader, 'rev-parse', 'refs/tags/mnops-audit/3').trim()).toBe(tagBefore);
    // Nor does a failed verify move the witness: it fails again.
    expect((await mnops(['audit', 'verify', '--root', reader])).status).toBe(1);
  }, 120_000);

  it('a fresh clone, with no witness and the moved tags, still catches it through the signatures', async () => {
    const w = await world(5);
    await rewrite(w);
    const report = await verifyTrail(await AuditTrail.open({ root: w.clone('fresh') }));
    expect(kinds(report)).toEqual([
      ['bad-signature', 3],
      ['bad-signature', 4],
      ['bad-signature', 5],
    ]);
    // Re-signing needs a listed key: an attacker's own is unknown.
    const again = await world(5);
    await rewrite(again, { resign: parseSigningKey(generateSigningKey().privateKey) });
    expect(kinds(await verifyTrail(await AuditTrail.open({ root: again.clone('fresh') })))).toEqual([
      ['unknown-key', 1],
      ['unknown-key', 2],
      ['unknown-key', 3],
      ['unknown-key', 4],
      ['unknown-key', 5],
    ]);
  }, 120_000);

  it('without signers, a consistent rewrite is still caught by a clone that verified before', async () => {
    const w = await world(5, () => settingsYaml([]));
    const reader = w.clone('reader');
    expect((await verifyTrail(await AuditTrail.open({ root: reader }))).breaks).toEqual([]);
    await rewrite(w);
    const report = await verifyTrail(await AuditTrail.open({ root: reader }));
    expect(kinds(report)).toEqual([
      ['checkpoint-moved', 1],
      ['checkpoint-moved', 2],
      ['checkpoint-moved', 3],
      ['changed', 3],
      ['checkpoint-moved', 4],
      ['checkpoint-moved', 5],
      ['rewritten', 5],
    ]);
    // Even after the clone's own tags were force-fetched (git fetch --tags --force), so that
    // checkpoints and chain agree again, the witness in the git directory still says it.
    git(reader, 'fetch', '-q', '--force', 'origin', '+refs/tags/*:refs/tags/*');
    const after = await verifyTrail(await AuditTrail.open({ root: reader }));
    expect(kinds(after)).toEqual([['rewritten', 5]]);
    expect(after.breaks[0]!.message).toMatch(/^the audit trail was rewritten: this clone verified record #5 as [0-9a-f]{12} on .*, the trail's #5 is now [0-9a-f]{12} \(r5, deploy dev by ci-runner\)/);
  }, 120_000);
});
