// Judging only what changed: the slice a change reaches (PR mode), and the last run's
// snapshot for a run without a change under review (what it judged still stands outside
// the slice the files changed since reach).
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { PolicyEngine, PolicyRun, Slice } from '../policy/index.js';
import { commitTree } from '../repo/git-tree.js';
import { impactOfChanges, manifestKeysOf, manifestKeysOfText, type Impact } from '../registry/index.js';
import type { LoadedEcosystem } from './load-ecosystem.js';
import { widenChange } from './scope.js';
import { changedSince, governanceHash, outsideSlice, SnapshotStore } from './snapshot.js';

export interface OpenSnapshot {
  /** What to judge again; undefined: everything (no usable snapshot, or a change of everything). */
  only?: Slice;
  /** The findings of the whole ecosystem, the snapshot's where they still stand; and saves them as the next snapshot. */
  merge(run: Pick<PolicyRun, 'findings' | 'waived'>): Promise<Pick<PolicyRun, 'findings' | 'waived'>>;
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
  let changed: string[] | undefined;
  if (snap) {
    changed = changedSince(snap, loaded.blobs);
    const scope = widenChange(eco, changed, loaded.linked);
    if (!scope.everything) {
      const keys = keysByName(scope.files, (f) => snap.keys[f] ?? [], loaded);
      only = judgedSlice(eco, impactOfChanges(eco, scope.files, keys));
    }
  }
  return {
    ...(only ? { only } : {}),
    async merge(run) {
      const kept = only && snap ? { findings: snap.findings.filter((f) => outsideSlice(f, only)), waived: snap.waived.filter((f) => outsideSlice(f, only)) } : { findings: [], waived: [] };
      const merged = { findings: [...kept.findings, ...run.findings], waived: [...kept.waived, ...run.waived] };
      if (!changed || changed.length > 0) {
        const keys: Record<string, string[]> = {};
        for (const p of loaded.parsed) keys[p.file] = manifestKeysOf(p.content.documents.map((d) => d.value));
        await store.write({ key, files: Object.fromEntries(loaded.blobs), keys, ...merged });
      }
      return merged;
    },
  };
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
export async function keysAtBase(root: string, ref: string, files: string[], deleted: { file: string; text: string }[]): Promise<Map<string, string[]> | undefined> {
  const out = new Map(deleted.map((d) => [d.file, manifestKeysOfText(d.text)]));
  const manifests = files.filter((f) => /\.ya?ml$/i.test(f) && !out.has(f));
  if (manifests.length > MAX_TRACED) return undefined;
  if (manifests.length === 0) return out;
  const tree = await commitTree(root, ref);
  for (const file of manifests) {
    const text = await tree.read(file);
    if (text) out.set(file, manifestKeysOfText(text.toString('utf8')));
  }
  return out;
}
