// Judging only what changed: the slice a change reaches (PR mode), and the last run's
// snapshot for a run without a change under review (what it judged still stands outside
// the slice the files changed since reach).
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { PolicyEngine, Slice, WaivedFinding } from '../policy/index.js';
import type { Finding } from '../report/finding.js';
import { commitTree, type CommitTree } from '../repo/git-tree.js';
import { impactOfChanges, isFindingAffected, manifestKeysOf, manifestKeysOfText, type Impact } from '../registry/index.js';
import type { LoadedEcosystem } from '../ecosystem-load/load-ecosystem.js';
import { widenChange } from './scope.js';
import type { SecretCheck, SecretCheckScope } from '../secrets/check.js';
import { changedSince, governanceHash, outsideSlice, SnapshotStore, type Snapshot } from './snapshot.js';

/** What a run judges again, and merges with the snapshot's findings where they still stand. */
export interface Judged {
  findings: Finding[];
  waived: WaivedFinding[];
  /** The reference check's findings. */
  references: Finding[];
  /** The secret reference check's. */
  secrets: SecretCheck;
}

export interface OpenSnapshot {
  /** What to judge again; undefined: everything (no usable snapshot, or a change of everything). */
  only?: Slice;
  /** What the files changed since the snapshot affect, when `only` is set: the reference checks need only see that. */
  impact?: Impact;
  /** What the secret check must see: the impact, and whole the environments whose verdict read files. */
  secretScope?: SecretCheckScope;
  /** The findings of the whole ecosystem, the snapshot's where they still stand; and saves them as the next snapshot. */
  merge(run: Judged): Promise<Judged>;
}

/** The snapshot of the last run, when the cache has a usable one for these rules; undefined without a cache. */
export async function openSnapshot(loaded: LoadedEcosystem, engine: PolicyEngine, judged: Ecosystem, now: Date): Promise<OpenSnapshot | undefined> {
  const bundle = engine.meta.wasmSha256;
  const store = loaded.cache && bundle ? await SnapshotStore.open(loaded.cache.dir, loaded.cache.context) : undefined;
  if (!store || !bundle) return undefined;
  const eco = loaded.ecosystem;
  const key = { bundle, governance: governanceHash(judged), today: now.toISOString().slice(0, 10) };
  const snap = await store.read(key);
  let only: Slice | undefined;
  let impact: Impact | undefined;
  let changed: string[] | undefined;
  if (snap) {
    changed = changedSince(snap, loaded.blobs);
    const scope = widenChange(eco, changed, loaded.linked);
    // The keys a changed file held come from the cached parse of its old bytes; without it
    // the change cannot be traced, and everything is judged again.
    const before = new Map<string, string[]>();
    for (const f of scope.files) {
      const old = snap.files[f];
      const values = old === undefined ? [] : loaded.cache!.keyValuesOf(old);
      if (values === undefined) break;
      before.set(f, manifestKeysOf(values));
    }
    if (!scope.everything && before.size === scope.files.length) {
      impact = impactOfChanges(eco, scope.files, keysByName(scope.files, (f) => before.get(f)!, loaded));
      only = judgedSlice(eco, impact);
    }
  }
  return {
    ...(only ? { only } : {}),
    ...(impact && snap ? { impact, secretScope: { impact, environments: new Set(snap.fileBacked) } } : {}),
    async merge(run) {
      const affected = impact;
      const merged: Judged =
        only && affected && snap
          ? {
              findings: [...snap.findings.filter((f) => outsideSlice(f, only)), ...run.findings],
              waived: [...snap.waived.filter((f) => outsideSlice(f, only)), ...run.waived],
              // The check saw only what the change affects: the rest stands as it was.
              references: [...snap.references.filter((f) => !isFindingAffected(f, affected)), ...run.references.filter((f) => isFindingAffected(f, affected))],
              secrets: mergeSecrets(snap, run.secrets, affected),
            }
          : run;
      if (!changed || changed.length > 0) {
        const { secrets, ...rest } = merged;
        await store.write({ key, files: Object.fromEntries(loaded.blobs), ...rest, secrets: secrets.findings, fileBacked: secrets.fileBacked });
      }
      return merged;
    },
  };
}

/**
 * The secret check's findings: the snapshot's where the change does not reach and the
 * environment read no files, this run's elsewhere.
 */
function mergeSecrets(snap: Snapshot, fresh: SecretCheck, impact: Impact): SecretCheck {
  const rechecked = new Set(snap.fileBacked);
  const fromThisRun = (f: Finding) => isFindingAffected(f, impact) || (f.environment !== undefined && rechecked.has(f.environment));
  return { findings: [...snap.secrets.filter((f) => !fromThisRun(f)), ...fresh.findings.filter(fromThisRun)], fileBacked: fresh.fileBacked };
}

/**
 * What the policies must judge for every finding the impact keeps: its platforms (in every
 * environment that runs one) and its environments, each whole.
 */
export function judgedSlice(eco: Ecosystem, impact: Impact): Slice {
  const platforms = new Set(impact.platforms);
  for (const rec of eco.platforms.values()) if (impact.files.has(rec.file)) platforms.add(rec.name);
  const environments = new Set(impact.environments);
  for (const [env, instance] of eco.instances) {
    if (impact.files.has(instance.file) || instance.manifest.spec.platforms.some((p) => platforms.has(p.name))) environments.add(env);
  }
  return { platforms, environments };
}

/**
 * Keys that propagate from changed files by name alone, because the index cannot know them:
 * those a file held before and holds no longer (a file gone, a manifest renamed, a contract
 * no longer named), and those it holds now that the index does not (manifests failing their
 * schema; with the contracts they name when the index holds nothing of the file).
 */
export function keysByName(files: string[], before: (file: string) => string[], loaded: Pick<LoadedEcosystem, 'ecosystem' | 'parsed'>): string[] {
  const now = new Map(loaded.parsed.map((p) => [p.file, p.content]));
  const indexedKeys = new Set(loaded.ecosystem.records.map((r) => r.key));
  const indexedFiles = new Set(loaded.ecosystem.records.map((r) => r.file));
  return files.flatMap((file) => {
    const current = manifestKeysOf(now.get(file)?.documents.map((d) => d.value) ?? []);
    const held = new Set(current);
    const unindexed = current.filter((k) => (k.startsWith('Contract/') ? !indexedFiles.has(file) : !indexedKeys.has(k)));
    return [...before(file).filter((k) => !held.has(k)), ...unindexed];
  });
}

/** Past this many rewritten manifests a change is judged whole rather than traced file by file. */
const MAX_TRACED = 300;

/**
 * The keys each changed manifest file held at `ref` (a deleted file's from its old text);
 * undefined when there are too many files to read one by one (the caller then judges
 * everything).
 */
export async function keysAtBase(
  root: string,
  ref: string,
  files: string[],
  deleted: { file: string; text: string }[],
  at?: Promise<CommitTree>,
): Promise<Map<string, string[]> | undefined> {
  const out = new Map(deleted.map((d) => [d.file, manifestKeysOfText(d.text)]));
  const manifests = files.filter((f) => /\.ya?ml$/i.test(f) && !out.has(f));
  if (manifests.length > MAX_TRACED) return undefined;
  if (manifests.length === 0) return out;
  const tree = await (at ?? commitTree(root, ref));
  const texts = await Promise.all(manifests.map((file) => tree.read(file)));
  manifests.forEach((file, i) => {
    const text = texts[i];
    if (text) out.set(file, manifestKeysOfText(text.toString('utf8')));
  });
  return out;
}
