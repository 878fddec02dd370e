// The loaded ecosystem: every schema-valid manifest, indexed by kind and name so that
// references are lookups. Built from parsed files; reports schema and duplicate findings.
import semver from 'semver';
import type { Finding } from '../report/finding.js';
import type { KindName, KindTypes } from './kinds.js';
import { locate, type DocumentSummary, type ManifestLinks, type ParsedContent, type PositionMap } from './load.js';
import { validateDocument } from './schema.js';

export interface SourceLoc {
  file: string;
  line: number;
  column: number;
}

/** One schema-valid manifest of kind K, where it was read from, and how to locate its values. */
interface RecordOfKind<K extends KindName> {
  kind: K;
  name: string;
  /** `Kind/name`, or `Contract/name@version`: unique across the ecosystem. */
  key: string;
  /** Repo-relative posix path. */
  file: string;
  docIndex: number;
  /** A getter: a cached manifest is parsed when first read. */
  readonly manifest: KindTypes[K];
  /** The spec's linking fields (of a platform or template), readable without parsing a cached manifest whole. */
  links: ManifestLinks;
  readonly positions: PositionMap;
}

/**
 * A manifest record; unless K is one kind, a union discriminated by `kind`, so checking
 * `rec.kind` narrows `rec.manifest` to that kind's type.
 */
export type ManifestRecord<K extends KindName = KindName> = { [P in K]: RecordOfKind<P> }[K];

export interface ParsedFile {
  file: string;
  content: ParsedContent;
}

export interface Ecosystem {
  root: string;
  /** Schema-valid manifests, in file order. */
  records: ManifestRecord[];
  platforms: Map<string, ManifestRecord<'Platform'>>;
  templates: Map<string, ManifestRecord<'PlatformTemplate'>>;
  environments: Map<string, ManifestRecord<'Environment'>>;
  /** Keyed by the environment they place platforms in. */
  instances: Map<string, ManifestRecord<'PlatformInstance'>>;
  /** Keyed by contract name; versions sorted ascending. */
  contracts: Map<string, ManifestRecord<'Contract'>[]>;
  adapters: Map<string, ManifestRecord<'Adapter'>>;
  namespaces: Map<string, ManifestRecord<'Namespace'>>;
  exceptions: Map<string, ManifestRecord<'PolicyException'>>;
  settings: Map<string, ManifestRecord<'PolicySettings'>>;
  /** Keys of manifests that exist but failed their schema: references to them are not "unknown". */
  invalidKeys: Set<string>;
  /** Every document seen, valid or not. */
  documentCount: number;
  /** Files each manifest key came from, for impact analysis. */
  files: string[];
}

export function locateIn(rec: { file: string; positions: PositionMap }, pointer: string): SourceLoc {
  const [line, column] = locate(rec.positions, pointer);
  return { file: rec.file, line, column };
}

export function recordKey(kind: string, name: string, version?: string): string {
  return kind === 'Contract' && version !== undefined ? `${kind}/${name}@${version}` : `${kind}/${name}`;
}

/** spec fields that link a platform or template to other manifests. */
const LINK_FIELDS = ['extends', 'namespace', 'dependsOn', 'provides', 'consumes'] as const;

/** What indexing reads of a schema-valid document (kept beside its cached value). */
export function summarize(value: unknown): DocumentSummary {
  const spec = (value as { spec?: Record<string, unknown> } | null)?.spec;
  const links: Record<string, unknown> = {};
  if (spec && typeof spec === 'object') for (const k of LINK_FIELDS) if (spec[k] !== undefined) links[k] = spec[k];
  return { ...rawIdentity(value), links: links };
}

function rawIdentity(value: unknown): { kind?: string; name?: string; version?: string; environment?: string } {
  if (value === null || typeof value !== 'object') return {};
  const v = value as { kind?: unknown; metadata?: { name?: unknown }; spec?: { version?: unknown; environment?: unknown } };
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  return {
    kind: str(v.kind),
    name: str(v.metadata?.name),
    version: str(v.spec?.version),
    environment: str(v.spec?.environment),
  };
}

/**
 * What git says of files that define the same name, so the duplicate is reported on the copy:
 * `changed` — the change under review touches it; `uncommitted` — not in the last commit.
 */
export type DefinitionHistory = (files: readonly string[]) => ReadonlyMap<string, { changed?: boolean; uncommitted?: boolean }>;

/** A definition indexed once its duplicates are decided. */
interface Candidate {
  rec: ManifestRecord;
  dupKey: string;
  instanceKey: string | undefined;
  environment: string | undefined;
  loc: (pointer: string) => SourceLoc;
}

