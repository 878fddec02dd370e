// Indexing parsed files into an ecosystem (buildEcosystem), in process: what fails its schema
// is a finding and an invalid key, governance read from the wrong place is refused, a name
// defined twice is reported on the copy, and a contract's versions come in semver order.
import { describe, expect, it } from 'vitest';
import { buildEcosystem, summarize, type DefinitionHistory, type ParsedFile } from '../../tools/lib/manifest/ecosystem.js';
import { parseManifestText } from '../../tools/lib/manifest/load.js';
import { doc, waiver } from '../registry/world.js';

const parsed = (files: Record<string, string>): ParsedFile[] => Object.entries(files).map(([file, text]) => ({ file, content: parseManifestText(text) }));
const build = (files: Record<string, string>, history?: DefinitionHistory) => buildEcosystem('/repo', parsed(files), history);

const platform = (name: string, extra: string[] = []) => doc('Platform', name, ['owner: team-a', 'namespace: ops', 'version: 1.0.0', ...extra]);
const environment = (name: string) => doc('Environment', name, ['tier: dev', 'adapter: docker']);
const instance = (name: string, env: string) => doc('PlatformInstance', name, [`environment: ${env}`, 'platforms: []']);
const contract = (version: string) => doc('Contract', 'storage', [`version: ${version}`, 'operations:', '  - name: ping']);

