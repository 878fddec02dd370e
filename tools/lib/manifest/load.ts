// Safe YAML loading. Every value keeps its source position (as a JSON-pointer → line/col
// map), YAML 1.2 core schema only, and hostile input is cut off by hard limits before it
// can cost time or memory: size, nesting, node count and alias expansion.
//
// Every step is linear in the input. The limits are enforced while the file is lexed, token
// by token, before the parser or composer see more than a bounded number of tokens (so a
// 1 MB file of 70,000 keys is refused once it has shown 40,000 keys and values, unparsed);
// duplicate keys are found with one Set per map (the yaml package's own `uniqueKeys`
// check compares each key with every earlier one); and aliases are resolved through one
// map built in a single pass over the document (the package's `Alias.resolve` walks the
// whole document for each alias).
import {
  Composer,
  CST,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  visit,
  type Alias,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { Finding, Severity } from '../report/finding.js';
import { isUtf8 } from 'node:buffer';
import { fastParse } from './fast-parse.js';
import { escapePointerToken } from '../json/pointer.js';

export interface LoadLimits {
  /** Largest file read at all. */
  maxFileBytes: number;
  /** Deepest map/sequence nesting. */
  maxDepth: number;
  /** Most values in one file, counting every alias expansion (stops billion-laughs). */
  maxNodes: number;
  /** Most alias references in one file. */
  maxAliases: number;
  /** Most documents in one file. */
  maxDocuments: number;
  /** Most manifest files in one load (over it, the load is refused: exit 2). */
  maxFiles: number;
  /** Most bytes of manifests in one load, summed over the files read (over it: exit 2). */
  maxTotalBytes: number;
}

export const DEFAULT_LIMITS: LoadLimits = {
  maxFileBytes: 1024 * 1024,
  maxDepth: 64,
  maxNodes: 20_000,
  maxAliases: 100,
  maxDocuments: 200,
  maxFiles: 100_000,
  maxTotalBytes: 512 * 1024 * 1024,
};

/** The defaults with the given overrides; an override that is not a positive integer is ignored. */
export function resolveLimits(overrides: Partial<LoadLimits> = {}): LoadLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof LoadLimits)[]) {
    const v = overrides[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) out[k] = v;
  }
  return out;
}

/** pointer → [line, column] (1-based) of the key (map entries) or the item (sequence items). */
export type PositionMap = Record<string, [number, number]>;

/** How a platform or template links to others: the spec fields indexes read of every manifest. */
export interface ManifestLinks {
  extends?: string;
  namespace?: string;
  dependsOn?: string[];
  provides?: string[];
  consumes?: string[];
}

/**
 * What indexing reads of a document, kept beside a cached one so that its value is parsed
 * only when something reads it.
 */
export interface DocumentSummary {
  kind?: string;
  name?: string;
  version?: string;
  environment?: string;
  links: ManifestLinks;
}

export interface ParsedDocument {
  /** Index of the document in its file (0-based). */
  index: number;
  /** May be a lazy getter: a cached document parses its value on first use. */
  value: unknown;
  /** Set on cached documents that passed their schema: indexing reads this, not the value. */
  summary?: DocumentSummary;
  /** May be a lazy getter: cached documents re-parse their file only when a position is asked for. */
  positions: PositionMap;
  /** Set once the document passed its kind's schema (cached, so warm runs skip ajv). */
  schemaOk?: boolean;
}

/** A parsed file without its path, so it can be cached by content. */
export interface ParsedContent {
  documents: ParsedDocument[];
  /** Findings with `file` left empty: the caller stamps it. */
  findings: Finding[];
}

/** Keys that could reach Object.prototype through a careless assignment or merge. */
export const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class LimitExceeded extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly hint = LIMIT_HINT,
  ) {
    super(message);
  }
}

const LIMIT_HINT = 'simplify the document: fewer aliases, less nesting or fewer values';
const NESTING_HINT = 'flatten the structure';

