// The references a manifest makes to other manifests, in one place: the reference checks,
// the dependency graph and the change impact all walk them from here. Platform and template
// fields are read from a record's `links`, so a cached platform is not parsed whole for this.
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import type { KindName } from '../manifest/kinds.js';
import { templateChain } from '../manifest/resolve.js';

/** The field a reference is written in (`promotion` is `promotion.from`; `platforms` an instance's entries). */
export type ReferenceField =
  | 'extends'
  | 'namespace'
  | 'dependsOn'
  | 'provides'
  | 'consumes'
  | 'implements'
  | 'adapter'
  | 'promotion'
  | 'environment'
  | 'platforms'
  | 'target'
  | 'targetEnvironment';

export interface Reference {
  field: ReferenceField;
  /** The kind referred to; an exception's target may be any kind. */
  kind: KindName;
  /** The name referred to; of a contract, without its version. */
  name: string;
  /** The value as written (`storage@^1.0.0` for a contract; otherwise the name). */
  value: string;
  /** A contract reference's version (provides, implements) or range (consumes); '' when none is written. */
  version: string | undefined;
  /** The manifest it is written in: the record, or the template a platform inherits the list from. */
  owner: ManifestRecord;
  /** JSON pointer of the value inside `owner`. */
  readonly pointer: string;
}

/** Template name → the list platforms built on it inherit, per field (see effectiveList). */
export type InheritedLists = Record<InheritedField, Map<string, EffectiveList | null>>;

export interface WalkOptions {
  /**
   * With an ecosystem, a platform's dependsOn, provides and consumes are the lists it ends up
   * with (its own, or the nearest template's that sets them), owned where they are written.
   * Without, each manifest's own fields only.
   */
  inherited?: { eco: Ecosystem; memo?: InheritedLists };
}

/** An empty memo for WalkOptions.inherited, to share across many walks of one ecosystem. */
export function inheritedListsMemo(): InheritedLists {
  return { dependsOn: new Map(), provides: new Map(), consumes: new Map() };
}

/**
 * Calls `visit` with every reference `rec` makes, in the order its fields are checked: extends, namespace,
 * dependsOn, provides, consumes (platforms, templates); adapter, promotion (environments);
 * environment, platforms (instances); implements (adapters); target and its environment
 * (exceptions). Other kinds make none. A callback, not a generator: the impact walks every
 * platform of a large ecosystem on each pull request.
 */
export function forEachReference(rec: ManifestRecord, visit: (ref: Reference) => void, options: WalkOptions = {}): void {
  switch (rec.kind) {
    case 'Platform':
    case 'PlatformTemplate': {
      const links = rec.links;
      if (links.extends !== undefined) visit(named(rec, 'extends', '/spec/extends', 'PlatformTemplate', links.extends));
      if (links.namespace !== undefined) visit(named(rec, 'namespace', '/spec/namespace', 'Namespace', links.namespace));
      const { inherited } = options;
      for (const field of INHERITED_FIELDS) {
        const list: EffectiveList =
          inherited && rec.kind === 'Platform'
            ? effectiveList(inherited.eco, rec, field, inherited.memo?.[field])
            : { values: links[field] ?? [], owner: rec, pointer: `/spec/${field}` };
        for (let i = 0; i < list.values.length; i++) {
          const value = list.values[i]!;
          visit(field === 'dependsOn' ? named(list.owner, field, list.pointer, 'Platform', value, i) : contract(list.owner, field, list.pointer, value, i));
        }
      }
      return;
    }
    case 'Environment': {
      const spec = rec.manifest.spec;
      visit(named(rec, 'adapter', '/spec/adapter', 'Adapter', spec.adapter));
      if (spec.promotion) visit(named(rec, 'promotion', '/spec/promotion/from', 'Environment', spec.promotion.from));
      return;
    }
    case 'PlatformInstance': {
      const spec = rec.manifest.spec;
      visit(named(rec, 'environment', '/spec/environment', 'Environment', spec.environment));
      for (let i = 0; i < spec.platforms.length; i++) visit(named(rec, 'platforms', '/spec/platforms', 'Platform', spec.platforms[i]!.name, i, '/name'));
      return;
    }
    case 'Adapter': {
      const refs = rec.manifest.spec.implements;
      for (let i = 0; i < refs.length; i++) visit(contract(rec, 'implements', '/spec/implements', refs[i]!, i));
      return;
    }
    case 'PolicyException': {
      const target = rec.manifest.spec.target;
      visit(named(rec, 'target', '/spec/target/name', target.kind, target.name));
      if (target.environment !== undefined) visit(named(rec, 'targetEnvironment', '/spec/target/environment', 'Environment', target.environment));
      return;
    }
    default:
      return;
  }
}

