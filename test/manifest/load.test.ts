import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildEcosystem, type ParsedFile } from '../../tools/lib/manifest/ecosystem.js';
import { DEFAULT_LIMITS, locate, parseManifestBytes, parseManifestText, parseWithYaml, resolveLimits } from '../../tools/lib/manifest/load.js';
import { pointerToPath } from '../../tools/lib/manifest/schema.js';
import { checkReferences } from '../../tools/lib/registry/references.js';
import { MnopsError } from '../../tools/lib/repo/errors.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { exampleRepo, removeDir } from '../helpers/repo.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('parseManifestText', () => {
  it('keeps line and column of every key and list item as JSON pointers', () => {
    const { documents, findings } = parseManifestText(
      ['apiVersion: mnops/v1', 'kind: Platform', 'spec:', '  resources:', '    memoryMb: 512', '  engines:', '    - name: A', '    - name: B'].join('\n'),
    );
    expect(findings).toEqual([]);
    const pos = documents[0]!.positions;
    expect(pos['/spec/resources/memoryMb']).toEqual([5, 5]);
    expect(pos['/spec/engines/1']).toEqual([8, 7]);
    expect(pos['/spec/engines/1/name']).toEqual([8, 7]);
    expect(locate(pos, '/spec/resources/cpuCores')).toEqual([4, 3]);
  });

  it('escapes / and ~ in keys the JSON Pointer way, on the fast path and the YAML one alike', () => {
    const text = ['spec:', '  config:', '    a/b: 1', '    c~d: 2', '    "~1": 3'].join('\n');
    for (const { positions } of [parseManifestBytes(enc(text)).documents[0]!, parseWithYaml(text).documents[0]!]) {
      expect(positions['/spec/config/a~1b']).toEqual([3, 5]);
      expect(positions['/spec/config/c~0d']).toEqual([4, 5]);
      expect(positions['/spec/config/~01']).toEqual([5, 5]);
    }
    expect(pointerToPath('/spec/config/a~1b')).toBe('spec.config.a/b');
    expect(pointerToPath('/spec/config/~01')).toBe('spec.config.~1');
  });

  it('reads several documents from one file with their indexes', () => {
    const { documents } = parseManifestText('a: 1\n---\nb: 2\n---\n');
    expect(documents.map((d) => [d.index, d.value])).toEqual([
      [0, { a: 1 }],
      [1, { b: 2 }],
    ]);
    expect(documents[1]!.positions['/b']).toEqual([3, 1]);
  });

  it('pins YAML 1.2: yes/no/on/off stay strings, 0o17 is octal, no merge keys', () => {
    const { documents } = parseManifestText('a: yes\nb: off\nc: 0o17\nd: 017\n');
    expect(documents[0]!.value).toEqual({ a: 'yes', b: 'off', c: 15, d: 17 });
  });

  it('reports duplicate keys with the position of the repeat', () => {
    const { findings } = parseManifestText('a: 1\nb: 2\na: 3\n');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'yaml.duplicate-key', severity: 'error', line: 3, column: 1 });
  });

  it('reports unknown tags as findings', () => {
    const { findings } = parseManifestText('a: !vault secret/path\n');
    expect(findings[0]).toMatchObject({ ruleId: 'yaml.unknown-tag', line: 1 });
  });

  it('reports syntax errors with a position and no stack', () => {
    const { documents, findings } = parseManifestText('a: [1, 2\nb: }\n');
    expect(documents).toHaveLength(0);
    expect(findings[0]!.ruleId).toBe('yaml.syntax');
    expect(findings[0]!.message).toMatch(/^YAML syntax error: /);
    expect(findings[0]!.message).not.toMatch(/\n/);
  });

  it('stops an alias bomb by counting expanded values', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
    }
    const t0 = performance.now();
    const { documents, findings } = parseManifestText(lines.join('\n'));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(documents).toHaveLength(0);
    expect(findings[0]).toMatchObject({ ruleId: 'yaml.limit' });
    expect(findings[0]!.message).toMatch(/through aliases|alias references/);
  });

  it('counts alias references as they expand: aliases inside an aliased list count again, far under the value limit', () => {
    // 10 aliases in the list, then each *l expands to 1 + 10: 19 written, 10 + 9 × 11 = 109 followed.
    const text = (refs: number) =>
      ['base: &b x', `list: &l [${Array(10).fill('*b').join(', ')}]`, 'refs:', ...Array.from({ length: refs }, (_, i) => `  k${i}: *l`)].join('\n') + '\n';
    const { documents, findings } = parseManifestText(text(9));
    expect(documents).toEqual([]);
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'yaml.limit', message: `more than ${DEFAULT_LIMITS.maxAliases} alias references` })]);
    // 10 + 8 × 11 = 98 references: within the limit, loaded whole.
    const within = parseManifestText(text(8));
    expect(within.findings).toEqual([]);
    expect(Object.values((within.documents[0]!.value as { refs: Record<string, string[]> }).refs)).toEqual(Array(8).fill(Array(10).fill('x')));
  });

  it('refuses 5,000 nested brackets before parsing', () => {
    const { documents, findings } = parseManifestText(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expect(documents).toHaveLength(0);
    expect(findings[0]).toMatchObject({ ruleId: 'yaml.limit', line: 1, column: 3 + DEFAULT_LIMITS.maxDepth + 1 });
    expect(findings[0]!.message).toBe(`nesting is deeper than ${DEFAULT_LIMITS.maxDepth} levels`);
  });

  it('refuses deep block nesting', () => {
    let s = '';
    for (let i = 0; i < 200; i++) s += `${' '.repeat(i)}k${i}:\n`;
    const { findings } = parseManifestText(s);
    expect(findings.some((f) => f.ruleId === 'yaml.limit' && /nesting/.test(f.message))).toBe(true);
  });

  it('keeps __proto__ and constructor as own data and flags them', () => {
    const { documents, findings } = parseManifestText('__proto__:\n  polluted: yes\nconstructor: x\n');
    const v = documents[0]!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(v, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(findings.map((f) => [f.ruleId, f.line])).toEqual([
      ['yaml.forbidden-key', 1],
      ['yaml.forbidden-key', 3],
    ]);
  });
});