function tooDeep(limits: LoadLimits, line: number, column: number): LimitExceeded {
  return new LimitExceeded(`nesting is deeper than ${limits.maxDepth} levels`, line, column, NESTING_HINT);
}

function finding(ruleId: string, severity: Severity, message: string, hint: string, line = 1, column = 1): Finding {
  return { ruleId, severity, message, hint, file: '', line, column };
}

/** The first invalid UTF-8 sequence, as a 1-based line/column, or null when the bytes are valid. */
function invalidUtf8At(bytes: Uint8Array): { line: number; column: number } | null {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return null;
  } catch {
    // Decode leniently and locate the first replacement character the decoder produced.
    const text = new TextDecoder('utf-8').decode(bytes);
    const at = text.indexOf('\uFFFD');
    const before = text.slice(0, Math.max(at, 0));
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    return { line, column };
  }
}

/** Assign without ever invoking the __proto__ setter. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (FORBIDDEN_KEYS.has(key)) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

interface WalkState {
  lc: LineCounter;
  limits: LoadLimits;
  nodes: number;
  aliases: number;
  /** Each alias of the current document → the node it names (one pass, see `aliasTargets`). */
  targets: Map<Alias, YamlNode | undefined>;
  positions: PositionMap;
  findings: Finding[];
}

/**
 * Where the quoted scalar that swallows `errorOffset` opened: an unclosed quote runs to the
 * end of the file, where the parser reports it, far from the line that needs the fix.
 */
function unclosedQuoteAt(text: string, errorOffset: number): { offset: number; quote: string } | undefined {
  let found: { offset: number; quote: string } | undefined;
  const walk = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    const n = node as { type?: unknown; offset?: unknown; source?: unknown };
    if ((n.type === 'double-quoted-scalar' || n.type === 'single-quoted-scalar') && typeof n.offset === 'number' && typeof n.source === 'string') {
      const quote = n.source[0]!;
      const closed = n.source.length > 1 && n.source.endsWith(quote);
      if (!closed && n.offset <= errorOffset && errorOffset <= n.offset + n.source.length) found = { offset: n.offset, quote };
      return;
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'source') walk(v);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return found;
}

function posOf(state: { lc: LineCounter }, offset: number | undefined): [number, number] {
  const p = state.lc.linePos(offset ?? 0);
  return [p.line, p.col];
}

/**
 * What each alias of a document refers to: the last node before it with that anchor, as
 * `Alias.resolve` decides, but for every alias in one walk of the document.
 */
function aliasTargets(doc: Document): Map<Alias, YamlNode | undefined> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode | undefined>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if ((isScalar(node) || isCollection(node)) && node.anchor) anchors.set(node.anchor, node);
    },
  });
  return targets;
}

/** A key as shown in a message: quoted, and cut short when long. */
function showKey(key: string): string {
  return JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key);
}

