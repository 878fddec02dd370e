// Evaluates the compiled bundle in-process with @open-policy-agent/opa-wasm. The engine
// fails closed: a missing or corrupt bundle, an undefined result or a builtin error is a
// PolicyError (exit 2), never a silent pass.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { HOST_BUILTINS } from './builtins.js';
import { bundleLocation, META_FILE, WASM_FILE, type BundleMeta } from './bundle.js';
import { PolicyError } from './errors.js';

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err).message);
  return String(err);
}

export class PolicyEngine {
  private constructor(
    private readonly policy: LoadedPolicy,
    readonly meta: BundleMeta,
    readonly location: string,
    /** The bundle's bytes, so worker threads can load the very same policy. */
    readonly bytes: { wasm: Buffer; metaText: string },
  ) {}

  /** Loads the bundle for a repository root (its own build, else the package's). */
  static async load(root: string): Promise<PolicyEngine> {
    return PolicyEngine.loadFrom(await bundleLocation(root));
  }

  static async loadFrom(dir: string): Promise<PolicyEngine> {
    let wasm: Buffer;
    let metaText: string;
    const rel = path.relative(process.cwd(), dir) || '.';
    try {
      wasm = await readFile(path.join(dir, WASM_FILE));
      metaText = await readFile(path.join(dir, META_FILE), 'utf8');
    } catch (err) {
      throw new PolicyError(
        `the policy bundle in ${rel} cannot be read (${(err as NodeJS.ErrnoException).code ?? describeError(err)})`,
        'run mnops policy build (needs OPA), or reinstall machine-native-ops',
      );
    }
    return PolicyEngine.fromBytes(wasm, metaText, dir, rel);
  }

  /**
   * A bundle from its bytes (a directory, or a commit's objects). bundle.json must record the
   * sha256 of exactly this policy.wasm: a swapped wasm is refused, never evaluated.
   */
  static async fromBytes(wasm: Buffer, metaText: string, location: string, label = location): Promise<PolicyEngine> {
    let meta: BundleMeta;
    try {
      meta = JSON.parse(metaText) as BundleMeta;
    } catch (err) {
      throw new PolicyError(`the policy bundle in ${label} has an unreadable ${META_FILE}: ${describeError(err)}`, 'run mnops policy build to rebuild it');
    }
    const actual = createHash('sha256').update(wasm).digest('hex');
    if (typeof meta.wasmSha256 !== 'string') {
      throw new PolicyError(`the policy bundle in ${label} does not record the sha256 of ${WASM_FILE}, so it cannot be trusted`, 'run mnops policy build to rebuild it');
    }
    if (meta.wasmSha256 !== actual) {
      throw new PolicyError(
        `${WASM_FILE} in ${label} is not the one ${META_FILE} describes (sha256 ${actual.slice(0, 12)}…, recorded ${meta.wasmSha256.slice(0, 12)}…): the bundle was swapped or damaged`,
        'run mnops policy build and commit policies/dist; nothing was evaluated',
      );
    }
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicy(wasm, undefined, HOST_BUILTINS);
    } catch (err) {
      throw new PolicyError(`the policy bundle in ${label} is corrupt: ${describeError(err)}`, 'run mnops policy build to rebuild it');
    }
    for (const e of meta.entrypoints ?? []) {
      if (!Object.prototype.hasOwnProperty.call(policy.entrypoints, e)) {
        throw new PolicyError(`the policy bundle in ${label} has no entrypoint "${e}"`, 'run mnops policy build to rebuild it');
      }
    }
    return new PolicyEngine(policy, meta, location, { wasm, metaText });
  }

  get entrypoints(): string[] {
    return Object.keys(this.policy.entrypoints as Record<string, number>);
  }

  /** The value of an entrypoint for this input; throws PolicyError when there is none. */
  evaluate(entrypoint: string, input: unknown): unknown {
    if (!Object.prototype.hasOwnProperty.call(this.policy.entrypoints, entrypoint)) {
      throw new PolicyError(`the policy bundle has no entrypoint "${entrypoint}"`, 'run mnops policy build to rebuild it');
    }
    let rs: unknown;
    try {
      rs = this.policy.evaluate(input, entrypoint);
    } catch (err) {
      throw new PolicyError(`policy evaluation of "${entrypoint}" failed: ${describeError(err)}`, 'fix the policy or the input it names; nothing was allowed');
    }
    if (!Array.isArray(rs) || rs.length === 0 || rs[0] === null || typeof rs[0] !== 'object' || !('result' in rs[0])) {
      throw new PolicyError(`policy "${entrypoint}" returned no result`, 'the policy must define a value for every input; nothing was allowed');
    }
    return (rs[0] as { result: unknown }).result;
  }
}
