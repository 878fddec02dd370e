// Parts of the governance input that can be judged apart. The rules are local (policies/
// README.md, "Locality"): a finding about a platform's manifest reads that manifest, a
// finding about a platform in an environment reads that environment's resolved platforms and
// instance, and both may look anything up in the small collections (templates, environments,
// namespaces, contracts, adapters, exceptions, settings). So an input that keeps some
// platforms and some environments — and all of the small collections — yields exactly the
// findings of the whole input that are about what it kept (and some about the small
// collections, found again by every part, which a union removes).
import type { GovernanceInput } from './input.js';

export interface Slice {
  /** Platform manifests to judge (input.platforms). */
  platforms: ReadonlySet<string>;
  /** Environments to judge whole (input.resolved and input.instances). */
  environments: ReadonlySet<string>;
}

function pick<T>(m: Record<string, T>, keep: ReadonlySet<string>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m)) if (keep.has(k)) out[k] = m[k]!;
  return out;
}

/** The input with only the slice's platforms and environments in the collections that are judged per item. */
export function sliceInput(input: GovernanceInput, slice: Slice): GovernanceInput {
  return {
    ...input,
    platforms: pick(input.platforms, slice.platforms),
    resolved: pick(input.resolved, slice.environments),
    instances: pick(input.instances, slice.environments),
  };
}

/**
 * `n` slices of about equal work that together hold everything: environments dealt by their
 * size (largest first, to the lightest part), platform manifests round-robin.
 */
export function partition(input: GovernanceInput, n: number): Slice[] {
  const parts = Array.from({ length: n }, () => ({ platforms: new Set<string>(), environments: new Set<string>(), load: 0 }));
  const envs = Object.keys(input.resolved).map((e) => ({ e, size: Object.keys(input.resolved[e]!).length }));
  for (const name of Object.keys(input.instances)) if (!(name in input.resolved)) envs.push({ e: name, size: 0 });
  envs.sort((a, b) => b.size - a.size || (a.e < b.e ? -1 : 1));
  for (const { e, size } of envs) {
    const lightest = parts.reduce((min, p) => (p.load < min.load ? p : min), parts[0]!);
    lightest.environments.add(e);
    lightest.load += size;
  }
  Object.keys(input.platforms).forEach((name, i) => parts[i % n]!.platforms.add(name));
  return parts.map(({ platforms, environments }) => ({ platforms, environments }));
}

/** A raw policy finding's identity, for the union of slices. */
export function rawFindingKey(f: unknown): string {
  const r = f as Record<string, unknown>;
  return ['ruleId', 'severity', 'kind', 'name', 'environment', 'path', 'resolved', 'message', 'hint', 'exception'].map((k) => JSON.stringify(r[k] ?? null)).join('\u0000');
}
