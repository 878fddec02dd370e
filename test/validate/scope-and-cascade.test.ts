// Two pieces of validate in process: how a change's scope widens (to everything, or to the
// links of what it touched), and how findings that follow from an error are linked to it.
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkCauses } from '../../tools/lib/validate/cascade.js';
import { isPolicyInput, widenChange } from '../../tools/lib/validate/scope.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { BASE, doc, load, removeWorlds, world, writeWorld } from '../registry/world.js';

afterAll(removeWorlds);

describe('widenChange', () => {
  it('the rules, a schema, or a file among the manifests that is not one, widen to everything, saying why', async () => {
    const { eco } = await world();
    expect(widenChange(eco, ['platforms/api-platform/platform.yaml'])).toEqual({ files: ['platforms/api-platform/platform.yaml'], everything: false });
    for (const [file, reason] of [
      ['policies/rules/images.rego', 'policies/rules/images.rego is a policy, the settings or an exception'],
      ['ecosystem/governance/settings.yaml', 'ecosystem/governance/settings.yaml is a policy, the settings or an exception'],
      ['ecosystem/governance/exceptions/x.yaml', 'ecosystem/governance/exceptions/x.yaml is a policy, the settings or an exception'],
      ['schemas/Platform.json', 'schemas/Platform.json is a schema'],
      ['platforms/api-platform/notes.md', 'platforms/api-platform/notes.md is not a manifest but lives among them'],
      ['registry/ns.YML', undefined],
      ['docs/readme.md', undefined],
    ] as const) {
      const scope = widenChange(eco, [file, 'platforms/api-platform/platform.yaml']);
      expect(scope.everything, file).toBe(reason !== undefined);
      expect(scope.reason, file).toBe(reason);
    }
    // The first file that widens is the reason given.
    expect(widenChange(eco, ['schemas/A.json', 'policies/x.rego']).reason).toBe('schemas/A.json is a schema');
    expect([isPolicyInput('policies/a.rego'), isPolicyInput('ecosystem/governance/settings.yaml'), isPolicyInput('ecosystem/governance/other.yaml')]).toEqual([true, true, false]);
  });

  it('a manifest that is a link to a changed file is changed too; a link to an unchanged one is not', async () => {
    const root = writeWorld(BASE);
    mkdirSync(path.join(root, 'platforms/mirror-platform'));
    symlinkSync('../db-platform/platform.yaml', path.join(root, 'platforms/mirror-platform/platform.yaml'));
    const eco = await load(root, { clean: false });
    const linked = ['platforms/mirror-platform/platform.yaml', 'platforms/gone/platform.yaml'];
    expect(widenChange(eco, ['platforms/db-platform/platform.yaml'], linked).files).toEqual(['platforms/db-platform/platform.yaml', 'platforms/mirror-platform/platform.yaml']);
    expect(widenChange(eco, ['platforms/api-platform/platform.yaml'], linked).files).toEqual(['platforms/api-platform/platform.yaml']);
    // Without the list of linked files, every file is looked at.
    expect(widenChange(eco, ['platforms/db-platform/platform.yaml']).files).toContain('platforms/mirror-platform/platform.yaml');
  });
});

