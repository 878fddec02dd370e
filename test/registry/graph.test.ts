import { afterAll, describe, expect, it } from 'vitest';
import {
  affectedSubgraph,
  buildGraph,
  toDot,
  toJson,
  toMermaid,
  topologicalOrder,
  type Graph,
} from '../../tools/lib/registry/index.js';
import { cycleThrough, cyclicComponents, dependencyCycles, reachableDependencies } from '../../tools/lib/registry/graph.js';
import { doc, load, removeWorlds, world, writeWorld } from './world.js';

afterAll(removeWorlds);

/** A world small enough to spell its whole graph out. */
const SMALL = {
  'registry/namespaces.yaml': doc('Namespace', 'ops', ['owners: [team-a]']),
  'ecosystem/platform-templates/base.yaml': doc('PlatformTemplate', 'base', ['replicas: 1']),
  'ecosystem/contracts/storage/1.0.0.yaml': doc('Contract', 'storage', ['version: 1.0.0', 'operations: []']),
  'ecosystem/ecosystem-cloud/adapters/docker.yaml': doc('Adapter', 'docker', ['provider: docker', 'implements: [storage@1.0.0]']),
  'platforms/db-platform/platform.yaml': doc('Platform', 'db-platform', [
    'owner: team-a',
    'namespace: ops',
    'version: 1.0.0',
    'extends: base',
    'provides: [storage@1.0.0]',
  ]),
  'platforms/api-platform/platform.yaml': doc('Platform', 'api-platform', [
    'owner: team-a',
    'namespace: ops',
    'version: 1.0.0',
    'consumes: ["storage@<2.0.0"]',
    'dependsOn: [db-platform, missing-platform]',
  ]),
  'ecosystem/platform-cloud/dev/environment.yaml': doc('Environment', 'dev', ['tier: dev', 'adapter: docker']),
  'ecosystem/platform-cloud/staging/environment.yaml': doc('Environment', 'staging', ['tier: staging', 'adapter: docker', 'promotion: {from: dev}']),
  'ecosystem/platform-cloud/dev/platform.yaml': doc('PlatformInstance', 'dev', [
    'environment: dev',
    'platforms:',
    '  - {name: db-platform, version: 1.0.0}',
    '  - {name: api-platform, version: 1.0.0}',
  ]),
  'ecosystem/governance/exceptions/api-waiver.yaml': doc('PolicyException', 'api-waiver', [
    'rule: health.required',
    'target: {kind: Platform, name: api-platform}',
    'reason: health endpoint ships next sprint',
    'approvedBy: lead',
    'expires: 2099-01-01',
  ]),
};

async function smallGraph(): Promise<Graph> {
  return buildGraph(await load(writeWorld(SMALL)));
}

