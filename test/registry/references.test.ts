import { afterAll, describe, expect, it } from 'vitest';
import { checkReferences, impactOfChanges } from '../../tools/lib/registry/index.js';
import { closestName, editDistance } from '../../tools/lib/suggest/closest-name.js';
import { sortFindings, type Finding } from '../../tools/lib/report/finding.js';
import { doc, removeWorlds, waiver, world } from './world.js';

afterAll(removeWorlds);

async function refs(overrides: Record<string, string | null>, options: { clean?: boolean } = {}): Promise<Finding[]> {
  const { eco } = await world(overrides, options);
  // Stable file/line order, as every report prints them.
  return sortFindings(checkReferences(eco));
}

const API = 'platforms/api-platform/platform.yaml';
const apiSpec = (lines: Partial<Record<'extends' | 'namespace' | 'provides' | 'consumes' | 'dependsOn', string[]>>) =>
  doc('Platform', 'api-platform', [
    'owner: team-a',
    ...(lines.namespace ?? ['namespace: ops']),
    'version: 1.2.0',
    ...(lines.extends ?? ['extends: http-service']),
    ...(lines.provides ?? ['provides:', '  - queue@1.0.0']),
    ...(lines.consumes ?? ['consumes:', '  - storage@^1.0.0']),
    ...(lines.dependsOn ?? ['dependsOn:', '  - db-platform']),
  ]);

const onApi = (extra: Partial<Finding>): Finding => ({
  ruleId: 'ref.unknown',
  severity: 'error',
  message: '',
  file: API,
  line: 0,
  column: 0,
  kind: 'Platform',
  name: 'api-platform',
  path: '',
  ...extra,
});