describe('linkCauses', () => {
  const f = (over: Partial<Finding>): Finding => ({ ruleId: 'r.x', severity: 'error', message: 'm', file: 'f.yaml', line: 1, column: 1, ...over });
  const brokenTemplate = f({ ruleId: 'schema.invalid', file: 'ecosystem/platform-templates/base.yaml', line: 6, column: 3 });
  const cause = { ruleId: 'schema.invalid', file: 'ecosystem/platform-templates/base.yaml', line: 6, column: 3 };

  it('a policy finding about a platform in an environment follows from a broken template anywhere up its chain', async () => {
    const { eco } = await world();
    const inEnv = f({ ruleId: 'resources.required', kind: 'Platform', name: 'api-platform', environment: 'dev' }); // api ← http-service ← base
    const own = f({ ruleId: 'resources.required', kind: 'Platform', name: 'worker-platform', environment: 'dev' }); // worker ← batch
    const noEnv = f({ ruleId: 'naming.platform', kind: 'Platform', name: 'api-platform' });
    const refFinding = f({ ruleId: 'ref.version', kind: 'Platform', name: 'api-platform', environment: 'dev' });
    const out = linkCauses([brokenTemplate, inEnv, own, noEnv, refFinding], eco);
    expect(out.map((x) => x.causedBy)).toEqual([undefined, cause, undefined, undefined, undefined]);
  });

  it('a reference to a platform or template that dropped out follows from the error that dropped it', async () => {
    const { eco } = await world();
    const droppedPlatform = f({ ruleId: 'yaml.syntax', file: 'platforms/db-platform/platform.yaml', line: 4 });
    const toPlatform = f({ ruleId: 'ref.unknown', message: 'platform "db-platform" does not exist', file: 'platforms/api-platform/platform.yaml' });
    const toTemplate = f({ ruleId: 'ref.unknown', message: 'template "base" does not exist' });
    const toOther = f({ ruleId: 'ref.unknown', message: 'platform "nothing-platform" does not exist' });
    const out = linkCauses([droppedPlatform, brokenTemplate, toPlatform, toTemplate, toOther], eco);
    expect(out.map((x) => x.causedBy)).toEqual([undefined, undefined, { ruleId: 'yaml.syntax', file: 'platforms/db-platform/platform.yaml', line: 4, column: 1 }, cause, undefined]);
  });

  it('an extends that names nothing cuts the chain as a dropped template does; warnings drop nothing', async () => {
    const { eco } = await world({ 'ecosystem/platform-templates/http-service.yaml': doc('PlatformTemplate', 'http-service', ['extends: nowhere', 'replicas: 2']) }, { clean: false });
    const cut = f({ ruleId: 'ref.unknown', kind: 'PlatformTemplate', name: 'http-service', path: '/spec/extends', message: 'template "nowhere" does not exist', line: 6 });
    const inEnv = f({ ruleId: 'health.required', kind: 'Platform', name: 'api-platform', environment: 'prod' });
    expect(linkCauses([cut, inEnv], eco)[1]!.causedBy).toEqual({ ruleId: 'ref.unknown', file: 'f.yaml', line: 6, column: 1 });
    const warning = f({ ruleId: 'yaml.warning', severity: 'warning', file: 'platforms/db-platform/platform.yaml' });
    const toPlatform = f({ ruleId: 'ref.unknown', message: 'platform "db-platform" does not exist' });
    expect(linkCauses([warning, toPlatform], eco)[1]!.causedBy).toBeUndefined();
    // Nothing broken: the same list, untouched.
    const list = [inEnv];
    expect(linkCauses(list, eco)).toBe(list);
  });

  it('which error is a manifest’s: its kind and name, else the conventional path of a platform or template file, nothing else', async () => {
    const { eco } = await world();
    const inEnv = (name: string) => f({ ruleId: 'resources.required', kind: 'Platform', name, environment: 'dev' });
    const causes = (dropping: Finding) => linkCauses([dropping, inEnv('api-platform')], eco)[1]!.causedBy;
    // Named by the finding itself, wherever the file is.
    expect(causes(f({ ruleId: 'schema.invalid', kind: 'PlatformTemplate', name: 'http-service', file: 'odd/place.yaml', line: 3 }))).toMatchObject({ file: 'odd/place.yaml', line: 3 });
    expect(causes(f({ ruleId: 'yaml.syntax', file: 'platforms/api-platform/platform.yml' }))).toMatchObject({ file: 'platforms/api-platform/platform.yml' });
    expect(causes(f({ ruleId: 'yaml.syntax', file: 'ecosystem/platform-templates/base.yml' }))).toMatchObject({ file: 'ecosystem/platform-templates/base.yml' });
    for (const file of ['copy/platforms/api-platform/platform.yaml', 'platforms/api-platform/platform.yaml.orig', 'old/ecosystem/platform-templates/base.yaml', 'ecosystem/platform-templates/base.yaml~']) {
      expect(causes(f({ ruleId: 'yaml.syntax', file })), file).toBeUndefined();
    }
    // Only a kind with a name says which manifest.
    expect(causes(f({ ruleId: 'schema.invalid', kind: 'PlatformTemplate', file: 'odd/place.yaml' }))).toBeUndefined();
  });

  it('the chain is followed through templates that do not exist and around a cycle; only an unknown extends cuts it', async () => {
    const { eco } = await world(
      {
        'ecosystem/platform-templates/loop-a.yaml': doc('PlatformTemplate', 'loop-a', ['extends: loop-b']),
        'ecosystem/platform-templates/loop-b.yaml': doc('PlatformTemplate', 'loop-b', ['extends: loop-a']),
        'platforms/loop-platform/platform.yaml': doc('Platform', 'loop-platform', ['owner: team-a', 'namespace: ops', 'version: 0.1.0', 'extends: loop-a']),
        'platforms/stray-platform/platform.yaml': doc('Platform', 'stray-platform', ['owner: team-a', 'namespace: ops', 'version: 0.1.0', 'extends: nowhere']),
      },
      { clean: false },
    );
    const inEnv = (name: string, over: Partial<Finding> = {}) => f({ ruleId: 'resources.required', kind: 'Platform', name, environment: 'dev', ...over });
    const out = linkCauses([brokenTemplate, inEnv('loop-platform'), inEnv('stray-platform'), inEnv('ghost-platform'), inEnv('api-platform', { kind: 'PlatformInstance' })], eco);
    expect(out.map((x) => x.causedBy)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // A reference elsewhere that names nothing is not a break in the chain.
    const elsewhere = f({ ruleId: 'ref.unknown', kind: 'PlatformTemplate', name: 'http-service', path: '/spec/dependsOn/0', message: 'platform "nowhere" does not exist' });
    expect(linkCauses([elsewhere, inEnv('api-platform')], eco)[1]!.causedBy).toBeUndefined();
    // The platform's own dropping error comes first; a dropping error follows from nothing.
    const ownDrop = f({ ruleId: 'schema.invalid', kind: 'Platform', name: 'api-platform', environment: 'dev', line: 9 });
    const linked = linkCauses([brokenTemplate, ownDrop, inEnv('api-platform')], eco);
    expect(linked[1]!.causedBy).toBeUndefined();
    expect(linked[2]!.causedBy).toMatchObject({ ruleId: 'schema.invalid', line: 9 });
    // A reference finding whose message names no platform or template is left as it is.
    expect(linkCauses([brokenTemplate, f({ ruleId: 'ref.unknown', message: 'contract "queue@^9" matches no version' })], eco)[1]!.causedBy).toBeUndefined();
  });
});