describe('buildGraph', () => {
  it('one node per manifest (contracts per name, no instances) and every resolved reference as an edge, sorted', async () => {
    const g = await smallGraph();
    expect(g.nodes.map((n) => n.id)).toEqual([
      'Adapter/docker',
      'Contract/storage',
      'Environment/dev',
      'Environment/staging',
      'Namespace/ops',
      'Platform/api-platform',
      'Platform/db-platform',
      'PlatformTemplate/base',
      'PolicyException/api-waiver',
    ]);
    expect(g.nodes[1]).toEqual({ id: 'Contract/storage', kind: 'Contract', name: 'storage' });
    // The dangling dependsOn missing-platform is a ref.unknown finding, not an edge.
    expect(g.edges).toEqual([
      { from: 'Adapter/docker', to: 'Contract/storage', relation: 'implements', label: '1.0.0' },
      { from: 'Environment/dev', to: 'Adapter/docker', relation: 'adapter' },
      { from: 'Environment/dev', to: 'Platform/api-platform', relation: 'runs' },
      { from: 'Environment/dev', to: 'Platform/db-platform', relation: 'runs' },
      { from: 'Environment/staging', to: 'Adapter/docker', relation: 'adapter' },
      { from: 'Environment/staging', to: 'Environment/dev', relation: 'promotes-from' },
      { from: 'Platform/api-platform', to: 'Contract/storage', relation: 'consumes', label: '<2.0.0' },
      { from: 'Platform/api-platform', to: 'Namespace/ops', relation: 'namespace' },
      { from: 'Platform/api-platform', to: 'Platform/db-platform', relation: 'dependsOn' },
      { from: 'Platform/db-platform', to: 'Contract/storage', relation: 'provides', label: '1.0.0' },
      { from: 'Platform/db-platform', to: 'Namespace/ops', relation: 'namespace' },
      { from: 'Platform/db-platform', to: 'PlatformTemplate/base', relation: 'extends' },
      { from: 'PolicyException/api-waiver', to: 'Platform/api-platform', relation: 'targets' },
    ]);
  });

  it('renders Mermaid with one shape per kind and escaped labels', async () => {
    expect(toMermaid(await smallGraph())).toBe(
      [
        'flowchart LR',
        '  n0[["docker"]]',
        '  n1{{"storage"}}',
        '  n2(["dev"])',
        '  n3(["staging"])',
        '  n4[("ops")]',
        '  n5["api-platform"]',
        '  n6["db-platform"]',
        '  n7[/"base"/]',
        '  n8>"api-waiver"]',
        '  n0 -->|"implements 1.0.0"| n1',
        '  n2 -->|"adapter"| n0',
        '  n2 -->|"runs"| n5',
        '  n2 -->|"runs"| n6',
        '  n3 -->|"adapter"| n0',
        '  n3 -->|"promotes-from"| n2',
        '  n5 -->|"consumes #lt;2.0.0"| n1',
        '  n5 -->|"namespace"| n4',
        '  n5 -->|"dependsOn"| n6',
        '  n6 -->|"provides 1.0.0"| n1',
        '  n6 -->|"namespace"| n4',
        '  n6 -->|"extends"| n7',
        '  n8 -->|"targets"| n5',
        '  classDef Adapter fill:#eceff1',
        '  class n0 Adapter',
        '  classDef Contract fill:#fff8e1',
        '  class n1 Contract',
        '  classDef Environment fill:#e8f5e9',
        '  class n2,n3 Environment',
        '  classDef Namespace fill:#fce4ec',
        '  class n4 Namespace',
        '  classDef Platform fill:#e3f2fd',
        '  class n5,n6 Platform',
        '  classDef PlatformTemplate fill:#f3e5f5',
        '  class n7 PlatformTemplate',
        '  classDef PolicyException fill:#ffebee',
        '  class n8 PolicyException',
        '',
      ].join('\n'),
    );
  });

  it('renders DOT keyed by Kind/name', async () => {
    const dot = toDot(await smallGraph());
    expect(dot.split('\n').slice(0, 4)).toEqual(['digraph mnops {', '  rankdir=LR;', '  "Adapter/docker" [label="docker", shape=component];', '  "Contract/storage" [label="storage", shape=hexagon];']);
    expect(dot).toContain('  "Platform/api-platform" -> "Contract/storage" [label="consumes <2.0.0"];\n');
    expect(dot).toContain('  "PlatformTemplate/base" [label="base", shape=note];\n');
    expect(dot.endsWith('  "PolicyException/api-waiver" -> "Platform/api-platform" [label="targets"];\n}\n')).toBe(true);
    expect(dot.split('\n').filter((l) => l.includes('->'))).toHaveLength(13);
    expect(dot.split('\n').filter((l) => l.includes('shape='))).toHaveLength(9);
  });

  it('renders JSON with a version, and the same text on every run', async () => {
    const g = await smallGraph();
    const text = toJson(g);
    expect(JSON.parse(text)).toEqual({ version: 1, nodes: g.nodes, edges: g.edges });
    expect(toJson(await smallGraph())).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('affectedSubgraph keeps the given nodes and the edges between them', async () => {
    const sub = affectedSubgraph(await smallGraph(), ['Platform/api-platform', 'Platform/db-platform', 'Environment/dev', 'Nope/x']);
    expect(sub.nodes.map((n) => n.id)).toEqual(['Environment/dev', 'Platform/api-platform', 'Platform/db-platform']);
    expect(sub.edges).toEqual([
      { from: 'Environment/dev', to: 'Platform/api-platform', relation: 'runs' },
      { from: 'Environment/dev', to: 'Platform/db-platform', relation: 'runs' },
      { from: 'Platform/api-platform', to: 'Platform/db-platform', relation: 'dependsOn' },
    ]);
  });
});

describe('topologicalOrder', () => {
  it('orders dependencies first, layer by layer, names sorted within a layer', async () => {
    const { eco } = await world();
    expect(topologicalOrder(eco)).toEqual({
      order: ['db-platform', 'lone-platform', 'worker-platform', 'api-platform', 'report-platform'],
      layers: [['db-platform', 'lone-platform', 'worker-platform'], ['api-platform'], ['report-platform']],
      cycles: [],
      blocked: [],
    });
  });

  it('reports cycles and leaves the platforms in or behind them out of the order', async () => {
    const { eco } = await world({
      'platforms/db-platform/platform.yaml': doc('Platform', 'db-platform', ['owner: team-b', 'namespace: data', 'version: 1.0.0', 'dependsOn: [report-platform]']),
      'platforms/lone-platform/platform.yaml': doc('Platform', 'lone-platform', ['owner: team-b', 'namespace: data', 'version: 0.1.0', 'dependsOn: [api-platform]']),
    });
    expect(topologicalOrder(eco)).toEqual({
      order: ['worker-platform'],
      layers: [['worker-platform']],
      cycles: [['api-platform', 'db-platform', 'report-platform', 'api-platform']],
      blocked: ['api-platform', 'db-platform', 'lone-platform', 'report-platform'],
    });
  });

  it('uses a dependsOn inherited from a template', async () => {
    const { eco } = await world({
      'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['dependsOn: [db-platform]']),
    });
    // worker and lone inherit db-platform; report has its own list (lists replace).
    expect(topologicalOrder(eco).layers).toEqual([['db-platform'], ['api-platform', 'lone-platform', 'worker-platform'], ['report-platform']]);
  });
});

describe('cycles', () => {
  const graph = (edges: Record<string, string[]>) => (n: string) => edges[n] ?? [];

  it('cyclicComponents: each strongly connected component of two or more, or a node naming itself; the rest none', () => {
    const next = graph({ a: ['b'], b: ['c'], c: ['a', 'd'], d: ['e'], e: ['d'], f: ['f'], g: ['a'], h: ['outside'] });
    const found = cyclicComponents(['h', 'g', 'f', 'e', 'd', 'c', 'b', 'a'], next).map((c) => [...c].sort());
    expect(found.sort((x, y) => (x[0]! < y[0]! ? -1 : 1))).toEqual([['a', 'b', 'c'], ['d', 'e'], ['f']]);
    expect(cyclicComponents(['a', 'b'], graph({ a: ['b'] }))).toEqual([]);
    expect(cyclicComponents([], next)).toEqual([]);
  });

  it('cycleThrough: the shortest way back to the smallest name, read in order', () => {
    // Two ways back from a: a → b → a and a → c → d → a.
    const next = graph({ a: ['c', 'b'], b: ['a'], c: ['d'], d: ['a'] });
    expect(cycleThrough(['d', 'c', 'b', 'a'], next)).toEqual(['a', 'b', 'a']);
    expect(cycleThrough(['c', 'd', 'a'], graph({ a: ['c'], c: ['d'], d: ['a'] }))).toEqual(['a', 'c', 'd', 'a']);
    expect(cycleThrough(['f'], graph({ f: ['f'] }))).toEqual(['f', 'f']);
    // Edges leaving the component are not followed.
    expect(cycleThrough(['x', 'y'], graph({ x: ['z', 'y'], z: ['x'], y: ['x'] }))).toEqual(['x', 'y', 'x']);
  });

  it('dependencyCycles: every cycle once, in order of its first name; reachableDependencies only what the start reaches', async () => {
    const p = (name: string, deps: string[]) => doc('Platform', name, ['owner: team-a', 'namespace: ops', 'version: 1.0.0', `dependsOn: [${deps.join(', ')}]`]);
    // Files in an order other than the names', so nothing comes sorted by accident.
    const { eco } = await world({
      'platforms/a.yaml': p('z-platform', ['y-platform']),
      'platforms/b.yaml': p('y-platform', ['z-platform']),
      'platforms/c.yaml': p('c-platform', ['b-platform', 'b-platform', 'ghost-platform']),
      'platforms/d.yaml': p('b-platform', ['c-platform']),
    });
    expect(dependencyCycles(eco)).toEqual([
      ['b-platform', 'c-platform', 'b-platform'],
      ['y-platform', 'z-platform', 'y-platform'],
    ]);
    const reach = reachableDependencies(eco, ['c-platform', 'nobody-platform']);
    expect(Object.fromEntries(reach)).toEqual({ 'c-platform': ['b-platform'], 'b-platform': ['c-platform'] });
    expect(dependencyCycles(eco, reach)).toEqual([['b-platform', 'c-platform', 'b-platform']]);
    const order = topologicalOrder(eco);
    expect(order.blocked).toEqual(['b-platform', 'c-platform', 'y-platform', 'z-platform']);
  });

  it('topologicalOrder sorts each layer whatever order the platforms were read in', async () => {
    const p = (name: string, deps: string[]) => doc('Platform', name, ['owner: team-a', 'namespace: ops', 'version: 1.0.0', `dependsOn: [${deps.join(', ')}]`]);
    const { eco } = await world({
      'platforms/a.yaml': p('z-platform', []),
      'platforms/b.yaml': p('m-platform', ['z-platform']),
      'platforms/c.yaml': p('k-platform', ['z-platform']),
      'platforms/d.yaml': p('a-platform', []),
    });
    expect(topologicalOrder(eco).layers).toEqual([
      ['a-platform', 'db-platform', 'lone-platform', 'worker-platform', 'z-platform'],
      ['api-platform', 'k-platform', 'm-platform'],
      ['report-platform'],
    ]);
  });
});

describe('renderings escape what their syntax reserves', () => {
  const g: Graph = {
    nodes: [
      { id: 'Platform/p"1', kind: 'Platform', name: 'p"1' },
      { id: 'Contract/c\\x', kind: 'Contract', name: 'c\\x' },
      { id: 'Adapter/a', kind: 'Adapter', name: 'a' },
    ],
    edges: [{ from: 'Platform/p"1', to: 'Contract/c\\x', relation: 'consumes', label: '<2.0.0 >1 "x"' }],
  };

  it('DOT: quotes and backslashes', () => {
    expect(toDot(g).split('\n')).toEqual([
      'digraph mnops {',
      '  rankdir=LR;',
      '  "Platform/p\\"1" [label="p\\"1", shape=box];',
      '  "Contract/c\\\\x" [label="c\\\\x", shape=hexagon];',
      '  "Adapter/a" [label="a", shape=component];',
      '  "Platform/p\\"1" -> "Contract/c\\\\x" [label="consumes <2.0.0 >1 \\"x\\""];',
      '}',
      '',
    ]);
  });

  it('Mermaid: quotes and angle brackets as entities; classes in kind order', () => {
    expect(toMermaid(g).split('\n')).toEqual([
      'flowchart LR',
      '  n0["p#quot;1"]',
      '  n1{{"c\\x"}}',
      '  n2[["a"]]',
      '  n0 -->|"consumes #lt;2.0.0 #gt;1 #quot;x#quot;"| n1',
      '  classDef Adapter fill:#eceff1',
      '  class n2 Adapter',
      '  classDef Contract fill:#fff8e1',
      '  class n1 Contract',
      '  classDef Platform fill:#e3f2fd',
      '  class n0 Platform',
      '',
    ]);
  });
});
