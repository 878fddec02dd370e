// The checks a new name passes before anything is written: the settings' naming rule, and
// nothing of that kind already called so. Refusals name the existing file and the fix.
import type { Ecosystem } from '../manifest/ecosystem.js';
import { closestName } from '../suggest/closest-name.js';
import { ScaffoldError } from './write.js';

/** The defaults of policies/lib/settings.rego: what naming.* says when the settings do not. */
const DEFAULT_NAMING = { platform: '^[a-z][a-z0-9-]{1,40}-platform$', environment: '^[a-z][a-z0-9-]{1,30}$' } as const;
/** The schema's pattern for every metadata.name. */
const SCHEMA_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function checkNewName(eco: Ecosystem, kind: 'platform' | 'environment', name: string): void {
  const settings = [...eco.settings.values()][0];
  const pattern = settings?.manifest.spec.naming?.[kind] ?? DEFAULT_NAMING[kind];
  let ok = SCHEMA_NAME.test(name);
  try {
    ok &&= new RegExp(pattern).test(name);
  } catch {
    // A broken pattern is validate's to report; the schema's rule still holds.
  }
  if (!ok) {
    const where = settings ? ` (naming.${kind} in ${settings.file})` : '';
    const example = kind === 'platform' ? 'billing-platform' : 'customer-globex';
    throw new ScaffoldError(`${kind} name "${name}" does not match ${pattern}${where}`, `pick a lower-case name such as ${example}`);
  }
}

/** Refuses a name that a manifest of the kind already has (valid or failing its schema). */
export function refuseExisting(eco: Ecosystem, kind: 'Platform' | 'Environment', name: string): void {
  const map = kind === 'Platform' ? eco.platforms : eco.environments;
  const rec = map.get(name);
  if (rec) throw new ScaffoldError(`${kind}/${name} already exists in ${rec.file}`, `pick another name, or edit ${rec.file}`);
  if (eco.invalidKeys.has(`${kind}/${name}`)) throw new ScaffoldError(`${kind}/${name} already exists (in a file that fails its schema)`, 'run mnops validate, then pick another name');
}

/** The record of `name` among `names`, or a refusal with "did you mean". */
export function mustExist<T>(map: Map<string, T>, name: string, what: string, flag: string): T {
  const hit = map.get(name);
  if (hit) return hit;
  const close = closestName(name, map.keys());
  const known = [...map.keys()].sort().join(', ') || 'none';
  throw new ScaffoldError(`${flag} ${name}: no ${what} of that name`, close ? `did you mean "${close}"?` : `existing ${what}s: ${known}`);
}