export function buildEcosystem(root: string, parsed: ParsedFile[], history?: DefinitionHistory): { ecosystem: Ecosystem; findings: Finding[] } {
  const findings: Finding[] = [];
  const eco: Ecosystem = {
    root,
    records: [],
    platforms: new Map(),
    templates: new Map(),
    environments: new Map(),
    instances: new Map(),
    contracts: new Map(),
    adapters: new Map(),
    namespaces: new Map(),
    exceptions: new Map(),
    settings: new Map(),
    invalidKeys: new Set(),
    documentCount: 0,
    files: [],
  };
  const candidates: Candidate[] = [];
  const definitions = new Map<string, number>();

  for (const { file, content } of parsed) {
    eco.files.push(file);
    for (const f of content.findings) findings.push({ ...f, file });
    for (const doc of content.documents) {
      eco.documentCount++;
      const id = doc.schemaOk === true && doc.summary ? doc.summary : rawIdentity(doc.value);
      const { kind, problems } = doc.schemaOk === true ? { kind: id.kind as KindName, problems: [] } : validateDocument(doc.value);
      doc.schemaOk = problems.length === 0;
      const loc = (pointer: string) => locateIn({ file, positions: doc.positions }, pointer);
      if (problems.length > 0) {
        for (const p of problems) {
          findings.push({
            ruleId: 'schema.invalid',
            severity: 'error',
            message: p.message,
            hint: p.hint,
            ...loc(p.pointer),
            kind: id.kind,
            name: id.name,
            path: p.pointer,
          });
        }
        if (id.kind && id.name) eco.invalidKeys.add(recordKey(id.kind, id.name, id.version));
        if (id.kind === 'PlatformInstance' && id.environment) eco.invalidKeys.add(`PlatformInstance@${id.environment}`);
        continue;
      }
      const rec = {
        kind: kind!,
        name: id.name!,
        key: recordKey(kind!, id.name!, id.version),
        file,
        docIndex: doc.index,
        links: doc.summary?.links ?? ((doc.value as { spec?: ManifestLinks }).spec ?? {}),
        // Read through: the values and positions of cached documents are parsed only when asked for.
        get manifest() {
          return doc.value;
        },
        get positions() {
          return doc.positions;
        },
      } as ManifestRecord; // the document passed the schema of its kind, so kind and manifest agree
      const misplaced = misplacedGovernance(rec.kind, file);
      if (misplaced) {
        // Governance read from anywhere a PR can write would let the governed tune their own rules.
        findings.push({ ...misplaced, ...loc('/kind'), kind: rec.kind, name: rec.name, path: '/kind' });
        continue;
      }
      const instanceKey = rec.kind === 'PlatformInstance' ? `PlatformInstance@${id.environment}` : undefined;
      const dupKey = instanceKey ?? rec.key;
      definitions.set(dupKey, (definitions.get(dupKey) ?? 0) + 1);
      candidates.push({ rec, dupKey, instanceKey, environment: id.environment, loc });
    }
  }

  const duplicates = duplicateDefinitions(candidates, definitions, history);
  for (const c of candidates) {
    const original = duplicates.get(c);
    if (!original) {
      eco.records.push(c.rec);
      index(eco, c.rec);
      continue;
    }
    const first = original.to.loc('/metadata/name');
    const { rec } = c;
    findings.push({
      ruleId: 'manifest.duplicate',
      severity: 'error',
      message: c.instanceKey
        ? `a second PlatformInstance for environment "${c.environment}": the other is at ${first.file}:${first.line} (this one is reported: ${original.why})`
        : `${rec.key} is defined twice: the other definition is at ${first.file}:${first.line} (this one is reported: ${original.why})`,
      hint:
        rec.kind === 'Environment' || rec.kind === 'PlatformInstance'
          ? 'rename this copy (mnops new environment NAME --from ENV writes one with every name rewritten), or remove it'
          : 'rename metadata.name here, or remove this definition',
      ...c.loc('/metadata/name'),
      kind: rec.kind,
      name: rec.name,
      // A second instance makes its environment's desired state ambiguous.
      ...(c.instanceKey ? { environment: c.environment } : {}),
      path: '/metadata/name',
    });
  }
  for (const versions of eco.contracts.values()) {
    versions.sort((a, b) => compareVersions(a.manifest.spec.version, b.manifest.spec.version));
  }
  return { ecosystem: eco, findings };
}

/**
 * Of the definitions of one name, which are the copies — each mapped to the one kept and why
 * it is the copy. The copy is the one that came later: a file the change under review
 * touches over one it does not; else a file not yet committed over a committed one; else one
 * outside the folder its name calls for (platform-cloud/<env>/, platforms/<name>/) over the
 * one inside; else the later in path order.
 */
