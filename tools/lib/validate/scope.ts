// The scope of a change, made sound: what a PR-scoped run must look at so it never reports
// less than the full run would for what the change affects. A symlink's target changing
// changes the symlink; a change to the rules (policies, settings, exceptions, schemas) or to
// any non-manifest file among the manifests can change anything, so it widens to everything.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { EXCEPTIONS_DIR, SETTINGS_FILE, type Ecosystem } from '../manifest/ecosystem.js';
import { MANIFEST_DIRS } from '../repo/paths.js';

export interface ChangeScope {
  /** The changed files plus every manifest file that is a link to one of them. */
  files: string[];
  /** The change can alter findings anywhere: report the whole ecosystem. */
  everything: boolean;
  /** Why it widened to everything (the first file that did). */
  reason?: string;
}

const YAML = /\.ya?ml$/i;

/** Files whose change can alter any verdict: the rules themselves. */
export function isPolicyInput(file: string): boolean {
  return file.startsWith('policies/') || file === SETTINGS_FILE || file.startsWith(EXCEPTIONS_DIR);
}

export function widenChange(eco: Ecosystem, changed: readonly string[], linked: readonly string[] = eco.files): ChangeScope {
  const files = new Set(changed);
  let reason: string | undefined;
  for (const f of changed) {
    const underManifests = MANIFEST_DIRS.some((d) => f.startsWith(`${d}/`));
    if (isPolicyInput(f)) reason ??= `${f} is a policy, the settings or an exception`;
    else if (f.startsWith('schemas/')) reason ??= `${f} is a schema`;
    else if (underManifests && !YAML.test(f)) reason ??= `${f} is not a manifest but lives among them`;
  }
  // Links resolved once: a manifest that is a symlink (or sits in a symlinked folder) changes
  // when its target does, though git reports only the target. Only files discovery reached
  // through a link can be one (without that list, every file is checked).
  const root = realpathSync(eco.root);
  for (const file of linked) {
    if (files.has(file)) continue;
    let real: string;
    try {
      real = path.relative(root, realpathSync(path.join(eco.root, file))).split(path.sep).join('/');
    } catch {
      continue;
    }
    if (real !== file && files.has(real)) files.add(file);
  }
  return { files: [...files].sort(), everything: reason !== undefined, ...(reason ? { reason } : {}) };
}
