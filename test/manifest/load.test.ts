import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, locate, parseManifestBytes, parseManifestText } from '../../tools/lib/manifest/load.js';

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
