import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../tools/lib/manifest/kinds.js';
import { validateDocument } from '../../tools/lib/manifest/schema.js';
import { schemaJson } from '../../tools/lib/manifest/write-schemas.js';
import { PROJECT_ROOT } from '../helpers/repo.js';

describe('published JSON Schemas', () => {
  it.each(KINDS)('schemas/%s.json is current (run npm run schemas)', (kind) => {
    const committed = readFileSync(path.join(PROJECT_ROOT, 'schemas', `${kind}.json`), 'utf8');
    expect(committed).toBe(schemaJson(kind));
  });

  it('every published schema compiles in ajv strict mode on its own', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true, validateFormats: false });
    for (const kind of KINDS) {
      const schema = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas', `${kind}.json`), 'utf8')) as object;
      expect(() => ajv.compile(schema)).not.toThrow();
    }
  });
});

describe('validateDocument', () => {
  const platform = (spec: object) => ({ apiVersion: 'mnops/v1', kind: 'Platform', metadata: { name: 'x-platform' }, spec: { owner: 'a', namespace: 'ns', version: '1.0.0', ...spec } });

  it('accepts a minimal valid platform', () => {
    expect(validateDocument(platform({})).problems).toEqual([]);
  });

  it('names the missing field and where to add it', () => {
    const { problems } = validateDocument({ apiVersion: 'mnops/v1', kind: 'Namespace', metadata: { name: 'ns' }, spec: {} });
    expect(problems).toEqual([{ pointer: '/spec', message: 'spec.owners is missing', hint: 'add "owners:" under spec' }]);
  });

  it('suggests the closest kind for a typo', () => {
    const { problems } = validateDocument({ apiVersion: 'mnops/v1', kind: 'Platfrom', metadata: { name: 'x' }, spec: {} });
    expect(problems[0]).toMatchObject({ pointer: '/kind', hint: 'did you mean Platform?' });
  });

  it('rejects a wrong apiVersion before anything else', () => {
    const { problems } = validateDocument({ apiVersion: 'v1', kind: 'Platform' });
    expect(problems).toEqual([{ pointer: '/apiVersion', message: 'apiVersion is "v1", expected mnops/v1', hint: 'set apiVersion: mnops/v1' }]);
  });

  it('explains enum, pattern and range problems', () => {
    const { problems } = validateDocument(platform({ network: { policy: 'open' }, version: '1.0', replicas: -1 }));
    expect(problems.map((p) => p.message)).toEqual([
      'spec.version "1.0" is not a semantic version: it needs major.minor.patch',
      'spec.network.policy is "open", not one of no-network | egress-only | http-only | allow-all',
      'spec.replicas is -1, it must be >= 0',
    ]);
  });
});
