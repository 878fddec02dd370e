// The fast path of manifest parsing: js-yaml, about ten times faster than the `yaml`
// package's composer, for the plain YAML manifests are written in. Anything this path is not
// sure to read exactly as the `yaml` path does (anchors, tags, directives, several documents,
// tabs, escapes, duplicate, complex, forbidden or overlong keys, nesting or size past the
// limits, any warning or error) returns undefined and the caller parses the file with
// `yaml`, which reports it. The two are held equal by a differential test over generated,
// example and mutated manifests.
//
// Positions are computed only when a finding asks for them (most files never have one): a
// second js-yaml pass with its open/close events, or the `yaml` path if those events do not
// line up with the values.
import jsyaml from 'js-yaml';
import type { LoadLimits, ParsedContent, PositionMap } from './load.js';
import { escapePointerToken } from '../json/pointer.js';

// YAML 1.2 core scalars exactly as the `yaml` package resolves them (its schema/core).
const scalar = (tag: string, test: RegExp, construct: (s: string) => unknown) =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve: (s: string | null) => s !== null && test.test(s), construct });
const CORE = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', /^(?:~|[Nn]ull|NULL)?$/, () => null),
    scalar('bool', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (s) => s[0] === 't' || s[0] === 'T'),
    // Number reads 0o and 0x as YAML does, and leading zeros as decimal.
    scalar('int', /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/, Number),
    // parseFloat reads .nan as NaN; only the infinities need spelling out.
    scalar('float', /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (s) =>
      /inf$/i.test(s) ? (s[0] === '-' ? -Infinity : Infinity) : parseFloat(s),
    ),
  ],
});

