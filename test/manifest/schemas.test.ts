import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { KINDS } from '../../tools/lib/manifest/kinds.js';
import { pointerToPath, validateDocument } from '../../tools/lib/manifest/schema.js';
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

  const problemsOf = (d: unknown) => validateDocument(d).problems.map((p) => `${p.pointer} | ${p.message} | ${p.hint}`);
  const doc = (kind: string, spec: object, metadata: object = { name: 'w' }) => ({ apiVersion: 'mnops/v1', kind, metadata, spec });

  it('an unknown field: the closest known one, else the fields allowed there, in the spec or at the top', () => {
    expect(problemsOf(platform({ replicaz: 2 }))).toEqual(['/spec/replicaz | unknown field "replicaz" in spec | did you mean "replicas"?']);
    expect(problemsOf(platform({ zzzzzzzzzz: 2 }))[0]).toMatch(/^\/spec\/zzzzzzzzzz \| unknown field "zzzzzzzzzz" in spec \| allowed fields: description, owner, namespace, .*, driftIgnore$/);
    expect(problemsOf({ ...platform({}), extra: 1 })).toEqual(['/extra | unknown field "extra" in the document | allowed fields: apiVersion, kind, metadata, spec']);
  });

  it('a wrong type: a version written as a number gives the string to write; a number for a string is quoted; otherwise the type wanted', () => {
    expect(problemsOf(platform({ version: 2 }))).toEqual(['/spec/version | spec.version is the number 2; versions are semantic-version strings (major.minor.patch) | write version: "2.0.0"']);
    expect(problemsOf(platform({ version: 1.5 }))).toEqual(['/spec/version | spec.version is the number 1.5; versions are semantic-version strings (major.minor.patch) | write version: "1.5.0"']);
    expect(problemsOf(platform({ owner: 42 }))).toEqual(['/spec/owner | spec.owner is the number 42, expected a string | quote it: owner: "42"']);
    expect(problemsOf(platform({ dependsOn: 'db' }))).toEqual(['/spec/dependsOn | spec.dependsOn is "db", expected array | write spec.dependsOn as an array']);
    expect(problemsOf(platform({ dependsOn: null }))).toEqual(['/spec/dependsOn | spec.dependsOn is null, expected array | write spec.dependsOn as an array']);
    expect(problemsOf(platform({ replicas: 'two' }))).toEqual(['/spec/replicas | spec.replicas is "two", expected integer | write spec.replicas as an integer']);
    expect(problemsOf(platform({ resources: [] }))).toEqual(['/spec/resources | spec.resources is a list, expected object | write spec.resources as an object']);
    expect(problemsOf(platform({ resources: 3 }))).toEqual(['/spec/resources | spec.resources is 3, expected object | write spec.resources as an object']);
  });

  it('a described pattern names what is expected; a long value is cut', () => {
    expect(problemsOf({ ...platform({}), metadata: { name: 'Bad_Name' } })).toEqual([
      '/metadata/name | metadata.name "Bad_Name" is not a valid lower-case identifier | write a lower-case identifier',
    ]);
    const long = 'X'.repeat(80);
    expect(problemsOf({ ...platform({}), metadata: { name: long } })[0]).toContain(`metadata.name "${'X'.repeat(57)}..." is not a valid`);
  });

  it('dates, too-short texts and lists', () => {
    const waiver = (spec: object) =>
      doc('PolicyException', { rule: 'resources.ceiling', target: { kind: 'Platform', name: 'api-platform' }, reason: 'a waiver long enough to be valid', approvedBy: 'pe', expires: '2099-12-31', ...spec });
    expect(problemsOf(waiver({}))).toEqual([]);
    expect(problemsOf(waiver({ expires: '31-12-2099' }))).toEqual(['/spec/expires | spec.expires "31-12-2099" is not a valid date | write it as YYYY-MM-DD']);
    expect(problemsOf(waiver({ reason: 'short' }))).toEqual(['/spec/reason | spec.reason is too short: must NOT have fewer than 10 characters | give spec.reason 10 or more characters']);
    expect(problemsOf(doc('Namespace', { owners: [] }, { name: 'ops' }))).toEqual(['/spec/owners | spec.owners is too short: must NOT have fewer than 1 items | give spec.owners 1 or more items']);
  });

  it('a document that is not a map, and one with no apiVersion or kind', () => {
    const notMap = 'start the document with apiVersion, kind, metadata and spec';
    expect(problemsOf([1])).toEqual([` | a manifest must be a map, got a list | ${notMap}`]);
    expect(problemsOf(null)).toEqual([` | a manifest must be a map, got null | ${notMap}`]);
    expect(problemsOf('text')).toEqual([` | a manifest must be a map, got "text" | ${notMap}`]);
    expect(problemsOf({ kind: 'Platform' })).toEqual([' | apiVersion is missing | set apiVersion: mnops/v1']);
    expect(problemsOf({ apiVersion: 'mnops/v1' })[0]).toMatch(/^ \| kind is missing \| use one of: Platform, /);
    expect(problemsOf({ apiVersion: 'mnops/v1', kind: 7 })[0]).toMatch(/^\/kind \| kind 7 is not a manifest kind \| use one of: /);
  });

  const env = (spec: object) => doc('Environment', { tier: 'dev', adapter: 'docker', ...spec }, { name: 'dev' });

  it('a map of names (env, labels, rule ids) refuses a key its pattern does not allow, naming the key and the pattern', () => {
    // Before, a Record's key pattern was only patternProperties: any other key passed unchecked.
    expect(problemsOf(platform({ env: { 'LOG_LEVEL=debug': 'x', 'GOOD_NAME': 'y' } }))).toEqual([
      '/spec/env/LOG_LEVEL=debug | spec.env has the key "LOG_LEVEL=debug", which is not a valid name there | rename it to match ^[A-Za-z_][A-Za-z0-9_.-]*$',
    ]);
    expect(problemsOf({ ...platform({}), metadata: { name: 'x-platform', labels: { 'bad key!': 'x', 'team/a.b': 'ok' } } })).toEqual([
      '/metadata/labels/bad key! | metadata.labels has the key "bad key!", which is not a valid name there | rename it to match ^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$',
    ]);
    expect(problemsOf(doc('PolicySettings', { tiers: { dev: { severity: { 'NotARule': 'off' } } } }, { name: 'settings' }))[0]).toMatch(
      /^\/spec\/tiers\/dev\/severity\/NotARule \| spec\.tiers\.dev\.severity has the key "NotARule", which is not a valid name there \| rename it to match/,
    );
  });

  it('every field a document misses is listed, not just the first at that place', () => {
    expect(problemsOf({ apiVersion: 'mnops/v1', kind: 'Platform', metadata: { name: 'x-platform' }, spec: {} })).toEqual([
      '/spec | spec.owner is missing | add "owner:" under spec',
      '/spec | spec.namespace is missing | add "namespace:" under spec',
      '/spec | spec.version is missing | add "version:" under spec',
    ]);
  });

  it('a map, a list or a boolean where another type is wanted, each described as what it is', () => {
    expect(problemsOf(platform({ owner: { a: 1 } }))).toEqual(['/spec/owner | spec.owner is a map, expected string | write spec.owner as a string']);
    expect(problemsOf(platform({ owner: ['a'] }))).toEqual(['/spec/owner | spec.owner is a list, expected string | write spec.owner as a string']);
    expect(problemsOf(platform({ replicas: true }))).toEqual(['/spec/replicas | spec.replicas is true, expected integer | write spec.replicas as an integer']);
    expect(problemsOf(platform({ replicas: 'x'.repeat(60) }))[0]).toContain(`spec.replicas is "${'x'.repeat(60)}", expected integer`);
  });

  it('a version: the full one to write when it is only short, else what a semantic version looks like', () => {
    const fix = (version: string, full: string) => `/spec/version | spec.version "${version}" is not a semantic version: it needs major.minor.patch | write version: "${full}"`;
    expect(problemsOf(platform({ version: 'v2' }))).toEqual([fix('v2', '2.0.0')]);
    expect(problemsOf(platform({ version: '10.20' }))).toEqual([fix('10.20', '10.20.0')]);
    expect(problemsOf(platform({ version: 'v1.5' }))).toEqual([fix('v1.5', '1.5.0')]);
    for (const version of ['x1.2', '1.2.3.4', '1.2x'])
      expect(problemsOf(platform({ version }))).toEqual([`/spec/version | spec.version "${version}" is not a valid semantic version | write a semantic version, e.g. 1.4.0`]);
  });

  it('a date-time, a lifetime and an exclusive minimum, each with its fix', () => {
    expect(problemsOf(env({}))).toEqual([]);
    expect(problemsOf(env({ createdAt: 'yesterday' }))).toEqual([
      '/spec/createdAt | spec.createdAt "yesterday" is not a valid date-time | write it as an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z',
    ]);
    expect(problemsOf(env({ ttl: '2w' }))).toEqual(['/spec/ttl | spec.ttl "2w" is not a valid lifetime | write a lifetime, e.g. 48h or 7d']);
    expect(problemsOf(env({ ttl: 7 }))).toEqual(['/spec/ttl | spec.ttl is the number 7, expected a string | quote it: ttl: "7"']);
    expect(problemsOf(platform({ resources: { cpuCores: 0, memoryMb: 1 } }))).toEqual([
      '/spec/resources/cpuCores | spec.resources.cpuCores is 0, it must be > 0 | use a value > 0',
      '/spec/resources/memoryMb | spec.resources.memoryMb is 1, it must be >= 4 | use a value >= 4',
    ]);
  });

  it('any other rule broken: the validator’s words, and the schema of that kind to read', () => {
    expect(problemsOf({ ...platform({}), metadata: { name: 'x-platform', labels: { team: 'x'.repeat(300) } } })).toEqual([
      '/metadata/labels/team | metadata.labels.team must NOT have more than 256 characters | change metadata.labels.team to what schemas/Platform.json allows there',
    ]);
  });

  it('pointerToPath reads a JSON pointer the way a user writes the path', () => {
    expect(pointerToPath('')).toBe('(document)');
    expect(pointerToPath('/spec/resources/memoryMb')).toBe('spec.resources.memoryMb');
    expect(pointerToPath('/spec/a~1b/0/c~0d')).toBe('spec.a/b[0].c~d');
  });
});
