// Safe YAML loading. Every value keeps its source position (as a JSON-pointer → line/col
// map), YAML 1.2 core schema only, and hostile input is cut off by hard limits before it
// can cost time or memory: size, nesting, node count and alias expansion.
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { Finding, Severity } from '../report/finding.js';

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
}

export const DEFAULT_LIMITS: LoadLimits = {
  maxFileBytes: 1024 * 1024,
  maxDepth: 64,
  maxNodes: 20_000,
  maxAliases: 100,
  maxDocuments: 200,
};

/** pointer → [line, column] (1-based) of the key (map entries) or the item (sequence items). */
export type PositionMap = Record<string, [number, number]>;

export interface ParsedDocument {
  /** Index of the document in its file (0-based). */
  index: number;
  value: unknown;
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
  ) {
    super(message);
  }
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

/** Cheap scan for flow-collection depth ([ { ), so deeply nested input never reaches the parser. */
function flowDepthExceeded(text: string, maxDepth: number): { line: number; column: number } | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
      if (quote === null) continue;
    }
    if (quote !== null) {
      if (text[i] === quote) quote = null;
      continue;
    }
    if (c === 35 /* # */ && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\n')) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl - 1;
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      // Only quotes that open a scalar matter; a quote inside a plain scalar is text.
      const prev = text[i - 1];
      if (prev === undefined || prev === ' ' || prev === '[' || prev === '{' || prev === ',' || prev === '\n' || prev === ':') quote = text[i]!;
      continue;
    }
    if (c === 91 || c === 123) {
      depth++;
      if (depth > maxDepth) return { line, column: i - lineStart + 1 };
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    }
  }
  return null;
}

function escapePointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
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
  doc: Document;
  lc: LineCounter;
  limits: LoadLimits;
  nodes: number;
  aliases: number;
  positions: PositionMap;
  findings: Finding[];
}

function posOf(state: WalkState, offset: number | undefined): [number, number] {
  const p = state.lc.linePos(offset ?? 0);
  return [p.line, p.col];
}

/** Convert a YAML node to plain data, recording positions; aliases are expanded within budget. */
function toData(state: WalkState, node: unknown, pointer: string, depth: number, inAlias: boolean): unknown {
  if (depth > state.limits.maxDepth) {
    const [line, col] = posOf(state, (node as YamlNode | null)?.range?.[0]);
    throw new LimitExceeded(`nesting is deeper than ${state.limits.maxDepth} levels`, line, col);
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
    const target = node.resolve(state.doc);
    if (!target) {
      const [line, col] = posOf(state, node.range?.[0]);
      throw new LimitExceeded(`alias *${node.source} refers to no anchor`, line, col);
    }
    return toData(state, target, pointer, depth, true);
  }
  if (isScalar(node)) return node.value;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
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
      const [line, col] = posOf(state, (keyNode as YamlNode | null)?.range?.[0] ?? (pair.value as YamlNode | null)?.range?.[0]);
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

const TAG_WARNINGS = new Set(['TAG_RESOLVE_FAILED', 'BAD_TAG']);

/** Parse a file's bytes. Never throws on bad input: everything wrong becomes a finding. */
export function parseManifestBytes(bytes: Uint8Array, limits: LoadLimits = DEFAULT_LIMITS): ParsedContent {
  const findings: Finding[] = [];
  if (bytes.byteLength > limits.maxFileBytes) return oversizeContent(bytes.byteLength, limits);
  const bad = invalidUtf8At(bytes);
  if (bad) {
    findings.push(
      finding('yaml.encoding', 'error', 'the file is not valid UTF-8', 're-save the file as UTF-8', bad.line, bad.column),
    );
    return { documents: [], findings };
  }
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseManifestText(text, limits, findings);
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

export function parseManifestText(text: string, limits: LoadLimits = DEFAULT_LIMITS, findings: Finding[] = []): ParsedContent {
  const deep = flowDepthExceeded(text, limits.maxDepth);
  if (deep) {
    findings.push(
      finding('yaml.limit', 'error', `nesting is deeper than ${limits.maxDepth} levels`, 'flatten the structure', deep.line, deep.column),
    );
    return { documents: [], findings };
  }
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.2',
    schema: 'core',
    merge: false,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    lineCounter: lc,
    customTags: [],
  });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > limits.maxDocuments) {
    findings.push(
      finding('yaml.limit', 'error', `the file holds ${list.length} documents, over the limit of ${limits.maxDocuments}`, 'split it into several files'),
    );
    return { documents: [], findings };
  }
  const documents: ParsedDocument[] = [];
  const state: WalkState = {
    doc: undefined as unknown as Document,
    lc,
    limits,
    nodes: 0,
    aliases: 0,
    positions: {},
    findings,
  };
  list.forEach((doc, index) => {
    let broken = false;
    for (const err of doc.errors) {
      const [line, col] = posOf(state, err.pos[0]);
      const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      if (err.code === 'DUPLICATE_KEY') {
        findings.push(finding('yaml.duplicate-key', 'error', first.replace(/^Map keys/, 'map keys'), 'remove or rename the repeated key', line, col));
      } else {
        broken = true;
        findings.push(finding('yaml.syntax', 'error', `YAML syntax error: ${first}`, 'fix the YAML syntax at this position', line, col));
      }
    }
    for (const warn of doc.warnings) {
      const [line, col] = posOf(state, warn.pos[0]);
      const first = warn.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      if (TAG_WARNINGS.has(warn.code)) {
        findings.push(finding('yaml.unknown-tag', 'error', first, 'remove the tag: manifests use plain YAML 1.2 values only', line, col));
      } else {
        findings.push(finding('yaml.warning', 'warning', first, 'rewrite the value so the parser has nothing to warn about', line, col));
      }
    }
    if (broken) return;
    if (doc.contents === null || doc.contents === undefined) return; // empty document, e.g. a trailing `---`
    state.doc = doc;
    state.positions = { '': posOf(state, (doc.contents as YamlNode).range?.[0]) };
    try {
      const value = toData(state, doc.contents, '', 0, false);
      if (value === null) return; // an empty document, e.g. after a trailing `---`
      documents.push({ index, value, positions: state.positions });
    } catch (err) {
      if (err instanceof LimitExceeded) {
        findings.push(finding('yaml.limit', 'error', err.message, 'simplify the document: fewer aliases, less nesting or fewer values', err.line, err.column));
        return;
      }
      throw err;
    }
  });
  return { documents, findings };
}

function formatBytes(n: number): string {
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