describe('buildEcosystem', () => {
  it('a document failing its schema is a finding at its line, leaves no record, and its key is known as invalid', () => {
    const { ecosystem, findings } = build({
      'platforms/api-platform/platform.yaml': platform('api-platform', ['replicaz: 2']),
      'ecosystem/contracts/storage/1.0.0.yaml': doc('Contract', 'storage', ['version: 1.0.0', 'operations: nope']),
      'ecosystem/platform-cloud/dev/platform.yaml': doc('PlatformInstance', 'dev', ['environment: dev', 'platforms: 3']),
      'platforms/db-platform/platform.yaml': platform('db-platform'),
    });
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId} ${f.kind}/${f.name} ${f.path}`)).toEqual([
      'platforms/api-platform/platform.yaml:9:3 schema.invalid Platform/api-platform /spec/replicaz',
      'ecosystem/contracts/storage/1.0.0.yaml:7:3 schema.invalid Contract/storage /spec/operations',
      'ecosystem/platform-cloud/dev/platform.yaml:7:3 schema.invalid PlatformInstance/dev /spec/platforms',
    ]);
    expect(findings[0]).toMatchObject({ severity: 'error', message: 'unknown field "replicaz" in spec', hint: 'did you mean "replicas"?' });
    expect([...ecosystem.invalidKeys].sort()).toEqual(['Contract/storage@1.0.0', 'Platform/api-platform', 'PlatformInstance/dev', 'PlatformInstance@dev']);
    expect(ecosystem.records.map((r) => r.key)).toEqual(['Platform/db-platform']);
    expect(ecosystem.documentCount).toBe(4);
    expect(ecosystem.files).toHaveLength(4);
  });

  it('a document without a kind or a name fails its schema without an invalid key', () => {
    const { ecosystem, findings } = build({ 'platforms/x.yaml': 'apiVersion: mnops/v1\nkind: Platform\nmetadata: {}\nspec: {}\n' });
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.ruleId === 'schema.invalid')).toBe(true);
    expect([...ecosystem.invalidKeys]).toEqual([]);
  });

  it('PolicySettings outside the settings file and PolicyExceptions outside their folder are refused, not read', () => {
    const settings = doc('PolicySettings', 'governance', ['description: tuned by the governed']);
    const exception = waiver('waiver', ['kind: Platform', 'name: api-platform']);
    const { ecosystem, findings } = build({
      'platforms/api-platform/settings.yaml': settings,
      'platforms/api-platform/waiver.yaml': exception,
      'ecosystem/governance/settings.yaml': settings,
      'ecosystem/governance/exceptions/waiver.yaml': exception,
    });
    expect(findings).toEqual([
      {
        ruleId: 'settings.location',
        severity: 'error',
        message: 'PolicySettings are read only from ecosystem/governance/settings.yaml; this one in platforms/api-platform/settings.yaml is ignored',
        hint: 'move these settings into ecosystem/governance/settings.yaml (reviewed by its owners) and delete platforms/api-platform/settings.yaml',
        file: 'platforms/api-platform/settings.yaml',
        line: 2,
        column: 1,
        kind: 'PolicySettings',
        name: 'governance',
        path: '/kind',
      },
      {
        ruleId: 'exceptions.location',
        severity: 'error',
        message: 'PolicyExceptions are read only from ecosystem/governance/exceptions/; this one in platforms/api-platform/waiver.yaml waives nothing',
        hint: 'move it to ecosystem/governance/exceptions/waiver.yaml',
        file: 'platforms/api-platform/waiver.yaml',
        line: 2,
        column: 1,
        kind: 'PolicyException',
        name: 'waiver',
        path: '/kind',
      },
    ]);
    expect(ecosystem.records.map((r) => r.file)).toEqual(['ecosystem/governance/settings.yaml', 'ecosystem/governance/exceptions/waiver.yaml']);
    expect(ecosystem.settings.get('governance')?.file).toBe('ecosystem/governance/settings.yaml');
    expect(ecosystem.exceptions.get('waiver')?.file).toBe('ecosystem/governance/exceptions/waiver.yaml');
  });

  it('a contract\'s versions are in semver order, whatever order their files come in', () => {
    const { ecosystem } = build({
      'ecosystem/contracts/storage/2.0.0.yaml': contract('2.0.0'),
      'ecosystem/contracts/storage/1.10.0.yaml': contract('1.10.0'),
      'ecosystem/contracts/storage/1.2.0.yaml': contract('1.2.0'),
      'ecosystem/contracts/storage/1.2.0-rc.1.yaml': contract('1.2.0-rc.1'),
    });
    expect(ecosystem.contracts.get('storage')!.map((c) => c.manifest.spec.version)).toEqual(['1.2.0-rc.1', '1.2.0', '1.10.0', '2.0.0']);
    expect(ecosystem.contracts.get('storage')!.map((c) => c.key)).toContain('Contract/storage@1.10.0');
  });

  it('summarize keeps identity and only the link fields a document sets', () => {
    const value = { kind: 'Platform', metadata: { name: 'p' }, spec: { version: '1.0.0', extends: 'base', dependsOn: ['q'], replicas: 2 } };
    expect(summarize(value)).toEqual({ kind: 'Platform', name: 'p', version: '1.0.0', environment: undefined, links: { extends: 'base', dependsOn: ['q'] } });
    expect(summarize(null)).toEqual({ links: {} });
    expect(summarize({ kind: 3, metadata: { name: 4 }, spec: 'x' })).toEqual({ kind: undefined, name: undefined, version: undefined, environment: undefined, links: {} });
  });
});

describe('a name defined twice is reported on the copy', () => {
  const reported = (files: Record<string, string>, history?: DefinitionHistory) => {
    const { ecosystem, findings } = build(files, history);
    return { kept: ecosystem.records.map((r) => r.file), findings: findings.map((f) => ({ file: f.file, line: f.line, message: f.message, hint: f.hint, environment: f.environment })) };
  };
  const HINT = 'rename metadata.name here, or remove this definition';

  it('outside the folder its name calls for, whichever comes first in path order', () => {
    expect(reported({ 'platforms/a-copy/platform.yaml': platform('api-platform'), 'platforms/api-platform/platform.yaml': platform('api-platform') })).toEqual({
      kept: ['platforms/api-platform/platform.yaml'],
      findings: [
        {
          file: 'platforms/a-copy/platform.yaml',
          line: 4,
          message:
            'Platform/api-platform is defined twice: the other definition is at platforms/api-platform/platform.yaml:4 (this one is reported: its file is not in the folder its name calls for)',
          hint: HINT,
          environment: undefined,
        },
      ],
    });
  });

  it('both in place: the later in path order; a file the change touches or not yet committed is the copy first', () => {
    const files = { 'platforms/api-platform/platform.yaml': platform('api-platform'), 'platforms/api-platform/platform.yml': platform('api-platform') };
    expect(reported(files).findings.map((f) => [f.file, f.message.replace(/.*reported: /, '')])).toEqual([['platforms/api-platform/platform.yml', 'it comes later in path order)']]);
    const touched: DefinitionHistory = (list) => {
      expect([...list].sort()).toEqual(Object.keys(files).sort());
      return new Map([['platforms/api-platform/platform.yaml', { changed: true }]]);
    };
    expect(reported(files, touched).findings.map((f) => [f.file, f.message.replace(/.*reported: /, '')])).toEqual([
      ['platforms/api-platform/platform.yaml', 'the change under review touches it)'],
    ]);
    const uncommitted: DefinitionHistory = () => new Map([['platforms/api-platform/platform.yaml', { uncommitted: true }]]);
    expect(reported(files, uncommitted).findings.map((f) => [f.file, f.message.replace(/.*reported: /, '')])).toEqual([
      ['platforms/api-platform/platform.yaml', 'its file is not committed yet)'],
    ]);
    // The highest rule that differs names the reason: touched beats out of place.
    const outOfPlace = { 'platforms/api-platform/platform.yaml': platform('api-platform'), 'platforms/zz/platform.yaml': platform('api-platform') };
    const both: DefinitionHistory = () => new Map([['platforms/api-platform/platform.yaml', { changed: true, uncommitted: true }]]);
    expect(reported(outOfPlace, both).findings.map((f) => [f.file, f.message.replace(/.*reported: /, '')])).toEqual([
      ['platforms/api-platform/platform.yaml', 'the change under review touches it)'],
    ]);
  });

  it('environments and instances: the copy gets the environment and the hint to rename it with mnops new', () => {
    const found = reported({
      'ecosystem/platform-cloud/dev/environment.yaml': environment('dev'),
      'ecosystem/platform-cloud/dev/platform.yaml': instance('dev', 'dev'),
      'ecosystem/platform-cloud/dev2/environment.yaml': environment('dev'),
      'ecosystem/platform-cloud/dev2/platform.yaml': instance('dev2', 'dev'),
    });
    expect(found.kept).toEqual(['ecosystem/platform-cloud/dev/environment.yaml', 'ecosystem/platform-cloud/dev/platform.yaml']);
    const hint = 'rename this copy (mnops new environment NAME --from ENV writes one with every name rewritten), or remove it';
    expect(found.findings).toEqual([
      {
        file: 'ecosystem/platform-cloud/dev2/environment.yaml',
        line: 4,
        message:
          'Environment/dev is defined twice: the other definition is at ecosystem/platform-cloud/dev/environment.yaml:4 (this one is reported: its file is not in the folder its name calls for)',
        hint,
        environment: undefined,
      },
      {
        file: 'ecosystem/platform-cloud/dev2/platform.yaml',
        line: 4,
        message:
          'a second PlatformInstance for environment "dev": the other is at ecosystem/platform-cloud/dev/platform.yaml:4 (this one is reported: its file is not in the folder its name calls for)',
        hint,
        environment: 'dev',
      },
    ]);
  });

  it('a contract version belongs in contracts/<name>/<version>.yaml; other kinds in a file of their name', () => {
    const c = reported({ 'ecosystem/contracts/storage/1.0.0-copy.yaml': contract('1.0.0'), 'ecosystem/contracts/storage/1.0.0.yaml': contract('1.0.0') });
    expect(c.findings.map((f) => f.file)).toEqual(['ecosystem/contracts/storage/1.0.0-copy.yaml']);
    expect(c.findings[0]!.message).toContain('Contract/storage@1.0.0 is defined twice');
    const other = reported({
      'ecosystem/contracts/storge/1.0.0.yaml': contract('1.0.0'),
      'ecosystem/contracts/storage/1.0.0.yaml': contract('1.0.0'),
    });
    expect(other.findings.map((f) => f.file)).toEqual(['ecosystem/contracts/storge/1.0.0.yaml']);
    const adapter = (name: string) => doc('Adapter', name, ['provider: docker', 'implements: []']);
    const a = reported({ 'ecosystem/ecosystem-cloud/adapters/a.yaml': adapter('docker'), 'ecosystem/ecosystem-cloud/adapters/docker.yaml': adapter('docker') });
    expect(a.findings.map((f) => f.file)).toEqual(['ecosystem/ecosystem-cloud/adapters/a.yaml']);
    // Namespaces may live in any file: the later in path order is the copy.
    const ns = doc('Namespace', 'ops', ['owners: [team-a]']);
    const n = reported({ 'registry/a.yaml': ns, 'registry/namespaces.yaml': ns });
    expect(n.findings.map((f) => [f.file, f.message.replace(/.*reported: /, '')])).toEqual([['registry/namespaces.yaml', 'it comes later in path order)']]);
  });
});
