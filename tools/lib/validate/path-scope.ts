// What a path-scoped validate (`mnops validate ecosystem/platform-cloud/x`) must report
// beyond the files it names: the errors those files cause elsewhere — a name they define a
// second time, a reference elsewhere to a name they no longer hold. Found by asking what the
// rest of the repository would say without them: an error outside the paths that goes away
// when the scoped files are left out, or put back as last committed, is theirs.
import { filesNotInHead } from '../repo/git.js';
import { buildEcosystem, type ParsedFile } from '../manifest/ecosystem.js';
import { parseManifestText, resolveLimits, type LoadLimits } from '../manifest/load.js';
import { checkReferences } from '../registry/index.js';
import { commitTree } from '../repo/git-tree.js';
import type { Finding } from '../report/finding.js';
import { definitionHistory, type LoadedEcosystem } from '../ecosystem-load/load-ecosystem.js';

/** The same finding in another build of the ecosystem: rule and place (messages carry suggestions that may differ). */
export function placeKey(f: Pick<Finding, 'ruleId' | 'file' | 'line' | 'column' | 'path'>): string {
  return [f.ruleId, f.file, f.line, f.column, f.path ?? ''].join('\u0000');
}

/** The load and reference findings of an ecosystem built from `parsed`. */
function structuralFindings(root: string, parsed: ParsedFile[]): Set<string> {
  const { ecosystem, findings } = buildEcosystem(root, parsed, definitionHistory(root));
  return new Set([...findings, ...checkReferences(ecosystem)].map(placeKey));
}

/**
 * Keys (placeKey) of the errors outside `inScope` files that the scoped files cause: present
 * now, gone in the repository without them or with them as last committed.
 */
export async function causedElsewhere(
  loaded: Pick<LoadedEcosystem, 'parsed' | 'ecosystem' | 'findings'>,
  isInScope: (file: string) => boolean,
  now: Finding[],
  limits?: Partial<LoadLimits>,
): Promise<Set<string>> {
  const root = loaded.ecosystem.root;
  // Only what the structural builds can say: a policy finding is never "gone" from them. The
  // loaded ecosystem is that build for the whole tree; it is not built again.
  const possible = new Set([...loaded.findings, ...checkReferences(loaded.ecosystem)].map(placeKey));
  const outside = now.filter((f) => f.severity === 'error' && !isInScope(f.file) && possible.has(placeKey(f)));
  const scoped = loaded.parsed.filter((p) => isInScope(p.file));
  if (outside.length === 0 || scoped.length === 0) return new Set();
  const rest = loaded.parsed.filter((p) => !isInScope(p.file));
  const builds = [structuralFindings(root, rest)];
  const committed = await asLastCommitted(root, scoped, resolveLimits(limits));
  if (committed) builds.push(structuralFindings(root, [...rest, ...committed]));
  const caused = new Set<string>();
  for (const f of outside) {
    const key = placeKey(f);
    if (builds.some((b) => !b.has(key))) caused.add(key);
  }
  return caused;
}

/** The scoped files as HEAD holds them (those it does not hold left out); undefined outside git. */
async function asLastCommitted(root: string, scoped: ParsedFile[], limits: LoadLimits): Promise<ParsedFile[] | undefined> {
  const files = scoped.map((p) => p.file);
  const notInHead = filesNotInHead(root, files);
  if (!notInHead) return undefined;
  let tree;
  try {
    tree = await commitTree(root, 'HEAD');
  } catch {
    return undefined;
  }
  const out: ParsedFile[] = [];
  for (const file of files) {
    if (notInHead.has(file)) continue;
    const bytes = await tree.read(file);
    if (bytes) out.push({ file, content: parseManifestText(bytes.toString('utf8'), limits) });
  }
  return out;
}