/** Convert a YAML node to plain data, recording positions; aliases are expanded within budget. */
function toData(state: WalkState, node: unknown, pointer: string, depth: number, inAlias: boolean): unknown {
  if (depth > state.limits.maxDepth) {
    const [line, col] = posOf(state, (node as YamlNode | null)?.range?.[0]);
    throw tooDeep(state.limits, line, col);
  }
  if (++state.nodes > state.limits.maxNodes) {
    const [line, col] = posOf(state, (node as YamlNode | null)?.range?.[0]);
    throw new LimitExceeded(
      `the file expands to more than ${state.limits.maxNodes} values${inAlias ? ' through aliases' : ''}`,
      line,
      col,
    );
  }
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    if (++state.aliases > state.limits.maxAliases) {
      const [line, col] = posOf(state, node.range?.[0]);
      throw new LimitExceeded(`more than ${state.limits.maxAliases} alias references`, line, col);
    }
    const target = state.targets.get(node);
    if (!target) {
      const [line, col] = posOf(state, node.range?.[0]);
      throw new LimitExceeded(`alias *${node.source} refers to no anchor`, line, col);
    }
    return toData(state, target, pointer, depth, true);
  }
  if (isScalar(node)) return node.value;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    // Where each key was first seen (offset), to report a repeat with both lines. An
    // alias expansion walks a map already checked at its anchor: no second report.
    const seen = inAlias ? undefined : new Map<string, number | undefined>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      let key: string;
      if (keyNode === null || keyNode === undefined) key = '';
      else if (isScalar(keyNode)) key = String(keyNode.value);
      else {
        const [line, col] = posOf(state, (keyNode as YamlNode).range?.[0]);
        state.findings.push(
          finding('yaml.complex-key', 'error', 'a map key must be a plain scalar, not a collection', 'write the key as a string', line, col),
        );
        continue;
      }
      const childPointer = `${pointer}/${escapePointerToken(key)}`;
      const keyOffset = (keyNode as YamlNode | null)?.range?.[0] ?? (pair.value as YamlNode | null)?.range?.[0];
      const [line, col] = posOf(state, keyOffset);
      if (seen) {
        if (seen.has(key)) {
          const [firstLine] = posOf(state, seen.get(key));
          state.findings.push(
            finding(
              'yaml.duplicate-key',
              'error',
              `map key ${showKey(key)} appears twice: first at line ${firstLine}, again at line ${line}`,
              'remove or rename the repeated key',
              line,
              col,
            ),
          );
        } else {
          seen.set(key, keyOffset);
        }
      }
      if (!inAlias || !(childPointer in state.positions)) state.positions[childPointer] = [line, col];
      if (FORBIDDEN_KEYS.has(key)) {
        state.findings.push(
          finding(
            'yaml.forbidden-key',
            'error',
            `the key "${key}" is not allowed in a manifest`,
            `remove "${key}": it is reserved because it can alter object prototypes`,
            line,
            col,
          ),
        );
      }
      setOwn(out, key, toData(state, pair.value, childPointer, depth + 1, inAlias));
    }
    return out;
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    node.items.forEach((item, i) => {
      const childPointer = `${pointer}/${i}`;
      if (!inAlias || !(childPointer in state.positions))
        state.positions[childPointer] = posOf(state, (item as YamlNode | null)?.range?.[0] ?? node.range?.[0]);
      out.push(toData(state, item, childPointer, depth + 1, inAlias));
    });
    return out;
  }
  return null;
}

/**
 * Counts a file's lexemes against its budgets and throws LimitExceeded at the first one
 * over. A value is at most two counted lexemes (its key and itself; a block sequence's `-`
 * stands for its item), so a file within `maxNodes` values is within `2 × maxNodes + 2`
 * of them (manifests use under 1.8 per value). Every lexeme, whitespace and comments
 * included, counts against a second budget of `16 × maxNodes + 4096`: manifests need
 * about 7 per value, and the parser's cost is per lexeme, so a file of newlines or commas
 * is cut off too.
 */
class LexemeBudget {
  private nodes = 0;
  private all = 0;
  private aliases = 0;
  private docStarts = 0;
  private scalarText = false;
  /** Block indicators in a row on one line. */
  private compact = 0;
  /** Flow collections open here. */
  private flow = 0;
  readonly maxNodeLexemes: number;
  readonly maxLexemes: number;

  constructor(
    private readonly limits: LoadLimits,
    private readonly at: (offset: number) => [number, number],
  ) {
    this.maxNodeLexemes = 2 * limits.maxNodes + 2;
    this.maxLexemes = 16 * limits.maxNodes + 4096;
  }

  private over(message: string, offset: number): LimitExceeded {
    const [line, col] = this.at(offset);
    return new LimitExceeded(message, line, col);
  }

  private tooDeep(offset: number): LimitExceeded {
    return tooDeep(this.limits, ...this.at(offset));
  }

