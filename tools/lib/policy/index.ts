// The policy capability's public surface.
import type { Ecosystem } from '../manifest/ecosystem.js';
import { resolveAll } from '../manifest/resolve.js';
import type { Finding } from '../report/finding.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { buildBundle } from './build.js';
import path from 'node:path';
import { BUNDLE_DIR, bundleLocation, META_FILE, sourceHash } from './bundle.js';
import { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';
import { evaluateInputs } from './eval-pool.js';
import { governanceResult, type WaivedFinding } from './governance.js';
import { partition, sliceInput, type Slice } from './slices.js';
import { buildGovernanceInput } from './input.js';
import { effectiveSettings } from './settings.js';
import { evaluateUserPolicies } from './user.js';

export { PolicyEngine } from './engine.js';
export { PolicyError } from './errors.js';
export { evaluatePromotion, type GateDecision, type ObservedState, type PromotionRequest } from './promotion.js';
export { buildBundle, testPolicies } from './build.js';
export type { WaivedFinding } from './governance.js';
export type { Slice } from './slices.js';
export { countedExceptions, exceptionLifetimes, judgedBy, policyInputsAt, type PolicyInputs } from './trusted.js';

export interface PolicyRun {
  findings: Finding[];
  waived: WaivedFinding[];
  ms: { resolve: number; input: number; evaluate: number };
}

export interface PolicyRunOptions {
  /** Judge only these platforms and environments (and the small collections), not all. */
  only?: Slice;
  /** Threads to evaluate on, and the fewest slices (default: $MNOPS_POLICY_THREADS; else one below 25,000 platforms and placements, else the cores, at most 4). */
  threads?: number;
}

/**
 * Below this many platforms and placements, the main thread alone evaluates: a worker costs
 * its own heap and a second copy of the runtime's memory (about 40 MB at 10,000 manifests),
 * and saves little while the main thread would only be checking references meanwhile.
 */
const MIN_FOR_THREADS = 25_000;
/** Platforms and placements per evaluation, at most (a slice's small collections come on top). */
const SLICE_ITEMS = 4000;

/**
 * Resolves the platforms in the environments judged and runs the built-in policies — over
 * slices in parallel when the input is large — and the user policies (over everything: they
 * may read anything).
 */
export async function runPolicies(root: string, eco: Ecosystem, now: Date, engine?: PolicyEngine, options: PolicyRunOptions = {}): Promise<PolicyRun> {
  const policy = engine ?? (await PolicyEngine.load(root));
  const users = Boolean(policy.meta.userPackages?.length);
  const t0 = performance.now();
  const resolved = resolveAll(eco, users ? undefined : options.only?.environments);
  const t1 = performance.now();
  const settings = effectiveSettings(eco);
  const whole = buildGovernanceInput(eco, resolved, settings, now, options.only ? { platforms: options.only.platforms } : {});
  const input = options.only ? sliceInput(whole, options.only) : whole;
  const full = users ? buildGovernanceInput(eco, resolved, settings, now, { full: true }) : undefined;
  const size = Object.keys(input.platforms).length + Object.values(input.resolved).reduce((n, env) => n + Object.keys(env).length, 0);
  const threads = options.threads ?? (Number(process.env.MNOPS_POLICY_THREADS) || (size < MIN_FOR_THREADS ? 1 : Math.min(os.availableParallelism(), 4)));
  // The runtime's JSON parsing and allocator slow down as one input grows: large inputs are
  // cut into slices of at most SLICE_ITEMS, which the threads take in turn.
  const parts = Math.max(threads, Math.ceil(size / SLICE_ITEMS));
  const slices = parts > 1 ? partition(input, parts).map((s) => sliceInput(input, s)) : [input];
  const t2 = performance.now();
  const gov = governanceResult(await evaluateInputs(policy, slices, threads), eco, resolved);
  const user = full ? evaluateUserPolicies(policy, eco, resolved, full) : [];
  return { findings: [...gov.findings, ...user], waived: gov.waived, ms: { resolve: t1 - t0, input: t2 - t1, evaluate: performance.now() - t2 } };
}

/**
 * The repository's own bundle must be what its Rego sources build to: an error otherwise, so
 * a change cannot ship Rego that says one thing and a wasm that does another.
 */
export async function bundleStaleness(root: string): Promise<Finding[]> {
  let location: string;
  try {
    location = await bundleLocation(root);
  } catch (err) {
    // Half a bundle, or Rego without one: in PR mode the base judges, and this is the finding.
    if (!(err instanceof PolicyError)) throw err;
    return [{ ruleId: 'policy.bundle-stale', severity: 'error', message: err.message, hint: err.hint ?? 'run mnops policy build and commit policies/dist', file: `${BUNDLE_DIR}/${META_FILE}`, line: 1, column: 1 }];
  }
  if (path.resolve(location) !== path.resolve(root, BUNDLE_DIR)) return [];
  let meta: { sourceHash?: string };
  try {
    meta = JSON.parse(await readFile(path.join(location, META_FILE), 'utf8')) as { sourceHash?: string };
  } catch {
    return [];
  }
  if (meta.sourceHash === (await sourceHash(root))) return [];
  return [
    {
      ruleId: 'policy.bundle-stale',
      severity: 'error',
      message: `${BUNDLE_DIR}/${META_FILE} was built from different Rego sources than policies/ holds now`,
      hint: 'run mnops policy build and commit policies/dist',
      file: `${BUNDLE_DIR}/${META_FILE}`,
      line: 1,
      column: 1,
    },
  ];
}

/**
 * When a change touches the policies: rebuild them with the pinned OPA and compare with the
 * committed wasm, so a bundle that claims the right sources but was built from others is an
 * error. Without OPA that cannot be checked, and the report says so (the base judges anyway).
 */
export async function bundleRebuildCheck(root: string): Promise<Finding[]> {
  const file = `${BUNDLE_DIR}/${META_FILE}`;
  let committed: { wasmSha256?: string };
  try {
    if (path.resolve(await bundleLocation(root)) !== path.resolve(root, BUNDLE_DIR)) return [];
    committed = JSON.parse(await readFile(path.join(root, file), 'utf8')) as { wasmSha256?: string };
  } catch {
    return []; // reported by bundleStaleness
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mnops-verify-'));
  try {
    const rebuilt = await buildBundle(root, tmp);
    if (rebuilt.wasmSha256 === committed.wasmSha256) return [];
    return [
      {
        ruleId: 'policy.bundle-stale',
        severity: 'error',
        message: `${BUNDLE_DIR}/policy.wasm is not what the Rego sources build to (rebuilt sha256 ${rebuilt.wasmSha256?.slice(0, 12)}…, committed ${committed.wasmSha256?.slice(0, 12) ?? 'none'}…)`,
        hint: 'run mnops policy build and commit policies/dist',
        file,
        line: 1,
        column: 1,
      },
    ];
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return [{ ruleId: 'policy.bundle-unverified', severity: 'warning', message: `the committed bundle could not be rebuilt to check it: ${why.split('\n')[0]}`, hint: 'install the pinned OPA (npm run setup) where the governance check runs', file, line: 1, column: 1 }];
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
