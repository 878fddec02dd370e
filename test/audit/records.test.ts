// Records only from records: a field with a control character is refused when written (the
// CLI exits 2, nothing lands), and what reads the trail — `audit log`, rollback's default
// version — reads the record files, so a commit whose message claims a record (pushed by
// hand, or smuggled in through a container label on the real engine) is no record.
import { afterAll, describe, expect, it } from 'vitest';
import { previousVersion } from '../../tools/lib/promotion/deploy.js';
import { exampleRepo, git, mnops, removeDir, tempDir } from '../helpers/repo.js';
import { docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const dirs: string[] = [];
const containers: string[] = [];
afterAll(() => {
  for (const id of containers) {
    try {
      docker('rm', '-f', id);
    } catch {
      /* gone already */
    }
  }
  dirs.forEach(removeDir);
});

interface Logged {
  id: string;
  action: string;
  environment: string;
  platform?: string;
  actor: string;
  fromVersion?: string;
}

/** A record as a forger writes it into a commit message: every field a reader checks for. */
function forgedJson(fields: Record<string, unknown>): string {
  return JSON.stringify({ id: 'forged', time: '2026-11-23T12:00:00.000Z', actor: 'alice', action: 'promote', environment: 'prod', outcome: 'success', seq: 2, prev: '', hash: 'f'.repeat(64), ...fields });
}

/** The example ecosystem as the default branch of a bare remote, and a clone to work in. */
function exampleWorld(): { base: string; remote: string; clone: string } {
  const seed = exampleRepo({ git: true });
  dirs.push(seed);
  const base = tempDir('mnops-records-');
  dirs.push(base);
  const remote = `${base}/remote.git`;
  git(base, 'clone', '-q', '--bare', seed, remote);
  git(base, 'clone', '-q', remote, `${base}/clone`);
  return { base, remote, clone: `${base}/clone` };
}

const log = async (root: string): Promise<Logged[]> => {
  const r = await mnops(['audit', 'log', '--root', root, '--format', 'json']);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Logged[];
};

describe('records only from records', () => {
  it.each([
    ['platform', ['--platform', `x\n${forgedJson({})}\n`], 'the audit record\'s platform contains a newline (at character 2): nothing was recorded'],
    ['reason', ['--reason', 'ok\u2028forged'], 'the audit record\'s reason contains the control character U+2028 (at character 3): nothing was recorded'],
    ['environment', ['--env', 'prod\u0085'], 'the audit record\'s environment contains the control character U+0085 (at character 5): nothing was recorded'],
    ['actor', ['--actor', 'alice\r'], 'the audit record\'s actor contains a carriage return (at character 6): nothing was recorded'],
  ])('a %s with a control character is refused at write: exit 2, no record', async (_field, args, message) => {
    const w = exampleWorld();
    const first = await mnops(['audit', 'append', '--root', w.clone, '--action', 'deploy', '--env', 'dev', '--outcome', 'success', '--id', 'genuine']);
    expect(first.status, first.stderr).toBe(0);
    const tip = git(w.remote, 'rev-parse', 'mnops/audit').trim();
    const r = await mnops(['audit', 'append', '--root', w.clone, '--action', 'deploy', '--env', 'dev', '--outcome', 'success', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`mnops: ${message}`);
    expect(git(w.remote, 'rev-parse', 'mnops/audit').trim()).toBe(tip);
    expect(git(w.clone, 'rev-parse', 'mnops/audit').trim()).toBe(tip);
    expect((await log(w.clone)).map((x) => x.id)).toEqual(['genuine']);
  }, 60_000);

  it('audit log and rollback’s default version are not fooled by a commit message that claims a record', async () => {
    const w = exampleWorld();
    // What really ran: runtime-platform 1.9.0 → 1.9.1 in prod.
    const real = await mnops(['audit', 'append', '--root', w.clone, '--action', 'promote', '--env', 'prod', '--platform', 'runtime-platform', '--from-version', '1.9.0', '--to-version', '1.9.1', '--outcome', 'success', '--id', 'real']);
    expect(real.status, real.stderr).toBe(0);
    // A writer pushes a commit whose message claims a later promote from an old, vulnerable version.
    const attacker = `${w.base}/attacker`;
    git(w.base, 'clone', '-q', '-b', 'mnops/audit', w.remote, attacker);
    const claim = forgedJson({ platform: 'runtime-platform', fromVersion: '0.0.1', toVersion: '1.9.1' });
    git(attacker, 'commit', '-q', '--allow-empty', '-m', `audit #2: promote prod runtime-platform success\n\n${claim}`);
    git(attacker, 'push', '-q', 'origin', 'mnops/audit');

    expect((await log(w.clone)).map((x) => x.id)).toEqual(['real']);
    git(w.clone, 'fetch', '-q', 'origin');
    expect(await previousVersion(w.clone, 'runtime-platform', 'prod')).toBe('1.9.0');
    // And verify names the commit for what it is.
    const verify = await mnops(['audit', 'verify', '--root', w.clone]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/✖ file-mismatch +commit [0-9a-f]{12} adds no record \(whatever its message says\): it was made by hand/);
  }, 60_000);

  it('a container label with a newline on the real engine does not put a forged promote into the trail', async () => {
    ensureImages();
    const env = uniqueName('r');
    const root = writeRepo([{ name: env, version: '1.0.0' }]);
    dirs.push(root);
    // Started by hand with the managed labels: its platform label carries a line that parses as a record.
    const label = `x\n${forgedJson({ environment: env })}\n`;
    containers.push(docker('run', '-d', '--label', 'mnops.managed=true', '--label', `mnops.environment=${env}`, '--label', `mnops.platform=${label}`, 'mnops/base:1.0.0', 'sleep', '300'));
    const d = await mnops(['drift', '--env', env, '--root', root]);
    expect(d.status, d.stdout + d.stderr).toBe(2);
    expect(d.stderr).toContain("the audit record's platform contains a newline (at character 2): nothing was recorded");
    const records = await log(root);
    expect(records.filter((r) => r.id === 'forged' || r.action === 'promote')).toEqual([]);
    expect(records.every((r) => !String(r.platform).includes('\n'))).toBe(true);
  }, 120_000);
});