  /** Counts one lexeme starting at `offset`. */
  take(lexeme: string, offset: number): void {
    if (++this.all > this.maxLexemes) throw this.over(`the file holds more than ${this.maxLexemes} YAML tokens`, offset);
    if (this.scalarText) {
      this.scalarText = false; // the text of a plain or block scalar, after its marker
      this.compact = 0;
      return;
    }
    const type = CST.tokenType(lexeme);
    switch (type) {
      case 'space':
        return;
      case 'seq-item-ind':
      case 'explicit-key-ind':
        // `- - - x` and `? ? ? x` nest a level per indicator without a new line: the one
        // block nesting a 1 MB file can make deep cheaply (indentation costs its square).
        if (++this.compact > this.limits.maxDepth) throw this.tooDeep(offset);
        break;
      default:
        this.compact = 0;
    }
    switch (type) {
      case 'scalar':
        this.scalarText = true;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        // The lexer's brackets, not the text's: none inside a quoted or plain scalar or a comment.
        if (++this.flow > this.limits.maxDepth) throw this.tooDeep(offset);
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (this.flow > 0) this.flow--;
        return;
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'seq-item-ind':
        break;
      case 'alias':
        if (++this.aliases > this.limits.maxAliases) throw this.over(`more than ${this.limits.maxAliases} alias references`, offset);
        break;
      case 'doc-start':
        if (++this.docStarts > this.limits.maxDocuments) throw this.over(`the file holds more than ${this.limits.maxDocuments} documents`, offset);
        return;
      default:
        return;
    }
    if (++this.nodes > this.maxNodeLexemes) throw this.over(`the file holds more than ${this.limits.maxNodes} values`, offset);
  }
}

/**
 * Lexes the whole file against the budgets, without parsing: the lexer costs a fifth of
 * the parser per lexeme, so a large hostile file is refused at lexer speed. Skipped for a
 * file too short to hold that many lexemes (each is at least one character, bar the
 * zero-width markers that precede a scalar).
 */
function prelex(text: string, limits: LoadLimits): void {
  const budget = new LexemeBudget(limits, (offset) => lineColAt(text, offset));
  if (text.length <= Math.min(budget.maxNodeLexemes, budget.maxLexemes / 2)) return;
  let offset = 0;
  for (const lexeme of new Lexer().lex(text)) {
    budget.take(lexeme, offset);
    if (!isZeroWidth(lexeme)) offset += lexeme.length;
  }
}

/** 1-based line and column of an offset, counted from the text (for the one finding that needs it). */
function lineColAt(text: string, offset: number): [number, number] {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return [line, offset - start + 1];
}

/** The lexer's markers, which take no room in the text. */
function isZeroWidth(lexeme: string): boolean {
  return lexeme === CST.SCALAR || lexeme === CST.DOCUMENT || lexeme === CST.FLOW_END;
}

/**
 * Lexemes of the file fed to the parser one at a time and counted on the way (for files
 * `prelex` skipped): the parser never sees more than the budget, its stack never grows past
 * the nesting limit, and a flood of syntax errors stops early. Throws LimitExceeded.
 */
function* boundedTokens(text: string, lc: LineCounter, limits: LoadLimits): Generator<CST.Token, void> {
  const lexer = new Lexer();
  const parser = new Parser(lc.addNewLine);
  lc.addNewLine(0);
  const at = (offset: number) => posOf({ lc }, offset);
  const budget = new LexemeBudget(limits, at);
  let errors = 0;
  for (const lexeme of lexer.lex(text)) {
    const offset = parser.offset;
    budget.take(lexeme, offset);
    for (const token of parser.next(lexeme)) {
      if (token.type === 'error' && ++errors > MAX_SYNTAX_ERRORS) {
        throw new LimitExceeded(`more than ${MAX_SYNTAX_ERRORS} YAML syntax errors`, ...at(token.offset));
      }
      yield token;
    }
    // The stack holds the document, then one entry per open collection (and a scalar).
    if (parser.stack.length > limits.maxDepth + 3) throw tooDeep(limits, ...at(offset));
  }
  yield* parser.end();
}

