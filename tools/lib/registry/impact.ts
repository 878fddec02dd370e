// What a change touches: from changed files (and manifests that vanished) to the manifests,
// platforms and environments whose findings or deployments can differ, and for each the
// chain of references that reaches it. Reverse indexes are built once from names, so a
// deleted manifest's dependents are found too.
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import { parseManifestText } from '../manifest/load.js';
import type { Finding } from '../report/finding.js';
import { instanceEnvironment, type Relation } from './graph.js';
import { forEachReference, inheritedListsMemo, splitContractRef, type Reference } from './walk.js';

export interface Impact {
  /** Changed files (repo-relative posix paths), as given. */
  files: Set<string>;
  /** Keys (`Kind/name`; contracts also `Contract/name@version`) of manifests changed or affected. */
  manifests: Set<string>;
  /** Names of platforms changed or affected. */
  platforms: Set<string>;
  /** Names of environments affected. */
  environments: Set<string>;
}

/** The impact, with how each manifest in it was reached. */
export interface TracedImpact extends Impact {
  /** `Kind/name` → the step that reached it first: the end of its shortest chain back to a change. */
  reached: Map<string, ImpactStep>;
}

/** The relation of a reference between two steps; `environment` is an instance naming its environment. */
export type ImpactRelation = Relation | 'environment';

/**
 * One manifest reached by the impact walk. Following `prev` leads back to a changed (or
 * deleted) manifest, whose step has no `prev`.
 */
export interface ImpactStep {
  /** `Kind/name` (contracts by name, without a version). */
  readonly key: string;
  readonly prev: ImpactStep | undefined;
  /** Of a first step: whether its manifest was deleted rather than changed. */
  readonly deleted: boolean;
  /** The relation of the reference linking this step to `prev` (impactChain finds where it is written); undefined on a first step. */
  readonly relation: ImpactRelation | undefined;
  /**
   * Whether the reference is written in `prev`'s manifest pointing here (api-platform
   * provides queue: the queue step is reversed), not in this one pointing at `prev`.
   */
  readonly reverse: boolean;
}

/**
 * What a step hands on to the manifests next to it: everything a change does, only its
 * dependents (a platform depending on a changed one), only its consumers (a contract a
 * changed platform provides), only the environments it runs in or that use it, or nothing.
 */
type Passes = 'everything' | 'dependents' | 'consumers' | 'environments' | 'nothing';

interface Step extends ImpactStep {
  readonly passes: Passes;
}

/** name → names. A name may repeat: what reads it dedupes (a list per key costs far less than a set). */
class ReverseIndex {
  private readonly map = new Map<string, string[]>();
  add(key: string, value: string): void {
    const list = this.map.get(key);
    if (list) list.push(value);
    else this.map.set(key, [value]);
  }
  get(key: string): readonly string[] {
    return this.map.get(key) ?? NONE;
  }
}

const NONE: readonly string[] = [];

interface Indexes {
  templatesExtending: ReverseIndex;
  platformsExtending: ReverseIndex;
  dependents: ReverseIndex;
  environmentsRunning: ReverseIndex;
  /** contract name → platforms providing it. */
  platformsProviding: ReverseIndex;
  /** contract name → adapters implementing it. */
  adaptersImplementing: ReverseIndex;
  /** platform name → the contracts it provides. */
  contractsProvidedBy: ReverseIndex;
  /** contract name → platforms consuming it. */
  consumers: ReverseIndex;
  environmentsUsingAdapter: ReverseIndex;
  promotingFrom: ReverseIndex;
  platformsInNamespace: ReverseIndex;
  /** `Kind/name` of a target → the exceptions naming it (a deleted target breaks them). */
  exceptionsTargeting: ReverseIndex;
}

