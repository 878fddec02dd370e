// The secret-reference checks of validate: `secrets.forbidden` (a source no allow-list can
// open: runner credentials, mnops's own secrets, .git) wherever a reference or an allow-list
// entry is written, and `secrets.unlisted` for every reference an environment's platforms
// resolve to that the environment does not list in spec.secretSources — symlinks followed
// when the file is there to follow. They are checks in code rather than Rego on purpose: no
// tier setting or PolicyException can switch a trust boundary off.
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import { locateIn } from '../manifest/ecosystem.js';
import type { SecretRef } from '../manifest/kinds.js';
import { provenanceOf, resolvePlatform } from '../manifest/resolve.js';
import { referenceEscapes } from '../repo/paths.js';
import type { Finding } from '../report/finding.js';
import { isRecordAffected, type Impact } from '../registry/impact.js';
import { badSecretFolder, forbiddenReference, forbiddenSwarmSecret, forbiddenVariable, realSecretFile, refuseReference, type Refusal, type SourceContext } from './sources.js';

type Located = Pick<Finding, 'file' | 'line' | 'column'>;

function finding(refusal: Refusal, at: Located, about: { kind: string; name: string; environment?: string; path: string }): Finding {
  return { ...refusal, severity: 'error', ...at, kind: about.kind, name: about.name, ...(about.environment ? { environment: about.environment } : {}), path: about.path };
}

function isRef(v: unknown): v is SecretRef {
  if (v === null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return typeof r.name === 'string' && typeof r.key === 'string' && (r.from === 'env' || r.from === 'file' || r.from === 'swarm');
}

export interface SecretCheck {
  findings: Finding[];
  /**
   * Environments whose verdict read the file system (a secret `from: file`): it can change
   * with no manifest changing, so an incremental run checks them again.
   */
  fileBacked: string[];
}

export interface SecretCheckScope {
  /** Check only what this impact reaches; what it returns about the rest is incomplete. */
  impact: Impact;
  /** And these environments whole (their findings, all of them, are complete). */
  environments?: ReadonlySet<string>;
}

/** Every secret reference no environment may hold, or the environment it runs in does not allow. */
export function checkSecretReferences(eco: Ecosystem, only?: SecretCheckScope): SecretCheck {
  const out: Finding[] = [];
  const whole = only?.environments ?? new Set<string>();
  for (const rec of eco.records) {
    if (only && !isRecordAffected(rec, only.impact) && !(rec.kind === 'Environment' && whole.has(rec.name))) continue;
    if (rec.kind === 'Platform' || rec.kind === 'PlatformTemplate' || rec.kind === 'Environment') out.push(...forbiddenIn(rec));
    if (rec.kind === 'Environment') out.push(...allowListOf(rec));
  }
  const fileBacked: string[] = [];
  for (const env of eco.environments.values()) {
    if (only && !whole.has(env.name) && !environmentAffected(eco, env, only.impact)) continue;
    const judged = unlistedIn(eco, env);
    out.push(...judged.findings);
    if (judged.readFiles) fileBacked.push(env.name);
  }
  return { findings: out, fileBacked };
}

/** Whether an environment's allow-list findings can be affected: it, its instance or a platform it runs is. */
function environmentAffected(eco: Ecosystem, env: ManifestRecord<'Environment'>, only: Impact): boolean {
  if (isRecordAffected(env, only)) return true;
  const instance = eco.instances.get(env.name);
  if (instance && isRecordAffected(instance, only)) return true;
  return (instance?.manifest.spec.platforms ?? []).some((p) => only.platforms.has(p.name) || only.manifests.has(`Platform/${p.name}`));
}

/** References no environment may allow, where they are written. */
function forbiddenIn(rec: ManifestRecord<'Platform' | 'PlatformTemplate' | 'Environment'>): Finding[] {
  const list: unknown = rec.manifest.spec.secrets;
  if (!Array.isArray(list)) return [];
  const out: Finding[] = [];
  list.forEach((ref: unknown, i) => {
    if (!isRef(ref)) return;
    const refusal = forbiddenReference(ref);
    const path = `/spec/secrets/${i}/key`;
    if (refusal) out.push(finding(refusal, locateIn(rec, path), { kind: rec.kind, name: rec.name, ...(rec.kind === 'Environment' ? { environment: rec.name } : {}), path }));
  });
  return out;
}

/** Allow-list entries that can never be allowed. */
function allowListOf(rec: ManifestRecord<'Environment'>): Finding[] {
  const sources = rec.manifest.spec.secretSources;
  if (!sources) return [];
  const out: Finding[] = [];
  const report = (list: string, i: number, value: string, why: string) => {
    const path = `/spec/secretSources/${list}/${i}`;
    out.push(
      finding(
        { ruleId: 'secrets.forbidden', message: `spec.secretSources.${list} of ${rec.name} lists ${value}, ${why}`, hint: `remove ${value} from the list` },
        locateIn(rec, path),
        { kind: 'Environment', name: rec.name, environment: rec.name, path },
      ),
    );
  };
  (sources.env ?? []).forEach((name, i) => {
    const why = forbiddenVariable(name);
    if (why) report('env', i, name, why);
  });
  (sources.swarm ?? []).forEach((name, i) => {
    const why = forbiddenSwarmSecret(name);
    if (why) report('swarm', i, name, why);
  });
  (sources.files ?? []).forEach((dir, i) => {
    const why = badSecretFolder(dir);
    if (why) report('files', i, dir, why);
  });
  return out;
}

/**
 * Every reference an environment's platforms resolve to (templates, platform, the
 * environment's own spec.secrets), against its allow-list; an environment's own references
 * are judged even when nothing is placed there yet. One finding per written reference.
 */
function unlistedIn(eco: Ecosystem, env: ManifestRecord<'Environment'>): { findings: Finding[]; readFiles: boolean } {
  const ctx: SourceContext = { environment: env.name, file: env.file, sources: env.manifest.spec.secretSources };
  const out = new Map<string, Finding>();
  let readFiles = false;
  const judge = (ref: SecretRef, at: Located, about: { kind: string; name: string; path: string }) => {
    // Reported once where it is written (forbidden) or by the reference check (escapes).
    if (forbiddenReference(ref) || (ref.from === 'file' && referenceEscapes(ref.key))) return;
    let refusal = refuseReference(ref, ctx);
    if (!refusal && ref.from === 'file') {
      readFiles = true;
      const real = realSecretFile(eco.root, ref, ctx);
      if (!real.ok) refusal = real.refusal;
    }
    const key = `${at.file}:${at.line}:${at.column}`;
    if (refusal && !out.has(key)) out.set(key, finding(refusal, at, { ...about, environment: env.name }));
  };
  for (const entry of eco.instances.get(env.name)?.manifest.spec.platforms ?? []) {
    const resolved = resolvePlatform(eco, entry.name, env.name, ['secrets']);
    const refs = resolved?.spec.secrets;
    if (!resolved || !Array.isArray(refs)) continue;
    refs.forEach((ref, i) => {
      if (!isRef(ref)) return;
      const at = provenanceOf(resolved, `/secrets/${i}/key`);
      if (at) judge(ref, at, { kind: 'Platform', name: entry.name, path: `/secrets/${i}/key` });
    });
  }
  (env.manifest.spec.secrets ?? []).forEach((ref, i) => {
    const path = `/spec/secrets/${i}/key`;
    judge(ref, locateIn(env, path), { kind: 'Environment', name: env.name, path });
  });
  return { findings: [...out.values()], readFiles };
}