/** A reference whose pointer is built only when read: the impact walks every platform and reads none. */
class WrittenReference implements Reference {
  constructor(
    readonly field: ReferenceField,
    readonly kind: KindName,
    readonly name: string,
    readonly value: string,
    readonly version: string | undefined,
    readonly owner: ManifestRecord,
    /** Where it is written: `path`, or entry `index` of the list there (and `tail` inside the entry). */
    private readonly path: string,
    private readonly index: number,
    private readonly tail: string,
  ) {}

  get pointer(): string {
    return this.index < 0 ? this.path : `${this.path}/${this.index}${this.tail}`;
  }
}

function named(owner: ManifestRecord, field: ReferenceField, path: string, kind: KindName, name: string, index = -1, tail = ''): Reference {
  return new WrittenReference(field, kind, name, name, undefined, owner, path, index, tail);
}

function contract(owner: ManifestRecord, field: ReferenceField, path: string, value: string, index = -1): Reference {
  const { name, version } = splitContractRef(value);
  return new WrittenReference(field, 'Contract', name, value, version, owner, path, index, '');
}

/** `name@version` or `name@range` → its two parts (names never contain `@`). */
export function splitContractRef(ref: string): { name: string; version: string } {
  const at = ref.indexOf('@');
  return at < 0 ? { name: ref, version: '' } : { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

// ---------------------------------------------------------------------------------------------
// Platform lists that templates may set

export type InheritedField = 'dependsOn' | 'provides' | 'consumes';

const INHERITED_FIELDS: readonly InheritedField[] = ['dependsOn', 'provides', 'consumes'];

export interface EffectiveList {
  values: string[];
  /** The manifest that declared the list: the platform, or the nearest template that sets it. */
  owner: ManifestRecord<'Platform'> | ManifestRecord<'PlatformTemplate'>;
  /** Pointer of the list inside `owner`, e.g. `/spec/dependsOn`. */
  pointer: string;
}

/**
 * The list a platform ends up with: lists replace when layers merge, so it is the platform's
 * own, or else the one of the nearest template in its chain that sets it. `memo` (template
 * name → its answer) saves walking the same chain for every platform built on it.
 */
export function effectiveList(
  eco: Ecosystem,
  platform: ManifestRecord<'Platform'>,
  field: InheritedField,
  memo?: Map<string, EffectiveList | null>,
): EffectiveList {
  const pointer = `/spec/${field}`;
  const own = platform.links[field];
  if (own !== undefined) return { values: own, owner: platform, pointer };
  const start = platform.links.extends;
  if (start === undefined) return { values: [], owner: platform, pointer };
  let inherited = memo?.get(start);
  if (inherited === undefined) {
    inherited = null;
    const chain = templateChain(eco, start).chain;
    for (let i = chain.length - 1; i >= 0 && inherited === null; i--) {
      const t = chain[i]!;
      const list = t.links[field];
      if (list !== undefined) inherited = { values: list, owner: t, pointer };
    }
    memo?.set(start, inherited);
  }
  return inherited ?? { values: [], owner: platform, pointer };
}
