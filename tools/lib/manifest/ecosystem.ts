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

export function buildEcosystem(root: string, parsed: ParsedFile[]): { ecosystem: Ecosystem; findings: Finding[] } {
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
  // The first definition of each key; its location is computed only if a duplicate turns up.
  const seen = new Map<string, () => SourceLoc>();

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
      const instanceKey = rec.kind === 'PlatformInstance' ? `PlatformInstance@${id.environment}` : undefined;
      const dupKey = instanceKey ?? rec.key;
      const firstAt = seen.get(dupKey);
      if (firstAt) {
        const first = firstAt();
        findings.push({
          ruleId: 'manifest.duplicate',
          severity: 'error',
          message: instanceKey
            ? `a second PlatformInstance for environment "${id.environment}" (the first is at ${first.file}:${first.line})`
            : `${rec.key} is defined twice (the first is at ${first.file}:${first.line})`,
          hint: 'keep one definition and remove or rename the other',
          ...loc('/metadata/name'),
          kind: rec.kind,
          name: rec.name,
          // A second instance makes its environment's desired state ambiguous.
          ...(instanceKey ? { environment: id.environment } : {}),
          path: '/metadata/name',
        });
        continue;
      }
      const misplaced = misplacedGovernance(rec.kind, file);
      if (misplaced) {
        // Governance read from anywhere a PR can write would let the governed tune their own rules.
        findings.push({ ...misplaced, ...loc('/kind'), kind: rec.kind, name: rec.name, path: '/kind' });
        continue;
      }
      seen.set(dupKey, () => loc('/metadata/name'));
      eco.records.push(rec);
      index(eco, rec);
    }
  }
  for (const versions of eco.contracts.values()) {
    versions.sort((a, b) => compareVersions(a.manifest.spec.version, b.manifest.spec.version));
  }
  return { ecosystem: eco, findings };
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