function buildIndexes(eco: Ecosystem): Indexes {
  const ix: Indexes = {
    templatesExtending: new ReverseIndex(),
    platformsExtending: new ReverseIndex(),
    dependents: new ReverseIndex(),
    environmentsRunning: new ReverseIndex(),
    platformsProviding: new ReverseIndex(),
    adaptersImplementing: new ReverseIndex(),
    contractsProvidedBy: new ReverseIndex(),
    consumers: new ReverseIndex(),
    environmentsUsingAdapter: new ReverseIndex(),
    promotingFrom: new ReverseIndex(),
    platformsInNamespace: new ReverseIndex(),
    exceptionsTargeting: new ReverseIndex(),
  };
  // Keyed as the references are written; a platform's lists are those it ends up with.
  const inherited = { eco, memo: inheritedListsMemo() };
  for (const [name, x] of eco.exceptions) {
    forEachReference(x, (ref) => {
      if (ref.field === 'target') ix.exceptionsTargeting.add(`${ref.kind}/${ref.name}`, name);
    });
  }
  for (const [name, t] of eco.templates) {
    forEachReference(t, (ref) => {
      if (ref.field === 'extends') ix.templatesExtending.add(ref.name, name);
    });
  }
  for (const [name, p] of eco.platforms) {
    forEachReference(
      p,
      (ref) => {
        switch (ref.field) {
          case 'extends':
            ix.platformsExtending.add(ref.name, name);
            break;
          case 'namespace':
            ix.platformsInNamespace.add(ref.name, name);
            break;
          case 'dependsOn':
            ix.dependents.add(ref.name, name);
            break;
          case 'provides':
            ix.platformsProviding.add(ref.name, name);
            ix.contractsProvidedBy.add(name, ref.name);
            break;
          case 'consumes':
            ix.consumers.add(ref.name, name);
            break;
          default:
            break;
        }
      },
      { inherited },
    );
  }
  for (const [env, inst] of eco.instances) {
    forEachReference(inst, (ref) => {
      if (ref.field === 'platforms') ix.environmentsRunning.add(ref.name, env);
    });
  }
  for (const [name, a] of eco.adapters) {
    forEachReference(a, (ref) => ix.adaptersImplementing.add(ref.name, name));
  }
  for (const [name, e] of eco.environments) {
    forEachReference(e, (ref) => {
      if (ref.field === 'adapter') ix.environmentsUsingAdapter.add(ref.name, name);
      else ix.promotingFrom.add(ref.name, name);
    });
  }
  return ix;
}

/** `Kind/name` or `Contract/name@version` → its parts. */
function parseKey(key: string): { kind: string; name: string } {
  const slash = key.indexOf('/');
  const kind = key.slice(0, slash);
  const rest = key.slice(slash + 1);
  return { kind, name: kind === 'Contract' ? splitContractRef(rest).name : rest };
}

/** A manifest next to a step, before it is reached. */
interface Next {
  key: string;
  passes: Passes;
  relation: ImpactRelation | undefined;
  reverse: boolean;
}

/**
 * The impact of changing `changedFiles` and deleting the manifests `deletedKeys` (`Kind/name`).
 * Changes propagate: a template to what extends it, a platform to where it runs, to what
 * depends on it and to what consumes what it provides; an environment to what it runs and
 * to what promotes from it; a contract to its providers, consumers, implementers and their
 * environments; an adapter, a namespace or an exception to what uses or names them.
 *
 * One breadth-first walk from every change at once, so the first step to reach a manifest
 * ends its shortest chain of references back to a change. Ties break the same way every
 * run: the walk takes the changes, and at each step the manifests next to it, in key order,
 * so of equally short chains it keeps the first in that order read from the change. Linear
 * in the references walked (plus sorting each step's neighbours).
 */
export function impactOfChanges(eco: Ecosystem, changedFiles: string[], deletedKeys: string[] = []): TracedImpact {
  const ix = buildIndexes(eco);
  const impact: TracedImpact = {
    files: new Set(changedFiles),
    manifests: new Set(),
    platforms: new Set(),
    environments: new Set(),
    reached: new Map(),
  };
  // Parsed key → whether it was deleted (a manifest still loaded counts as changed).
  const roots = new Map<string, boolean>();
  const rawKeys: string[] = [];
  const addRoot = (key: string, deleted: boolean) => {
    const { kind, name } = parseKey(key);
    const parsed = `${kind}/${name}`;
    roots.set(parsed, deleted && roots.get(parsed) !== false);
    rawKeys.push(key);
  };
  for (const key of deletedKeys) addRoot(key, true);
  for (const rec of eco.records) if (impact.files.has(rec.file)) addRoot(rec.key, false);

  const queued = new Set<string>();
  const queue: Step[] = [];
  const reach = (next: Next, prev: Step | undefined, deleted = false): void => {
    const known = impact.manifests.has(next.key);
    if (next.passes === 'nothing' && known) return;
    const state = `${next.passes} ${next.key}`;
    if (next.passes !== 'nothing' && queued.has(state)) return;
    const step: Step = { key: next.key, prev, deleted, relation: next.relation, reverse: next.reverse, passes: next.passes };
    // A contract handing a change on to its consumers is not affected itself.
    if (!known && next.passes !== 'consumers') {
      impact.manifests.add(next.key);
      impact.reached.set(next.key, step);
      const { kind, name } = parseKey(next.key);
      if (kind === 'Platform') impact.platforms.add(name);
      else if (kind === 'Environment') impact.environments.add(name);
    }
    if (next.passes === 'nothing') return;
    queued.add(state);
    queue.push(step);
  };

  for (const key of [...roots.keys()].sort()) {
    reach({ key, passes: 'everything', relation: undefined, reverse: false }, undefined, roots.get(key));
  }
  for (const key of rawKeys) impact.manifests.add(key);

  const nexts: Next[] = [];
  for (let i = 0; i < queue.length; i++) {
    const step = queue[i]!;
    nexts.length = 0;
    nextOf(eco, ix, step, nexts);
    nexts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const next of nexts) reach(next, step);
  }
  return impact;
}

