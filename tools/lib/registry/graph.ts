// The dependency graph of the declared world: who extends, depends on, provides, consumes,
// implements, runs or waives what. Also the platform deploy order and the cycle search the
// reference checks share. Output is sorted so the rendered graph is diffable.
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { KindName } from '../manifest/kinds.js';
import { effectiveList, forEachReference, type EffectiveList, type ReferenceField } from './walk.js';

/** What an edge stands for: the field that makes the reference, or a word that reads better as an edge. */
export type Relation =
  | Exclude<ReferenceField, 'promotion' | 'environment' | 'platforms' | 'target' | 'targetEnvironment'>
  | 'promotes-from'
  | 'runs'
  | 'targets';

export interface GraphNode {
  /** `Kind/name`; contracts are one node per name (`Contract/storage`), whatever their versions. */
  id: string;
  kind: KindName;
  name: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  relation: Relation;
  /** The version or range of a contract edge (`1.1.0`, `^1.0.0`). */
  label?: string;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const nodeId = (kind: string, name: string): string => `${kind}/${name}`;

/** The edge each reference field draws; an instance's own environment field draws none (it is the edge's start). */
const RELATION_OF: Record<ReferenceField, Relation | undefined> = {
  extends: 'extends',
  namespace: 'namespace',
  dependsOn: 'dependsOn',
  provides: 'provides',
  consumes: 'consumes',
  implements: 'implements',
  adapter: 'adapter',
  promotion: 'promotes-from',
  environment: undefined,
  platforms: 'runs',
  target: 'targets',
  targetEnvironment: undefined,
};

// ---------------------------------------------------------------------------------------------
// Cycles

/**
 * Tarjan's strongly connected components, iterative so a long chain cannot overflow the stack,
 * on integer indexes so ten thousand platforms take a millisecond or two. Returns only the
 * components that hold a cycle (two or more nodes, or one with a self-loop). Edges to names
 * outside `nodes` are ignored.
 */
export function cyclicComponents(nodes: readonly string[], next: (n: string) => readonly string[]): string[][] {
  const n = nodes.length;
  const at = new Map<string, number>();
  nodes.forEach((name, i) => at.set(name, i));
  const adjacency: number[][] = nodes.map((name) => {
    const out: number[] = [];
    for (const w of next(name)) {
      const j = at.get(w);
      if (j !== undefined) out.push(j);
    }
    return out;
  });
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const edgeCursor = new Int32Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const out: string[][] = [];
  let counter = 0;
  const enter = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    edgeCursor[v] = 0;
    work.push(v);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    enter(root);
    while (work.length > 0) {
      const v = work[work.length - 1]!;
      const edges = adjacency[v]!;
      if (edgeCursor[v]! < edges.length) {
        const w = edges[edgeCursor[v]!++]!;
        if (index[w] === -1) enter(w);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low[parent] = Math.min(low[parent]!, low[v]!);
      if (low[v] === index[v]) {
        const scc: string[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          scc.push(nodes[w]!);
        } while (w !== v);
        if (scc.length > 1 || edges.includes(v)) out.push(scc);
      }
    }
  }
  return out;
}

/**
 * One concrete cycle through a cyclic component, starting and ending at its smallest name:
 * `['a', 'b', 'a']`. The shortest way back, so the message names as few hops as possible.
 */
export function cycleThrough(component: readonly string[], next: (n: string) => readonly string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q]!;
    for (const w of [...next(n)].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at: string | undefined = n; at !== undefined && at !== start; at = parent.get(at)) path.push(at);
        path.push(start);
        // Collected backwards from the end: reverse the middle so it reads start → … → start.
        return [start, ...path.slice(1, -1).reverse(), start];
      }
      if (!parent.has(w) && w !== start) {
        parent.set(w, n);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** Each platform's effective dependsOn, keeping only platforms that exist. */
function dependencyMap(eco: Ecosystem): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  const memo = new Map<string, EffectiveList | null>();
  for (const [name, rec] of eco.platforms) {
    const list = effectiveList(eco, rec, 'dependsOn', memo).values;
    deps.set(name, list.length === 0 ? list : [...new Set(list.filter((d) => eco.platforms.has(d)))]);
  }
  return deps;
}

