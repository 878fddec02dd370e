// Copying an environment the way people do (`cp -r dev customer-globex`): the errors land on
// the copy, a validate scoped to either folder is not green while the copy breaks the
// repository, and a finding a prod tier causes points at the tier that caused it.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit, git, lineOf, mnops } from '../helpers/repo.js';
import { exampleRepos } from '../helpers/example-repos.js';

const repo = exampleRepos({ git: true });

const DEV = 'ecosystem/platform-cloud/dev';
const COPY = 'ecosystem/platform-cloud/customer-globex';

interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
  message: string;
  hint?: string;
}
async function findings(root: string, ...args: string[]): Promise<{ status: number | null; found: JsonFinding[] }> {
  const r = await mnops(['validate', '--root', root, '--format', 'json', ...args]);
  return { status: r.status, found: (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings };
}
const where = (fs: JsonFinding[]) => fs.map((f) => `${f.file}:${f.line} ${f.ruleId}`);

function copyDev(root: string): void {
  cpSync(path.join(root, DEV), path.join(root, COPY), { recursive: true });
}

describe('a name defined twice is reported on the copy, naming the original', () => {
  it('cp -r of an environment: on the uncommitted copy, never on the untouched original', async () => {
    const root = repo();
    copyDev(root);
    const r = await mnops(['validate', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      `${COPY}/environment.yaml\n  5:3  error  manifest.duplicate  Environment/dev is defined twice: the other definition is at ${DEV}/environment.yaml:5 (this one is reported: its file is not committed yet)`,
    );
    expect(r.stdout).toContain('→ rename this copy (mnops new environment NAME --from ENV writes one with every name rewritten), or remove it');
    const { found } = await findings(root);
    expect(where(found)).toEqual([`${COPY}/environment.yaml:5 manifest.duplicate`, `${COPY}/platform.yaml:5 manifest.duplicate`]);
    expect(found[1]!.message).toBe(`a second PlatformInstance for environment "dev": the other is at ${DEV}/platform.yaml:5 (this one is reported: its file is not committed yet)`);
  });

  it('once committed, by the folder its name calls for; in a change under review, on the file the change touches', async () => {
    const root = repo();
    copyDev(root);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'copy dev');
    const full = await findings(root);
    expect(where(full.found)).toEqual([`${COPY}/environment.yaml:5 manifest.duplicate`, `${COPY}/platform.yaml:5 manifest.duplicate`]);
    expect(full.found[0]!.message).toContain('(this one is reported: its file is not in the folder its name calls for)');
    const pr = await findings(root, '--changed-since', 'HEAD~1');
    expect(where(pr.found)).toEqual([`${COPY}/environment.yaml:5 manifest.duplicate`, `${COPY}/platform.yaml:5 manifest.duplicate`]);
    expect(pr.found[0]!.message).toContain('(this one is reported: the change under review touches it)');
  });

  it('when nothing tells them apart, the later in path order', async () => {
    const root = repo();
    const original = 'ecosystem/platform-templates/batch-worker.yaml';
    const copy = 'ecosystem/ecosystem-cloud/platform-templates/batch-worker.yaml';
    writeFileSync(path.join(root, copy), readFileSync(path.join(root, original)));
    // Uncommitted, the copy is the newer one though it comes first in path order.
    const before = await findings(root);
    expect(where(before.found)).toEqual([`${copy}:${lineOf(root, copy, 'name: batch-worker')} manifest.duplicate`]);
    expect(before.found[0]!.message).toContain(`the other definition is at ${original}:`);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'copy a template');
    const after = await findings(root);
    expect(where(after.found)).toEqual([`${original}:${lineOf(root, original, 'name: batch-worker')} manifest.duplicate`]);
    expect(after.found[0]!.message).toContain(`the other definition is at ${copy}:`);
    expect(after.found[0]!.message).toContain('(this one is reported: it comes later in path order)');
  });
});

describe('a path-scoped validate reports the errors the scoped files cause elsewhere', () => {
  it('is not green on a copy that breaks the repository, nor on its original', async () => {
    const root = repo();
    copyDev(root);
    const onCopy = await mnops(['validate', '--root', root, path.join(root, COPY)]);
    expect(onCopy.stdout).not.toContain('no problems');
    expect(onCopy.status).toBe(1);
    // Scoped to the original: the clash is reported where it is, in the copy.
    const onOriginal = await findings(root, path.join(root, DEV));
    expect(onOriginal.status).toBe(1);
    expect(where(onOriginal.found)).toEqual([`${COPY}/environment.yaml:5 manifest.duplicate`, `${COPY}/platform.yaml:5 manifest.duplicate`]);
  });

  it('reports references elsewhere that a rename in the scoped file breaks', async () => {
    const root = repo();
    const file = 'ecosystem/platform-cloud/staging/environment.yaml';
    edit(root, file, /^ {2}name: staging$/m, '  name: stage');
    const { status, found } = await findings(root, path.join(root, file));
    expect(status).toBe(1);
    const prod = 'ecosystem/platform-cloud/prod/environment.yaml';
    expect(where(found)).toContain(`${prod}:${lineOf(root, prod, 'from: staging')} ref.unknown`);
    expect(where(found)).toContain(`ecosystem/platform-cloud/staging/platform.yaml:${lineOf(root, 'ecosystem/platform-cloud/staging/platform.yaml', 'environment: staging')} ref.unknown`);
    expect(found.find((f) => f.file === prod)!.message).toBe('environment "staging" does not exist');
  });

  it('still leaves out errors elsewhere the scoped files have nothing to do with', async () => {
    const root = repo();
    copyDev(root);
    // And a policy error of another environment: never in the structural builds, never "caused".
    edit(root, 'ecosystem/platform-cloud/prod/environment.yaml', 'readOnlyRootfs: true', 'readOnlyRootfs: false');
    const { status, found } = await findings(root, path.join(root, 'ecosystem/platform-cloud/customer-acme'));
    expect(found).toEqual([]);
    expect(status).toBe(0);
  });
});

describe('a finding the tier causes points at the tier', () => {
  it("a prod copy of dev: network.open-in-prod lands on the copy's tier line, naming the catalog line that sets allow-all", async () => {
    const root = repo();
    const r = await mnops(['new', 'environment', 'customer-globex', '--from', 'dev', '--tier', 'prod', '--root', root]);
    expect(r.status).toBe(0);
    const catalog = 'platforms/semantic-platform/platform.yaml';
    const { status, found } = await findings(root);
    expect(status).toBe(1);
    expect(where(found)).toEqual([`${COPY}/environment.yaml:${lineOf(root, `${COPY}/environment.yaml`, 'tier: prod')} network.open-in-prod`]);
    expect(found[0]!.message).toBe(
      `semantic-platform uses network policy allow-all in prod tier environment customer-globex (the value is set at ${catalog}:${lineOf(root, catalog, 'policy: allow-all')}, shared with other environments)`,
    );
    // A path-scoped validate of the copy shows it too.
    expect(where((await findings(root, path.join(root, COPY))).found)).toEqual(where(found));
  });
});
