import { describe, expect, it } from 'vitest';
import { buildEcosystem } from '../../tools/lib/manifest/ecosystem.js';
import { parseManifestText } from '../../tools/lib/manifest/load.js';
import { MAX_TEMPLATE_DEPTH, provenanceOf, resolveAll, resolvePlatform, templateChain } from '../../tools/lib/manifest/resolve.js';

function eco(files: Record<string, string>) {
  const parsed = Object.entries(files).map(([file, text]) => ({ file, content: parseManifestText(text) }));
  const built = buildEcosystem('/repo', parsed);
  return built;
}

const head = (kind: string, name: string) => `apiVersion: mnops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n`;

const files: Record<string, string> = {
  'ecosystem/platform-templates/base.yaml':
    head('PlatformTemplate', 'base') +
    [
      '  resources:',
      '    cpuCores: 1',
      '    memoryMb: 256',
      '    diskMb: 512',
      '  engines:',
      '    - name: Core',
      '      description: from base',
      '    - name: Audit',
      '  command: ["httpd", "-f"]',
      '  env:',
      '    A: base',
      '    B: base',
    ].join('\n') +
    '\n',
  'ecosystem/platform-templates/http.yaml': head('PlatformTemplate', 'http') + '  extends: base\n  resources:\n    memoryMb: 384\n  network:\n    policy: http-only\n',
  'platforms/demo-platform/platform.yaml':
    head('Platform', 'demo-platform') +
    [
      '  owner: team-a',
      '  namespace: ns',
      '  version: 1.0.0',
      '  extends: http',
      '  image: mnops/base:${version}',
      '  engines:',
      '    - name: Core',
      '      description: from platform',
      '    - name: Extra',
      '  command: ["sh"]',
      '  env:',
      '    B: platform',
    ].join('\n') +
    '\n',
  'ecosystem/platform-cloud/prod/environment.yaml':
    head('Environment', 'prod') + '  tier: prod\n  adapter: swarm\n  config:\n    env:\n      C: env\n    resources:\n      maxOpenFds: 1024\n',
  'ecosystem/platform-cloud/prod/platform.yaml':
    head('PlatformInstance', 'prod') + '  environment: prod\n  platforms:\n    - name: demo-platform\n      version: 1.2.0\n      resources:\n        memoryMb: 768\n',
};

describe('resolvePlatform', () => {
  const { ecosystem, findings } = eco(files);
  const r = resolvePlatform(ecosystem, 'demo-platform', 'prod')!;

  it('loads without findings', () => {
    expect(findings).toEqual([]);
  });

  it('layers template chain → platform → environment config → instance overrides', () => {
    expect(r.layers).toEqual(['template base', 'template http', 'platform demo-platform', 'environment prod config', 'instance prod']);
    expect(r.spec.resources).toEqual({ cpuCores: 1, memoryMb: 768, diskMb: 512, maxOpenFds: 1024 });
    expect(r.spec.env).toEqual({ A: 'base', B: 'platform', C: 'env' });
    expect(r.spec.network).toEqual({ policy: 'http-only' });
    expect(r.spec.version).toBe('1.2.0');
    expect(r.spec.image).toBe('mnops/base:1.2.0');
    expect(r.spec).not.toHaveProperty('extends');
  });

  it('replaces plain lists and merges name-keyed lists by name', () => {
    expect(r.spec.command).toEqual(['sh']);
    expect(r.spec.engines).toEqual([
      { name: 'Core', description: 'from platform' },
      { name: 'Audit' },
      { name: 'Extra' },
    ]);
  });

  it('merges a named list item field by field: the template sets one field, the platform another, the result holds both', () => {
    const { ecosystem, findings: f2 } = eco({
      ...files,
      'ecosystem/platform-templates/http.yaml':
        head('PlatformTemplate', 'http') + '  extends: base\n  ports:\n    - name: web\n      containerPort: 8080\n      protocol: udp\n',
      'platforms/demo-platform/platform.yaml':
        files['platforms/demo-platform/platform.yaml']! + '  ports:\n    - name: web\n      containerPort: 8080\n      hostPort: 18080\n    - name: admin\n      containerPort: 9090\n',
    });
    expect(f2).toEqual([]);
    const merged = resolvePlatform(ecosystem, 'demo-platform', 'prod')!;
    expect(merged.spec.ports).toEqual([
      { name: 'web', containerPort: 8080, protocol: 'udp', hostPort: 18080 },
      { name: 'admin', containerPort: 9090 },
    ]);
    expect(provenanceOf(merged, '/ports/0/protocol')).toMatchObject({ file: 'ecosystem/platform-templates/http.yaml' });
    expect(provenanceOf(merged, '/ports/0/hostPort')).toMatchObject({ file: 'platforms/demo-platform/platform.yaml' });
  });

  it('remembers the file and line that set each value', () => {
    expect(provenanceOf(r, '/resources/cpuCores')).toEqual({ file: 'ecosystem/platform-templates/base.yaml', line: 7, column: 5 });
    expect(provenanceOf(r, '/resources/memoryMb')).toEqual({ file: 'ecosystem/platform-cloud/prod/platform.yaml', line: 11, column: 9 });
    expect(provenanceOf(r, '/resources/maxOpenFds')).toEqual({ file: 'ecosystem/platform-cloud/prod/environment.yaml', line: 12, column: 7 });
    expect(provenanceOf(r, '/network/policy')).toEqual({ file: 'ecosystem/platform-templates/http.yaml', line: 10, column: 5 });
    expect(provenanceOf(r, '/engines/0/description')).toEqual({ file: 'platforms/demo-platform/platform.yaml', line: 13, column: 7 });
    expect(provenanceOf(r, '/engines/1/name')).toEqual({ file: 'ecosystem/platform-templates/base.yaml', line: 13, column: 7 });
    expect(provenanceOf(r, '/command/0')).toEqual({ file: 'platforms/demo-platform/platform.yaml', line: 15, column: 13 });
    expect(provenanceOf(r, '/version')).toEqual({ file: 'ecosystem/platform-cloud/prod/platform.yaml', line: 9, column: 7 });
  });

  it('never lets __proto__ from a template reach a prototype through the merge', () => {
    const hostile = {
      ...files,
      'ecosystem/platform-templates/base.yaml': files['ecosystem/platform-templates/base.yaml']! + '  config:\n    __proto__:\n      polluted: true\n',
    };
    const { ecosystem: e2, findings: f2 } = eco(hostile);
    expect(f2.some((f) => f.ruleId === 'yaml.forbidden-key' && f.file === 'ecosystem/platform-templates/base.yaml' && f.line === 19)).toBe(true);
    const r2 = resolvePlatform(e2, 'demo-platform', 'prod')!;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r2.spec.config)).toBe(Object.prototype);
    expect(Object.keys(r2.spec.config ?? {})).toEqual([]);
  });
});