/** Characters and lines whose YAML features the fast path leaves to `yaml`. */
// A comment glued to a closing quote or bracket is an error to `yaml`, not to js-yaml.
const UNSUPPORTED = /[&!\t\r\uFEFF]|["'\]}]#|^(?:\.\.\.|%)/m;
/** An explicit key (`? `), or a flow collection used as a key (`[a]: b`): complex keys are `yaml`'s to report. */
const COMPLEX_KEY = /(?:^|[\s[{,])\?(?:\s|$)|[\]}]\s*:(?:\s|$|[,\]}])/m;
/** An empty sequence item (`-` ending its line): js-yaml nests `- -` items differently. */
const EMPTY_ITEM = /(?:^|[ ])-[ ]*$/m;
const DOC_START = /^---/gm;
/** Only comments and blank lines: what may come before a file's one `---`. */
const PREAMBLE = /^(?:[ ]*(?:#.*)?\n)*$/;

/** One document, introduced by at most one `---` with nothing but comments before it. */
function oneDocument(text: string): boolean {
  const starts = [...text.matchAll(DOC_START)];
  if (starts.length === 0) return true;
  const at = starts[0]!.index;
  return starts.length === 1 && /^(?:[ \n]|$)/.test(text.slice(at + 3, at + 4)) && PREAMBLE.test(text.slice(0, at));
}
/** `yaml` refuses implicit keys longer than this. */
const MAX_KEY = 1024;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

class Unsure extends Error {}

function load(text: string, options: jsyaml.LoadOptions): unknown {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return jsyaml.load(text, {
      schema: CORE,
      onWarning: () => {
        throw new Unsure();
      },
      // js-yaml 4.1.1+ (not in its types): recursion is cut off long before the stack is.
      ...({ maxDepth: 1000 } as object),
      ...options,
    });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * The parse of a manifest's text, or undefined when the `yaml` path must decide.
 * `positionsOf` gives the positions when the events of a second pass do not line up.
 */
export function fastParse(text: string, limits: LoadLimits, positionsOf: (text: string) => PositionMap | undefined): ParsedContent | undefined {
  if (UNSUPPORTED.test(text) || COMPLEX_KEY.test(text) || EMPTY_ITEM.test(text) || !oneDocument(text)) return undefined;
  // Escapes in double quotes are read differently at the edges (code points past U+10FFFF).
  if (text.includes('\\') && text.includes('"')) return undefined;
  let value: unknown;
  // Each event's value must be what js-yaml stored: a value without an event (an empty item)
  // or a key that is a collection means js-yaml read the structure its own way.
  const kids: unknown[][] = [[]];
  try {
    // Duplicate keys throw (json: false), and `yaml` reports them with both lines.
    value = load(text, {
      json: false,
      listener(event, state) {
        if (event === 'open') {
          kids.push([]);
          return;
        }
        const mine = kids.pop()!;
        if (!(mine.length === 1 && same(mine[0], state.result))) lineUp(state.result, mine);
        kids[kids.length - 1]!.push(state.result);
      },
    });
  } catch {
    return undefined;
  }
  if (value === null || value === undefined) return { documents: [], findings: [] };
  const budget = { nodes: 0 };
  if (!plainWithin(value, 0, limits, budget)) return undefined;
  let positions: PositionMap | undefined;
  const doc = { index: 0, value } as ParsedContent['documents'][number];
  Object.defineProperty(doc, 'positions', {
    enumerable: false,
    configurable: true,
    get: () => (positions ??= eventPositions(text) ?? positionsOf(text) ?? { '': [1, 1] }),
  });
  return { documents: [doc], findings: [] };
}

/** Every key allowed and short enough, nesting and size within the limits. */
function plainWithin(v: unknown, depth: number, limits: LoadLimits, budget: { nodes: number }): boolean {
  if (++budget.nodes > limits.maxNodes || depth > limits.maxDepth) return false;
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) {
    for (const item of v) if (!plainWithin(item, depth + 1, limits, budget)) return false;
    return true;
  }
  for (const key of Object.keys(v)) {
    if (key.length > MAX_KEY || FORBIDDEN.has(key)) return false;
    if (!plainWithin((v as Record<string, unknown>)[key], depth + 1, limits, budget)) return false;
  }
  return true;
}

interface Node {
  value: unknown;
  line: number;
  column: number;
  kids: Node[];
}

/** Positions from js-yaml's open/close events, or undefined when they do not line up with the values. */
function eventPositions(text: string): PositionMap | undefined {
  const stack: Node[] = [{ value: undefined, line: 1, column: 1, kids: [] }];
  let value: unknown;
  try {
    value = load(text, {
      json: false,
      listener(event, state) {
        if (event === 'open') {
          stack.push({ value: undefined, line: state.line + 1, column: state.position - state.lineStart + 1, kids: [] });
        } else {
          const node = stack.pop()!;
          node.value = state.result;
          stack[stack.length - 1]!.kids.push(node);
        }
      },
    });
  } catch {
    return undefined;
  }
  const root = stack[0]!.kids;
  if (root.length !== 1 || root[0]!.value !== value) return undefined;
  const positions: PositionMap = { '': [root[0]!.line, root[0]!.column] };
  try {
    place(root[0]!, '', positions);
  } catch (err) {
    if (err instanceof Unsure) return undefined;
    throw err;
  }
  return positions;
}

/** Throws Unsure unless the events under a node are exactly its items, or its keys and values. */
function lineUp(v: unknown, events: unknown[]): void {
  if (Array.isArray(v)) {
    if (events.length !== v.length) throw new Unsure();
    for (let i = 0; i < v.length; i++) if (!same(events[i], v[i])) throw new Unsure();
  } else if (v !== null && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    if (events.length !== 2 * Object.keys(obj).length) throw new Unsure();
    for (let i = 0; i < events.length; i += 2) {
      const k = events[i];
      if ((typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') || !same(obj[String(k)], events[i + 1])) throw new Unsure();
    }
  } else if (events.length > 0) throw new Unsure();
}

function same(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Records the position of every key and item under `node`, checking each event is the value it stands for. */
function place(event: Node, pointer: string, positions: PositionMap): void {
  // js-yaml reads a block sequence's scalar item as the key of a mapping that then is not
  // one: an event holding just the event of the same value.
  let node = event;
  while (node.kids.length === 1 && same(node.kids[0]!.value, node.value)) node = node.kids[0]!;
  const v = node.value;
  if (Array.isArray(v)) {
    if (node.kids.length !== v.length) throw new Unsure();
    for (let i = 0; i < v.length; i++) {
      const kid = node.kids[i]!;
      if (!same(kid.value, v[i])) throw new Unsure();
      const child = `${pointer}/${i}`;
      positions[child] = [kid.line, kid.column];
      place(kid, child, positions);
    }
    return;
  }
  if (v !== null && typeof v === 'object') {
    const obj = v as Record<string, unknown>;
    const n = Object.keys(obj).length;
    if (node.kids.length !== 2 * n) throw new Unsure();
    for (let i = 0; i < node.kids.length; i += 2) {
      const k = node.kids[i]!;
      const val = node.kids[i + 1]!;
      if (typeof k.value !== 'string' && typeof k.value !== 'number' && typeof k.value !== 'boolean') throw new Unsure();
      const key = String(k.value);
      if (k.kids.length > 0 || !same(obj[key], val.value)) throw new Unsure();
      const child = `${pointer}/${escapePointerToken(key)}`;
      if (Object.hasOwn(positions, child)) throw new Unsure();
      positions[child] = [k.line, k.column];
      place(val, child, positions);
    }
    return;
  }
  if (node.kids.length > 0) throw new Unsure();
}
