import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  type LoadLimits,
  fastParseBytes,
  formatBytes,
  locate,
  oversizeContent,
  parseBytesWithYaml,
  parseManifestBytes,
  parseManifestText,
  parseWithYaml,
} from '../../tools/lib/manifest/load.js';

// The `yaml` path is the one every file the fast path is unsure of takes, and the only one
// for files long enough that the lexeme budgets can bite. Each case here runs on both entry
// points (fast first, and the yaml path alone) and must read the same on each.
type Shown = string[];
const render = (r: ReturnType<typeof parseWithYaml>): Shown =>
  r.findings.map((f) => `${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message} → ${f.hint}`);
const limitsOf = (over: Partial<LoadLimits> = {}): LoadLimits => ({ ...DEFAULT_LIMITS, ...over });
function findingsOf(text: string, over?: Partial<LoadLimits>): Shown {
  const viaYaml = render(parseWithYaml(text, limitsOf(over)));
  expect(render(parseManifestText(text, limitsOf(over)))).toEqual(viaYaml);
  return viaYaml;
}
const enc = (s: string) => new TextEncoder().encode(s);
const SIMPLIFY = 'simplify the document: fewer aliases, less nesting or fewer values';
const FLATTEN = (line: number, col: number, depth = 3) => `${line}:${col} error yaml.limit nesting is deeper than ${depth} levels → flatten the structure`;
/** Longer than 2 × maxNodes + 2 characters, so the whole file is lexed against the budgets first. */
const PAD = '# a comment long enough that the file is lexed against the budgets\n';

describe('nested brackets, counted as the file is lexed', () => {
  it('counts brackets only outside quoted scalars and comments', () => {
    const within = [
      'a: "[[[[[["\n',
      "a: '[[[[[['\n",
      '"[[[[[[": 1\n',
      "a: 1\n'[[[[[[': 2\n",
      'a: ["[[[[[["]\n',
      'a: {"[[[[[[": 1}\n',
      'a: [1,"[[[[[["]\n',
      'a: {"b":"[[[[[["}\n',
      'a: x # [[[[[[\n',
      '# [[[[[[\na: 1\n',
      'a: 1\n# [[[[[[\n',
      'a: 1 # [[[[[[',
      'a: [[[]]]\nb: [[[]]]\n',
      // Brackets inside a plain scalar are its text.
      'a: b#c [[[[[[\n',
    ];
    for (const text of within) expect(findingsOf(text, { maxDepth: 3 }), text).toEqual([]);
  });

  it('reports the bracket past the limit at its line and column, wherever the lines before it break', () => {
    expect(findingsOf('a: [[[[]]]]\n', { maxDepth: 3 })).toEqual([FLATTEN(1, 7)]);
    // A quoted scalar over two lines, then the brackets.
    expect(findingsOf('a: "x\ny"\nb: [[[[]]]]\n', { maxDepth: 3 })).toEqual([FLATTEN(3, 7)]);
    // A quote inside a plain scalar opens nothing.
    expect(findingsOf("a: it's\nb: [[[[]]]]\n", { maxDepth: 3 })).toEqual([FLATTEN(2, 7)]);
    // A # inside a word starts no comment.
    expect(findingsOf('a: [b#c, [[[1]]]]\n', { maxDepth: 3 })).toEqual([FLATTEN(1, 12)]);
    // Stray closers do not buy depth for later openers.
    expect(findingsOf('a: ]]]]\nb: [[[[]]]]\n', { maxDepth: 3 })).toEqual([FLATTEN(2, 7)]);
    expect(findingsOf('a: {b: [{c: 1}]}\nd: [{e: [{}]}]\n', { maxDepth: 3 })).toEqual([FLATTEN(2, 10)]);
  });

  it('refuses a megabyte of brackets at the 65th, before the value budget sees it', { timeout: 20_000 }, () => {
    const text = '['.repeat(1_000_001);
    expect(findingsOf(text)).toEqual([FLATTEN(1, 65, 64)]);
  });
});