describe('templateChain', () => {
  it('stops on cycles instead of looping', () => {
    const { ecosystem } = eco({
      'a.yaml': head('PlatformTemplate', 'a') + '  extends: b\n',
      'b.yaml': head('PlatformTemplate', 'b') + '  extends: a\n',
    });
    const c = templateChain(ecosystem, 'a');
    expect(c.broken).toBe('cycle');
    expect(c.chain.map((t) => t.name)).toEqual(['b', 'a']);
  });

  it('ends at a template that does not exist, or at the depth limit, with what it walked', () => {
    const { ecosystem } = eco({ 'a.yaml': head('PlatformTemplate', 'a') + '  extends: gone\n' });
    expect(templateChain(ecosystem, 'a')).toMatchObject({ broken: 'unknown' });
    expect(templateChain(ecosystem, 'a').chain.map((t) => t.name)).toEqual(['a']);
    expect(templateChain(ecosystem, undefined)).toEqual({ chain: [] });
    const deep: Record<string, string> = {};
    for (let i = 0; i <= MAX_TEMPLATE_DEPTH + 1; i++) deep[`t${i}.yaml`] = head('PlatformTemplate', `t${i}`) + (i <= MAX_TEMPLATE_DEPTH ? `  extends: t${i + 1}\n` : '  replicas: 1\n');
    const long = templateChain(eco(deep).ecosystem, 't0');
    expect(long.broken).toBe('too-deep');
    expect(long.chain.map((t) => t.name)).toEqual(Array.from({ length: MAX_TEMPLATE_DEPTH }, (_, i) => `t${MAX_TEMPLATE_DEPTH - 1 - i}`));
    const fine = templateChain(eco(deep).ecosystem, `t${2}`);
    expect(fine).toMatchObject({ chain: expect.any(Array) });
    expect(fine.broken).toBeUndefined();
  });
});

