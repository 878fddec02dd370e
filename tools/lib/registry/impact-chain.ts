// Why a manifest is in a change's impact: the chain of references from it back to a changed
// (or deleted) manifest, as the impact walk found it, with where each reference is written.
import { locateIn, type ManifestRecord } from '../manifest/ecosystem.js';
import type { ImpactRelation, ImpactStep, TracedImpact } from './impact.js';

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
export function impactChain(impact: TracedImpact, key: string): ImpactChain | undefined {
  let step: ImpactStep | undefined = impact.reached.get(key);
  if (!step) return undefined;
  const hops: ChainHop[] = [];
  let text = nameOf(step.key);
  for (; step.prev !== undefined; step = step.prev) {
    const hop = hopOf(step, step.prev);
    hops.push(hop);
    const where = hop.file === undefined ? '' : ` (${hop.file}:${hop.line}${hop.inheritedFrom ? `, from template ${nameOf(hop.inheritedFrom)}` : ''})`;
    text += ` ← ${words(step, step.prev)}${where}`;
  }
  if (hops.length === 0) text += step.deleted ? ' (deleted)' : ' (changed)';
  return { changed: step.key, deleted: step.deleted, hops, text };
}

function hopOf(step: ImpactStep, prev: ImpactStep): ChainHop {
  const [from, to] = step.reverse ? [prev.key, step.key] : [step.key, prev.key];
  const hop: ChainHop = { from, relation: step.relation!, to };
  const ref = step.ref;
  if (ref) {
    const { file, line } = locateIn(ref.owner, ref.pointer);
    hop.file = file;
    hop.line = line;
    if (ref.owner.kind === 'PlatformTemplate' && from.startsWith('Platform/')) hop.inheritedFrom = ref.owner.key;
  }
  return hop;
}

/** How `step` relates to `prev`, naming `prev`: `extends base`, `provided by db-platform`. */
function words(step: ImpactStep, prev: ImpactStep): string {
  const relation = step.relation!;
  if (step.reverse) {
    const other = nameOf(prev.key);
    switch (relation) {
      case 'provides':
        return `provided by ${other}`;
      case 'runs':
        // Written in an instance: name the environment it places the platform in.
        return `runs in ${step.ref ? environmentOf(step.ref.owner) ?? other : other}`;
      case 'targets':
        return `targeted by ${other}`;
      case 'environment':
        return `environment of instance ${other}`;
      default:
        return `${relation} of ${other}`;
    }
  }
  // As written (a contract with its version or range), or the name when the reference is gone.
  const other = step.ref?.value ?? nameOf(prev.key);
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
