// The fast path must read every file it accepts exactly as the `yaml` path does: same
// values, same positions, no findings. Compared over the repository's own manifests, a
// generated ecosystem, hand-picked YAML features and thousands of random mutations of them.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEcosystem } from '../../bench/synthetic.js';
import { fastParse } from '../../tools/lib/manifest/fast-parse.js';
import { DEFAULT_LIMITS, parseWithYaml } from '../../tools/lib/manifest/load.js';

/** Files whose positions had to come from the yaml path: their fast pass's events did not line up. */
let placedByYaml: string[] = [];
const fast = (text: string) =>
  fastParse(text, DEFAULT_LIMITS, (t) => {
    placedByYaml.push(t);
    return parseWithYaml(t, DEFAULT_LIMITS).documents[0]?.positions;
  });

const REPO = path.resolve(import.meta.dirname, '../..');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(abs).isDirectory()) out.push(...yamlFiles(abs));
    else if (/\.ya?ml$/.test(name)) out.push(abs);
  }
  return out;
}

/** Positions as plain data (documents' positions may be getters). */
function plain(content: ReturnType<typeof parseWithYaml>) {
  return { documents: content.documents.map((d) => ({ index: d.index, value: d.value, positions: { ...d.positions } })), findings: content.findings };
}

/** Fails with the text when the fast path accepts a file and reads it otherwise. */
function agree(text: string): 'fast' | 'fallback' {
  const got = fast(text);
  if (!got) return 'fallback';
  const slow = plain(parseWithYaml(text, DEFAULT_LIMITS));
  expect(plain(got), `fast and yaml paths differ on:\n${text}`).toEqual(slow);
  return 'fast';
}

const FEATURES = [
  'a: 1\nb: -2\nc: +3\nd: 0o17\ne: 0x1F\nf: 1.5\ng: .5\nh: 1e3\ni: -.inf\nj: .NaN\nk: 0b101\nl: 1_000\nm: 012\nn: 1.\n',
  'a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nul\ng: true\nh: True\ni: TRUE\nj: yes\nk: on\nl: tRue\n',
  'q: "a\\tb\\u00e9\\x41"\nr: \'it\'\'s\'\ns: "line\\\n  cont"\nt: plain text: no\n',
  'block: |\n  line 1\n\n  line 2\nfolded: >-\n  a\n  b\n\n  c\nkeep: |+\n  x\n\nstrip: |-\n  y\nindented: |2\n    z\n',
  'multi: this is\n  a multi line\n  plain scalar\nnext: 1\n',
  'list:\n- a\n- b\n-   c\nnested:\n  - - x\n    - y\n  - {k: v, w: [1, 2]}\n',
  'flow: {a: 1, b: [x, "y", \'z\'], c: {}}\nempty: []\n',
  '# comment\n---\na: 1 # trailing\n# end\n',
  '---\na: 1\n',
  '--- \na: [1]\n',
  'a: 1\n---\n',
  'a: |\n  ---\n  x\n',
  'a: "\n---\n"\n',
  'key with spaces: 1\n"quoted key": 2\n\'single\': 3\n1: int key\ntrue: bool key\n',
  'a:\n  b:\n    c:\n      d: deep\n  e: [1, {f: g}]\n',
  'a: 1\na: 2\n',
  'a: &x 1\nb: *x\n',
  '? complex\n: value\n',
  '? [a, b]\n: value\n',
  '{a: 1}: b\n',
  'a: !!str 1\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: 1\n---\nb: 2\n',
  '- 1\n-\n- 3\n',
  'a:\n  -\n  - x\n',
  'a: "unclosed\nb: 2\n',
  'a: [1, 2\nb: 3\n',
  'a:\tb\n',
  'a: 1\r\nb: 2\r\n',
  '__proto__: 1\n',
  'constructor: {x: 1}\n',
  '',
  '# only a comment\n',
  '~\n',
  'plain\n',
  '[1, 2, 3]\n',
  'a: b: c\n',
  'a:\n- b\n  c: d\n',
  'x: -\ny: - a\n',
  'url: http://example.com:8080/a?b=c#d\ncolon: "a: b"\nhash: a#b\n',
  'e: "\\U0001F600 \\N \\_ \\L \\P \\0 \\a"\n',
  'long: >\n  folded\n   more indented\n  back\n',
  `k${'x'.repeat(1100)}: 1\n`,
  'a: 1\n...\n',
  'a: 1\n  b: 2\n',
  'a: [a, b]: c\n',
  '- a: 1\n  b: 2\n- c: 3\n',
  '"a\\nb": 1\n',
  'a: @foo\n',
  'a: `foo`\n',
  'a: "x"#c\nb: [1]#c\n',
  'a: b#c\n',
  'a: {b: 1, b: 2}\n',
  '[a, b]\n: 1\n',
  'a: -1.5e-3\nb: 1E5\nc: +.5\n',
  'a: .inf\nb: +.INF\nc: -.Inf\nd: .nan\ne: .NAN\nf: -0\ng: 0o0\nh: 0x0\ni: 007\n',
  'a: 9007199254740993\nb: 123456789012345678901234567890\n',
];

