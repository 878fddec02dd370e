// Judging only what changed: the slice a change reaches (PR mode), and the last run's
// snapshot for a run without a change under review (what it judged still stands outside
// the slice the files changed since reach).
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { PolicyEngine, PolicyRun, Slice } from '../policy/index.js';
import { commitTree } from '../repo/git-tree.js';
import type { ParsedFile } from '../manifest/ecosystem.js';
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
      // Keys the changed files held and hold no longer (a file gone, a manifest renamed or
      // broken, a contract no longer named) propagate from the name alone, as a deleted
      // file's do in PR mode; what they hold now propagates from the index.
      const parsedNow = new Map(loaded.parsed.map((p) => [p.file, p.content]));
      const inIndex = new Map<string, Set<string>>();
      for (const r of eco.records) (inIndex.get(r.file) ?? inIndex.set(r.file, new Set()).get(r.file)!).add(r.key);
      const keys = scope.files.flatMap((f) => {
        const current = new Set(manifestKeysOf(parsedNow.get(f)?.documents.map((d) => d.value) ?? []));
        const loadedKeys = inIndex.get(f) ?? new Set<string>();
        return [...(snap.keys[f] ?? []).filter((k) => !current.has(k)), ...[...current].filter((k) => !k.startsWith('Contract/') && !loadedKeys.has(k))];
      });
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

/** Past this many rewritten manifests a change is judged whole rather than traced file by file. */
const MAX_TRACED = 300;

/**
 * Keys the changed manifest files held at `ref` and hold no longer; undefined when there are
 * too many files to read one by one (the caller then judges everything).
 */
export async function vanishedKeys(root: string, ref: string, files: string[], parsed: ParsedFile[]): Promise<string[] | undefined> {
  const manifests = files.filter((f) => /\.ya?ml$/i.test(f));
  if (manifests.length === 0) return [];
  if (manifests.length > MAX_TRACED) return undefined;
  const tree = await commitTree(root, ref);
  const now = new Map(parsed.map((p) => [p.file, p.content]));
  const out: string[] = [];
  for (const file of manifests) {
    const before = await tree.read(file);
    if (!before) continue;
    const current = new Set(manifestKeysOf(now.get(file)?.documents.map((d) => d.value) ?? []));
    out.push(...manifestKeysOfText(before.toString('utf8')).filter((k) => !current.has(k)));
  }
  return out;
}