/** Pushes `kind/name` for each name: what it hands on, and the relation that reaches it. */
function push(out: Next[], names: readonly string[], kind: string, passes: Passes, relation: ImpactRelation, reverse = false): void {
  for (const name of names) out.push({ key: `${kind}/${name}`, passes, relation, reverse });
}

/** The manifests next to `step` that it hands its change on to, pushed onto `out`. */
function nextOf(eco: Ecosystem, ix: Indexes, step: Step, out: Next[]): void {
  const { kind, name } = parseKey(step.key);
  if (step.passes === 'dependents') return push(out, ix.dependents.get(name), 'Platform', 'dependents', 'dependsOn');
  if (step.passes === 'consumers') return push(out, ix.consumers.get(name), 'Platform', 'nothing', 'consumes');
  if (step.passes === 'environments') return environmentsOf(eco, ix, kind, name, out);
  // Everything a change does.
  push(out, ix.exceptionsTargeting.get(step.key), 'PolicyException', 'nothing', 'targets');
  switch (kind) {
    case 'PlatformTemplate':
      push(out, ix.templatesExtending.get(name), 'PlatformTemplate', 'everything', 'extends');
      push(out, ix.platformsExtending.get(name), 'Platform', 'everything', 'extends');
      return;
    case 'Platform':
      push(out, ix.environmentsRunning.get(name), 'Environment', 'nothing', 'runs');
      push(out, ix.contractsProvidedBy.get(name), 'Contract', 'consumers', 'provides', true);
      push(out, ix.dependents.get(name), 'Platform', 'dependents', 'dependsOn');
      return;
    case 'Environment':
      instanceReferences(eco.instances.get(name), (ref) => {
        if (ref.field === 'platforms') out.push({ key: `Platform/${ref.name}`, passes: 'nothing', relation: 'runs', reverse: true });
      });
      push(out, ix.promotingFrom.get(name), 'Environment', 'nothing', 'promotes-from');
      return;
    case 'PlatformInstance': {
      // Its platforms directly; through its environment, what promotes from there.
      const env = instanceEnvironment(eco, name) ?? name;
      out.push(environmentOfInstance(env, 'environments'));
      instanceReferences(eco.instances.get(env), (ref) => {
        if (ref.field === 'platforms') out.push({ key: `Platform/${ref.name}`, passes: 'nothing', relation: 'runs', reverse: true });
      });
      return;
    }
    case 'Contract':
      push(out, ix.platformsProviding.get(name), 'Platform', 'environments', 'provides');
      push(out, ix.consumers.get(name), 'Platform', 'environments', 'consumes');
      push(out, ix.adaptersImplementing.get(name), 'Adapter', 'environments', 'implements');
      return;
    case 'Adapter':
      return environmentsOf(eco, ix, kind, name, out);
    case 'Namespace':
      return push(out, ix.platformsInNamespace.get(name), 'Platform', 'nothing', 'namespace');
    case 'PolicyException': {
      const x = eco.exceptions.get(name);
      if (!x) return;
      const targetKind = x.manifest.spec.target.kind;
      // Its target (an instance hands it on to its environment), and the environment it names.
      forEachReference(x, (ref) => {
        if (ref.field === 'target') {
          const passes = ref.kind === 'PlatformInstance' ? 'environments' : 'nothing';
          out.push({ key: `${ref.kind}/${ref.name}`, passes, relation: 'targets', reverse: true });
        } else if (targetKind !== 'Platform') {
          out.push({ key: `Environment/${ref.name}`, passes: 'nothing', relation: 'targets', reverse: true });
        }
      });
      return;
    }
    default:
      return;
  }
}