describe('limits the parsed tree keeps past the text', () => {
  it('nesting reached through an alias, though the text nests no deeper than the limit', () => {
    expect(findingsOf('a: &x [[1]]\nb: [[*x]]\n', { maxDepth: 3 })).toEqual([FLATTEN(1, 8)]);
    expect(findingsOf('a: &x [1]\nb: [*x]\n', { maxDepth: 3 })).toEqual([]);
  });

  it('alias references counted as they expand: exactly the limit loads, one more does not', () => {
    // Written: 4 aliases. Followed: 2 in b, then each *b is 1 + its 2: 8.
    const text = 'a: &a [x]\nb: &b [*a, *a]\nc: [*b, *b]\n';
    expect(findingsOf(text, { maxAliases: 8 })).toEqual([]);
    expect(parseWithYaml(text, limitsOf({ maxAliases: 8 })).documents[0]!.value).toEqual({ a: ['x'], b: [['x'], ['x']], c: [[['x'], ['x']], [['x'], ['x']]] });
    expect(findingsOf(text, { maxAliases: 7 })).toEqual([`2:12 error yaml.limit more than 7 alias references → ${SIMPLIFY}`]);
  });

  it('values of an alias are placed where the anchor wrote them; the alias itself where it stands', () => {
    const { positions } = parseWithYaml('a: &x {k: 1, l: [2]}\nb: *x\n').documents[0]!;
    expect(positions).toEqual({
      '': [1, 1],
      '/a': [1, 1],
      '/a/k': [1, 8],
      '/a/l': [1, 14],
      '/a/l/0': [1, 18],
      '/b': [2, 1],
      '/b/k': [1, 8],
      '/b/l': [1, 14],
      '/b/l/0': [1, 18],
    });
  });

  it('a repeated key shows a long key cut to 57 characters, a key of 60 whole', () => {
    const long = 'k'.repeat(61);
    const sixty = 'k'.repeat(60);
    expect(findingsOf(`${long}: 1\n${long}: 2\n`)).toEqual([
      `2:1 error yaml.duplicate-key map key "${'k'.repeat(57)}..." appears twice: first at line 1, again at line 2 → remove or rename the repeated key`,
    ]);
    expect(findingsOf(`${sixty}: 1\n${sixty}: 2\n`)[0]).toContain(`map key "${sixty}" appears twice`);
  });
});

describe('the parser: its errors and warnings, in one line each', () => {
  it('an unclosed quote inside a flow sequence, after a closed one, or alone at the end of a line', () => {
    expect(findingsOf('a: [1, "x\nb: 2\n')[0]).toBe(
      '1:8 error yaml.syntax YAML syntax error: the " quote opened here is never closed, so the rest of the file is read as one string → add the closing " at the end of the value on line 1',
    );
    expect(findingsOf("a: \"ok\"\nb: 'x\nc: 1\n")).toEqual([
      "2:4 error yaml.syntax YAML syntax error: the ' quote opened here is never closed, so the rest of the file is read as one string → add the closing ' at the end of the value on line 2",
    ]);
    expect(findingsOf('a: "\n')).toEqual([
      '1:4 error yaml.syntax YAML syntax error: the " quote opened here is never closed, so the rest of the file is read as one string → add the closing " at the end of the value on line 1',
    ]);
  });

  it("the parser's message without its own position, which the finding already has", () => {
    expect(findingsOf('a: b: c\n')).toEqual([
      '1:4 error yaml.syntax YAML syntax error: Nested mappings are not allowed in compact mappings → fix the YAML at line 1, column 4 (a quote, the indentation, a tab), then run mnops validate',
    ]);
    expect(findingsOf('%FOO bar\n---\na: 1\n')).toEqual(['1:1 warning yaml.warning Unknown directive %FOO → rewrite line 1 so the parser has nothing to warn about']);
    expect(findingsOf('a: !vault secret/path\n')).toEqual([
      '1:4 error yaml.unknown-tag Unresolved tag: !vault → remove the tag: manifests use plain YAML 1.2 values only',
    ]);
  });

  it('a flood of syntax errors stops at the thousand and first', () => {
    expect(findingsOf(']\n'.repeat(1200))).toEqual([`1001:1 error yaml.limit more than 1000 YAML syntax errors → ${SIMPLIFY}`]);
  });

  it('an empty document is skipped, the others keep their index', () => {
    const { documents, findings } = parseWithYaml('---\n---\na: 1\n---\n---\nb: 2\n');
    expect(findings).toEqual([]);
    expect(documents.map((d) => [d.index, d.value, d.positions['/a'] ?? d.positions['/b']])).toEqual([[1, { a: 1 }, [3, 1]], [3, { b: 2 }, [6, 1]]]);
  });
});