describe('fastParse against the yaml path', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnops-fast-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads the repository’s own manifests as yaml does, and takes the fast path for every one-document file', () => {
    const files = ['ecosystem', 'platforms', 'registry'].flatMap((d) => yamlFiles(path.join(REPO, d)));
    expect(files.length).toBeGreaterThan(20);
    placedByYaml = [];
    const slow = files.filter((f) => agree(readFileSync(f, 'utf8')) === 'fallback').map((f) => path.relative(REPO, f));
    // Several documents in one file are the yaml path's to read.
    expect(slow).toEqual(['registry/namespaces.yaml']);
    // And the positions of the others come from the fast pass's own events, without a second parser.
    expect(placedByYaml).toEqual([]);
  });

  it('reads a generated ecosystem as yaml does', () => {
    generateEcosystem(tmp, 400, { git: false });
    const files = yamlFiles(tmp);
    placedByYaml = [];
    expect(files.map((f) => agree(readFileSync(f, 'utf8'))).every((p) => p === 'fast')).toBe(true);
    expect(placedByYaml).toEqual([]);
  });

  it('agrees on every YAML feature it accepts, and leaves the others to yaml', () => {
    placedByYaml = [];
    const taken = FEATURES.map(agree);
    expect(placedByYaml).toEqual([]);
    // The features it must leave alone: anchors, tags, directives, documents, tabs, CR, keys.
    for (const t of ['a: &x 1\nb: *x\n', 'a: !!str 1\n', '%YAML 1.2\n---\na: 1\n', 'a: 1\n---\nb: 2\n', 'a: 1\na: 2\n', '? [a, b]\n: value\n', '__proto__: 1\n', 'a:\tb\n'])
      expect(fast(t), t).toBeUndefined();
    expect(taken.filter((p) => p === 'fast').length).toBeGreaterThan(20);
  });

  it('agrees on thousands of random mutations of real manifests', () => {
    const seeds = [...['ecosystem', 'platforms'].flatMap((d) => yamlFiles(path.join(REPO, d))).map((f) => readFileSync(f, 'utf8')), ...FEATURES];
    let state = 0x2545f491;
    const rand = (n: number) => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const ALPHABET = [' ', '  ', '\n', ':', '- ', '-', '"', "'", '#', '[', ']', '{', '}', ',', '|', '>', '?', '*', 'a', '1', '.', '\\', '~', '@', '`'];
    const mutate = (text: string): string => {
      let t = text;
      for (let k = 1 + rand(3); k > 0; k--) {
        const at = rand(t.length + 1);
        const lines = t.split('\n');
        const li = rand(lines.length);
        switch (rand(6)) {
          case 0:
            t = t.slice(0, at) + t.slice(at + 1 + rand(3));
            break;
          case 1:
            t = t.slice(0, at) + ALPHABET[rand(ALPHABET.length)]! + t.slice(at);
            break;
          case 2:
            lines.splice(li, 0, lines[rand(lines.length)]!);
            t = lines.join('\n');
            break;
          case 3:
            lines[li] = ` ${lines[li]}`;
            t = lines.join('\n');
            break;
          case 4:
            lines[li] = lines[li]!.replace(/^ {2}/, '');
            t = lines.join('\n');
            break;
          default:
            lines.splice(li, 1);
            t = lines.join('\n');
        }
      }
      return t;
    };
    const counts = { fast: 0, fallback: 0 };
    for (let i = 0; i < 4000; i++) counts[agree(mutate(seeds[rand(seeds.length)]!))]++;
    // Most mutations stay plain YAML: the comparison must have exercised the fast path.
    expect(counts.fast).toBeGreaterThan(1000);
  });
});