/**
 * The environments a step hands a change on to: a platform's (that run it), an adapter's
 * (that use it), an environment's (that promote from it), an instance's own.
 */
function environmentsOf(eco: Ecosystem, ix: Indexes, kind: string, name: string, out: Next[]): void {
  switch (kind) {
    case 'Platform':
      return push(out, ix.environmentsRunning.get(name), 'Environment', 'nothing', 'runs');
    case 'Adapter':
      return push(out, ix.environmentsUsingAdapter.get(name), 'Environment', 'nothing', 'adapter');
    case 'Environment':
      return push(out, ix.promotingFrom.get(name), 'Environment', 'nothing', 'promotes-from');
    case 'PlatformInstance':
      // Keyed by metadata name; the environment it places platforms in is what matters.
      out.push(environmentOfInstance(instanceEnvironment(eco, name) ?? name, 'nothing'));
      return;
    default:
      return;
  }
}

/** An instance's environment, reached through the instance's `environment`. */
function environmentOfInstance(env: string, passes: Passes): Next {
  return { key: `Environment/${env}`, passes, relation: 'environment', reverse: true };
}

function instanceReferences(inst: ManifestRecord<'PlatformInstance'> | undefined, visit: (ref: Reference) => void): void {
  if (inst) forEachReference(inst, visit);
}

/**
 * Whether a finding can differ because of the change: it is in a changed file, about an
 * affected manifest, or in an affected environment. A platform's finding in an environment
 * is affected when the platform or the environment is.
 */
export function isFindingAffected(f: Pick<Finding, 'file' | 'kind' | 'name' | 'environment'>, impact: Impact): boolean {
  if (impact.files.has(f.file)) return true;
  if (f.kind !== undefined && f.name !== undefined && impact.manifests.has(`${f.kind}/${f.name}`)) return true;
  if (f.kind === 'Platform' && f.name !== undefined && impact.platforms.has(f.name)) return true;
  return f.environment !== undefined && impact.environments.has(f.environment);
}

/**
 * Whether a finding about `rec` itself (in its file, with its environment) can be affected:
 * so a check over manifests may skip those that cannot.
 */
export function isRecordAffected(rec: ManifestRecord, impact: Impact): boolean {
  // isFindingAffected of such a finding, without making one for every manifest.
  if (impact.files.has(rec.file) || impact.manifests.has(rec.kind === 'Contract' ? `Contract/${rec.name}` : rec.key)) return true;
  if (rec.kind === 'Platform') return impact.platforms.has(rec.name);
  const environment = rec.kind === 'Environment' ? rec.name : rec.kind === 'PlatformInstance' ? rec.manifest.spec.environment : undefined;
  return environment !== undefined && impact.environments.has(environment);
}

/**
 * Keys (`Kind/name`) of the manifests in a file's text — the old text of a deleted file, or a
 * file that no longer passes its schema — plus `Contract/<name>` for every contract such a
 * platform or template provides or consumes: the index cannot know them, and their other
 * users are affected when it vanishes.
 */
export function manifestKeysOfText(text: string): string[] {
  return manifestKeysOf(parseManifestText(text).documents.map((d) => d.value));
}

/** The keys of manifests given as parsed values (see manifestKeysOfText). */
export function manifestKeysOf(values: unknown[]): string[] {
  const keys: string[] = [];
  for (const value of values) {
    const v = value as { kind?: unknown; metadata?: { name?: unknown }; spec?: { provides?: unknown; consumes?: unknown } } | null;
    if (!v || typeof v.kind !== 'string' || typeof v.metadata?.name !== 'string') continue;
    keys.push(`${v.kind}/${v.metadata.name}`);
    for (const list of [v.spec?.provides, v.spec?.consumes]) {
      if (!Array.isArray(list)) continue;
      for (const ref of list) if (typeof ref === 'string') keys.push(`Contract/${splitContractRef(ref).name}`);
    }
  }
  return keys;
}
