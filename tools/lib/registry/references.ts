// Reference checks (ref.unknown, ref.cycle; plus ref.depth and path.outside-root):
// every name a manifest mentions must name something, chains must end, and secret files must
// stay inside the repository. Every finding points at the exact value that is wrong.
import semver from 'semver';
import { isNamedKind, locateIn, namedMap, type Ecosystem, type ManifestRecord, type NamedKind } from '../manifest/ecosystem.js';
import type { KindName } from '../manifest/kinds.js';
import { MAX_TEMPLATE_DEPTH } from '../manifest/resolve.js';
import { referenceEscapes } from '../repo/paths.js';
import type { Finding } from '../report/finding.js';
import { isRecordAffected, type Impact } from './impact.js';
import { NameIndex, SuggestionBudget } from '../suggest/closest-name.js';
import { cycleThrough, cyclicComponents, dependencyCycles, reachableDependencies, instanceEnvironment } from './graph.js';
import { effectiveList, forEachReference, splitContractRef, type Reference, type ReferenceField } from './walk.js';

type Obj = Record<string, unknown>;

/**
 * Every reference problem in the ecosystem, in manifest order, then the cycle findings. With
 * `only`, the manifests whose findings a change cannot affect are not checked (the cycle
 * checks still see everything): what it returns about them is incomplete.
 */
export function checkReferences(eco: Ecosystem, only?: Impact): Finding[] {
  const check = new ReferenceCheck(eco);
  for (const rec of eco.records) if (!only || isRecordAffected(rec, only)) check.record(rec);
  check.templateChains();
  check.dependencyCycles(only);
  check.promotionCycles();
  return check.findings;
}

// ---------------------------------------------------------------------------------------------
// Hints

const LIST_LIMIT = 8;

function listNames(names: string[], sorted = false): string {
  const list = sorted ? names : [...names].sort();
  const shown = list.slice(0, LIST_LIMIT).join(', ');
  return list.length > LIST_LIMIT ? `${shown} and ${list.length - LIST_LIMIT} more` : shown;
}

/** `did you mean "x"?`, or what exists, or how to create the first one. */
function suggest(wanted: string, names: NameIndex, plural: string, whenNone: string, budget: SuggestionBudget): string {
  const close = names.closest(wanted, budget);
  if (close !== undefined) return `did you mean "${close}"?`;
  if (names.sorted.length === 0) return whenNone;
  return `existing ${plural}: ${listNames(names.sorted, true)}`;
}

// ---------------------------------------------------------------------------------------------

const KIND_WORD: Record<KindName, string> = {
  Platform: 'platform',
  PlatformTemplate: 'template',
  Environment: 'environment',
  PlatformInstance: 'platform instance',
  Contract: 'contract',
  Adapter: 'adapter',
  Namespace: 'namespace',
  PolicyException: 'policy exception',
  PolicySettings: 'policy settings',
};

/** The hint for an unknown name when none of its kind exists, by the field that names it. */
const WHEN_NONE: Record<Exclude<ReferenceField, 'provides' | 'implements' | 'consumes' | 'target'>, string> = {
  extends: 'no templates exist — add one under ecosystem/platform-templates/',
  namespace: 'no namespaces exist — declare one in registry/namespaces.yaml',
  dependsOn: 'no platforms exist — add platforms/<name>/platform.yaml',
  adapter: 'no adapters exist — add one under ecosystem/ecosystem-cloud/adapters/',
  promotion: 'no environments exist',
  environment: 'add ecosystem/platform-cloud/<env>/environment.yaml',
  platforms: 'no platforms exist — add platforms/<name>/platform.yaml',
  targetEnvironment: 'no environments exist',
};

class ReferenceCheck {
  readonly findings: Finding[] = [];
  /** Contract names with at least one version that failed its schema. */
  private readonly invalidContracts = new Set<string>();
  /** contract name → its valid versions, normalized; `name@range` → whether one satisfies it. Platforms repeat the same refs. */
  private readonly versionsOf = new Map<string, string[]>();
  private readonly rangeMet = new Map<string, boolean>();
  /** Names per kind for suggestions, built on the first unknown reference to that kind. */
  private readonly nameIndexes = new Map<string, NameIndex>();
  private readonly suggestionBudget = new SuggestionBudget();

  constructor(private readonly eco: Ecosystem) {
    for (const key of eco.invalidKeys) {
      if (key.startsWith('Contract/')) this.invalidContracts.add(splitContractRef(key.slice('Contract/'.length)).name);
    }
  }

