// Desired state of an environment: every platform its instance places there, resolved
// (template chain → platform → environment → instance) and with secrets read from the
// runner. Secret values exist only in memory: the spec hash covers their digests, and each
// one is remembered as it is read, so every output of the process redacts it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../audit/record.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { resolvePlatform } from '../manifest/resolve.js';
import { referenceEscapes } from '../repo/paths.js';
import { MnopsError } from '../repo/errors.js';
import { looksSecret, MIN_SECRET_LENGTH, rememberSecrets } from '../secrets/index.js';
import { recordedSpec } from '../provider/labels.js';
import type { DesiredWorkload, ResolvedSecret } from '../provider/types.js';

export class DesiredStateError extends MnopsError {}

export interface SecretSource {
  /** Environment variables of the runner (GitHub secrets arrive as these). */
  env: Record<string, string | undefined>;
  /** Repository root, for `from: file` secrets. */
  root: string;
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function resolveSecret(ref: { name: string; from: 'env' | 'file' | 'swarm'; key: string }, source: SecretSource, where: string): ResolvedSecret {
  const resolved = readSecret(ref, source, where);
  rememberSecrets([resolved.value]);
  return resolved;
}

function readSecret(ref: { name: string; from: 'env' | 'file' | 'swarm'; key: string }, source: SecretSource, where: string): ResolvedSecret {
  if (ref.from === 'swarm') return { ...ref, value: '' };
  if (ref.from === 'env') {
    const value = source.env[ref.key];
    if (value === undefined || value === '') {
      throw new DesiredStateError(`${where}: secret ${ref.name} needs the environment variable ${ref.key}, which is not set`, `set ${ref.key} in the runner (in GitHub Actions: a repository or environment secret)`);
    }
    return { ...ref, value };
  }
  const escape = referenceEscapes(ref.key);
  if (escape) throw new DesiredStateError(`${where}: secret ${ref.name} file ${ref.key} ${escape}`, 'reference a file inside the repository');
  try {
    return { ...ref, value: readFileSync(path.join(source.root, ref.key), 'utf8').replace(/\n$/, '') };
  } catch {
    throw new DesiredStateError(`${where}: secret ${ref.name} file ${ref.key} cannot be read`, 'create the file on the runner (never commit it)');
  }
}

/** The hash of a workload: every field, secrets by digest, so a rotated secret redeploys. */
export function specHash(w: Omit<DesiredWorkload, 'specHash'>): string {
  const spec = recordedSpec({ ...w, specHash: '' });
  return digest(canonicalJson({ ...spec, secretDigests: w.secrets.map((s) => [s.name, digest(s.value)]) })).slice(0, 16);
}

export function desiredWorkload(eco: Ecosystem, platform: string, environment: string, source: SecretSource): DesiredWorkload {
  const r = resolvePlatform(eco, platform, environment);
  if (!r) throw new DesiredStateError(`platform ${platform} or environment ${environment} does not exist`, 'run mnops validate');
  const s = r.spec;
  if (!s.image) {
    const file = eco.platforms.get(platform)?.file ?? `platforms/${platform}/platform.yaml`;
    throw new DesiredStateError(`${platform} in ${environment} has no image (${file}); nothing was changed`, `set spec.image in ${file} or in the template it extends`);
  }
  const where = `${platform} in ${environment}`;
  // A plain value that looks secret (its rule waived or switched off) is masked like a secret.
  rememberSecrets(Object.entries(s.env ?? {}).flatMap(([k, v]) => (looksSecret(k, v) ? [v] : [])));
  const base: Omit<DesiredWorkload, 'specHash'> = {
    platform,
    environment,
    version: s.version,
    image: s.image,
    ...(s.command ? { command: s.command } : {}),
    env: { ...(s.env ?? {}) },
    secrets: (s.secrets ?? []).map((ref) => resolveSecret(ref, source, where)),
    resources: { ...(s.resources ?? {}) },
    network: { ...(s.network ?? {}) },
    sandbox: { ...(s.sandbox ?? {}) },
    ...(s.healthCheck ? { healthCheck: s.healthCheck } : {}),
    replicas: s.replicas ?? 1,
    ports: [...(s.ports ?? [])],
    dependsOn: [...(s.dependsOn ?? [])],
  };
  return { ...base, specHash: specHash(base) };
}

/** Every platform the environment's instance places there. */
export function desiredState(eco: Ecosystem, environment: string, source: SecretSource, only?: string[]): DesiredWorkload[] {
  const instance = eco.instances.get(environment);
  if (!eco.environments.has(environment)) throw new DesiredStateError(`environment "${environment}" does not exist`, `pick one of: ${[...eco.environments.keys()].join(', ')}`);
  // No instance is "unknown", never "nothing": an empty environment says `platforms: []`.
  if (!instance) throw new DesiredStateError(`environment ${environment} has no PlatformInstance that loaded`, 'run mnops validate and fix its platform.yaml');
  const names = instance.manifest.spec.platforms.map((p) => p.name).filter((n) => !only || only.includes(n));
  return names.map((n) => desiredWorkload(eco, n, environment, source));
}

/**
 * Every secret value the manifests reference and the runner can give — `from: env` and
 * `from: file`, of templates, platforms and environments — read and remembered before anything
 * is done, so an action masks them all before its first line of output.
 */
export function secretValues(eco: Ecosystem, req: { env?: Record<string, string | undefined>; root?: string }): string[] {
  const source: SecretSource = { env: req.env ?? process.env, root: req.root ?? eco.root };
  const refs = [...eco.templates.values(), ...eco.platforms.values(), ...eco.environments.values()].flatMap((r) => r.manifest.spec.secrets ?? []);
  const values = new Set<string>();
  for (const ref of refs) {
    if (ref.from === 'swarm') continue;
    try {
      values.add(resolveSecret(ref, source, ref.name).value);
    } catch {
      // not set on this runner: a deploy that needs it says so when it resolves it
    }
  }
  return [...values].filter((v) => v.length >= MIN_SECRET_LENGTH);
}
