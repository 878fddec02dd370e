// Desired state of an environment: every platform its instance places there, resolved
// (template chain → platform → environment → instance) and with secrets read from the
// runner. Secret values exist only in memory: labels, plans, drift and the spec hash carry
// digests keyed with the environment's key (secrets/digest.ts), a reference the environment
// does not allow is refused here too, whatever validate said, and each value is remembered as
// it is read, so every output of the process redacts it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../json/canonical.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { SecretRef } from '../manifest/kinds.js';
import { resolvePlatform } from '../manifest/resolve.js';
import { referenceEscapes } from '../repo/paths.js';
import { MnopsError } from '../repo/errors.js';
import { looksSecret, MIN_SECRET_LENGTH, rememberSecrets } from '../secrets/index.js';
import { recordedSpec } from '../provider/labels.js';
import type { DesiredWorkload, ResolvedSecret } from '../provider/types.js';
import { keyedDigest, shownDigest } from '../secrets/digest.js';
import { readSecretFile, realSecretFile, refuseReference, type SourceContext } from '../secrets/sources.js';

export class DesiredStateError extends MnopsError {}

export interface SecretSource {
  /** Environment variables of the runner (GitHub secrets arrive as these). */
  env: Record<string, string | undefined>;
  /** Repository root, for `from: file` secrets. */
  root: string;
  /**
   * The environment's digest key, asked for only when a workload has secret material
   * (usually `digestKeyFor(provider, environment, create)`).
   */
  digestKey: () => Promise<Buffer>;
}

/** A workload before its secret material is digested: values only. */
export type UnhashedWorkload = Omit<DesiredWorkload, 'specHash' | 'maskedEnv' | 'secrets'> & { secrets: (SecretRef & { value: string })[] };

function resolveSecret(ref: SecretRef, source: Omit<SecretSource, 'digestKey'>, ctx: SourceContext, where: string): SecretRef & { value: string } {
  const resolved = readSecret(ref, source, ctx, where);
  rememberSecrets([resolved.value]);
  return resolved;
}

function readSecret(ref: SecretRef, source: Omit<SecretSource, 'digestKey'>, ctx: SourceContext, where: string): SecretRef & { value: string } {
  const refused = (message: string, hint: string) => new DesiredStateError(`${where}: ${message}; nothing was changed`, hint);
  const refusal = refuseReference(ref, ctx);
  if (refusal) throw refused(refusal.message, refusal.hint);
  if (ref.from === 'swarm') return { ...ref, value: '' };
  if (ref.from === 'env') {
    const value = source.env[ref.key];
    if (value === undefined || value === '') {
      throw new DesiredStateError(`${where}: secret ${ref.name} needs the environment variable ${ref.key}, which is not set`, `set ${ref.key} in the runner (in GitHub Actions: a repository or environment secret)`);
    }
    return { ...ref, value };
  }
  const escape = referenceEscapes(ref.key);
  if (escape) throw refused(`secret ${ref.name} file ${ref.key} ${escape}`, 'reference a file inside the repository');
  const real = realSecretFile(source.root, ref, ctx);
  if (!real.ok) {
    if (real.refusal) throw refused(real.refusal.message, real.refusal.hint);
    throw new DesiredStateError(`${where}: secret ${ref.name} file ${ref.key} does not exist`, 'create the file on the runner (never commit it)');
  }
  try {
    return { ...ref, value: readSecretFile(real.path).replace(/\n$/, '') };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ELOOP' ? 'became a symlink after it was checked' : err instanceof Error ? err.message : 'error';
    throw refused(`secret ${ref.name} file ${ref.key} cannot be read (${why})`, `put the secret in ${path.posix.dirname(ref.key)}/ as a regular file on the runner (never commit it)`);
  }
}

/** True when hashing the workload needs the key: a secret value, or a secret-looking plain value. */
function hasSecretMaterial(w: UnhashedWorkload): boolean {
  return w.secrets.some((s) => s.from !== 'swarm') || Object.entries(w.env).some(([k, v]) => looksSecret(k, v));
}