/** Past this many, a file's syntax errors stop being parsed (each one costs an Error). */
const MAX_SYNTAX_ERRORS = 1000;
/** Findings listed per file; the rest are counted in one last finding. */
const MAX_FINDINGS_PER_FILE = 100;

/** Compose every document, the parser fed through `boundedTokens`. Errors are built without stacks. */
function composeBounded(text: string, lc: LineCounter, limits: LoadLimits): Document[] {
  prelex(text, limits);
  // uniqueKeys: false — the package's check is quadratic; toData finds repeats with a Set.
  const composer = new Composer({ version: '1.2', schema: 'core', merge: false, uniqueKeys: false, strict: true, customTags: [] });
  const docs: Document[] = [];
  // Every YAML error is an Error, whose stack trace costs more than the parse of its token.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const doc of composer.compose(boundedTokens(text, lc, limits))) {
      docs.push(doc);
      if (docs.length > limits.maxDocuments) throw new LimitExceeded(`the file holds more than ${limits.maxDocuments} documents`, ...posOf({ lc }, doc.range[0]));
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return docs;
}

const TAG_WARNINGS = new Set(['TAG_RESOLVE_FAILED', 'BAD_TAG']);

/** Parse a file's bytes. Never throws on bad input: everything wrong becomes a finding. */
export function parseManifestBytes(bytes: Uint8Array, limits: LoadLimits = DEFAULT_LIMITS): ParsedContent {
  return parseBytes(bytes, limits, 'either')!;
}

/** The fast path's parse of a file's bytes, or undefined when only the `yaml` path can tell. */
export function fastParseBytes(bytes: Uint8Array, limits: LoadLimits = DEFAULT_LIMITS): ParsedContent | undefined {
  return parseBytes(bytes, limits, 'fast');
}

/** The `yaml` path's parse of a file's bytes, for files the fast path already declined. */
export function parseBytesWithYaml(bytes: Uint8Array, limits: LoadLimits = DEFAULT_LIMITS): ParsedContent {
  return parseBytes(bytes, limits, 'yaml')!;
}

function parseBytes(bytes: Uint8Array, limits: LoadLimits, via: 'fast' | 'yaml' | 'either'): ParsedContent | undefined {
  const findings: Finding[] = [];
  if (bytes.byteLength > limits.maxFileBytes) return oversizeContent(bytes.byteLength, limits);
  const bad = isUtf8(bytes) ? null : invalidUtf8At(bytes);
  if (bad) {
    findings.push(
      finding('yaml.encoding', 'error', 'the file is not valid UTF-8', 're-save the file as UTF-8', bad.line, bad.column),
    );
    return { documents: [], findings };
  }
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (via === 'fast') return tryFast(text, limits);
  return via === 'yaml' ? parseWithYaml(text, limits, findings) : parseManifestText(text, limits, findings);
}

/**
 * The fast path, for files short enough that the lexeme budgets cannot bite (longer ones are
 * the `yaml` path's, which counts lexemes as it goes: the same limits, the same findings).
 */
function tryFast(text: string, limits: LoadLimits): ParsedContent | undefined {
  if (text.length > Math.min(2 * limits.maxNodes + 2, (16 * limits.maxNodes + 4096) / 2)) return undefined;
  return fastParse(text, limits, (t) => parseWithYaml(t, limits).documents[0]?.positions);
}

/** The result for a file over the size limit (the caller checks the size before reading it). */
export function oversizeContent(size: number, limits: LoadLimits = DEFAULT_LIMITS): ParsedContent {
  return {
    documents: [],
    findings: [
      finding(
        'yaml.limit',
        'error',
        `the file is ${formatBytes(size)}, over the ${formatBytes(limits.maxFileBytes)} limit for a manifest`,
        'split it into smaller manifests',
      ),
    ],
  };
}

