// `mnops validate <paths>`: the report is limited to the files under the paths, the
// environments they hold, and the errors those files cause elsewhere — found by building the
// repository without them and with them as last committed. In process, on real git.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PHASES } from '../../tools/lib/ecosystem-load/phases.js';
import { RepoError } from '../../tools/lib/repo/errors.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { exampleRepos } from '../helpers/example-repos.js';
import { commitNewRepo, edit, FIXED_NOW, git } from '../helpers/repo.js';
import { BASE, doc, removeWorlds, writeFiles, writeWorld } from '../registry/world.js';

afterAll(removeWorlds);

/** The base world, committed, then `changes` written over it in the working tree. */
function repo(changes: Record<string, string>): string {
  const root = commitNewRepo(writeWorld({}), BASE, 'base');
  writeFiles(root, changes);
  return root;
}

const shown = async (root: string, paths: string[]) =>
  (await validate({ root, paths: paths.map((p) => path.join(root, p)), policies: false, cacheDir: false })).report.findings.map((f) => `${f.file}:${f.line} ${f.ruleId}`);

const API = 'platforms/api-platform/platform.yaml';
const WORKER = 'platforms/worker-platform/platform.yaml';
const DB = 'platforms/db-platform/platform.yaml';
const brokenWorker = doc('Platform', 'worker-platform', ['owner: team-a', 'namespace: ops', 'version: 0.3.0', 'extends: batch', 'replicas: two']);

