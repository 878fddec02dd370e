// The one loading path of every command that touches an engine (plan, apply, deploy,
// rollback, drift, heal, teardown). It validates the whole repository — schema, references
// and policies — and refuses an environment when any error concerns a manifest that
// contributes to it, or when the environment has no PlatformInstance that loaded cleanly.
// A file that does not load never silently drops out of the desired state: "not declared"
// must never come to mean "delete" because of a typo.
import path from 'node:path';
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import type { Tier } from '../manifest/kinds.js';
import { templateChain } from '../manifest/resolve.js';
import type { WaivedFinding } from '../policy/index.js';
import { MnopsError } from '../repo/errors.js';
import type { Finding } from '../report/finding.js';
import { validate } from '../validate/validate.js';

/** The declaration of an environment cannot be read: exit 2, nothing on the engine changes. */
export class DeclarationError extends MnopsError {
  constructor(
    message: string,
    hint: string,
    /** The errors that block the environment, first the one named in the message. */
    readonly findings: Finding[] = [],
  ) {
    super(message, hint);
  }
}

/** The validated repository: loaded and judged once, then asked about each environment. */
export interface Declarations {
  ecosystem: Ecosystem;
  /** Every error finding validation reported (warnings and notes never block). */
  errors: Finding[];
  /** Findings a PolicyException waived: what deploys record as the exceptions they used. */
  waived: WaivedFinding[];
}

/** An environment whose every contributing manifest loaded cleanly. */
export interface EnvironmentDeclaration {
  ecosystem: Ecosystem;
  name: string;
  tier: Tier;
  environment: ManifestRecord<'Environment'>;
  instance: ManifestRecord<'PlatformInstance'>;
  /** Platforms the instance places there, in file order. */
  platforms: string[];
  /** Findings a PolicyException waived, in the whole repository. */
  waived: WaivedFinding[];
}

export interface ReadOptions {
  /** The time policies judge against (expiry, ttl); default now. */
  now?: Date;
}

/** Loads and validates the repository once (the parse cache makes a warm run cheap). */
export async function readDeclarations(root: string, options: ReadOptions = {}): Promise<Declarations> {
  const { report, ecosystem, waived } = await validate({ root, now: options.now });
  return { ecosystem, errors: report.findings.filter((f) => f.severity === 'error'), waived };
}

/** Kinds whose errors can change every environment's desired state. */
const GLOBAL_KINDS = new Set(['PolicySettings']);
/**
 * Errors about something missing whose cause may be any file: a contract nobody provides
 * any more may be a provider's manifest that lost its `provides` in a bad merge.
 */
const GLOBAL_RULES = new Set(['contracts.unsatisfied']);

/** The files and names whose errors block `env`, from what the loaded manifests reference. */
function contributors(eco: Ecosystem, env: string): { files: Set<string>; dirs: string[]; names: Set<string> } {
  const files = new Set<string>();
  const names = new Set<string>([env]);
  const dirs: string[] = [];
  const e = eco.environments.get(env);
  if (e) {
    files.add(e.file);
    dirs.push(path.posix.dirname(e.file));
    const adapter = eco.adapters.get(e.manifest.spec.adapter);
    names.add(e.manifest.spec.adapter);
    if (adapter) files.add(adapter.file);
  }
  const instance = eco.instances.get(env);
  if (instance) {
    files.add(instance.file);
    dirs.push(path.posix.dirname(instance.file));
    for (const entry of instance.manifest.spec.platforms) {
      names.add(entry.name);
      // Where the platform belongs, even when it did not load (a kind typo, a YAML error).
      files.add(`platforms/${entry.name}/platform.yaml`);
      const p = eco.platforms.get(entry.name);
      if (!p) continue;
      files.add(p.file);
      if (p.manifest.spec.extends) names.add(p.manifest.spec.extends);
      for (const t of templateChain(eco, p.manifest.spec.extends).chain) {
        files.add(t.file);
        names.add(t.name);
        if (t.manifest.spec.extends) names.add(t.manifest.spec.extends);
      }
    }
  }
  for (const s of eco.settings.values()) files.add(s.file);
  return { files, dirs, names };
}

/** The errors that make `env`'s desired state unknowable. */
export function blockingErrors(decl: Declarations, env: string): Finding[] {
  const { files, dirs, names } = contributors(decl.ecosystem, env);
  const inDir = (file: string) => dirs.some((d) => file.startsWith(`${d}/`));
  return decl.errors.filter((f) => {
    if (f.environment === env) return true;
    if (GLOBAL_RULES.has(f.ruleId) || (f.kind && GLOBAL_KINDS.has(f.kind))) return true;
    // An error judged for another environment still blocks this one when it is about a
    // manifest this one is made of too (a template that lost its health check fails staging's
    // rule, and would strip dev's hardening just the same).
    if (files.has(f.file) || inDir(f.file)) return true;
    if (f.name !== undefined && names.has(f.name)) return true;
    // A document whose kind or name could not be read might declare anything, this
    // environment's instance included: when in doubt, refuse.
    return f.kind === undefined && f.name === undefined;
  });
}

function where(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}`;
}

/** Causes before consequences: a file that does not parse, then a schema error, then a broken reference, then policy. */
function rank(f: Finding): number {
  if (f.kind === undefined && f.name === undefined) return 0;
  if (f.ruleId === 'schema.invalid' || f.ruleId.startsWith('manifest.') || f.ruleId.startsWith('yaml.')) return 1;
  if (f.ruleId.startsWith('ref.')) return 2;
  return 3;
}

function refusal(env: string, found: Finding[]): DeclarationError {
  const blocking = [...found].sort((a, b) => rank(a) - rank(b));
  const first = blocking[0]!;
  const more = blocking.length > 1 ? ` (and ${blocking.length - 1} more error${blocking.length > 2 ? 's' : ''})` : '';
  return new DeclarationError(
    `cannot determine the desired state of ${env}: ${where(first)} ${first.ruleId}: ${first.message}${more}; nothing was changed`,
    `${first.hint ? `${first.hint}; ` : ''}fix ${first.file}, then run mnops validate`,
    blocking,
  );
}

/** The environment, or a DeclarationError naming the file, line and fix. */
export function environmentDeclaration(decl: Declarations, env: string): EnvironmentDeclaration {
  const eco = decl.ecosystem;
  const blocking = blockingErrors(decl, env);
  if (blocking.length > 0) throw refusal(env, blocking);
  const environment = eco.environments.get(env);
  if (!environment) {
    throw new DeclarationError(`environment "${env}" does not exist`, `pick one of: ${[...eco.environments.keys()].join(', ') || '(none)'}`);
  }
  const instance = eco.instances.get(env);
  if (!instance) {
    const dir = path.posix.dirname(environment.file);
    throw new DeclarationError(
      `cannot determine the desired state of ${env}: it has no PlatformInstance (expected ${dir}/platform.yaml); nothing was changed`,
      `restore ${dir}/platform.yaml, or declare the environment empty there with "platforms: []" and apply with --prune`,
    );
  }
  return {
    ecosystem: eco,
    name: env,
    tier: environment.manifest.spec.tier,
    environment,
    instance,
    platforms: instance.manifest.spec.platforms.map((p) => p.name),
    waived: decl.waived,
  };
}

/** readDeclarations + environmentDeclaration, for commands that act on one environment. */
export async function loadEnvironment(root: string, env: string, options: ReadOptions = {}): Promise<EnvironmentDeclaration> {
  return environmentDeclaration(await readDeclarations(root, options), env);
}