function duplicateDefinitions(candidates: Candidate[], definitions: Map<string, number>, history: DefinitionHistory | undefined): Map<Candidate, { to: Candidate; why: string }> {
  const out = new Map<Candidate, { to: Candidate; why: string }>();
  const repeated = candidates.filter((c) => definitions.get(c.dupKey)! > 1);
  if (repeated.length === 0) return out;
  const facts = history?.([...new Set(repeated.map((c) => c.rec.file))]) ?? new Map<string, { changed?: boolean; uncommitted?: boolean }>();
  // One bit per rule, the first rule the highest: the higher rank is the later definition.
  const reasons = ['its file is not in the folder its name calls for', 'its file is not committed yet', 'the change under review touches it'];
  const rank = (c: Candidate) => {
    const fact = facts.get(c.rec.file);
    return (fact?.changed ? 4 : 0) + (fact?.uncommitted ? 2 : 0) + (inItsFolder(c) ? 0 : 1);
  };
  const why = (copy: number, kept: number) => {
    for (let bit = reasons.length - 1; bit >= 0; bit--) if ((copy ^ kept) & (1 << bit)) return reasons[bit]!;
    return 'it comes later in path order';
  };
  const groups = new Map<string, Candidate[]>();
  for (const c of repeated) groups.set(c.dupKey, [...(groups.get(c.dupKey) ?? []), c]);
  for (const group of groups.values()) {
    // The oldest definition: lowest rank, then first in path order (a stable sort keeps it).
    const kept = [...group].sort((a, b) => rank(a) - rank(b))[0]!;
    for (const c of group) if (c !== kept) out.set(c, { to: kept, why: why(rank(c), rank(kept)) });
  }
  return out;
}

/** Whether a manifest lives where the layout puts one of its name. */
function inItsFolder(c: Candidate): boolean {
  const parts = c.rec.file.split('/');
  const folder = parts[parts.length - 2];
  const base = parts[parts.length - 1]!.replace(/\.ya?ml$/i, '');
  switch (c.rec.kind) {
    case 'Environment':
      return folder === c.rec.name;
    case 'PlatformInstance':
      return folder === c.environment;
    case 'Platform':
      return folder === c.rec.name;
    case 'Contract':
      return folder === c.rec.name && base === c.rec.manifest.spec.version;
    case 'Namespace':
    case 'PolicySettings':
      return true;
    default:
      return base === c.rec.name;
  }
}

/** The one place PolicySettings may live, and the one folder for PolicyExceptions. */
export const SETTINGS_FILE = 'ecosystem/governance/settings.yaml';
export const EXCEPTIONS_DIR = 'ecosystem/governance/exceptions/';

function misplacedGovernance(kind: KindName, file: string): Pick<Finding, 'ruleId' | 'severity' | 'message' | 'hint'> | undefined {
  if (kind === 'PolicySettings' && file !== SETTINGS_FILE) {
    return {
      ruleId: 'settings.location',
      severity: 'error',
      message: `PolicySettings are read only from ${SETTINGS_FILE}; this one in ${file} is ignored`,
      hint: `move these settings into ${SETTINGS_FILE} (reviewed by its owners) and delete ${file}`,
    };
  }
  if (kind === 'PolicyException' && !file.startsWith(EXCEPTIONS_DIR)) {
    return {
      ruleId: 'exceptions.location',
      severity: 'error',
      message: `PolicyExceptions are read only from ${EXCEPTIONS_DIR}; this one in ${file} waives nothing`,
      hint: `move it to ${EXCEPTIONS_DIR}${file.split('/').pop() ?? 'exception.yaml'}`,
    };
  }
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const va = semver.valid(a);
  const vb = semver.valid(b);
  if (va && vb) return semver.compare(va, vb);
  if (va) return 1;
  if (vb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kinds indexed by their own name (contracts are by name and version, instances by environment). */
export type NamedKind = Exclude<KindName, 'Contract' | 'PlatformInstance'>;

const NAMED_MAPS: { [K in NamedKind]: (eco: Ecosystem) => Map<string, ManifestRecord<K>> } = {
  Platform: (eco) => eco.platforms,
  PlatformTemplate: (eco) => eco.templates,
  Environment: (eco) => eco.environments,
  Adapter: (eco) => eco.adapters,
  Namespace: (eco) => eco.namespaces,
  PolicyException: (eco) => eco.exceptions,
  PolicySettings: (eco) => eco.settings,
};

/** The name-keyed map holding manifests of a kind. */
export function namedMap<K extends NamedKind>(eco: Ecosystem, kind: K): Map<string, ManifestRecord<K>> {
  return NAMED_MAPS[kind](eco);
}

export function isNamedKind(kind: string): kind is NamedKind {
  return Object.prototype.hasOwnProperty.call(NAMED_MAPS, kind);
}

function index(eco: Ecosystem, rec: ManifestRecord): void {
  if (rec.kind === 'PlatformInstance') {
    eco.instances.set(rec.manifest.spec.environment, rec);
  } else if (rec.kind === 'Contract') {
    const list = eco.contracts.get(rec.name) ?? [];
    list.push(rec);
    eco.contracts.set(rec.name, list);
  } else {
    (namedMap(eco, rec.kind) as Map<string, ManifestRecord>).set(rec.name, rec);
  }
}
