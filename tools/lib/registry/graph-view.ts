// The parts of the dependency graph a reader asks for: one platform and what is next to it,
// or what one environment runs. Each view is a set of node ids; the graph keeps those nodes
// and the edges between them (affectedSubgraph).
import type { Ecosystem } from '../manifest/ecosystem.js';
import { templateChain } from '../manifest/resolve.js';
import { UsageError } from '../repo/errors.js';
import { closestName } from '../suggest/closest-name.js';
import { affectedSubgraph, instanceEnvironment, nodeId, type Graph } from './graph.js';
import { forEachReference, inheritedListsMemo } from './walk.js';

export interface GraphFilter {
  /** Keep what this environment runs. */
  environment?: string;
  /** Keep this platform and what is next to it. */
  platform?: string;
}

/**
 * The graph cut down to what `filter` asks for; with both, what both views keep. A name
 * that does not exist is a UsageError naming the closest one.
 */
export function filterGraph(eco: Ecosystem, graph: Graph, filter: GraphFilter): Graph {
  const views: Set<string>[] = [];
  if (filter.environment !== undefined) {
    requireName('--env', 'environment', filter.environment, [...eco.environments.keys()]);
    views.push(environmentView(eco, filter.environment));
  }
  if (filter.platform !== undefined) {
    requireName('--platform', 'platform', filter.platform, [...eco.platforms.keys()]);
    views.push(platformView(eco, graph, filter.platform));
  }
  if (views.length === 0) return graph;
  const [first, ...rest] = views;
  return affectedSubgraph(graph, [...first!].filter((id) => rest.every((v) => v.has(id))));
}

function requireName(flag: string, word: string, name: string, names: string[]): void {
  if (names.includes(name)) return;
  const close = closestName(name, names);
  const hint = close !== undefined ? `did you mean "${close}"?` : names.length > 0 ? `pick one of: ${[...names].sort().join(', ')}` : `there is no ${word} yet`;
  throw new UsageError(`${flag} ${name}: ${word} "${name}" does not exist`, hint);
}

/**
 * A platform, what it references (its template and the templates that one extends, its
 * namespace, the platforms it depends on and the contracts it provides or consumes, lists
 * inherited from a template included) and what references it directly (the platforms
 * depending on it, the environments running it, the exceptions naming it). Not further:
 * the platforms consuming what it provides are two steps away, so `registry impact` is the
 * place for everything a change to it reaches.
 */
function platformView(eco: Ecosystem, graph: Graph, name: string): Set<string> {
  const id = nodeId('Platform', name);
  const keep = new Set([id]);
  const inherited = { eco, memo: inheritedListsMemo() };
  const rec = eco.platforms.get(name)!;
  forEachReference(rec, (ref) => keep.add(nodeId(ref.kind, ref.name)), { inherited });
  for (const t of templateChain(eco, rec.links.extends).chain) keep.add(nodeId('PlatformTemplate', t.name));
  for (const e of graph.edges) if (e.to === id) keep.add(e.from);
  // A platform inheriting its dependsOn from a template depends on it too; the graph draws that edge from the template.
  for (const [other, p] of eco.platforms) {
    forEachReference(
      p,
      (ref) => {
        if (ref.field === 'dependsOn' && ref.name === name) keep.add(nodeId('Platform', other));
      },
      { inherited },
    );
  }
  return keep;
}

/**
 * An environment, its adapter, the platforms its instance runs and what they are built from
 * (templates, namespaces, contracts), and the exceptions that apply there. A platform one of
 * them depends on is kept only if it runs there too.
 */
function environmentView(eco: Ecosystem, env: string): Set<string> {
  const keep = new Set([nodeId('Environment', env)]);
  forEachReference(eco.environments.get(env)!, (ref) => {
    if (ref.field === 'adapter') keep.add(nodeId('Adapter', ref.name));
  });
  const inherited = { eco, memo: inheritedListsMemo() };
  for (const entry of eco.instances.get(env)?.manifest.spec.platforms ?? []) {
    keep.add(nodeId('Platform', entry.name));
    const rec = eco.platforms.get(entry.name);
    if (!rec) continue;
    forEachReference(rec, (ref) => {
      if (ref.field !== 'dependsOn') keep.add(nodeId(ref.kind, ref.name));
    }, { inherited });
    for (const t of templateChain(eco, rec.links.extends).chain) keep.add(nodeId('PlatformTemplate', t.name));
  }
  for (const [name, x] of eco.exceptions) {
    const target = x.manifest.spec.target;
    if (target.environment !== undefined && target.environment !== env) continue;
    const targetId = target.kind === 'PlatformInstance' ? nodeId('Environment', instanceEnvironment(eco, target.name) ?? target.name) : nodeId(target.kind, target.name);
    if (keep.has(targetId)) keep.add(nodeId('PolicyException', name));
  }
  return keep;
}
