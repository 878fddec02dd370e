import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../tools/lib/cli/run.js';
import { buildGraph, toMermaid } from '../../tools/lib/registry/index.js';
import { exampleRepo, git, removeDir } from '../helpers/repo.js';
import { BASE, doc, load, removeWorlds, waiver, writeWorld } from './world.js';

afterAll(removeWorlds);

/** Run the CLI in-process, capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const capture = (sink: (s: string) => void) =>
    ((chunk: string | Uint8Array, a?: unknown, b?: unknown) => {
      sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const cb = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
      if (cb) (cb as () => void)();
      return true;
    }) as typeof process.stdout.write;
  vi.spyOn(process.stdout, 'write').mockImplementation(capture((s) => (stdout += s)));
  vi.spyOn(process.stderr, 'write').mockImplementation(capture((s) => (stderr += s)));
  try {
    const code = await runCli(args);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const previousNoCache = process.env.MNOPS_NO_CACHE;
beforeAll(() => {
  process.env.MNOPS_NO_CACHE = '1';
});
afterAll(() => {
  if (previousNoCache === undefined) delete process.env.MNOPS_NO_CACHE;
  else process.env.MNOPS_NO_CACHE = previousNoCache;
});
afterEach(() => vi.restoreAllMocks());

const FILES = {
  'registry/namespaces.yaml': doc('Namespace', 'ops', ['owners: [team-a, team-b]']),
  'ecosystem/platform-templates/base.yaml': doc('PlatformTemplate', 'base', ['replicas: 1']),
  'ecosystem/contracts/storage/1.0.0.yaml': doc('Contract', 'storage', ['version: 1.0.0', 'operations: []']),
  'ecosystem/contracts/storage/10.0.0.yaml': doc('Contract', 'storage', ['version: 10.0.0', 'operations: []']),
  'ecosystem/contracts/storage/2.0.0.yaml': doc('Contract', 'storage', ['version: 2.0.0', 'operations: []']),
  'ecosystem/ecosystem-cloud/adapters/docker.yaml': doc('Adapter', 'docker', ['provider: docker', 'implements: [storage@1.0.0]']),
  'platforms/db-platform/platform.yaml': doc('Platform', 'db-platform', ['owner: team-a', 'namespace: ops', 'version: 1.0.0', 'extends: base']),
  'platforms/api-platform/platform.yaml': doc('Platform', 'api-platform', ['owner: team-b', 'namespace: ops', 'version: 1.10.0', 'dependsOn: [db-platform]']),
  'ecosystem/platform-cloud/dev/environment.yaml': doc('Environment', 'dev', ['tier: dev', 'adapter: docker']),
  'ecosystem/platform-cloud/dev/platform.yaml': doc('PlatformInstance', 'dev', ['environment: dev', 'platforms: [{name: db-platform, version: 1.0.0}]']),
};

describe('mnops registry list', () => {
  it('prints an aligned table sorted by kind, name and version', async () => {
    const root = writeWorld(FILES);
    const r = await cli(['registry', 'list', '--root', root]);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'KIND              NAME          VERSION  OWNER          TIER  FILE',
        'Adapter           docker        -        -              -     ecosystem/ecosystem-cloud/adapters/docker.yaml:1',
        'Contract          storage       1.0.0    -              -     ecosystem/contracts/storage/1.0.0.yaml:1',
        'Contract          storage       2.0.0    -              -     ecosystem/contracts/storage/2.0.0.yaml:1',
        'Contract          storage       10.0.0   -              -     ecosystem/contracts/storage/10.0.0.yaml:1',
        'Environment       dev           -        -              dev   ecosystem/platform-cloud/dev/environment.yaml:1',
        'Namespace         ops           -        team-a,team-b  -     registry/namespaces.yaml:1',
        'Platform          api-platform  1.10.0   team-b         -     platforms/api-platform/platform.yaml:1',
        'Platform          db-platform   1.0.0    team-a         -     platforms/db-platform/platform.yaml:1',
        'PlatformInstance  dev           -        -              -     ecosystem/platform-cloud/dev/platform.yaml:1',
        'PlatformTemplate  base          -        -              -     ecosystem/platform-templates/base.yaml:1',
        '',
      ].join('\n'),
    });
  });

  it('prints json, and warns on stderr when some manifests could not be loaded', async () => {
    const root = writeWorld({ ...FILES, 'platforms/bad/platform.yaml': 'kind: Platform\n' });
    const r = await cli(['registry', 'list', '--root', root, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^mnops: \d+ errors? while loading manifests; what failed is left out — run mnops validate for details\n$/);
    const out = JSON.parse(r.stdout) as { version: number; manifests: unknown[] };
    expect(out.version).toBe(1);
    expect(out.manifests).toHaveLength(10);
    expect(out.manifests[6]).toEqual({
      kind: 'Platform',
      name: 'api-platform',
      version: '1.10.0',
      owner: 'team-b',
      tier: null,
      file: 'platforms/api-platform/platform.yaml',
      line: 1,
    });
  });
});

describe('mnops registry graph', () => {
  it('prints mermaid by default, dot and json on request', async () => {
    const root = writeWorld(FILES);
    const mermaid = await cli(['registry', 'graph', '--root', root]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(toMermaid(buildGraph(await load(root))));
    const dot = await cli(['registry', 'graph', '--root', root, '--format', 'dot']);
    expect(dot.stdout).toContain('  "Platform/api-platform" -> "Platform/db-platform" [label="dependsOn"];\n');
    const json = await cli(['registry', 'graph', '--root', root, '--format', 'json']);
    expect((JSON.parse(json.stdout) as { edges: unknown[] }).edges).toContainEqual({ from: 'Environment/dev', to: 'Platform/db-platform', relation: 'runs' });
    const bad = await cli(['registry', 'graph', '--root', root, '--format', 'svg']);
    expect(bad.code).toBe(2);
  });
});

describe('mnops registry impact', () => {
  it('lists the affected platforms and environments and exits 0', async () => {
    const root = writeWorld(FILES);
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    rmSync(path.join(root, 'ecosystem/platform-templates/base.yaml'));

    const text = await cli(['registry', 'impact', '--changed-since', 'main', '--root', root]);
    expect(text).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Files changed since main (1):',
        '  ecosystem/platform-templates/base.yaml',
        'Manifests deleted (1):',
        '  PlatformTemplate/base',
        'Each is followed by its shortest chain of references back to a change ("a ← extends b": a is affected because it extends b).',
        'Platforms affected (2):',
        '  api-platform ← dependsOn db-platform (platforms/api-platform/platform.yaml:9) ← extends base (platforms/db-platform/platform.yaml:9)',
        '  db-platform ← extends base (platforms/db-platform/platform.yaml:9)',
        'Environments affected (1):',
        '  dev ← runs db-platform (ecosystem/platform-cloud/dev/platform.yaml:7) ← extends base (platforms/db-platform/platform.yaml:9)',
        '',
      ].join('\n'),
    });
    const json = await cli(['registry', 'impact', '--changed-since', 'main', '--root', root, '--format', 'json']);
    const { chains, ...listed } = JSON.parse(json.stdout) as { chains: unknown };
    expect(Object.keys(chains as object)).toEqual(['platforms', 'environments']);
    expect(listed).toEqual({
      version: 1,
      ref: 'main',
      files: ['ecosystem/platform-templates/base.yaml'],
      deletedManifests: ['PlatformTemplate/base'],
      manifests: ['Environment/dev', 'Platform/api-platform', 'Platform/db-platform', 'PlatformTemplate/base'],
      platforms: ['api-platform', 'db-platform'],
      environments: ['dev'],
    });
  });

  it('nothing changed: says so', async () => {
    const root = writeWorld(FILES);
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    const r = await cli(['registry', 'impact', '--changed-since', 'HEAD', '--root', root]);
    expect(r.stdout).toBe('Files changed since HEAD: none\nPlatforms affected: none\nEnvironments affected: none\n');
  });

  it('an unknown ref or a missing --changed-since exits 2 with one clear sentence', async () => {
    const root = writeWorld(FILES);
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    const r = await cli(['registry', 'impact', '--changed-since', 'origin/main', '--root', root]);
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mnops: unknown git ref "origin/main" — fetch it or pass a commit that exists (in GitHub Actions use fetch-depth: 0)\n',
    });
    const missing = await cli(['registry', 'impact', '--root', root]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--changed-since <ref>' not specified");
  });
});

describe('mnops registry impact: why each platform is affected', () => {
  /** BASE committed on main, then `change` applied to the working tree. */
  async function impactAfter(change: (root: string) => void, overrides: Record<string, string> = {}, format = 'text') {
    const root = writeWorld({ ...BASE, ...overrides });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    change(root);
    return cli(['registry', 'impact', '--changed-since', 'main', '--root', root, '--format', format]);
  }
  const touch = (file: string) => (root: string) => appendFileSync(path.join(root, file), '# touched\n');
  const platformLines = (stdout: string) => stdout.split('\n').filter((l) => /^ {2}\S+-platform /.test(l));

  it('a template change names the chain through extends, dependsOn and contracts, with where each reference is written', async () => {
    const r = await impactAfter(touch('ecosystem/platform-templates/http-service.yaml'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Each is followed by its shortest chain of references back to a change ("a ← extends b": a is affected because it extends b).\n');
    expect(platformLines(r.stdout)).toEqual([
      '  api-platform ← extends http-service (platforms/api-platform/platform.yaml:9)',
      '  report-platform ← dependsOn api-platform (platforms/report-platform/platform.yaml:11) ← extends http-service (platforms/api-platform/platform.yaml:9)',
      '  worker-platform ← consumes queue@^1.0.0 (platforms/worker-platform/platform.yaml:11) ← provided by api-platform (platforms/api-platform/platform.yaml:11) ← extends http-service (platforms/api-platform/platform.yaml:9)',
    ]);
    expect(r.stdout).toContain('  staging ← runs api-platform (ecosystem/platform-cloud/staging/platform.yaml:10) ← extends http-service (platforms/api-platform/platform.yaml:9)\n');
  });

  it('a dependsOn a platform inherits from its template is named, with the template file that writes it', async () => {
    const batch = doc('PlatformTemplate', 'batch', ['replicas: 1', 'dependsOn:', '  - db-platform']);
    const r = await impactAfter(touch('platforms/db-platform/platform.yaml'), { 'ecosystem/platform-templates/batch.yaml': batch });
    expect(platformLines(r.stdout)).toEqual([
      '  api-platform ← dependsOn db-platform (platforms/api-platform/platform.yaml:15)',
      '  db-platform (changed)',
      '  lone-platform ← dependsOn db-platform (ecosystem/platform-templates/batch.yaml:8, from template batch)',
      '  report-platform ← dependsOn api-platform (platforms/report-platform/platform.yaml:11) ← dependsOn db-platform (platforms/api-platform/platform.yaml:15)',
      '  worker-platform ← dependsOn db-platform (ecosystem/platform-templates/batch.yaml:8, from template batch)',
    ]);
  });

  it('of two equally short chains, the first in name order read from the change', async () => {
    // base → db-platform → api-platform (dependsOn) and base → http-service → api-platform
    // (extends) are both two references long; Platform/db-platform sorts before PlatformTemplate/http-service.
    const r = await impactAfter(touch('ecosystem/platform-templates/base.yaml'));
    expect(platformLines(r.stdout)[0]).toBe(
      '  api-platform ← dependsOn db-platform (platforms/api-platform/platform.yaml:15) ← extends base (platforms/db-platform/platform.yaml:9)',
    );
  });

  it('json gives each chain as hops (the reference as written: from, relation, to, file, line) and as text', async () => {
    const batch = doc('PlatformTemplate', 'batch', ['replicas: 1', 'dependsOn:', '  - db-platform']);
    const r = await impactAfter(touch('platforms/db-platform/platform.yaml'), { 'ecosystem/platform-templates/batch.yaml': batch }, 'json');
    const out = JSON.parse(r.stdout) as { chains: { platforms: Record<string, unknown>; environments: Record<string, unknown> } };
    expect(out.chains.platforms['worker-platform']).toEqual({
      changed: 'Platform/db-platform',
      deleted: false,
      hops: [
        {
          from: 'Platform/worker-platform',
          relation: 'dependsOn',
          to: 'Platform/db-platform',
          file: 'ecosystem/platform-templates/batch.yaml',
          line: 8,
          inheritedFrom: 'PlatformTemplate/batch',
        },
      ],
      text: 'worker-platform ← dependsOn db-platform (ecosystem/platform-templates/batch.yaml:8, from template batch)',
    });
    expect(out.chains.platforms['db-platform']).toEqual({ changed: 'Platform/db-platform', deleted: false, hops: [], text: 'db-platform (changed)' });
    // An environment's chain: written in its instance, the reference runs from the environment.
    expect(out.chains.environments['prod']).toEqual({
      changed: 'Platform/db-platform',
      deleted: false,
      hops: [{ from: 'Environment/prod', relation: 'runs', to: 'Platform/db-platform', file: 'ecosystem/platform-cloud/prod/platform.yaml', line: 8 }],
      text: 'prod ← runs db-platform (ecosystem/platform-cloud/prod/platform.yaml:8)',
    });
  });
});

