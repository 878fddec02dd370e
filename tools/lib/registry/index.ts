// The registry: reference checks, the dependency graph and deploy order, and change impact.
export { checkReferences } from './references.js';
export {
  affectedSubgraph,
  buildGraph,
  cycleThrough,
  cyclicComponents,
  dependencyCycles,
  instanceEnvironment,
  nodeId,
  toDot,
  toJson,
  toMermaid,
  topologicalOrder,
  type DeployOrder,
  type Graph,
  type GraphEdge,
  type GraphNode,
  type Relation,
} from './graph.js';
export {
  effectiveList,
  forEachReference,
  splitContractRef,
  type EffectiveList,
  type InheritedField,
  type Reference,
  type ReferenceField,
} from './walk.js';
export {
  impactOfChanges,
  isFindingAffected,
  manifestKeysOf,
  manifestKeysOfText,
  type Impact,
  type ImpactRelation,
  type ImpactStep,
  type TracedImpact,
} from './impact.js';
export { filterGraph, type GraphFilter } from './graph-view.js';
export { impactChain, type ChainHop, type ImpactChain } from './impact-chain.js';