describe('the budgets a long file is lexed against, each at its boundary', () => {
  const small = { maxNodes: 20 };
  it('alias references: the limit passes, one more is refused where it is written', () => {
    const text = `${PAD}a: &a x\nb: [x, y, *a, *a, *a]\n`;
    expect(findingsOf(text, { ...small, maxAliases: 3 })).toEqual([]);
    expect(findingsOf(text, { ...small, maxAliases: 2 })).toEqual([`3:19 error yaml.limit more than 2 alias references → ${SIMPLIFY}`]);
  });

  it('documents: the limit passes, one more is refused at its marker', () => {
    expect(findingsOf(`${PAD}---\na: 1\n---\nb: 2\n`, { ...small, maxDocuments: 2 })).toEqual([]);
    expect(findingsOf(`${PAD}---\na: 1\n---\nb: 2\n---\nc: 3\n`, { ...small, maxDocuments: 2 })).toEqual([`6:1 error yaml.limit the file holds more than 2 documents → ${SIMPLIFY}`]);
  });

  it('compact nesting: the limit passes, one more is refused at the indicator', () => {
    expect(findingsOf(`${PAD}- - - x\n`, { ...small, maxDepth: 3 })).toEqual([]);
    expect(findingsOf(`${PAD}- - - - x\n`, { ...small, maxDepth: 3 })[0]).toMatch(/^2:7 error yaml\.limit nesting is deeper than 3 levels/);
  });

  it('values: refused where the budget runs out', () => {
    const text = `${PAD}a: [${Array.from({ length: 30 }, (_, i) => i).join(', ')}]\n`;
    expect(findingsOf(text, small)[0]).toMatch(/^2:\d+ error yaml\.limit the file (holds|expands to) more than 20 values/);
  });
});

describe('the entry points over bytes', () => {
  it('the fast path declines what it is unsure of; the yaml path reads it the same as the default entry', () => {
    expect(fastParseBytes(enc('a: &x 1\nb: *x\n'))).toBeUndefined();
    expect(fastParseBytes(enc('a: 1\n'))!.documents.map((d) => d.value)).toEqual([{ a: 1 }]);
    const viaYaml = parseBytesWithYaml(enc('a: &x 1\nb: *x\n'));
    expect(viaYaml.documents.map((d) => [d.value, d.positions])).toEqual(parseManifestBytes(enc('a: &x 1\nb: *x\n')).documents.map((d) => [d.value, d.positions]));
    expect(viaYaml.documents[0]!.value).toEqual({ a: 1, b: 1 });
    // Either way, bytes that are not UTF-8 are refused before any parse.
    for (const parse of [fastParseBytes, parseBytesWithYaml]) {
      expect(parse(new Uint8Array([0x61, 0x3a, 0x20, 0xff]))!.findings.map((f) => f.ruleId)).toEqual(['yaml.encoding']);
    }
  });

  it('sizes in B up to 1023, then KiB, then MiB', () => {
    expect([1023, 1024, 1024 * 1024 - 1, 1024 * 1024].map(formatBytes)).toEqual(['1023 B', '1.0 KiB', '1024.0 KiB', '1.0 MiB']);
    expect(oversizeContent(1024, limitsOf({ maxFileBytes: 1000 })).findings[0]!.message).toBe('the file is 1.0 KiB, over the 1000 B limit for a manifest');
  });

  it('the position of a pointer nobody placed is that of its nearest placed ancestor, else the top of the file', () => {
    expect(locate({ '/a': [2, 3] }, '/a/b/c')).toEqual([2, 3]);
    expect(locate({}, '/a/b')).toEqual([1, 1]);
    expect(locate({ '': [4, 1] }, '/x')).toEqual([4, 1]);
  });
});

describe('findings per file', () => {
  it('a hundred are listed whole; past that, the first hundred and one that counts the rest', () => {
    const repeats = (n: number) => ['a: 0', ...Array.from({ length: n }, (_, i) => `a: ${i + 1}`)].join('\n') + '\n';
    expect(findingsOf(repeats(100))).toHaveLength(100);
    const over = findingsOf(repeats(103));
    expect(over).toHaveLength(101);
    expect(over[100]).toBe('1:1 error yaml.limit 3 more problems in this file are not listed (only the first 100 are) → fix the problems listed, then validate again');
  });
});