describe('mnops registry graph --env, --platform', () => {
  let root = '';
  beforeAll(() => {
    root = exampleRepo();
  });
  afterAll(() => removeDir(root));

  const graph = (...args: string[]) => cli(['registry', 'graph', '--root', root, ...args]);
  const lineCount = (stdout: string) => stdout.split('\n').length - 1;
  async function nodeIds(...args: string[]): Promise<string[]> {
    const r = await graph(...args, '--format', 'json');
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id);
  }

  it('--platform keeps the platform, its templates up to the root, what it references and what references it directly', async () => {
    const all = await graph();
    const one = await graph('--platform', 'data-platform');
    expect(one.code).toBe(0);
    expect(lineCount(one.stdout)).toBeLessThan(lineCount(all.stdout) / 3);
    const ids = await nodeIds('--platform', 'data-platform');
    expect(ids).toEqual(
      expect.arrayContaining([
        'Platform/data-platform',
        'PlatformTemplate/batch-worker', // what it extends
        'PlatformTemplate/base-service', // what that extends
        'Namespace/data',
        'Platform/runtime-platform', // it depends on it
        'Platform/semantic-platform', // depends on it
        'Contract/storage', // it consumes
        'Environment/dev', // runs it
      ]),
    );
    // Two steps away or unrelated: left out.
    expect(ids).not.toContain('Platform/security-platform');
    expect(ids).not.toContain('Adapter/docker');
    expect(ids).not.toContain('PlatformTemplate/http-service');
    // Edges only between what is kept.
    expect(one.stdout).toContain('-->|"extends"|');
    expect(one.stdout).not.toContain('implements');
  });

  it('--env keeps what the environment runs and what that is built from, not what runs elsewhere', async () => {
    const eco = await load(root, { clean: false });
    const running = eco.instances.get('prod')!.manifest.spec.platforms.map((p) => `Platform/${p.name}`).sort();
    const ids = await nodeIds('--env', 'prod');
    expect(ids.filter((id) => id.startsWith('Platform/'))).toEqual(running);
    expect(ids).toContain('Environment/prod');
    expect(ids).toContain(`Adapter/${eco.environments.get('prod')!.manifest.spec.adapter}`);
    expect(ids).toContain('PlatformTemplate/base-service');
    expect(ids.filter((id) => id.startsWith('Environment/'))).toEqual(['Environment/prod']);
    // The dev-only exception applies in dev, not in prod.
    expect(await nodeIds('--env', 'dev')).toContain('PolicyException/semantic-platform-dev-ceiling');
    expect(ids).not.toContain('PolicyException/semantic-platform-dev-ceiling');
    const all = await graph();
    expect(lineCount((await graph('--env', 'prod')).stdout)).toBeLessThan(lineCount(all.stdout));
  });

  it('--platform counts a platform that inherits its dependsOn from a template among what references it', async () => {
    const batch = doc('PlatformTemplate', 'batch', ['replicas: 1', 'dependsOn:', '  - db-platform']);
    const world = writeWorld({ ...BASE, 'ecosystem/platform-templates/batch.yaml': batch });
    const r = await cli(['registry', 'graph', '--root', world, '--platform', 'db-platform', '--format', 'json']);
    const ids = (JSON.parse(r.stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['Platform/api-platform', 'Platform/lone-platform', 'Platform/worker-platform', 'PlatformTemplate/batch']));
    expect(ids).not.toContain('Platform/report-platform'); // depends on api-platform, not on db-platform
  });

  it('--env keeps an exception when it applies there: to what runs there, in every environment or in that one', async () => {
    const world = writeWorld({ ...BASE, 'ecosystem/governance/exceptions/api-anywhere.yaml': waiver('api-anywhere', ['kind: Platform', 'name: api-platform']) });
    const r = await cli(['registry', 'graph', '--root', world, '--env', 'dev', '--format', 'json']);
    const ids = (JSON.parse(r.stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id);
    expect(ids).toContain('PolicyException/api-anywhere');
    expect(ids).not.toContain('PolicyException/api-prod-replicas'); // api-platform runs in dev, but this one is for prod
  });

  it('both: what both keep', async () => {
    const ids = await nodeIds('--env', 'prod', '--platform', 'runtime-platform');
    expect(ids).toContain('Platform/runtime-platform');
    expect(ids).toContain('Environment/prod');
    expect(ids).not.toContain('Environment/dev');
  });

  it('an unknown name exits 2 and says which name is close', async () => {
    expect(await graph('--env', 'stagin')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mnops: --env stagin: environment "stagin" does not exist\n  did you mean "staging"?\n',
    });
    const platform = await graph('--platform', 'data-platfrom');
    expect(platform).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mnops: --platform data-platfrom: platform "data-platfrom" does not exist\n  did you mean "data-platform"?\n',
    });
    const far = await graph('--platform', 'zzz');
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/^mnops: --platform zzz: platform "zzz" does not exist\n {2}pick one of: automation-platform, data-platform, /);
  });
});