/** The effective dependsOn of these platforms and of every platform they reach through it. */
export function reachableDependencies(eco: Ecosystem, starts: Iterable<string>): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  const memo = new Map<string, EffectiveList | null>();
  const queue = [...starts].filter((n) => eco.platforms.has(n));
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i]!;
    if (deps.has(name)) continue;
    const list = effectiveList(eco, eco.platforms.get(name)!, 'dependsOn', memo).values;
    const existing = list.length === 0 ? list : [...new Set(list.filter((d) => eco.platforms.has(d)))];
    deps.set(name, existing);
    for (const d of existing) if (!deps.has(d)) queue.push(d);
  }
  return deps;
}

/** Platform dependency cycles as paths (`['a', 'b', 'a']`), sorted by their first name. */
export function dependencyCycles(eco: Ecosystem, deps: Map<string, string[]> = dependencyMap(eco)): string[][] {
  const next = (n: string) => deps.get(n) ?? [];
  const names = [...deps.keys()].sort();
  return cyclicComponents(names, next)
    .map((c) => cycleThrough(c, next))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

export interface DeployOrder {
  /** Every platform that can be ordered, dependencies first; `layers` flattened. */
  order: string[];
  /** Platforms whose dependencies are all in earlier layers: each layer may run in parallel. */
  layers: string[][];
  /** Dependency cycles found, as paths `['a', 'b', 'a']`. */
  cycles: string[][];
  /** Platforms in a cycle or depending on one: they have no valid position in `order`. */
  blocked: string[];
}

/**
 * Platforms ordered so that dependencies come first (Kahn's algorithm, layer by layer, names
 * sorted within a layer). Dependencies on platforms that do not exist are ignored here: they
 * are `ref.unknown` findings.
 */
export function topologicalOrder(eco: Ecosystem): DeployOrder {
  const deps = dependencyMap(eco);
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const [name, list] of deps) {
    waiting.set(name, list.length);
    for (const d of list) {
      const l = dependents.get(d) ?? [];
      l.push(name);
      dependents.set(d, l);
    }
  }
  const layers: string[][] = [];
  let ready = [...waiting].filter(([, n]) => n === 0).map(([name]) => name).sort();
  while (ready.length > 0) {
    layers.push(ready);
    const nextLayer: string[] = [];
    for (const done of ready) {
      for (const d of dependents.get(done) ?? []) {
        const left = waiting.get(d)! - 1;
        waiting.set(d, left);
        if (left === 0) nextLayer.push(d);
      }
    }
    ready = nextLayer.sort();
  }
  const order = layers.flat();
  const placed = new Set(order);
  return {
    order,
    layers,
    cycles: dependencyCycles(eco, deps),
    blocked: [...deps.keys()].filter((n) => !placed.has(n)).sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// The graph

/** Every manifest except PlatformInstances, which become `runs` edges of their environment. */
export function buildGraph(eco: Ecosystem): Graph {
  const nodes = new Map<string, GraphNode>();
  for (const rec of eco.records) {
    if (rec.kind === 'PlatformInstance') continue;
    const id = nodeId(rec.kind, rec.name);
    if (!nodes.has(id)) nodes.set(id, { id, kind: rec.kind, name: rec.name });
  }
  const edges = new Map<string, GraphEdge>();
  const add = (from: string, toKind: KindName, toName: string, relation: Relation, label?: string) => {
    const to = nodeId(toKind, toName);
    if (!nodes.has(to)) return; // a dangling reference is a ref.unknown finding, not an edge
    const edge: GraphEdge = label === undefined ? { from, to, relation } : { from, to, relation, label };
    edges.set(`${from}\0${to}\0${relation}\0${label ?? ''}`, edge);
  };
  for (const rec of eco.records) {
    const from = nodeId(rec.kind, rec.name);
    forEachReference(rec, (ref) => {
      const relation = RELATION_OF[ref.field];
      if (relation === undefined) return;
      if (relation === 'runs' && rec.kind === 'PlatformInstance') {
        // An instance is drawn as its environment running the platforms.
        add(nodeId('Environment', rec.manifest.spec.environment), ref.kind, ref.name, relation);
      } else if (ref.field === 'target' && ref.kind === 'PlatformInstance') {
        const instance = instanceEnvironment(eco, ref.name);
        if (instance !== undefined) add(from, 'Environment', instance, relation);
        else add(from, ref.kind, ref.name, relation);
      } else {
        add(from, ref.kind, ref.name, relation, ref.version);
      }
    });
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => cmp(a.id, b.id)),
    edges: [...edges.values()].sort(
      (a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.relation, b.relation) || cmp(a.label ?? '', b.label ?? ''),
    ),
  };
}

/** The environment of the PlatformInstance named `name` (its metadata name or its environment). */
export function instanceEnvironment(eco: Ecosystem, name: string): string | undefined {
  if (eco.instances.has(name)) return name;
  for (const [env, rec] of eco.instances) if (rec.name === name) return env;
  return undefined;
}

/** The nodes named in `ids` and the edges between two of them. */
export function affectedSubgraph(graph: Graph, ids: Iterable<string>): Graph {
  const keep = new Set(ids);
  return {
    nodes: graph.nodes.filter((n) => keep.has(n.id)),
    edges: graph.edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Renderings

const MERMAID_SHAPE: Record<KindName, [string, string]> = {
  Platform: ['[', ']'],
  PlatformTemplate: ['[/', '/]'],
  Environment: ['([', '])'],
  PlatformInstance: ['[', ']'],
  Contract: ['{{', '}}'],
  Adapter: ['[[', ']]'],
  Namespace: ['[(', ')]'],
  PolicyException: ['>', ']'],
  PolicySettings: ['[', ']'],
};

const MERMAID_FILL: Record<KindName, string> = {
  Platform: '#e3f2fd',
  PlatformTemplate: '#f3e5f5',
  Environment: '#e8f5e9',
  PlatformInstance: '#e3f2fd',
  Contract: '#fff8e1',
  Adapter: '#eceff1',
  Namespace: '#fce4ec',
  PolicyException: '#ffebee',
  PolicySettings: '#eceff1',
};

/** Mermaid text in labels: quotes and angle brackets as entity codes so ranges render. */
function mermaidText(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

function edgeText(e: GraphEdge): string {
  return e.label ? `${e.relation} ${e.label}` : e.relation;
}

/** A Mermaid flowchart: one shape per kind, nodes numbered in sorted order so output is stable. */
export function toMermaid(graph: Graph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['flowchart LR'];
  for (const n of graph.nodes) {
    const [open, close] = MERMAID_SHAPE[n.kind];
    lines.push(`  ${ids.get(n.id)}${open}"${mermaidText(n.name)}"${close}`);
  }
  for (const e of graph.edges) {
    lines.push(`  ${ids.get(e.from)} -->|"${mermaidText(edgeText(e))}"| ${ids.get(e.to)}`);
  }
  const byKind = new Map<string, string[]>();
  for (const n of graph.nodes) byKind.set(n.kind, [...(byKind.get(n.kind) ?? []), ids.get(n.id)!]);
  for (const kind of [...byKind.keys()].sort()) {
    lines.push(`  classDef ${kind} fill:${MERMAID_FILL[kind as KindName]}`);
    lines.push(`  class ${byKind.get(kind)!.join(',')} ${kind}`);
  }
  return `${lines.join('\n')}\n`;
}

const DOT_SHAPE: Record<KindName, string> = {
  Platform: 'box',
  PlatformTemplate: 'note',
  Environment: 'ellipse',
  PlatformInstance: 'box',
  Contract: 'hexagon',
  Adapter: 'component',
  Namespace: 'folder',
  PolicyException: 'octagon',
  PolicySettings: 'box',
};

function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Graphviz DOT, nodes keyed by their `Kind/name` id. */
export function toDot(graph: Graph): string {
  const lines = ['digraph mnops {', '  rankdir=LR;'];
  for (const n of graph.nodes) {
    lines.push(`  ${dotString(n.id)} [label=${dotString(n.name)}, shape=${DOT_SHAPE[n.kind]}];`);
  }
  for (const e of graph.edges) lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [label=${dotString(edgeText(e))}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** `{"version":1,"nodes":[…],"edges":[…]}`, pretty-printed, already sorted. */
export function toJson(graph: Graph): string {
  return `${JSON.stringify({ version: 1, nodes: graph.nodes, edges: graph.edges }, null, 2)}\n`;
}
