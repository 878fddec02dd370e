// Why a manifest is in a change's impact: the chain of references from it back to a changed
// (or deleted) manifest, as the impact walk found it, with where each reference is written.
// The walk keeps only relations (it runs on every pull request and prints nothing); the
// references of the chains printed are found again here, through the same reference walk.
import { locateIn, type Ecosystem, type ManifestRecord } from '../manifest/ecosystem.js';
import { instanceEnvironment } from './graph.js';
import type { ImpactRelation, ImpactStep, TracedImpact } from './impact.js';
import { forEachReference, type Reference, type ReferenceField } from './walk.js';

export interface ChainHop {
  /** `Kind/name` of the manifest that makes the reference (a platform even when its template writes it). */
  from: string;
  relation: ImpactRelation;
  /** `Kind/name` it refers to. */
  to: string;
  /** Where the reference is written; absent when that manifest was deleted. */
  file?: string;
  line?: number;
  /** `PlatformTemplate/name` when a platform inherits the reference from that template. */
  inheritedFrom?: string;
}

export interface ImpactChain {
  /** `Kind/name` of the changed or deleted manifest the chain ends at. */
  changed: string;
  deleted: boolean;
  /** From the affected manifest to the change; empty when it is the change itself. */
  hops: ChainHop[];
  /** `report-platform ← dependsOn api-platform (file:line) ← extends http-service (file:line)`. */
  text: string;
}

/** The chain that brought `key` (`Kind/name`) into the impact; undefined when it is not in it. */
export function impactChain(eco: Ecosystem, impact: TracedImpact, key: string): ImpactChain | undefined {
  let step: ImpactStep | undefined = impact.reached.get(key);
  if (!step) return undefined;
  const hops: ChainHop[] = [];
  let text = nameOf(step.key);
  for (; step.prev !== undefined; step = step.prev) {
    const [from, to] = step.reverse ? [step.prev.key, step.key] : [step.key, step.prev.key];
    const ref = referenceBetween(eco, from, step.relation!, to);
    const hop = hopOf(from, step.relation!, to, ref);
    hops.push(hop);
    const where = hop.file === undefined ? '' : ` (${hop.file}:${hop.line}${hop.inheritedFrom ? `, from template ${nameOf(hop.inheritedFrom)}` : ''})`;
    text += ` ← ${words(step, step.prev, ref)}${where}`;
  }
  if (hops.length === 0) text += step.deleted ? ' (deleted)' : ' (changed)';
  return { changed: step.key, deleted: step.deleted, hops, text };
}

function hopOf(from: string, relation: ImpactRelation, to: string, ref: Reference | undefined): ChainHop {
  const hop: ChainHop = { from, relation, to };
  if (ref) {
    const { file, line } = locateIn(ref.owner, ref.pointer);
    hop.file = file;
    hop.line = line;
    if (ref.owner.kind === 'PlatformTemplate' && from.startsWith('Platform/')) hop.inheritedFrom = ref.owner.key;
  }
  return hop;
}

/** The reference field each relation is written in. */
const FIELDS: Record<ImpactRelation, readonly ReferenceField[]> = {
  extends: ['extends'],
  namespace: ['namespace'],
  dependsOn: ['dependsOn'],
  provides: ['provides'],
  consumes: ['consumes'],
  implements: ['implements'],
  adapter: ['adapter'],
  'promotes-from': ['promotion'],
  runs: ['platforms'],
  environment: ['environment'],
  targets: ['target', 'targetEnvironment'],
};

/**
 * The reference `from` (`Kind/name`) makes to `to` in the field of `relation`: a platform's
 * lists as it ends up with them (so an inherited one is found in its template), an
 * environment's `runs` in its instance. Undefined when the manifest is gone.
 */
function referenceBetween(eco: Ecosystem, from: string, relation: ImpactRelation, to: string): Reference | undefined {
  const holder = recordOf(eco, from, relation);
  if (!holder) return undefined;
  const fields = FIELDS[relation];
  let found: Reference | undefined;
  forEachReference(
    holder,
    (ref) => {
      if (found === undefined && fields.includes(ref.field) && `${ref.kind}/${ref.name}` === to) found = ref;
    },
    { inherited: { eco } },
  );
  return found;
}

function recordOf(eco: Ecosystem, key: string, relation: ImpactRelation): ManifestRecord | undefined {
  const slash = key.indexOf('/');
  const kind = key.slice(0, slash);
  const name = key.slice(slash + 1);
  switch (kind) {
    case 'Platform':
      return eco.platforms.get(name);
    case 'PlatformTemplate':
      return eco.templates.get(name);
    case 'Environment':
      // What an environment runs is written in its instance.
      return relation === 'runs' ? eco.instances.get(name) : eco.environments.get(name);
    case 'PlatformInstance': {
      const env = instanceEnvironment(eco, name);
      return env === undefined ? undefined : eco.instances.get(env);
    }
    case 'Adapter':
      return eco.adapters.get(name);
    case 'PolicyException':
      return eco.exceptions.get(name);
    default:
      return undefined;
  }
}

/** How `step` relates to `prev`, naming `prev`: `extends base`, `provided by db-platform`. */
function words(step: ImpactStep, prev: ImpactStep, ref: Reference | undefined): string {
  const relation = step.relation!;
  if (step.reverse) {
    const other = nameOf(prev.key);
    switch (relation) {
      case 'provides':
        return `provided by ${other}`;
      case 'runs':
        // Written in an instance: name the environment it places the platform in.
        return `runs in ${ref ? environmentOf(ref.owner) ?? other : other}`;
      case 'targets':
        return `targeted by ${other}`;
      case 'environment':
        return `environment of instance ${other}`;
      default:
        return `${relation} of ${other}`;
    }
  }
  // As written (a contract with its version or range), or the name when the reference is gone.
  const other = ref?.value ?? nameOf(prev.key);
  switch (relation) {
    case 'namespace':
      return `in namespace ${other}`;
    case 'adapter':
      return `uses adapter ${other}`;
    case 'promotes-from':
      return `promotes from ${other}`;
    default:
      return `${relation} ${other}`;
  }
}

function environmentOf(rec: ManifestRecord): string | undefined {
  return rec.kind === 'PlatformInstance' ? rec.manifest.spec.environment : undefined;
}

function nameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}