describe('checkReferences', () => {
  it('finds nothing in a world where every reference resolves', async () => {
    expect(await refs({})).toEqual([]);
  });

  it('an unknown template, with the closest name as the hint', async () => {
    expect(await refs({ [API]: apiSpec({ extends: ['extends: http-servce'] }) })).toEqual([
      onApi({
        message: 'template "http-servce" does not exist',
        hint: 'did you mean "http-service"?',
        line: 9,
        column: 3,
        path: '/spec/extends',
      }),
    ]);
  });

  it('an unknown template of a template, listing what exists when nothing is close', async () => {
    const file = 'ecosystem/platform-templates/http-service.yaml';
    expect(await refs({ [file]: doc('PlatformTemplate', 'http-service', ['replicas: 2', 'extends: zzz-nothing-like-it']) })).toEqual([
      {
        ruleId: 'ref.unknown',
        severity: 'error',
        message: 'template "zzz-nothing-like-it" does not exist',
        hint: 'existing templates: base, batch, http-service',
        file,
        line: 7,
        column: 3,
        kind: 'PlatformTemplate',
        name: 'http-service',
        path: '/spec/extends',
      },
    ]);
  });

  it('an unknown namespace and an unknown dependency', async () => {
    expect(await refs({ [API]: apiSpec({ namespace: ['namespace: opps'], dependsOn: ['dependsOn:', '  - db-platform', '  - cache-platform'] }) })).toEqual([
      onApi({ message: 'namespace "opps" does not exist', hint: 'did you mean "ops"?', line: 7, column: 3, path: '/spec/namespace' }),
      onApi({
        message: 'platform "cache-platform" does not exist',
        hint: 'existing platforms: api-platform, db-platform, lone-platform, report-platform, worker-platform',
        line: 16,
        column: 7,
        path: '/spec/dependsOn/1',
      }),
    ]);
  });

  it('provides: an unknown contract, a missing version, and a range where a version is required', async () => {
    const found = await refs({ [API]: apiSpec({ provides: ['provides:', '  - queue@1.0.0', '  - qeue@1.0.0', '  - queue@1.5.0', '  - queue@^1.0.0'] }) });
    expect(found).toEqual([
      onApi({ message: 'contract "qeue" does not exist', hint: 'did you mean "queue"?', line: 12, column: 7, path: '/spec/provides/1' }),
      onApi({ message: 'contract "queue" has no version 1.5.0', hint: 'existing versions: 1.0.0', line: 13, column: 7, path: '/spec/provides/2' }),
      onApi({
        message: '"queue@^1.0.0" must name an exact contract version, not "^1.0.0"',
        hint: 'write queue@<version>; existing versions: 1.0.0',
        line: 14,
        column: 7,
        path: '/spec/provides/3',
      }),
    ]);
  });

  it('consumes: a range nobody satisfies, an invalid range, an unknown contract', async () => {
    const found = await refs({
      [API]: apiSpec({ consumes: ['consumes:', '  - storage@^1.0.0', '  - storage@^3.0.0', '  - storage@not-a-range', '  - blob@^1.0.0'] }),
    });
    expect(found).toEqual([
      onApi({
        message: 'no version of contract "storage" satisfies ^3.0.0',
        hint: 'existing versions: 1.0.0, 1.1.0, 2.0.0 — widen the range or publish a matching version',
        line: 14,
        column: 7,
        path: '/spec/consumes/1',
      }),
      onApi({
        message: '"not-a-range" in "storage@not-a-range" is not a valid semver range',
        hint: 'write a range such as ^1.0.0, ~1.2.0, >=1.2.0 or ^1.0.0||^2.0.0',
        line: 15,
        column: 7,
        path: '/spec/consumes/2',
      }),
      onApi({
        message: 'contract "blob" does not exist',
        hint: 'existing contracts: queue, storage',
        line: 16,
        column: 7,
        path: '/spec/consumes/3',
      }),
    ]);
  });

  it('an adapter implementing a contract version that does not exist', async () => {
    const file = 'ecosystem/ecosystem-cloud/adapters/docker.yaml';
    expect(await refs({ [file]: doc('Adapter', 'docker', ['provider: docker', 'implements:', '  - storage@1.1.0', '  - storage@1.2.0']) })).toEqual([
      {
        ruleId: 'ref.unknown',
        severity: 'error',
        message: 'contract "storage" has no version 1.2.0',
        hint: 'existing versions: 1.0.0, 1.1.0, 2.0.0',
        file,
        line: 9,
        column: 7,
        kind: 'Adapter',
        name: 'docker',
        path: '/spec/implements/1',
      },
    ]);
  });

  it('an environment with an unknown adapter and promoting from an unknown environment; customer is free text', async () => {
    const file = 'ecosystem/platform-cloud/staging/environment.yaml';
    const env = doc('Environment', 'staging', ['tier: staging', 'customer: acme', 'adapter: dockr', 'promotion:', '  from: qa']);
    const on = { ruleId: 'ref.unknown', severity: 'error', file, kind: 'Environment', name: 'staging', environment: 'staging' } as const;
    expect(await refs({ [file]: env })).toEqual([
      { ...on, message: 'adapter "dockr" does not exist', hint: 'did you mean "docker"?', line: 8, column: 3, path: '/spec/adapter' },
      {
        ...on,
        message: 'environment "qa" does not exist',
        hint: 'existing environments: dev, prod, sandbox, staging',
        line: 10,
        column: 5,
        path: '/spec/promotion/from',
      },
    ]);
  });

  it('an instance for an unknown environment, running an unknown platform', async () => {
    const file = 'ecosystem/platform-cloud/prod/platform.yaml';
    const inst = doc('PlatformInstance', 'prod', [
      'environment: prd',
      'platforms:',
      '  - name: db-platform',
      '    version: 1.0.0',
      '  - name: api-platform',
      '    version: 1.2.0',
      '  - name: worker-platform',
      '    version: 0.3.0',
      '  - name: reprot-platform',
      '    version: 2.0.0',
    ]);
    const on = { ruleId: 'ref.unknown', severity: 'error', file, kind: 'PlatformInstance', name: 'prod', environment: 'prd' } as const;
    const found = await refs({ [file]: inst });
    expect(found.filter((f) => f.ruleId === 'ref.unknown')).toEqual([
      { ...on, message: 'environment "prd" does not exist', hint: 'did you mean "prod"?', line: 6, column: 3, path: '/spec/environment' },
      { ...on, message: 'platform "reprot-platform" does not exist', hint: 'did you mean "report-platform"?', line: 14, column: 7, path: '/spec/platforms/3/name' },
    ]);
    // And prod itself is left without an instance: nothing says what runs there.
    expect(found.filter((f) => f.ruleId !== 'ref.unknown')).toMatchObject([{ ruleId: 'ref.instance-missing', file: 'ecosystem/platform-cloud/prod/environment.yaml', environment: 'prod' }]);
  });

  it('an environment whose instance was deleted is an error on the environment, naming the file to restore', async () => {
    const found = await refs({ 'ecosystem/platform-cloud/prod/platform.yaml': null });
    expect(found).toMatchObject([
      {
        ruleId: 'ref.instance-missing',
        severity: 'error',
        file: 'ecosystem/platform-cloud/prod/environment.yaml',
        message: 'environment prod has no PlatformInstance (expected ecosystem/platform-cloud/prod/platform.yaml), so nothing says what runs there',
        environment: 'prod',
      },
    ]);
  });

  it('a PolicyException whose target or target environment does not exist', async () => {
    const file = 'ecosystem/governance/exceptions/api-prod-replicas.yaml';
    const exc = (kind: string, name: string, env: string) => waiver('api-prod-replicas', [`kind: ${kind}`, `name: ${name}`, `environment: ${env}`]);
    const on = { ruleId: 'ref.unknown', severity: 'error', file, kind: 'PolicyException', name: 'api-prod-replicas' } as const;
    expect(await refs({ [file]: exc('Platform', 'api', 'production') })).toEqual([
      { ...on, message: 'platform "api" does not exist', hint: 'existing platforms: api-platform, db-platform, lone-platform, report-platform, worker-platform', line: 9, column: 5, path: '/spec/target/name' },
      { ...on, message: 'environment "production" does not exist', hint: 'existing environments: dev, prod, sandbox, staging', line: 10, column: 5, path: '/spec/target/environment' },
    ]);
    // Other kinds resolve against their own maps: contracts by name, instances by name.
    expect(await refs({ [file]: exc('Contract', 'storage', 'prod') })).toEqual([]);
    expect(await refs({ [file]: exc('PlatformInstance', 'sandbox', 'sandbox') })).toEqual([]);
    expect(await refs({ [file]: exc('Adapter', 'swarn', 'prod') })).toEqual([
      { ...on, message: 'adapter "swarn" does not exist', hint: 'did you mean "swarm"?', line: 9, column: 5, path: '/spec/target/name' },
    ]);
  });

  it('a PolicyException naming a contract or a platform instance that does not exist', async () => {
    const file = 'ecosystem/governance/exceptions/api-prod-replicas.yaml';
    const exc = (kind: string, name: string) => waiver('api-prod-replicas', [`kind: ${kind}`, `name: ${name}`]);
    const on = { ruleId: 'ref.unknown', severity: 'error', file, kind: 'PolicyException', name: 'api-prod-replicas', line: 9, column: 5, path: '/spec/target/name' } as const;
    expect(await refs({ [file]: exc('Contract', 'stroage') })).toEqual([{ ...on, message: 'contract "stroage" does not exist', hint: 'did you mean "storage"?' }]);
    expect(await refs({ [file]: exc('PlatformInstance', 'sandbx') })).toEqual([
      { ...on, message: 'platform instance "sandbx" does not exist', hint: 'did you mean "sandbox"?' },
    ]);
    expect(await refs({ [file]: exc('PlatformInstance', 'zzzzzzzz') })).toEqual([
      { ...on, message: 'platform instance "zzzzzzzz" does not exist', hint: 'existing platform instances: dev, prod, sandbox, staging' },
    ]);
  });

  it('an instance running a version newer than the catalog\'s is a warning; a pre-release, an older or an equal one is not', async () => {
    const file = 'ecosystem/platform-cloud/staging/platform.yaml';
    const inst = (db: string, api: string) =>
      doc('PlatformInstance', 'staging', ['environment: staging', 'platforms:', '  - name: db-platform', `    version: ${db}`, '  - name: api-platform', `    version: ${api}`]);
    expect(await refs({ [file]: inst('1.0.1', '1.2.0') })).toEqual([
      {
        ruleId: 'instances.version-ahead',
        severity: 'warning',
        message: "staging runs db-platform 1.0.1, but the catalog's newest version is 1.0.0 (platforms/db-platform/platform.yaml)",
        hint: 'release it first: set spec.version: 1.0.1 in platforms/db-platform/platform.yaml; or write version: 1.0.0 here',
        file,
        line: 9,
        column: 7,
        kind: 'PlatformInstance',
        name: 'staging',
        environment: 'staging',
        path: '/spec/platforms/0/version',
      },
    ]);
    expect(await refs({ [file]: inst('1.0.1-pr.3', '1.1.9') })).toEqual([]);
    expect((await refs({ [file]: inst('0.9.0', '2.0.0') })).map((f) => f.path)).toEqual(['/spec/platforms/1/version']);
  });

  it('a long list of what exists is cut at eight, saying how many more', async () => {
    const versions = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`ecosystem/contracts/queue/1.0.${i}.yaml`, doc('Contract', 'queue', [`version: 1.0.${i}`, 'operations:', '  - name: ping'])]),
    );
    const found = await refs({ ...versions, [API]: apiSpec({ provides: ['provides:', '  - queue@1.5.0'] }) });
    expect(found.map((f) => f.hint)).toEqual(['existing versions: 1.0.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4, 1.0.5, 1.0.6, 1.0.7 and 2 more']);
  });

  it('checked against a change, only the manifests it can affect are checked; cycles are still found', async () => {
    const { eco } = await world({
      // Errors in two platforms, and a cycle report → api → report.
      [API]: apiSpec({ namespace: ['namespace: opz'], dependsOn: ['dependsOn:', '  - db-platform', '  - report-platform'] }),
      'platforms/lone-platform/platform.yaml': doc('Platform', 'lone-platform', ['owner: team-b', 'namespace: dta', 'version: 0.1.0', 'extends: batch']),
    });
    const all = sortFindings(checkReferences(eco)).map((f) => `${f.ruleId} ${f.name} ${f.path}`);
    expect(all).toEqual(['ref.unknown api-platform /spec/namespace', 'ref.cycle api-platform /spec/dependsOn/1', 'ref.unknown lone-platform /spec/namespace']);
    const lone = impactOfChanges(eco, ['platforms/lone-platform/platform.yaml']);
    expect(sortFindings(checkReferences(eco, lone)).map((f) => `${f.ruleId} ${f.name} ${f.path}`)).toEqual(['ref.unknown lone-platform /spec/namespace']);
    const report = impactOfChanges(eco, ['platforms/report-platform/platform.yaml']);
    expect(sortFindings(checkReferences(eco, report)).map((f) => `${f.ruleId} ${f.name} ${f.path}`)).toEqual([
      'ref.unknown api-platform /spec/namespace',
      'ref.cycle api-platform /spec/dependsOn/1',
    ]);
  });

  it('references to manifests that exist but fail their schema are not reported as unknown', async () => {
    // http-service has an unknown field: it is a schema.invalid finding, not a missing template.
    const found = await refs(
      {
        'ecosystem/platform-templates/http-service.yaml': doc('PlatformTemplate', 'http-service', ['extends: base', 'replicaz: 2']),
        'ecosystem/contracts/queue/1.0.0.yaml': doc('Contract', 'queue', ['version: 1.0.0', 'operations: nope']),
      },
      { clean: false },
    );
    expect(found).toEqual([]);
  });

  it('secret files outside the repository: "../" and absolute keys, in platforms, templates and environments', async () => {
    const found = await refs({
      [API]: doc('Platform', 'api-platform', [
        'owner: team-a',
        'namespace: ops',
        'version: 1.2.0',
        'secrets:',
        '  - name: TLS_KEY',
        '    from: file',
        '    key: ../../etc/tls.key',
        '  - name: INSIDE',
        '    from: file',
        '    key: secrets/dev/inside.key',
        '  - name: FROM_ENV',
        '    from: env',
        '    key: /not/a/file',
      ]),
      'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['secrets:', '  - name: TOKEN', '    from: file', '    key: "C:\\\\secrets\\\\token"']),
      'ecosystem/platform-cloud/dev/environment.yaml': doc('Environment', 'dev', ['tier: dev', 'adapter: docker', 'secrets:', '  - name: ROOT', '    from: file', '    key: /etc/shadow']),
    });
    const hint = 'secret files must be paths relative to the repository root, inside it';
    expect(found).toEqual([
      {
        ruleId: 'path.outside-root',
        severity: 'error',
        message: 'secret "ROOT" reads the file "/etc/shadow", which is an absolute path',
        hint,
        file: 'ecosystem/platform-cloud/dev/environment.yaml',
        line: 11,
        column: 7,
        kind: 'Environment',
        name: 'dev',
        environment: 'dev',
        path: '/spec/secrets/0/key',
      },
      {
        ruleId: 'path.outside-root',
        severity: 'error',
        message: 'secret "TOKEN" reads the file "C:\\secrets\\token", which is an absolute path',
        hint,
        file: 'ecosystem/platform-templates/batch.yaml',
        line: 9,
        column: 7,
        kind: 'PlatformTemplate',
        name: 'batch',
        path: '/spec/secrets/0/key',
      },
      onApi({
        ruleId: 'path.outside-root',
        message: 'secret "TLS_KEY" reads the file "../../etc/tls.key", which leaves the repository through ".."',
        hint,
        line: 12,
        column: 7,
        path: '/spec/secrets/0/key',
      }),
    ]);
  });
});

