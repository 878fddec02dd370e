// audit verify against a remote (a bare repository): it says which ref and commit it
// verified, and a local audit branch cut back behind the remote one fails instead of passing
// on the strength of the remote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, mnops, removeDir, tempDir } from '../helpers/repo.js';

let base = '';
let clone = '';
const cli = (args: string[]) => mnops([...args, '--root', clone], { env: { MNOPS_AUDIT_REMOTE: undefined, MNOPS_AUDIT_BRANCH: undefined } });
const tipOf = (ref: string) => git(clone, 'rev-parse', ref).trim();

beforeAll(async () => {
  base = tempDir('mnops-verify-remote-');
  git(base, 'init', '-q', '--bare', `${base}/remote.git`);
  git(base, 'clone', '-q', `${base}/remote.git`, `${base}/clone`);
  clone = `${base}/clone`;
  for (const env of ['dev', 'staging']) {
    const r = await cli(['audit', 'append', '--action', 'promote', '--env', env, '--outcome', 'success']);
    expect(r.status, r.stderr).toBe(0);
  }
}, 60_000);
afterAll(() => removeDir(base));

describe('mnops audit verify with a remote', () => {
  it('--help describes --remote as where the trail is read from and pushed to', async () => {
    const help = (await mnops(['audit', 'verify', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--remote <name> remote whose audit branch is the trail: fetched before reading and verifying, pushed to after writing');
    expect(help).not.toContain('remote to publish to');
  });

  it('names the remote ref and commit it verified, and that the local branch matches', async () => {
    const r = await cli(['audit', 'verify']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const tip = tipOf('refs/remotes/origin/mnops/audit');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([`verified origin/mnops/audit at ${tip.slice(0, 12)}, up to #2`, '  the local branch mnops/audit is the same commit']);
    const json = JSON.parse((await cli(['audit', 'verify', '--format', 'json'])).stdout) as { verified: unknown; local: unknown };
    expect(json.verified).toEqual({ ref: 'origin/mnops/audit', commit: tip, seq: 2 });
    expect(json.local).toMatchObject({ ref: 'mnops/audit', commit: tip, state: 'same' });
  });

  it('a local branch cut back behind the remote fails (exit 1), naming what it lacks and what it was verified against', async () => {
    const tip = tipOf('refs/remotes/origin/mnops/audit');
    const first = tipOf('refs/heads/mnops/audit~1');
    git(clone, 'update-ref', 'refs/heads/mnops/audit', first);
    try {
      const r = await cli(['audit', 'verify']);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`verified origin/mnops/audit at ${tip.slice(0, 12)}, up to #2\n`);
      expect(r.stdout).toContain(
        `✖ local-behind     the local branch mnops/audit (${first.slice(0, 12)}, up to #1) is missing record #2 that origin/mnops/audit (${tip.slice(0, 12)}) has — if nobody cut it back on purpose, update it: git fetch origin mnops/audit:mnops/audit`,
      );
    } finally {
      git(clone, 'update-ref', 'refs/heads/mnops/audit', tip);
    }
  });
});