  /** A finding at `pointer` in `rec`; `about` names the manifest it concerns when that differs. */
  private report(
    rec: ManifestRecord,
    pointer: string,
    ruleId: string,
    message: string,
    hint: string,
    about: { kind: KindName; name: string } = rec,
    severity: Finding['severity'] = 'error',
  ): void {
    const environment = environmentOf(rec);
    this.findings.push({
      ruleId,
      severity,
      message,
      hint,
      ...locateIn(rec, pointer),
      kind: about.kind,
      name: about.name,
      ...(environment === undefined ? {} : { environment }),
      path: pointer,
    });
  }

  private unknown(rec: ManifestRecord, pointer: string, message: string, hint: string): void {
    this.report(rec, pointer, 'ref.unknown', message, hint);
  }

  /** True when `name` is a manifest of `kind` — valid, or present but failing its schema. */
  private exists(kind: NamedKind, name: string): boolean {
    return this.mapOf(kind).has(name) || this.eco.invalidKeys.has(`${kind}/${name}`);
  }

  private mapOf(kind: NamedKind): Map<string, unknown> {
    return namedMap(this.eco, kind);
  }

  /** A suggestion hint for `wanted` among the names of `kind`; the names are indexed once per kind. */
  private suggestAmong(kind: KindName, names: () => Iterable<string>, wanted: string, plural: string, whenNone: string): string {
    let index = this.nameIndexes.get(kind);
    if (!index) {
      index = new NameIndex(names());
      this.nameIndexes.set(kind, index);
    }
    return suggest(wanted, index, plural, whenNone, this.suggestionBudget);
  }

  private named(
    rec: ManifestRecord,
    pointer: string,
    kind: NamedKind,
    name: string,
    whenNone: string,
  ): void {
    if (this.exists(kind, name)) return;
    const word = KIND_WORD[kind];
    this.unknown(rec, pointer, `${word} "${name}" does not exist`, this.suggestAmong(kind, () => this.mapOf(kind).keys(), name, `${word}s`, whenNone));
  }

  record(rec: ManifestRecord): void {
    forEachReference(rec, (ref) => this.reference(rec, ref));
    if (rec.kind === 'Environment') this.instanceMissing(rec);
    if (rec.kind === 'PlatformInstance') this.versionsAhead(rec);
    if (rec.kind === 'Platform' || rec.kind === 'PlatformTemplate' || rec.kind === 'Environment') this.secretFiles(rec);
  }

  /**
   * One reference, checked where it is written (a template's inherited lists at the template).
   * Contracts are checked by version or range; an exception's target by its kind.
   */
  private reference(rec: ManifestRecord, ref: Reference): void {
    switch (ref.field) {
      case 'provides':
      case 'implements':
        this.exactContract(rec, ref.pointer, ref.value);
        return;
      case 'consumes':
        this.contractRange(rec, ref.pointer, ref.value);
        return;
      case 'target':
        this.exceptionTarget(rec, ref);
        return;
      default:
        if (isNamedKind(ref.kind)) this.named(rec, ref.pointer, ref.kind, ref.name, WHEN_NONE[ref.field]);
    }
  }

  // Without an instance nothing says what runs there: a deleted or emptied platform.yaml must
  // fail the check, not pass it as "nothing declared" (an empty environment says `platforms: []`).
  private instanceMissing(rec: ManifestRecord<'Environment'>): void {
    if (this.eco.instances.has(rec.name) || this.eco.invalidKeys.has(`PlatformInstance@${rec.name}`)) return;
    const dir = rec.file.includes('/') ? rec.file.slice(0, rec.file.lastIndexOf('/')) : '.';
    this.report(
      rec,
      '/metadata/name',
      'ref.instance-missing',
      `environment ${rec.name} has no PlatformInstance (expected ${dir}/platform.yaml), so nothing says what runs there`,
      `add ${dir}/platform.yaml (kind PlatformInstance, spec.environment: ${rec.name}); an empty environment declares "platforms: []"`,
    );
  }

  // The catalog's spec.version is the newest release of a platform: an instance asking for a
  // later one names a version nobody released (its image tag is usually missing too). A
  // pre-release (1.9.0-pr.42) is a build under review and may run ahead of the catalog. A
  // warning, not an error: it never blocks an apply or a deploy already under way.
  private versionsAhead(rec: ManifestRecord<'PlatformInstance'>): void {
    rec.manifest.spec.platforms.forEach((entry, i) => {
      const platform = this.eco.platforms.get(entry.name);
      const released = platform?.manifest.spec.version;
      if (!platform || !released || !semver.valid(entry.version) || !semver.valid(released)) return;
      if (semver.prerelease(entry.version) || !semver.gt(entry.version, released)) return;
      this.report(
        rec,
        `/spec/platforms/${i}/version`,
        'instances.version-ahead',
        `${rec.manifest.spec.environment} runs ${entry.name} ${entry.version}, but the catalog's newest version is ${released} (${platform.file})`,
        `release it first: set spec.version: ${entry.version} in ${platform.file}; or write version: ${released} here`,
        rec,
        'warning',
      );
    });
  }