describe('chains and cycles', () => {
  const T = (n: string) => `ecosystem/platform-templates/${n}.yaml`;

  it('a template extends cycle is reported once, at the extends of its first template in name order', async () => {
    const found = await refs({
      [T('c1')]: doc('PlatformTemplate', 'c1', ['replicas: 1', 'extends: c2']),
      [T('c2')]: doc('PlatformTemplate', 'c2', ['extends: c3']),
      [T('c3')]: doc('PlatformTemplate', 'c3', ['extends: c1']),
      [T('c4')]: doc('PlatformTemplate', 'c4', ['extends: c3']), // above the cycle: no finding of its own
      [T('self')]: doc('PlatformTemplate', 'self', ['extends: self']),
    });
    expect(found).toEqual([
      {
        ruleId: 'ref.cycle',
        severity: 'error',
        message: 'templates extend each other in a cycle: c1 → c2 → c3 → c1',
        hint: 'remove one of these extends so the chain ends at a template that extends nothing',
        file: T('c1'),
        line: 7,
        column: 3,
        kind: 'PlatformTemplate',
        name: 'c1',
        path: '/spec/extends',
      },
      {
        ruleId: 'ref.cycle',
        severity: 'error',
        message: 'templates extend each other in a cycle: self → self',
        hint: 'remove one of these extends so the chain ends at a template that extends nothing',
        file: T('self'),
        line: 6,
        column: 3,
        kind: 'PlatformTemplate',
        name: 'self',
        path: '/spec/extends',
      },
    ]);
  });

  it('a template chain 6 deep is reported at the template one past the limit; 5 deep is fine', async () => {
    const chain: Record<string, string> = { [T('t1')]: doc('PlatformTemplate', 't1', ['replicas: 1']) };
    for (let i = 2; i <= 7; i++) chain[T(`t${i}`)] = doc('PlatformTemplate', `t${i}`, [`extends: t${i - 1}`]);
    const five = await refs({ ...chain, [T('t6')]: null, [T('t7')]: null });
    expect(five).toEqual([]);
    const found = await refs(chain);
    expect(found).toEqual([
      {
        ruleId: 'ref.depth',
        severity: 'error',
        message: 'template chain is 6 deep, over the limit of 5: t6 → t5 → t4 → t3 → t2 → t1',
        hint: 'flatten the chain: fold one template into the template it extends',
        file: T('t6'),
        line: 6,
        column: 3,
        kind: 'PlatformTemplate',
        name: 't6',
        path: '/spec/extends',
      },
    ]);
  });

  it('a dependsOn cycle, with the cycle in the message, at the entry that closes it', async () => {
    const found = await refs({
      'platforms/db-platform/platform.yaml': doc('Platform', 'db-platform', [
        'owner: team-b',
        'namespace: data',
        'version: 1.0.0',
        'dependsOn:',
        '  - report-platform',
      ]),
    });
    expect(found).toEqual([
      onApi({
        ruleId: 'ref.cycle',
        message: 'platforms depend on each other in a cycle: api-platform → db-platform → report-platform → api-platform',
        hint: 'remove one of these dependsOn entries: no platform in a cycle can start first',
        line: 15,
        column: 7,
        path: '/spec/dependsOn/0',
      }),
    ]);
  });

  it('a dependsOn list inherited from a template is checked where it is written', async () => {
    const found = await refs({
      'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['dependsOn:', '  - worker-platform']),
    });
    // worker extends batch, so it depends on itself; report and lone inherit nothing (their own lists win or they have none).
    expect(found).toEqual([
      {
        ruleId: 'ref.cycle',
        severity: 'error',
        message: 'platforms depend on each other in a cycle: worker-platform → worker-platform',
        hint: 'remove one of these dependsOn entries: no platform in a cycle can start first',
        file: 'ecosystem/platform-templates/batch.yaml',
        line: 7,
        column: 7,
        kind: 'Platform',
        name: 'worker-platform',
        path: '/spec/dependsOn/0',
      },
    ]);
  });

  it('a promotion cycle between environments, in promotion order', async () => {
    const file = 'ecosystem/platform-cloud/dev/environment.yaml';
    const found = await refs({ [file]: doc('Environment', 'dev', ['tier: dev', 'adapter: docker', 'promotion:', '  from: prod']) });
    expect(found).toEqual([
      {
        ruleId: 'ref.cycle',
        severity: 'error',
        message: 'environments promote from each other in a cycle: dev → staging → prod → dev',
        hint: 'the first environment of a promotion chain must not promote from another: remove one promotion.from',
        file,
        line: 9,
        column: 5,
        kind: 'Environment',
        name: 'dev',
        environment: 'dev',
        path: '/spec/promotion/from',
      },
    ]);
  });
});

describe('name suggestions', () => {
  it('edit distance', () => {
    expect(editDistance('http-servce', 'http-service')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abcdef', 'uvwxyz', 2)).toBe(3);
    // A swap of neighbours is one typo.
    expect(editDistance('stroage', 'storage')).toBe(1);
    expect(editDistance('reprot-platform', 'report-platform')).toBe(1);
  });

  it('suggests only names close enough to be a typo', () => {
    expect(closestName('stroage', ['storage', 'queue'])).toBe('storage');
    expect(closestName('blob', ['storage', 'queue'])).toBeUndefined();
    expect(closestName('cache-platform', ['api-platform', 'db-platform'])).toBeUndefined();
    expect(closestName('prd', ['dev', 'prod', 'staging'])).toBe('prod');
  });

  it('ignores case, so a schema field or a name typed in other capitals is still found', () => {
    expect(closestName('MEMORYMB', ['cpuCores', 'memoryMb'])).toBe('memoryMb');
    expect(closestName('Prod', ['dev', 'prod'])).toBe('prod');
  });
});
