// mnops init, mnops new platform, mnops new environment: run as a user runs them, on real
// folders; what they write must validate clean, and a refusal must leave nothing behind.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, exampleRepo, FIXED_NOW, git, mnops, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
function fresh(): string {
  const d = tempDir('mnops-init-');
  dirs.push(d);
  return d;
}
function example(): string {
  const d = exampleRepo({ git: true });
  dirs.push(d);
  return d;
}

interface JsonReport {
  summary: { errors: number; warnings: number };
  findings: { ruleId: string; file: string; line: number; message: string }[];
}
async function validateJson(root: string, ...paths: string[]): Promise<{ status: number | null; report: JsonReport }> {
  const r = await mnops(['validate', '--root', root, '--format', 'json', ...paths.map((p) => path.join(root, p))]);
  return { status: r.status, report: JSON.parse(r.stdout) as JsonReport };
}

/** Every path under a folder (files and folders), to prove a refused command wrote nothing. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('mnops init', () => {
  it('scaffolds an ecosystem that validates clean once it is a git repository', async () => {
    const dir = fresh();
    const r = await mnops(['init'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('next: git init && npm install && npx mnops validate');
    for (const file of [
      'README.md',
      'ecosystem/governance/settings.yaml',
      'registry/namespaces.yaml',
      'platforms/example-platform/platform.yaml',
      'ecosystem/platform-cloud/dev/environment.yaml',
      'ecosystem/platform-cloud/staging/platform.yaml',
      'ecosystem/platform-cloud/prod/environment.yaml',
      '.github/workflows/governance.yml',
      '.github/workflows/promotion.yml',
      '.github/workflows/drift.yml',
    ]) {
      expect(existsSync(path.join(dir, file)), file).toBe(true);
    }
    git(dir, 'init', '-q', '-b', 'main');
    const v = await mnops(['validate'], { cwd: dir });
    expect(v.stdout).toMatch(/✔ \d+ manifests, no problems/);
    expect(v.status).toBe(0);
    const { report } = await validateJson(dir);
    expect(report.findings).toEqual([]);
  });

  it('names the platform, namespace and owner it is given', async () => {
    const dir = fresh();
    const r = await mnops(['init', dir, '--platform', 'billing-platform', '--namespace', 'payments', '--owner', 'billing-team']);
    expect(r.status).toBe(0);
    const platform = readFileSync(path.join(dir, 'platforms/billing-platform/platform.yaml'), 'utf8');
    expect(platform).toContain('name: billing-platform');
    expect(platform).toContain('namespace: payments');
    expect(platform).toContain('owner: billing-team');
    expect(readFileSync(path.join(dir, 'ecosystem/platform-cloud/prod/platform.yaml'), 'utf8')).toContain('- name: billing-platform');
    expect((await validateJson(dir)).report.findings).toEqual([]);
  });

  it("gives the ecosystem a project id, from the folder's name or --project, and refuses one that is not valid", async () => {
    const parent = fresh();
    const named = path.join(parent, 'Shop EU_Platforms');
    expect((await mnops(['init', named])).status).toBe(0);
    expect(readFileSync(path.join(named, 'ecosystem/governance/settings.yaml'), 'utf8')).toMatch(/^ {2}project: shop-eu-platforms$/m);
    expect((await validateJson(named)).report.findings).toEqual([]);
    const given = path.join(parent, 'given');
    expect((await mnops(['init', given, '--project', 'billing'])).status).toBe(0);
    expect(readFileSync(path.join(given, 'ecosystem/governance/settings.yaml'), 'utf8')).toMatch(/^ {2}project: billing$/m);
    const bad = await mnops(['init', path.join(parent, 'bad'), '--project', 'Not_Valid']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/project id "Not_Valid" is not valid/);
    expect(existsSync(path.join(parent, 'bad', 'ecosystem')), 'nothing written').toBe(false);
  });

  it('scaffolds into a folder holding other files, and refuses one holding a file it would write, naming it (exit 2, nothing written)', async () => {
    const dir = fresh();
    writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
    expect((await mnops(['init', dir])).status).toBe(0);

    const taken = fresh();
    mkdirSync(path.join(taken, 'registry'));
    writeFileSync(path.join(taken, 'registry/namespaces.yaml'), 'mine\n');
    const before = tree(taken);
    const r = await mnops(['init', '.'], { cwd: taken });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mnops: registry/namespaces.yaml already exists; mnops never overwrites a file');
    expect(tree(taken)).toEqual(before);
    expect(readFileSync(path.join(taken, 'registry/namespaces.yaml'), 'utf8')).toBe('mine\n');

    const onFile = await mnops(['init', 'LICENSE'], { cwd: dir });
    expect(onFile.status).toBe(2);
    expect(onFile.stderr).toContain('mnops: LICENSE is a file, not a folder');
  });

  it('refuses a platform name the naming rule rejects (exit 2)', async () => {
    const dir = fresh();
    const r = await mnops(['init', dir, '--platform', 'billing']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('platform name "billing" does not match');
    expect(tree(dir)).toEqual([]);
  });
});

describe('mnops new platform', () => {
  it('writes a catalog entry with a namespace and an owner that validates clean', async () => {
    const root = example();
    const r = await mnops(['new', 'platform', 'billing-platform', '--namespace', 'data', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('✔ wrote platforms/billing-platform/platform.yaml (namespace data, owner data-team, extends base-service)');
    const text = readFileSync(path.join(root, 'platforms/billing-platform/platform.yaml'), 'utf8');
    expect(text).toMatch(/^kind: Platform$/m);
    expect(text).toMatch(/^ {2}name: billing-platform$/m);
    expect(text).toMatch(/^ {2}owner: data-team$/m);
    expect(text).toMatch(/^ {2}version: 0\.1\.0$/m);
    const { status, report } = await validateJson(root);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
  });

  it('refuses a name that exists, an unknown namespace and an owner the namespace does not list (exit 2, nothing written)', async () => {
    const root = example();
    const before = tree(root);
    const exists = await mnops(['new', 'platform', 'data-platform', '--namespace', 'data', '--root', root]);
    expect(exists.status).toBe(2);
    expect(exists.stderr).toContain('mnops: Platform/data-platform already exists in platforms/data-platform/platform.yaml');
    const ambiguous = await mnops(['new', 'platform', 'billing-platform', '--root', root]);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toContain('which namespace does billing-platform belong to? (data, governance, observability, ops)');
    const typo = await mnops(['new', 'platform', 'billing-platform', '--namespace', 'dta', '--root', root]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('--namespace dta: no namespace of that name\n  did you mean "data"?');
    const owner = await mnops(['new', 'platform', 'billing-platform', '--namespace', 'data', '--owner', 'web-team', '--root', root]);
    expect(owner.status).toBe(2);
    expect(owner.stderr).toContain('--owner web-team is not an owner of namespace data (data-team, ml-team)');
    expect(tree(root)).toEqual(before);
  });
});

describe('mnops new environment', () => {
  it('copies an environment with every name rewritten, and the copy validates clean', async () => {
    const root = example();
    const r = await mnops(['new', 'environment', 'customer-globex', '--from', 'dev', '--tier', 'dev', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('✔ wrote ecosystem/platform-cloud/customer-globex/ (environment.yaml, platform.yaml): dev tier, copied from dev');
    const env = readFileSync(path.join(root, 'ecosystem/platform-cloud/customer-globex/environment.yaml'), 'utf8');
    const inst = readFileSync(path.join(root, 'ecosystem/platform-cloud/customer-globex/platform.yaml'), 'utf8');
    expect(env).toMatch(/^ {2}name: customer-globex$/m);
    expect(env).toMatch(/^ {6}MNOPS_ENV: customer-globex$/m);
    // Comments and layout stay.
    expect(env).toContain('# What the platforms here may read secrets from');
    expect(inst).toMatch(/^ {2}name: customer-globex$/m);
    expect(inst).toMatch(/^ {2}environment: customer-globex$/m);
    expect(`${env}\n${inst}`).not.toMatch(/(name|environment|MNOPS_ENV): dev$/m);
    const { status, report } = await validateJson(root);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);
    expect(readdirSync(path.join(root, 'ecosystem/platform-cloud')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('sets the tier it is given, with a promotion source for a staging or prod copy', async () => {
    const root = example();
    const r = await mnops(['new', 'environment', 'customer-globex', '--from', 'staging', '--tier', 'prod', '--root', root]);
    expect(r.status).toBe(0);
    const env = readFileSync(path.join(root, 'ecosystem/platform-cloud/customer-globex/environment.yaml'), 'utf8');
    expect(env).toMatch(/^ {2}tier: prod$/m);
    expect(env).toMatch(/^ {4}from: dev$/m);
    const { status, report } = await validateJson(root);
    expect(report.findings).toEqual([]);
    expect(status).toBe(0);

    // A dev environment has no promotion source: a staging copy promotes from the original.
    const r2 = await mnops(['new', 'environment', 'qa', '--from', 'dev', '--tier', 'staging', '--root', root]);
    expect(r2.stdout).toContain('staging tier, copied from dev, promotes from dev');
    const qa = readFileSync(path.join(root, 'ecosystem/platform-cloud/qa/environment.yaml'), 'utf8');
    expect(qa).toMatch(/^ {2}promotion:\n {4}from: dev\n/m);
    // An ephemeral environment's ttl does not survive into a dev copy.
    await mnops(['new', 'environment', 'scratch', '--from', 'sandbox-feature-x', '--tier', 'dev', '--root', root]);
    expect(readFileSync(path.join(root, 'ecosystem/platform-cloud/scratch/environment.yaml'), 'utf8')).not.toMatch(/ttl:|createdAt:/);
    expect((await validateJson(root, 'ecosystem/platform-cloud/scratch')).report.findings).toEqual([]);
  });

  it('refuses a name that exists, an unknown source, and a missing --tier off a terminal (exit 2, nothing written)', async () => {
    const root = example();
    const before = tree(root);
    const exists = await mnops(['new', 'environment', 'staging', '--from', 'dev', '--tier', 'staging', '--root', root]);
    expect(exists.status).toBe(2);
    expect(exists.stderr).toContain('mnops: Environment/staging already exists in ecosystem/platform-cloud/staging/environment.yaml');
    const unknown = await mnops(['new', 'environment', 'customer-globex', '--from', 'prdo', '--tier', 'prod', '--root', root]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--from prdo: no environment of that name\n  did you mean "prod"?');
    const noTier = await mnops(['new', 'environment', 'customer-globex', '--from', 'prod', '--root', root]);
    expect(noTier.status).toBe(2);
    expect(noTier.stderr).toContain('mnops: --tier is required when mnops is not run on a terminal\n  pass --tier dev|staging|prod');
    const badTier = await mnops(['new', 'environment', 'customer-globex', '--from', 'prod', '--tier', 'production', '--root', root]);
    expect(badTier.status).toBe(2);
    expect(tree(root)).toEqual(before);
  });

  it('refuses a folder that is in the way, whatever it holds', async () => {
    const root = example();
    mkdirSync(path.join(root, 'ecosystem/platform-cloud/customer-globex'));
    const r = await mnops(['new', 'environment', 'customer-globex', '--from', 'dev', '--tier', 'dev', '--root', root]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mnops: ecosystem/platform-cloud/customer-globex already exists');
    expect(readdirSync(path.join(root, 'ecosystem/platform-cloud/customer-globex'))).toEqual([]);
  });

  it('asks for the tier on a terminal, again after an answer that is not one', async () => {
    const root = example();
    // `script` gives the command a terminal; the answers are typed ahead.
    let hasScript = true;
    try {
      execFileSync('script', ['--version'], { stdio: 'ignore' });
    } catch {
      hasScript = false;
    }
    if (!hasScript) return;
    const cmd = [process.execPath, CLI, 'new', 'environment', 'customer-globex', '--from', 'dev', '--root', root].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, NO_COLOR: '1', MNOPS_NOW: FIXED_NOW }, stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString('utf8')));
      setTimeout(() => child.stdin.write('production\nstaging\n'), 300);
      child.on('close', () => resolve(text));
    });
    expect(out).toContain('Tier of customer-globex (dev, staging, prod):');
    expect(out).toContain('"production" is not a tier: answer dev, staging, prod');
    expect(readFileSync(path.join(root, 'ecosystem/platform-cloud/customer-globex/environment.yaml'), 'utf8')).toMatch(/^ {2}tier: staging$/m);
  });
});