/** Parse a file's text: the fast path when it is sure, else the `yaml` package, which reports everything. */
export function parseManifestText(text: string, limits: LoadLimits = DEFAULT_LIMITS, findings: Finding[] = []): ParsedContent {
  return (findings.length === 0 ? tryFast(text, limits) : undefined) ?? parseWithYaml(text, limits, findings);
}

/** The `yaml` package's parse: every error and warning as a finding, positions from its nodes. */
export function parseWithYaml(text: string, limits: LoadLimits = DEFAULT_LIMITS, findings: Finding[] = []): ParsedContent {
  const lc = new LineCounter();
  let list: Document[];
  try {
    list = composeBounded(text, lc, limits);
  } catch (err) {
    if (err instanceof LimitExceeded) {
      findings.push(finding('yaml.limit', 'error', err.message, err.hint, err.line, err.column));
      return { documents: [], findings };
    }
    throw err;
  }
  const documents: ParsedDocument[] = [];
  const state: WalkState = {
    lc,
    limits,
    nodes: 0,
    aliases: 0,
    targets: new Map(),
    positions: {},
    findings,
  };
  list.forEach((doc, index) => {
    let broken = false;
    for (const err of doc.errors) {
      broken = true;
      const opened = err.code === 'MISSING_CHAR' ? unclosedQuoteAt(text, err.pos[0]) : undefined;
      if (opened) {
        const [line, col] = posOf(state, opened.offset);
        findings.push(
          finding('yaml.syntax', 'error', `YAML syntax error: the ${opened.quote} quote opened here is never closed, so the rest of the file is read as one string`, `add the closing ${opened.quote} at the end of the value on line ${line}`, line, col),
        );
        continue;
      }
      const [line, col] = posOf(state, err.pos[0]);
      const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      findings.push(finding('yaml.syntax', 'error', `YAML syntax error: ${first}`, `fix the YAML at line ${line}, column ${col} (a quote, the indentation, a tab), then run mnops validate`, line, col));
    }
    for (const warn of doc.warnings) {
      const [line, col] = posOf(state, warn.pos[0]);
      const first = warn.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      if (TAG_WARNINGS.has(warn.code)) {
        findings.push(finding('yaml.unknown-tag', 'error', first, 'remove the tag: manifests use plain YAML 1.2 values only', line, col));
      } else {
        findings.push(finding('yaml.warning', 'warning', first, `rewrite line ${line} so the parser has nothing to warn about`, line, col));
      }
    }
    if (broken) return;
    if (doc.contents === null || doc.contents === undefined) return; // empty document, e.g. a trailing `---`
    state.targets = aliasTargets(doc);
    state.positions = { '': posOf(state, (doc.contents).range?.[0]) };
    try {
      const value = toData(state, doc.contents, '', 0, false);
      if (value === null) return; // an empty document, e.g. after a trailing `---`
      documents.push({ index, value, positions: state.positions });
    } catch (err) {
      if (err instanceof LimitExceeded) {
        findings.push(finding('yaml.limit', 'error', err.message, err.hint, err.line, err.column));
        return;
      }
      throw err;
    }
  });
  return { documents, findings: capped(findings) };
}


/** The first MAX_FINDINGS_PER_FILE findings, and one that counts the rest. */
function capped(findings: Finding[]): Finding[] {
  if (findings.length <= MAX_FINDINGS_PER_FILE) return findings;
  const rest = findings.length - MAX_FINDINGS_PER_FILE;
  const kept = findings.slice(0, MAX_FINDINGS_PER_FILE);
  kept.push(
    finding(
      'yaml.limit',
      'error',
      `${rest} more problems in this file are not listed (only the first ${MAX_FINDINGS_PER_FILE} are)`,
      'fix the problems listed, then validate again',
    ),
  );
  return kept;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** The position of a pointer, or of its nearest ancestor that has one. */
export function locate(positions: PositionMap, pointer: string): [number, number] {
  let p = pointer;
  for (;;) {
    const hit = positions[p];
    if (hit) return hit;
    if (p === '') return [1, 1];
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