  /** The contract, if it is known or exists but fails its schema (then: skip, it is reported). */
  private contract(rec: ManifestRecord, pointer: string, name: string): ManifestRecord<'Contract'>[] | 'skip' | undefined {
    const versions = this.eco.contracts.get(name);
    if (versions) return versions;
    if (this.invalidContracts.has(name) || this.eco.invalidKeys.has(`Contract/${name}`)) return 'skip';
    this.unknown(
      rec,
      pointer,
      `contract "${name}" does not exist`,
      this.suggestAmong('Contract', () => this.eco.contracts.keys(), name, 'contracts', 'no contracts exist — add ecosystem/contracts/<name>/<version>.yaml'),
    );
    return undefined;
  }

  /** `name@version` (provides, implements): that exact version must exist. */
  private exactContract(rec: ManifestRecord, pointer: string, ref: string): void {
    const { name, version } = splitContractRef(ref);
    const versions = this.contract(rec, pointer, name);
    if (versions === undefined || versions === 'skip') return;
    const exact = semver.valid(version);
    if (exact !== null && this.validVersions(name, versions).includes(exact)) return;
    const list = versions.map((v) => v.manifest.spec.version);
    if (exact === null) {
      this.unknown(
        rec,
        pointer,
        `"${ref}" must name an exact contract version, not "${version}"`,
        `write ${name}@<version>; existing versions: ${listNames(list)}`,
      );
      return;
    }
    if (this.invalidContracts.has(name)) return;
    this.unknown(rec, pointer, `contract "${name}" has no version ${version}`, `existing versions: ${listNames(list)}`);
  }

  private validVersions(name: string, versions: ManifestRecord<'Contract'>[]): string[] {
    let list = this.versionsOf.get(name);
    if (!list) {
      list = versions.map((v) => semver.valid(v.manifest.spec.version)).filter((v): v is string => v !== null);
      this.versionsOf.set(name, list);
    }
    return list;
  }

  /** `name@range` (consumes): some existing version must satisfy the range. */
  private contractRange(rec: ManifestRecord, pointer: string, ref: string): void {
    const { name, version: range } = splitContractRef(ref);
    if (!this.rangeMet.has(ref) && semver.validRange(range) === null) {
      this.unknown(
        rec,
        pointer,
        `"${range}" in "${ref}" is not a valid semver range`,
        'write a range such as ^1.0.0, ~1.2.0, >=1.2.0 or ^1.0.0||^2.0.0',
      );
      return;
    }
    const versions = this.contract(rec, pointer, name);
    if (versions === undefined || versions === 'skip') return;
    let met = this.rangeMet.get(ref);
    if (met === undefined) {
      met = this.validVersions(name, versions).some((v) => semver.satisfies(v, range));
      this.rangeMet.set(ref, met);
    }
    if (met || this.invalidContracts.has(name)) return;
    const list = versions.map((v) => v.manifest.spec.version);
    this.unknown(
      rec,
      pointer,
      `no version of contract "${name}" satisfies ${range}`,
      `existing versions: ${listNames(list)} — widen the range or publish a matching version`,
    );
  }

  private exceptionTarget(rec: ManifestRecord, target: Reference): void {
    const whenNone = `no ${KIND_WORD[target.kind]}s exist`;
    if (target.kind === 'Contract') {
      this.contract(rec, target.pointer, target.name);
    } else if (target.kind === 'PlatformInstance') {
      if (instanceEnvironment(this.eco, target.name) === undefined && !this.eco.invalidKeys.has(`PlatformInstance/${target.name}`)) {
        this.unknown(
          rec,
          target.pointer,
          `platform instance "${target.name}" does not exist`,
          this.suggestAmong('PlatformInstance', () => [...this.eco.instances.values()].map((r) => r.name), target.name, 'platform instances', whenNone),
        );
      }
    } else {
      this.named(rec, target.pointer, target.kind, target.name, whenNone);
    }
  }

  /**
   * Secret references `{name, from: file, key}` must name a relative path inside the
   * repository. They live in `spec.secrets` (platforms, templates, environments) and, for
   * an environment, `spec.config.secrets`; free-form `config` maps are not references.
   */
  private secretFiles(rec: ManifestRecord<'Platform' | 'PlatformTemplate' | 'Environment'>): void {
    this.secretList(rec, rec.manifest.spec.secrets, '/spec/secrets');
    if (rec.kind !== 'Environment') return;
    // Not a field of the schema, so a document holding it fails it; still no path may escape.
    const config = rec.manifest.spec.config;
    if (config && 'secrets' in config) this.secretList(rec, config.secrets, '/spec/config/secrets');
  }