describe('parseManifestBytes', () => {
  it('refuses invalid UTF-8 with the line of the bad byte', () => {
    const bytes = new Uint8Array([...enc('a: 1\nb: '), 0xff, 0xfe, ...enc('\n')]);
    const { documents, findings } = parseManifestBytes(bytes);
    expect(documents).toHaveLength(0);
    expect(findings[0]).toMatchObject({ ruleId: 'yaml.encoding', line: 2, column: 4 });
  });

  it('refuses a file over the size limit without parsing it', () => {
    const big = new Uint8Array(DEFAULT_LIMITS.maxFileBytes + 1).fill(0x61);
    const { findings } = parseManifestBytes(big);
    expect(findings[0]).toMatchObject({ ruleId: 'yaml.limit' });
    expect(findings[0]!.message).toMatch(/over the 1\.0 MiB limit/);
  });

  it('strips a UTF-8 byte order mark', () => {
    const { documents } = parseManifestBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...enc('a: 1\n')]));
    expect(documents[0]!.value).toEqual({ a: 1 });
    expect(documents[0]!.positions['/a']).toEqual([1, 1]);
  });
});

// Hostile input: not timed (the bench measures), but each case must complete, and quickly.
describe('hostile input is refused in time linear in its size', () => {
  it('a wide flow map with a repeated key at its end: the key, where it first was and where again', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${String(i).padStart(4, '0')}: ${i}`);
    const lines: string[] = [];
    for (let i = 0; i < keys.length; i += 10) lines.push(`  ${keys.slice(i, i + 10).join(', ')},`);
    const text = `wide: {\n${lines.join('\n')}\n  k0007: again\n}\n`;
    const { findings } = parseManifestText(text);
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'yaml.duplicate-key',
        severity: 'error',
        message: 'map key "k0007" appears twice: first at line 2, again at line 502',
        line: 502,
        column: 3,
      }),
    ]);
  });

  it('keys that read the same once loaded are repeats, whatever their quoting', () => {
    const { findings } = parseManifestText('a:\n  1: one\n  "1": uno\n');
    expect(findings.map((f) => [f.ruleId, f.line, f.message])).toEqual([['yaml.duplicate-key', 3, 'map key "1" appears twice: first at line 2, again at line 3']]);
  });

  it('a 1 MB flow map of 70,000 unique keys is refused by the value limit, before it is composed', { timeout: 20_000 }, () => {
    const text = `{${Array.from({ length: 70_000 }, (_, i) => `k${String(i).padStart(5, '0')}: ${i}`).join(', ')}}\n`;
    expect(text.length).toBeGreaterThan(1_000_000);
    const { documents, findings } = parseManifestText(text);
    expect(documents).toEqual([]);
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'yaml.limit', message: `the file holds more than ${DEFAULT_LIMITS.maxNodes} values`, line: 1 })]);
  });

  const MB = 1_000_000;
  const cases: [string, () => string, RegExp][] = [
    ['1 MB of aliases to one anchor', () => `base: &a [x]\nrefs: [${Array(MB / 4).fill('*a').join(', ')}]\n`, /more than 100 alias references/],
    ['block sequences nested 500,000 deep', () => `${'- '.repeat(MB / 2)}x\n`, /^nesting is deeper than 64 levels$/],
    ['explicit keys nested 500,000 deep', () => `${'? '.repeat(MB / 2)}x\n`, /^nesting is deeper than 64 levels$/],
    ['500,000 stray brackets', () => ']\n'.repeat(MB / 2), /syntax errors|YAML tokens/],
    ['1 MB of newlines', () => '\n'.repeat(MB), /YAML tokens/],
    ['500,000 documents', () => '---\n'.repeat(MB / 4), /more than 200 documents/],
  ];
  for (const [name, make, message] of cases) {
    it(name, { timeout: 20_000 }, () => {
      const { documents, findings } = parseManifestText(make());
      expect(documents).toEqual([]);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ ruleId: 'yaml.limit' });
      expect(findings[0]!.message).toMatch(message);
    });
  }

  it('compact nesting (- - - x) is allowed to the nesting limit and refused past it', () => {
    const at = (levels: number) => parseManifestText(`${'- '.repeat(levels)}x\n`);
    expect(at(DEFAULT_LIMITS.maxDepth).findings).toEqual([]);
    expect(at(DEFAULT_LIMITS.maxDepth + 1).findings.map((f) => f.message)).toEqual([`nesting is deeper than ${DEFAULT_LIMITS.maxDepth} levels`]);
  });

  it('a file with thousands of problems lists the first hundred and counts the rest', () => {
    const text = Array.from({ length: 300 }, (_, i) => `m${i}: {a: 1, a: 2}`).join('\n');
    const { findings } = parseManifestText(text);
    expect(findings).toHaveLength(101);
    expect(findings[100]).toMatchObject({ ruleId: 'yaml.limit', message: '200 more problems in this file are not listed (only the first 100 are)' });
  });

  it('5,000 platforms naming 15,000 platforms that do not exist: every one reported, suggestions bounded', { timeout: 30_000 }, () => {
    const files: ParsedFile[] = [
      { file: 'registry/ns.yaml', content: { documents: [{ index: 0, value: { apiVersion: 'mnops/v1', kind: 'Namespace', metadata: { name: 'bench' }, spec: { owners: ['team'] } }, positions: { '': [1, 1] } }], findings: [] } },
    ];
    for (let i = 0; i < 5000; i++) {
      const n = String(i).padStart(4, '0');
      const value = {
        apiVersion: 'mnops/v1',
        kind: 'Platform',
        metadata: { name: `p${n}-platform` },
        // Typo-shaped names as long as the real ones: the hardest case for suggestions.
        spec: { owner: 'team', namespace: 'bench', version: '1.0.0', dependsOn: [0, 1, 2].map((k) => `q${n}-platform-${k}`) },
      };
      files.push({ file: `platforms/p${n}-platform/platform.yaml`, content: { documents: [{ index: 0, value, positions: { '': [1, 1] } }], findings: [] } });
    }
    const { ecosystem, findings: loadFindings } = buildEcosystem('/repo', files);
    expect(loadFindings).toEqual([]);
    const findings = checkReferences(ecosystem);
    expect(findings).toHaveLength(15_000);
    expect(findings.every((f) => f.ruleId === 'ref.unknown')).toBe(true);
    // The first unknown names get the closest name; past the budget, the list of what exists.
    expect(findings[0]).toMatchObject({ message: 'platform "q0000-platform-0" does not exist', hint: 'did you mean "p0000-platform"?' });
    expect(findings[14_999]!.hint).toMatch(/^existing platforms: p0000-platform, p0001-platform, .* and 4992 more$/);
  });
});

describe('loadEcosystem: caps on the whole load', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('more manifest files than maxFiles: one sentence naming the count and the limit, an exit-2 error', async () => {
    const root = exampleRepo();
    dirs.push(root);
    const error = await loadEcosystem(root, { cacheDir: false, limits: { maxFiles: 3 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnopsError);
    expect((error as Error).message).toMatch(/^the repository holds \d+ manifest files, over the limit of 3$/);
    // validate, as the CLI runs it, refuses the same way (the CLI maps MnopsError to exit 2).
    await expect(validate({ root, cacheDir: false, limits: { maxFiles: 3 } })).rejects.toThrow(/over the limit of 3$/);
  });

  it('more bytes of manifests than maxTotalBytes: refused before they are read', async () => {
    const root = exampleRepo();
    dirs.push(root);
    mkdirSync(path.join(root, 'registry/bulk'), { recursive: true });
    for (let i = 0; i < 4; i++) writeFileSync(path.join(root, `registry/bulk/${i}.yaml`), `# ${'x'.repeat(100_000)}\n`);
    const error = await loadEcosystem(root, { cacheDir: false, limits: { maxTotalBytes: 256 * 1024 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnopsError);
    expect((error as Error).message).toMatch(/^the repository's \d+ manifest files total [\d.]+ KiB, over the limit of 256\.0 KiB$/);
  });
});

describe('YAML problems: one finding each, at the place, with the fix', () => {
  const findingsOf = (text: string, limits?: Partial<typeof DEFAULT_LIMITS>) =>
    parseManifestText(text, limits ? { ...DEFAULT_LIMITS, ...limits } : DEFAULT_LIMITS).findings.map((f) => `${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message} → ${f.hint}`);
  const SIMPLIFY = 'simplify the document: fewer aliases, less nesting or fewer values';

  it('a quote never closed is reported where it opened, double or single', () => {
    expect(findingsOf('kind: Platform\nmetadata:\n  name: "abc\nspec: {}\n')).toEqual([
      '3:9 error yaml.syntax YAML syntax error: the " quote opened here is never closed, so the rest of the file is read as one string → add the closing " at the end of the value on line 3',
    ]);
    expect(findingsOf("kind: 'Platform\nspec: {}\n")).toEqual([
      "1:7 error yaml.syntax YAML syntax error: the ' quote opened here is never closed, so the rest of the file is read as one string → add the closing ' at the end of the value on line 1",
    ]);
  });

  it('complex keys, aliases to nothing, repeated and reserved keys', () => {
    expect(findingsOf('? [a, b]\n: 1\n')).toEqual(['1:3 error yaml.complex-key a map key must be a plain scalar, not a collection → write the key as a string']);
    expect(findingsOf('a: *nope\n')).toEqual([`1:4 error yaml.limit alias *nope refers to no anchor → ${SIMPLIFY}`]);
    expect(findingsOf('a: 1\nb: 2\na: 3\n')).toEqual(['3:1 error yaml.duplicate-key map key "a" appears twice: first at line 1, again at line 3 → remove or rename the repeated key']);
    expect(findingsOf('__proto__: 1\n')).toEqual([
      '1:1 error yaml.forbidden-key the key "__proto__" is not allowed in a manifest → remove "__proto__": it is reserved because it can alter object prototypes',
    ]);
    // The reserved key is kept as data of its own, never as the prototype.
    const { documents } = parseManifestText('__proto__: {polluted: true}\n');
    expect(Object.getPrototypeOf(documents[0]!.value)).toBe(Object.prototype);
    expect(Object.keys(documents[0]!.value as object)).toEqual(['__proto__']);
  });

  it('limits given lower than the defaults: nesting, values and documents, each where it is crossed', () => {
    expect(findingsOf('a: [[[[[[]]]]]]\n', { maxDepth: 3 })).toEqual(['1:7 error yaml.limit nesting is deeper than 3 levels → flatten the structure']);
    expect(findingsOf('a: [1,2,3,4,5,6,7,8,9,10]\n', { maxNodes: 5 })).toEqual([`1:11 error yaml.limit the file expands to more than 5 values → ${SIMPLIFY}`]);
    expect(findingsOf('a: 1\n---\nb: 2\n---\nc: 3\n', { maxDocuments: 2 })).toEqual([`4:1 error yaml.limit the file holds more than 2 documents → ${SIMPLIFY}`]);
    expect(findingsOf('a: 1\n---\nb: 2\n', { maxDocuments: 2 })).toEqual([]);
  });

  it('bytes: invalid UTF-8 at its column, a file over the size limit in B or KiB', () => {
    const f = (bytes: Uint8Array, limits = DEFAULT_LIMITS) => parseManifestBytes(bytes, limits).findings.map((x) => `${x.line}:${x.column} ${x.severity} ${x.ruleId} ${x.message} → ${x.hint}`);
    expect(f(new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0x0a]))).toEqual(['1:4 error yaml.encoding the file is not valid UTF-8 → re-save the file as UTF-8']);
    expect(f(enc('a: ' + 'x'.repeat(3000)), { ...DEFAULT_LIMITS, maxFileBytes: 2048 })).toEqual([
      '1:1 error yaml.limit the file is 2.9 KiB, over the 2.0 KiB limit for a manifest → split it into smaller manifests',
    ]);
    expect(f(enc('a: ' + 'x'.repeat(300)), { ...DEFAULT_LIMITS, maxFileBytes: 200 })).toEqual(['1:1 error yaml.limit the file is 303 B, over the 200 B limit for a manifest → split it into smaller manifests']);
    expect(f(enc('a: ' + 'x'.repeat(197)), { ...DEFAULT_LIMITS, maxFileBytes: 200 })).toEqual([]);
  });
});

describe('resolveLimits', () => {
  it('takes positive integer overrides and ignores the rest', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxDepth: 8, maxNodes: 0, maxAliases: -1, maxDocuments: 2.5, maxFiles: Number.MAX_SAFE_INTEGER + 2, maxFileBytes: '9' as unknown as number })).toEqual({
      ...DEFAULT_LIMITS,
      maxDepth: 8,
    });
    expect(resolveLimits({ maxFiles: 1 }).maxFiles).toBe(1);
    expect(DEFAULT_LIMITS.maxDepth).toBe(64); // the defaults themselves are not changed
  });
});
