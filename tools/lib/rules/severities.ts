// The default severity of each policy rule, read from the table the Rego itself uses
// (`default_severity` in policies/lib/findings.rego), so the rule list cannot disagree with
// what the policies emit. `opa fmt` keeps the table one `"rule": "severity",` per line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../policy/bundle.js';
import { PolicyError } from '../policy/errors.js';

export const SEVERITY_TABLE_FILE = 'policies/lib/findings.rego';

/** rule id → default severity, in the order the table lists them. */
export function parseSeverityTable(rego: string): Map<string, string> {
  const block = /^default_severity := \{\n([\s\S]*?)\n\}/m.exec(rego);
  if (!block) throw new PolicyError(`${SEVERITY_TABLE_FILE} has no default_severity table`, 'restore the default_severity := {...} table in policies/lib/findings.rego');
  const out = new Map<string, string>();
  for (const m of block[1]!.matchAll(/^\s*"([^"]+)":\s*"([^"]+)",?\s*$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The table of the installed package (the policies the CLI evaluates). */
export function defaultSeverities(): Map<string, string> {
  return parseSeverityTable(readFileSync(path.join(packageRoot(), SEVERITY_TABLE_FILE), 'utf8'));
}
