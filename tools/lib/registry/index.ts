// The registry: reference checks, the dependency graph and deploy order, and change impact.
export { checkReferences } from './references.js';
export {
  affectedSubgraph,
  buildGraph,
  cycleThrough,
  cyclicComponents,
  dependencyCycles,
  effectiveList,
  instanceEnvironment,
  nodeId,
  splitContractRef,
  toDot,
  toJson,
  toMermaid,
  topologicalOrder,
  type DeployOrder,
  type EffectiveList,
  type Graph,
  type GraphEdge,
  type GraphNode,
  type InheritedField,
  type Relation,
} from './graph.js';
export { impactOfChanges, isFindingAffected, manifestKeysOf, manifestKeysOfText, type Impact } from './impact.js';
