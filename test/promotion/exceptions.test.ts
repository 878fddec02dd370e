// exception-used on the real engine: a platform whose memory is over the dev ceiling runs in one
// environment only because a PolicyException waives that finding there. Every apply, deploy and
// heal of it there records the exception (rule, name, expiry) beside what it did; the same
// platform in an environment where nothing is waived records none.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edit, git, mnops, removeDir } from '../helpers/repo.js';
import { PLATFORM, containersOf, docker, ensureImages, instanceFile, uniqueName, writeRepo } from './world.js';

const covered = uniqueName('xc');
const plain = uniqueName('xp');
// Real time: deploy and apply judge exceptions by the clock, and its expiry must be near it.
const EXPIRES = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const EXCEPTION = 'demo-memory-over-dev-ceiling';
let root = '';

interface Rec {
  action: string;
  outcome: string;
  environment: string;
  platform?: string;
  toVersion?: string;
  commit?: string;
  reason?: string;
  exception?: { name: string; rule: string; expires: string };
}

const cli = (args: string[]) => mnops([...args, '--root', root], { env: { MNOPS_NOW: undefined, GITHUB_ACTOR: 'alice' } });

async function records(env: string): Promise<Rec[]> {
  const r = await cli(['audit', 'log', '--env', env, '--format', 'json']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Rec[]).reverse();
}
const used = async (env: string) => (await records(env)).filter((r) => r.action === 'exception-used');

beforeAll(() => {
  ensureImages();
  root = writeRepo([
    { name: covered, version: '1.0.0' },
    { name: plain, version: '1.0.0' },
  ]);
  // Over the default dev ceiling of 4096 MB everywhere, except where the instance lowers it.
  edit(root, `platforms/${PLATFORM}/platform.yaml`, 'memoryMb: 64', 'memoryMb: 4200');
  edit(root, instanceFile(plain), '# pinned by the test\n', '# pinned by the test\n      resources:\n        memoryMb: 64\n');
  mkdirSync(path.join(root, 'ecosystem/governance/exceptions'), { recursive: true });
  writeFileSync(
    path.join(root, `ecosystem/governance/exceptions/${EXCEPTION}.yaml`),
    `apiVersion: mnops/v1\nkind: PolicyException\nmetadata:\n  name: ${EXCEPTION}\nspec:\n  rule: resources.ceiling\n  target:\n    kind: Platform\n    name: ${PLATFORM}\n    environment: ${covered}\n  reason: the test needs a waiver in force\n  approvedBy: team-demo\n  expires: ${EXPIRES}\n`,
  );
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'memory over the dev ceiling, waived in one environment');
});

afterAll(async () => {
  if (!root) return;
  for (const env of [covered, plain]) expect((await cli(['teardown', '--env', env])).status).toBe(0);
  removeDir(root);
  expect([...containersOf(covered), ...containersOf(plain)]).toEqual([]);
});

describe('exception-used', () => {
  it('apply and deploy record the exception in force, with its rule, name and expiry; where none is, none', async () => {
    for (const env of [covered, plain]) {
      const a = await cli(['apply', '--env', env, '--timeout', '30']);
      expect(a.status, a.stdout + a.stderr).toBe(0);
    }
    const exception = { name: EXCEPTION, rule: 'resources.ceiling', expires: EXPIRES };
    expect(await used(covered)).toEqual([expect.objectContaining({ outcome: 'success', platform: PLATFORM, toVersion: '1.0.0', exception })]);

    const d = await cli(['deploy', PLATFORM, '--to', covered, '--version', '1.1.0', '--timeout', '30']);
    expect(d.status, d.stdout + d.stderr).toBe(0);
    const trail = await records(covered);
    const promote = trail.find((r) => r.action === 'promote' && r.outcome === 'success')!;
    const afterPromote = trail.slice(trail.indexOf(promote) + 1).filter((r) => r.action === 'exception-used');
    expect(afterPromote).toEqual([expect.objectContaining({ platform: PLATFORM, toVersion: '1.1.0', commit: promote.commit, exception })]);
    expect(afterPromote[0]!.reason).toBe(`resources.ceiling waived by exception ${EXCEPTION} until ${EXPIRES}`);

    const p = await cli(['deploy', PLATFORM, '--to', plain, '--version', '1.1.0', '--timeout', '30']);
    expect(p.status, p.stdout + p.stderr).toBe(0);
    expect((await records(plain)).some((r) => r.action === 'promote' && r.outcome === 'success')).toBe(true);
    expect(await used(plain)).toEqual([]);
    expect((await cli(['audit', 'verify'])).status).toBe(0);
  }, 240_000);

  it('a heal records it too', async () => {
    const before = (await used(covered)).length;
    docker('update', '--memory', '32m', containersOf(covered)[0]!);
    const h = await cli(['drift', '--env', covered, '--heal', '--timeout', '30']);
    expect(h.status, h.stdout + h.stderr).toBe(0);
    const heal = (await records(covered)).filter((r) => r.action === 'heal');
    expect(heal.at(-1)).toMatchObject({ outcome: 'success', platform: PLATFORM });
    const now = await used(covered);
    expect(now.slice(before)).toEqual([expect.objectContaining({ platform: PLATFORM, toVersion: '1.1.0', exception: { name: EXCEPTION, rule: 'resources.ceiling', expires: EXPIRES } })]);
  }, 120_000);
});