describe('resolving beyond the basic layers', () => {
  const more: Record<string, string> = {
    ...files,
    'ecosystem/platform-cloud/prod/environment.yaml':
      head('Environment', 'prod') +
      '  tier: prod\n  adapter: swarm\n  config:\n    env:\n      C: env\n  secrets:\n    - name: DB_PASSWORD\n      from: env\n      key: DB_PASSWORD\n',
    'ecosystem/platform-cloud/prod/platform.yaml':
      head('PlatformInstance', 'prod') +
      '  environment: prod\n  platforms:\n    - name: demo-platform\n      version: 1.2.0\n      replicas: 3\n      env:\n        D: instance\n      config:\n        extends: kept\n',
    'ecosystem/platform-cloud/dev/environment.yaml': head('Environment', 'dev') + '  tier: dev\n  adapter: docker\n',
    'ecosystem/platform-cloud/dev/platform.yaml': head('PlatformInstance', 'dev') + '  environment: dev\n  platforms:\n    - name: demo-platform\n      version: 1.0.0\n    - name: ghost-platform\n      version: 1.0.0\n',
    'ecosystem/platform-cloud/gone/platform.yaml': head('PlatformInstance', 'gone') + '  environment: gone\n  platforms:\n    - name: demo-platform\n      version: 1.0.0\n',
  };
  const { ecosystem } = eco(more);

  it('instance overrides (replicas, env, config) and the environment\'s secrets are layers of their own; extends only skipped at the top', () => {
    const r = resolvePlatform(ecosystem, 'demo-platform', 'prod')!;
    expect(r.layers).toEqual(['template base', 'template http', 'platform demo-platform', 'environment prod config', 'environment prod secrets', 'instance prod']);
    expect(r.spec.replicas).toBe(3);
    expect(r.spec.env).toEqual({ A: 'base', B: 'platform', C: 'env', D: 'instance' });
    expect(r.spec.config).toEqual({ extends: 'kept' });
    expect(r.spec.secrets).toEqual([{ name: 'DB_PASSWORD', from: 'env', key: 'DB_PASSWORD' }]);
    expect(provenanceOf(r, '/secrets/0/key')).toMatchObject({ file: 'ecosystem/platform-cloud/prod/environment.yaml', line: 14 });
    expect(provenanceOf(r, '/replicas')).toMatchObject({ file: 'ecosystem/platform-cloud/prod/platform.yaml', line: 10 });
  });

  it('only: just the fields asked for, the secrets layer only when secrets are asked for', () => {
    const secrets = resolvePlatform(ecosystem, 'demo-platform', 'prod', ['secrets'])!;
    expect(secrets.spec).toEqual({ secrets: [{ name: 'DB_PASSWORD', from: 'env', key: 'DB_PASSWORD' }] });
    const resources = resolvePlatform(ecosystem, 'demo-platform', 'prod', ['resources'])!;
    expect(resources.spec).toEqual({ resources: { cpuCores: 1, memoryMb: 384, diskMb: 512 } });
    expect(resources.layers).not.toContain('environment prod secrets');
  });

  it('a platform the instance does not place takes its own version; unknown platforms or environments resolve to nothing', () => {
    const r = resolvePlatform(ecosystem, 'demo-platform', 'staging');
    expect(r).toBeUndefined();
    expect(resolvePlatform(ecosystem, 'ghost-platform', 'dev')).toBeUndefined();
    const { ecosystem: unplaced } = eco({ ...files, 'ecosystem/platform-cloud/prod/platform.yaml': head('PlatformInstance', 'prod') + '  environment: prod\n  platforms: []\n' });
    const own = resolvePlatform(unplaced, 'demo-platform', 'prod')!;
    expect(own.layers).not.toContain('instance prod');
    expect(own.spec.version).toBe('1.0.0');
    expect(own.spec.image).toBe('mnops/base:1.0.0');
  });

  it('resolveAll: every placement in environments that exist, or in the ones asked for', () => {
    const all = resolveAll(ecosystem).map((r) => `${r.environment}/${r.platform}@${r.spec.version}`);
    expect(all.sort()).toEqual(['dev/demo-platform@1.0.0', 'prod/demo-platform@1.2.0']);
    expect(resolveAll(ecosystem, new Set(['dev'])).map((r) => r.environment)).toEqual(['dev']);
    expect(resolveAll(ecosystem, new Set(['gone']))).toEqual([]);
  });

  it('provenance of a map is where it was first made; of a missing value, its nearest ancestor; of the root, nothing', () => {
    const r = resolvePlatform(ecosystem, 'demo-platform', 'prod')!;
    expect(provenanceOf(r, '/resources')).toEqual({ file: 'ecosystem/platform-templates/base.yaml', line: 6, column: 3 });
    expect(provenanceOf(r, '/resources/nope')).toEqual({ file: 'ecosystem/platform-templates/base.yaml', line: 6, column: 3 });
    expect(provenanceOf(r, '/engines/9')).toMatchObject({ file: 'platforms/demo-platform/platform.yaml' });
    expect(provenanceOf(r, '/engines/x')).toMatchObject({ file: 'platforms/demo-platform/platform.yaml' });
    expect(provenanceOf(r, '/command/0')).toMatchObject({ file: 'platforms/demo-platform/platform.yaml', line: 15 });
    expect(provenanceOf(r, '')).toBeUndefined();
  });

  it('the resolved spec is a copy: changing it changes no manifest', () => {
    const r = resolvePlatform(ecosystem, 'demo-platform', 'prod')!;
    (r.spec.engines as { description?: string }[])[1]!.description = 'changed';
    (r.spec.command as string[]).push('x');
    const again = resolvePlatform(ecosystem, 'demo-platform', 'prod')!;
    expect(again.spec.engines).toEqual([{ name: 'Core', description: 'from platform' }, { name: 'Audit' }, { name: 'Extra' }]);
    expect(again.spec.command).toEqual(['sh']);
  });
});