/** The hash of a workload: every field, secret material by keyed digest, so a rotated secret redeploys. */
export function specHash(w: Omit<DesiredWorkload, 'specHash'>): string {
  const spec = recordedSpec({ ...w, specHash: '' });
  return createHash('sha256')
    .update(canonicalJson({ ...spec, secretDigests: w.secrets.map((s) => [s.name, s.digest]) }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Digests a workload's secret material with the environment's key: each secret's value with
 * whose it is (so equal values of two platforms do not look equal), each secret-looking plain
 * value, then the spec hash over the result.
 */
export function hashWorkload(w: UnhashedWorkload, key: Buffer | undefined): DesiredWorkload {
  const mac = (parts: string[]) => {
    if (!key) throw new Error('a workload with secret material was hashed without the digest key');
    return keyedDigest(key, parts);
  };
  const secrets: ResolvedSecret[] = w.secrets.map((s) => ({ ...s, digest: s.from === 'swarm' ? '' : mac([w.environment, w.platform, s.name, s.value]) }));
  const masked = Object.entries(w.env).filter(([k, v]) => looksSecret(k, v));
  const base: Omit<DesiredWorkload, 'specHash'> = {
    ...w,
    secrets,
    ...(masked.length ? { maskedEnv: Object.fromEntries(masked.map(([k, v]) => [k, shownDigest(mac([w.environment, w.platform, `env:${k}`, v]))])) } : {}),
  };
  return { ...base, specHash: specHash(base) };
}

function unhashedWorkload(eco: Ecosystem, platform: string, environment: string, source: Omit<SecretSource, 'digestKey'>): UnhashedWorkload {
  const r = resolvePlatform(eco, platform, environment);
  const env = eco.environments.get(environment);
  if (!env) throw new DesiredStateError(`environment "${environment}" does not exist`, `pick one of: ${[...eco.environments.keys()].join(', ')}`);
  if (!r) throw new DesiredStateError(`platform "${platform}" in ${environment} could not be resolved: its manifest is missing or has errors; nothing was changed`, 'run mnops validate and fix what it reports');
  const s = r.spec;
  if (!s.image) {
    const file = eco.platforms.get(platform)?.file ?? `platforms/${platform}/platform.yaml`;
    throw new DesiredStateError(`${platform} in ${environment} has no image (${file}); nothing was changed`, `set spec.image in ${file} or in the template it extends`);
  }
  const where = `${platform} in ${environment}`;
  const ctx: SourceContext = { environment, file: env.file, sources: env.manifest.spec.secretSources };
  // A plain value that looks secret (its rule waived or switched off) is masked like a secret.
  rememberSecrets(Object.entries(s.env ?? {}).flatMap(([k, v]) => (looksSecret(k, v) ? [v] : [])));
  return {
    platform,
    environment,
    version: s.version,
    image: s.image,
    ...(s.command ? { command: s.command } : {}),
    env: { ...(s.env ?? {}) },
    secrets: (s.secrets ?? []).map((ref) => resolveSecret(ref, source, ctx, where)),
    resources: { ...(s.resources ?? {}) },
    network: { ...(s.network ?? {}) },
    sandbox: { ...(s.sandbox ?? {}) },
    ...(s.healthCheck ? { healthCheck: s.healthCheck } : {}),
    replicas: s.replicas ?? 1,
    ports: [...(s.ports ?? [])],
    dependsOn: [...(s.dependsOn ?? [])],
  };
}

/** Every platform resolved first (a refused secret refuses them all), then digested. */
async function hashAll(workloads: UnhashedWorkload[], source: SecretSource): Promise<DesiredWorkload[]> {
  const key = workloads.some(hasSecretMaterial) ? await source.digestKey() : undefined;
  return workloads.map((w) => hashWorkload(w, key));
}

export async function desiredWorkload(eco: Ecosystem, platform: string, environment: string, source: SecretSource): Promise<DesiredWorkload> {
  const [w] = await hashAll([unhashedWorkload(eco, platform, environment, source)], source);
  return w!;
}

/** Every platform the environment's instance places there. */
export async function desiredState(eco: Ecosystem, environment: string, source: SecretSource, only?: string[]): Promise<DesiredWorkload[]> {
  const instance = eco.instances.get(environment);
  if (!eco.environments.has(environment)) throw new DesiredStateError(`environment "${environment}" does not exist`, `pick one of: ${[...eco.environments.keys()].join(', ')}`);
  // No instance is "unknown", never "nothing": an empty environment says `platforms: []`.
  if (!instance) throw new DesiredStateError(`environment ${environment} has no PlatformInstance that loaded`, 'run mnops validate and fix its platform.yaml');
  const names = instance.manifest.spec.platforms.map((p) => p.name).filter((n) => !only || only.includes(n));
  return hashAll(
    names.map((n) => unhashedWorkload(eco, n, environment, source)),
    source,
  );
}

/**
 * Every secret value the manifests reference and the runner can give — `from: env` and
 * `from: file`, of templates, platforms and environments — read and remembered before anything
 * is done, so an action masks them all before its first line of output. Read for masking only:
 * whether a reference is allowed is decided when a workload resolves it.
 */
export function secretValues(eco: Ecosystem, req: { env?: Record<string, string | undefined>; root?: string }): string[] {
  const env = req.env ?? process.env;
  const root = req.root ?? eco.root;
  const refs = [...eco.templates.values(), ...eco.platforms.values(), ...eco.environments.values()].flatMap((r) => r.manifest.spec.secrets ?? []);
  const values = new Set<string>();
  for (const ref of refs) {
    if (ref.from === 'env') {
      const v = env[ref.key];
      if (v) values.add(v);
    } else if (ref.from === 'file' && !referenceEscapes(ref.key)) {
      try {
        values.add(readFileSync(path.join(root, ref.key), 'utf8').replace(/\n$/, ''));
      } catch {
        // not on this runner: a deploy that needs it says so when it resolves it
      }
    }
  }
  const found = [...values].filter((v) => v.length >= MIN_SECRET_LENGTH);
  rememberSecrets(found);
  return found;
}