describe('validate with paths', () => {
  it('reports the problems of the files under the paths and no others', async () => {
    const root = repo({
      [API]: BASE[API]!.replace('  - db-platform', '  - nope-platform'),
      [WORKER]: brokenWorker,
    });
    expect(await shown(root, ['platforms/api-platform'])).toEqual([`${API}:15 ref.unknown`]);
    expect(await shown(root, ['platforms/worker-platform/platform.yaml'])).toEqual([`${WORKER}:10 schema.invalid`]);
    expect((await shown(root, ['platforms'])).sort()).toEqual([`${API}:15 ref.unknown`, `${WORKER}:10 schema.invalid`]);
  });

  it('adds the error a renamed platform causes where it is still named, but not an error there of its own', async () => {
    // db-platform renamed in the working tree: api-platform's dependsOn no longer resolves.
    const root = repo({ [DB]: BASE[DB]!.replace('name: db-platform', 'name: db2-platform'), [WORKER]: brokenWorker });
    // Every file that still names it: the platform that depends on it, the instances that run it.
    expect(await shown(root, ['platforms/db-platform'])).toEqual([
      'ecosystem/platform-cloud/dev/platform.yaml:8 ref.unknown',
      'ecosystem/platform-cloud/prod/platform.yaml:8 ref.unknown',
      'ecosystem/platform-cloud/staging/platform.yaml:8 ref.unknown',
      `${API}:15 ref.unknown`,
    ]);
  });

  it('a copy of a platform: reported on the copy, and in the report of the original too, which takes part', async () => {
    const root = repo({});
    const copy = 'platforms/copy-platform/platform.yaml';
    // The copy is a new, untracked file: git says which of the two came first.
    writeFiles(root, { [copy]: BASE[DB]! });
    expect(await shown(root, ['platforms/copy-platform'])).toEqual([`${copy}:4 manifest.duplicate`]);
    expect(await shown(root, ['platforms/db-platform'])).toEqual([`${copy}:4 manifest.duplicate`]);
    // A platform that has nothing to do with it is not answerable for it.
    expect(await shown(root, ['platforms/lone-platform'])).toEqual([]);
  });

  it('an environment directory brings the findings about that environment', async () => {
    const root = repo({ 'ecosystem/platform-cloud/dev/platform.yaml': BASE['ecosystem/platform-cloud/dev/platform.yaml']!.replace('version: 1.2.0', 'version: 9.9.9') });
    const dev = await shown(root, ['ecosystem/platform-cloud/dev']);
    expect(dev.length).toBeGreaterThan(0);
    expect(dev.every((f) => f.startsWith('ecosystem/platform-cloud/dev/'))).toBe(true);
    expect(await shown(root, ['ecosystem/platform-cloud/prod'])).toEqual([]);
  });

  it('says how long the run took and where: every phase it went through, in the phase list', async () => {
    const root = repo({});
    const { stats } = await validate({ root, cacheDir: false, now: new Date('2026-06-01T00:00:00Z') });
    const phases = Object.keys(stats.phases);
    for (const p of ['discover', 'read', 'parse', 'index', 'references', 'resolve', 'input', 'evaluate', 'report']) expect(phases, p).toContain(p);
    expect(phases.every((p) => (PHASES as readonly string[]).includes(p))).toBe(true);
    expect(Object.values(stats.phases).every((ms) => ms >= 0 && ms < 60_000)).toBe(true);
    expect(stats.ms).toBeGreaterThan(0);
    expect(stats.ms).toBeLessThan(60_000);
  });

  it('refuses a path outside the repository', async () => {
    const root = repo({});
    await expect(validate({ root, paths: [path.dirname(root)], policies: false, cacheDir: false })).rejects.toThrow(RepoError);
    await expect(validate({ root, paths: [path.dirname(root)], policies: false, cacheDir: false })).rejects.toMatchObject({
      message: `${path.dirname(root)} is outside the repository root ${root}`,
      hint: 'pass paths inside the repository, or a different --root',
    });
  });

  it('several paths report each one’s files; the root itself reports everything', async () => {
    const root = repo({ [API]: BASE[API]!.replace('  - db-platform', '  - nope-platform'), [WORKER]: brokenWorker });
    expect(await shown(root, ['platforms/api-platform', 'platforms/worker-platform'])).toEqual([`${API}:15 ref.unknown`, `${WORKER}:10 schema.invalid`]);
    expect(await shown(root, [''])).toEqual([`${API}:15 ref.unknown`, `${WORKER}:10 schema.invalid`]);
    const { waived } = await validate({ root, paths: [root], policies: false, cacheDir: false });
    expect(waived).toEqual([]);
  });

  it('outside git, or before the first commit, what a file causes elsewhere is found from the repository without it', async () => {
    const copy = 'platforms/copy-platform/platform.yaml';
    const files = { ...BASE, [copy]: BASE[DB]! };
    const plain = writeWorld(files);
    const unborn = writeWorld(files);
    git(unborn, 'init', '-q', '-b', 'main');
    git(unborn, 'add', '-A');
    for (const root of [plain, unborn]) {
      expect(await shown(root, ['platforms/db-platform'])).toEqual([`${copy}:4 manifest.duplicate`]);
      expect(await shown(root, ['platforms/lone-platform'])).toEqual([]);
    }
  });
});

describe('validate with paths, judged by the policies', () => {
  const gitRepo = exampleRepos({ git: true });
  it('an environment’s folder brings the policy findings about that environment from files elsewhere; another platform’s folder brings none of them', async () => {
    const root = gitRepo();
    const GOV = 'platforms/governance-platform/platform.yaml';
    edit(root, GOV, /memoryMb: \d+/, 'memoryMb: 999999');
    const run = async (p: string) => (await validate({ root, paths: [path.join(root, p)], cacheDir: false, now: new Date(FIXED_NOW) })).report.findings;
    const everywhere = (await validate({ root, cacheDir: false, now: new Date(FIXED_NOW) })).report.findings.filter((f) => f.ruleId === 'resources.ceiling' && f.file === GOV);
    expect(new Set(everywhere.map((f) => f.environment))).toEqual(new Set(['dev', 'staging', 'prod', 'sandbox-feature-x']));
    const dev = (await run('ecosystem/platform-cloud/dev')).filter((f) => f.file === GOV);
    expect(dev.length).toBeGreaterThan(0);
    expect(dev.every((f) => f.environment === 'dev')).toBe(true);
    expect((await run('platforms/data-platform')).filter((f) => f.file === GOV)).toEqual([]);
    expect((await run('platforms/governance-platform')).filter((f) => f.ruleId === 'resources.ceiling')).toHaveLength(everywhere.length);
  }, 60_000);
});