  private secretList(rec: ManifestRecord, list: unknown, pointer: string): void {
    if (!Array.isArray(list)) return;
    list.forEach((ref: unknown, i) => {
      if (ref === null || typeof ref !== 'object') return;
      const { from, key, name } = ref as Obj;
      if (from !== 'file' || typeof key !== 'string') return;
      const why = referenceEscapes(key);
      if (why === null) return;
      this.report(
        rec,
        `${pointer}/${i}/key`,
        'path.outside-root',
        `${typeof name === 'string' ? `secret "${name}"` : 'a secret'} reads the file "${key}", which ${why}`,
        'secret files must be paths relative to the repository root, inside it',
      );
    });
  }

  /**
   * Template `extends` cycles, reported once per cycle at the `extends` of its alphabetically
   * first template; and chains deeper than the limit, reported at the template that is one
   * too deep (deeper ones inherit the same fix).
   */
  templateChains(): void {
    const templates = this.eco.templates;
    const parentOf = (n: string): string[] => {
      const p = templates.get(n)?.manifest.spec.extends;
      return p !== undefined && templates.has(p) ? [p] : [];
    };
    const names = [...templates.keys()].sort();
    const cyclic = new Set<string>();
    for (const component of cyclicComponents(names, parentOf)) {
      const cycle = cycleThrough(component, parentOf);
      component.forEach((n) => cyclic.add(n));
      this.report(
        templates.get(cycle[0]!)!,
        '/spec/extends',
        'ref.cycle',
        `templates extend each other in a cycle: ${cycle.join(' → ')}`,
        'remove one of these extends so the chain ends at a template that extends nothing',
      );
    }
    // Depth: templates on or above a cycle have none; memoized so the walk is linear.
    const depth = new Map<string, number>();
    const depthOf = (start: string): number => {
      const path: string[] = [];
      let n: string | undefined = start;
      let base = 0;
      while (n !== undefined) {
        const known = depth.get(n);
        if (known !== undefined) {
          base = known;
          break;
        }
        if (cyclic.has(n)) {
          base = Infinity;
          break;
        }
        path.push(n);
        n = parentOf(n)[0];
      }
      for (let i = path.length - 1; i >= 0; i--) depth.set(path[i]!, ++base);
      return depth.get(start) ?? Infinity;
    };
    for (const name of names) {
      if (depthOf(name) !== MAX_TEMPLATE_DEPTH + 1) continue;
      const chain: string[] = [];
      for (let n: string | undefined = name; n !== undefined; n = parentOf(n)[0]) chain.push(n);
      this.report(
        templates.get(name)!,
        '/spec/extends',
        'ref.depth',
        `template chain is ${chain.length} deep, over the limit of ${MAX_TEMPLATE_DEPTH}: ${chain.join(' → ')}`,
        'flatten the chain: fold one template into the template it extends',
      );
    }
  }

  /** Platform dependsOn cycles, once per cycle, at the first platform's entry that closes it. */
  /**
   * With an impact, only the cycles through its platforms: a cycle's every member depends on
   * each of the others, so one that a change made or broke runs through a changed platform,
   * and all of it is what the platforms the impact holds reach.
   */
  dependencyCycles(only?: Impact): void {
    const deps = only ? reachableDependencies(this.eco, [...only.platforms]) : undefined;
    for (const cycle of dependencyCycles(this.eco, deps)) {
      const first = this.eco.platforms.get(cycle[0]!)!;
      const list = effectiveList(this.eco, first, 'dependsOn');
      const i = list.values.indexOf(cycle[1]!);
      this.report(
        list.owner,
        `${list.pointer}/${i}`,
        'ref.cycle',
        `platforms depend on each other in a cycle: ${cycle.join(' → ')}`,
        'remove one of these dependsOn entries: no platform in a cycle can start first',
        // When the list is inherited, the finding sits at the template's line but is about the platform.
        first,
      );
    }
  }

  /** Environments whose `promotion.from` chain loops; the message reads in promotion order. */
  promotionCycles(): void {
    const envs = this.eco.environments;
    const fromOf = (n: string): string[] => {
      const f = envs.get(n)?.manifest.spec.promotion?.from;
      return f !== undefined && envs.has(f) ? [f] : [];
    };
    for (const component of cyclicComponents([...envs.keys()].sort(), fromOf)) {
      const cycle = cycleThrough(component, fromOf);
      this.report(
        envs.get(cycle[0]!)!,
        '/spec/promotion/from',
        'ref.cycle',
        `environments promote from each other in a cycle: ${[...cycle].reverse().join(' → ')}`,
        'the first environment of a promotion chain must not promote from another: remove one promotion.from',
      );
    }
  }
}

function environmentOf(rec: ManifestRecord): string | undefined {
  if (rec.kind === 'Environment') return rec.name;
  if (rec.kind === 'PlatformInstance') return rec.manifest.spec.environment;
  return undefined;
}
