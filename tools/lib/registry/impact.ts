// What a change touches: from changed files (and manifests that vanished) to the manifests,
// platforms and environments whose findings or deployments can differ. Reverse indexes are
// built once from names, so a deleted manifest's dependents are found too.
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import { parseManifestText } from '../manifest/load.js';
import type { Finding } from '../report/finding.js';
import { instanceEnvironment } from './graph.js';
import { forEachReference, inheritedListsMemo, splitContractRef } from './walk.js';

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

/** name → names. A name may repeat: what reads it adds to sets (a list per key costs far less than a set). */
class ReverseIndex {
  private readonly map = new Map<string, string[]>();
  add(key: string, value: string): void {
    const list = this.map.get(key);
    if (list) list.push(value);
    else this.map.set(key, [value]);
  }
  get(key: string): Iterable<string> {
    return this.map.get(key) ?? [];
  }
}

interface Indexes {
  templatesExtending: ReverseIndex;
  platformsExtending: ReverseIndex;
  dependents: ReverseIndex;
  environmentsRunning: ReverseIndex;
  /** contract name → platforms providing or consuming it. */
  platformsUsingContract: ReverseIndex;
  /** contract name → adapters implementing it. */
  adaptersImplementing: ReverseIndex;
  /** contract name → contracts platforms provide. */
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
    platformsUsingContract: new ReverseIndex(),
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
            ix.platformsUsingContract.add(ref.name, name);
            ix.contractsProvidedBy.add(name, ref.name);
            break;
          case 'consumes':
            ix.platformsUsingContract.add(ref.name, name);
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

/**
 * The impact of changing `changedFiles` and deleting the manifests `deletedKeys` (`Kind/name`).
 * Changes propagate: a template to what extends it, a platform to where it runs, to what
 * depends on it and to what consumes what it provides; an environment to what it runs and
 * to what promotes from it; a contract to its providers, consumers, implementers and their
 * environments; an adapter, a namespace or an exception to what uses or names them.
 */
export function impactOfChanges(eco: Ecosystem, changedFiles: string[], deletedKeys: string[] = []): Impact {
  const ix = buildIndexes(eco);
  const impact: Impact = { files: new Set(changedFiles), manifests: new Set(), platforms: new Set(), environments: new Set() };
  const changedKeys: string[] = [...deletedKeys];
  for (const rec of eco.records) if (impact.files.has(rec.file)) changedKeys.push(rec.key);

  // Affected (terminal) additions: these do not propagate further.
  const environment = (name: string) => {
    impact.environments.add(name);
    impact.manifests.add(`Environment/${name}`);
  };
  const platform = (name: string) => {
    impact.platforms.add(name);
    impact.manifests.add(`Platform/${name}`);
  };
  const platformEverywhere = (name: string) => {
    platform(name);
    for (const env of ix.environmentsRunning.get(name)) environment(env);
  };

  const expandedDependents = new Set<string>();

  // Changes that propagate, each visited once.
  const seen = new Set<string>();
  const queue: { kind: string; name: string }[] = [];
  const change = (kind: string, name: string) => {
    const key = `${kind}/${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    impact.manifests.add(key);
    queue.push({ kind, name });
  };
  for (const key of changedKeys) {
    impact.manifests.add(key);
    const { kind, name } = parseKey(key);
    change(kind, name);
  }

  for (let i = 0; i < queue.length; i++) {
    const { kind, name } = queue[i]!;
    for (const x of ix.exceptionsTargeting.get(`${kind}/${name}`)) impact.manifests.add(`PolicyException/${x}`);
    switch (kind) {
      case 'PlatformTemplate':
        for (const t of ix.templatesExtending.get(name)) change('PlatformTemplate', t);
        for (const p of ix.platformsExtending.get(name)) change('Platform', p);
        break;
      case 'Platform':
        platformEverywhere(name);
        for (const c of ix.contractsProvidedBy.get(name)) for (const p of ix.consumers.get(c)) platform(p);
        dependentsOf(name, ix, expandedDependents, platform);
        break;
      case 'Environment':
        environmentChanged(eco, name, ix, environment, platform);
        break;
      case 'PlatformInstance': {
        // Keyed by metadata name; the environment it places platforms in is what matters.
        const env = instanceEnvironment(eco, name) ?? name;
        environmentChanged(eco, env, ix, environment, platform);
        break;
      }
      case 'Contract':
        for (const p of ix.platformsUsingContract.get(name)) platformEverywhere(p);
        for (const a of ix.adaptersImplementing.get(name)) {
          impact.manifests.add(`Adapter/${a}`);
          for (const env of ix.environmentsUsingAdapter.get(a)) environment(env);
        }
        break;
      case 'Adapter':
        for (const env of ix.environmentsUsingAdapter.get(name)) environment(env);
        break;
      case 'Namespace':
        for (const p of ix.platformsInNamespace.get(name)) platform(p);
        break;
      case 'PolicyException': {
        const target = eco.exceptions.get(name)?.manifest.spec.target;
        if (!target) break;
        impact.manifests.add(`${target.kind}/${target.name}`);
        if (target.kind === 'Platform') platform(target.name);
        if (target.kind === 'Environment') environment(target.name);
        if (target.kind === 'PlatformInstance') environment(instanceEnvironment(eco, target.name) ?? target.name);
        if (target.environment !== undefined && target.kind !== 'Platform') environment(target.environment);
        break;
      }
      default:
        break;
    }
  }
  return impact;
}

/**
 * Platforms depending on `name`, transitively (dependsOn reversed). `expanded` is shared
 * across calls so each platform's dependents are walked once per impact computation.
 */
function dependentsOf(name: string, ix: Indexes, expanded: Set<string>, platform: (n: string) => void): void {
  if (expanded.has(name)) return;
  expanded.add(name);
  const queue = [name];
  for (let i = 0; i < queue.length; i++) {
    for (const d of ix.dependents.get(queue[i]!)) {
      platform(d);
      if (expanded.has(d)) continue;
      expanded.add(d);
      queue.push(d);
    }
  }
}

function environmentChanged(
  eco: Ecosystem,
  env: string,
  ix: Indexes,
  environment: (n: string) => void,
  platform: (n: string) => void,
): void {
  environment(env);
  for (const p of eco.instances.get(env)?.manifest.spec.platforms ?? []) platform(p.name);
  for (const e of ix.promotingFrom.get(env)) environment(e);
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
