// Consequences folded under their cause. A manifest that fails to parse or to match its
// schema is left out of the ecosystem, so everything built on it fails too: a template
// with one typo leaves every platform extending it without resource limits or a health
// check, in every environment — a hundred findings for one edit. Each such finding is
// linked to the error that caused it, so reports can show the cause and fold the rest. A
// template whose extends names nothing cuts the chain the same way.
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { Finding, FindingRef } from '../report/finding.js';

/** Errors that make a manifest drop out of the ecosystem. */
function dropsManifest(f: Finding): boolean {
  return f.severity === 'error' && (f.ruleId === 'schema.invalid' || f.ruleId.startsWith('yaml.'));
}

/** `Kind/name` of the manifest a dropping error is about; from the file's conventional path when the file did not parse. */
function droppedKey(f: Finding): string | undefined {
  if (f.kind && f.name) return `${f.kind}/${f.name}`;
  const platform = /^platforms\/([^/]+)\/platform\.ya?ml$/.exec(f.file);
  if (platform) return `Platform/${platform[1]}`;
  const template = /^ecosystem\/platform-templates\/([^/]+)\.ya?ml$/.exec(f.file);
  if (template) return `PlatformTemplate/${template[1]}`;
  return undefined;
}

const ref = (f: Finding): FindingRef => ({ ruleId: f.ruleId, file: f.file, line: f.line, column: f.column });

/** The first break in the template chain of `platform`: a dropped template, or an extends naming nothing. */
function brokenTemplateOf(eco: Ecosystem, platform: string, broken: Map<string, FindingRef>): FindingRef | undefined {
  const own = broken.get(`Platform/${platform}`);
  if (own) return own;
  let next = eco.platforms.get(platform)?.manifest.spec.extends;
  const seen = new Set<string>();
  while (next !== undefined && !seen.has(next)) {
    seen.add(next);
    const cause = broken.get(`PlatformTemplate/${next}`);
    if (cause) return cause;
    next = eco.templates.get(next)?.manifest.spec.extends;
  }
  return undefined;
}

const UNKNOWN_NAME = /^(platform|template) "([^"]+)" does not exist$/;

/** `findings` with `causedBy` set on each one that follows from another error in the list. */
export function linkCauses(findings: Finding[], eco: Ecosystem): Finding[] {
  const broken = new Map<string, FindingRef>();
  for (const f of findings) {
    // An extends that names nothing cuts the chain just as a dropped template does.
    const cutsChain = f.ruleId === 'ref.unknown' && f.path === '/spec/extends' && f.kind && f.name ? `${f.kind}/${f.name}` : undefined;
    const key = dropsManifest(f) ? droppedKey(f) : cutsChain;
    if (key && !broken.has(key)) broken.set(key, ref(f));
  }
  if (broken.size === 0) return findings;
  return findings.map((f) => {
    if (dropsManifest(f)) return f;
    let cause: FindingRef | undefined;
    if (f.ruleId === 'ref.unknown') {
      const m = UNKNOWN_NAME.exec(f.message);
      if (m) cause = broken.get(`${m[1] === 'platform' ? 'Platform' : 'PlatformTemplate'}/${m[2]}`);
    } else if (f.environment !== undefined && f.kind === 'Platform' && f.name !== undefined && !f.ruleId.startsWith('ref.')) {
      // A policy finding about a platform as resolved in an environment.
      cause = brokenTemplateOf(eco, f.name, broken);
    }
    return cause ? { ...f, causedBy: cause } : f;
  });
}
