// mnops registry list | graph | impact — informational: exit 0 unless the command
// cannot do its job (exit 2 through a MnopsError).
import { Option, type Command } from 'commander';
import semver from 'semver';
import type { Ecosystem, ManifestRecord } from '../../manifest/ecosystem.js';
import { buildGraph, filterGraph, impactChain, impactOfChanges, manifestKeysOfText, toDot, toJson, toMermaid, type ImpactChain } from '../../registry/index.js';
import { changedFilesSince } from '../../repo/git.js';
import type { Finding } from '../../report/finding.js';
import { loadEcosystem } from '../../ecosystem-load/load-ecosystem.js';
import { EXIT, rootFromOption, writeStdout } from '../context.js';
import type { RegisterCommand } from './index.js';

interface RootFlag {
  root?: string;
}

async function load(flags: RootFlag): Promise<{ root: string; ecosystem: Ecosystem }> {
  const root = await rootFromOption(flags.root);
  const { ecosystem, findings } = await loadEcosystem(root);
  warnIfIncomplete(findings);
  return { root, ecosystem };
}

/** Manifests that failed to load are missing from what we print: say so, on stderr. */
function warnIfIncomplete(findings: Finding[]): void {
  const errors = findings.filter((f) => f.severity === 'error').length;
  if (errors > 0) {
    process.stderr.write(
      `mnops: ${errors} error${errors === 1 ? '' : 's'} while loading manifests; what failed is left out — run mnops validate for details\n`,
    );
  }
}

export interface ListRow {
  kind: string;
  name: string;
  version: string | null;
  owner: string | null;
  tier: string | null;
  file: string;
  line: number;
}

function rowOf(rec: ManifestRecord): ListRow {
  // Read as a plain map: the columns exist on some kinds only.
  const spec: Record<string, unknown> = rec.manifest.spec;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const owners = Array.isArray(spec.owners) ? spec.owners.join(',') : null;
  return {
    kind: rec.kind,
    name: rec.name,
    version: rec.kind === 'PlatformInstance' ? null : str(spec.version),
    owner: str(spec.owner) ?? owners,
    tier: str(spec.tier),
    file: rec.file,
    line: rec.positions['']?.[0] ?? 1,
  };
}

function compareRows(a: ListRow, b: ListRow): number {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const va = a.version !== null ? semver.valid(a.version) : null;
  const vb = b.version !== null ? semver.valid(b.version) : null;
  return (
    cmp(a.kind, b.kind) ||
    cmp(a.name, b.name) ||
    (va && vb ? semver.compare(va, vb) : cmp(a.version ?? '', b.version ?? '')) ||
    cmp(a.file, b.file)
  );
}

/** Every loaded manifest, sorted by kind, name and version. */
export function listRows(eco: Ecosystem): ListRow[] {
  return eco.records.map(rowOf).sort(compareRows);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function alignedTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

export const registerRegistry: RegisterCommand = (program: Command, setExit) => {
  const registry = program.command('registry').description('the catalog: list manifests, draw the dependency graph, show the impact of a change');

  registry
    .command('list')
    .description('list every manifest with its version, owner or tier, and file')
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: RootFlag & { format: 'text' | 'json' }) => {
      const { ecosystem } = await load(flags);
      const rows = listRows(ecosystem);
      if (flags.format === 'json') {
        await writeStdout(`${JSON.stringify({ version: 1, manifests: rows }, null, 2)}\n`);
      } else {
        const dash = (v: string | null) => v ?? '-';
        await writeStdout(
          alignedTable(
            ['KIND', 'NAME', 'VERSION', 'OWNER', 'TIER', 'FILE'],
            rows.map((r) => [r.kind, r.name, dash(r.version), dash(r.owner), dash(r.tier), `${r.file}:${r.line}`]),
          ),
        );
      }
      setExit(EXIT.OK);
    });

  registry
    .command('graph')
    .description('print the dependency graph (templates, platforms, contracts, adapters, environments)')
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'dot', 'json']).default('mermaid'))
    .option('--env <name>', 'only what the environment runs: its adapter, its platforms and their templates, namespaces and contracts, and the exceptions that apply there')
    .option(
      '--platform <name>',
      'only the platform, what it references (its templates all the way up, namespace, dependencies, contracts) and what references it directly (dependents, environments, exceptions)',
    )
    .addHelpText('after', '\nWith both --env and --platform, what both keep. An unknown name exits 2.\n')
    .action(async (flags: RootFlag & { format: 'mermaid' | 'dot' | 'json'; env?: string; platform?: string }) => {
      const { ecosystem } = await load(flags);
      const graph = filterGraph(ecosystem, buildGraph(ecosystem), { environment: flags.env, platform: flags.platform });
      const render = { mermaid: toMermaid, dot: toDot, json: toJson }[flags.format];
      await writeStdout(render(graph));
      setExit(EXIT.OK);
    });

  registry
    .command('impact')
    .description('list the platforms and environments a change since REF affects, each with the chain of references that reaches it')
    .requiredOption('--changed-since <ref>', 'git ref to compare the working tree with')
    .option('--root <dir>', 'repository root (default: git top level)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: RootFlag & { changedSince: string; format: 'text' | 'json' }) => {
      const root = await rootFromOption(flags.root);
      const change = await changedFilesSince(root, flags.changedSince);
      const { ecosystem, findings } = await loadEcosystem(root);
      warnIfIncomplete(findings);
      const deleted = change.deleted.flatMap((d) => manifestKeysOfText(d.text));
      const impact = impactOfChanges(ecosystem, change.changed, deleted);
      const sorted = (s: Iterable<string>) => [...s].sort();
      const chains = (kind: string, names: string[]) =>
        Object.fromEntries(names.map((name) => [name, impactChain(ecosystem, impact, `${kind}/${name}`)!]));
      const platforms = sorted(impact.platforms);
      const environments = sorted(impact.environments);
      const result: ImpactResult = {
        version: 1,
        ref: flags.changedSince,
        files: change.changed,
        deletedManifests: sorted(new Set(deleted)),
        manifests: sorted(impact.manifests),
        platforms,
        environments,
        chains: { platforms: chains('Platform', platforms), environments: chains('Environment', environments) },
      };
      if (flags.format === 'json') {
        await writeStdout(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        await writeStdout(impactText(result));
      }
      setExit(EXIT.OK);
    });
};

interface ImpactResult {
  version: 1;
  ref: string;
  files: string[];
  deletedManifests: string[];
  manifests: string[];
  platforms: string[];
  environments: string[];
  /** Per affected platform and environment, the shortest chain of references back to a change. */
  chains: { platforms: Record<string, ImpactChain>; environments: Record<string, ImpactChain> };
}

function impactText(r: ImpactResult): string {
  const section = (title: string, items: string[]) =>
    items.length === 0 ? `${title}: none\n` : `${title} (${items.length}):\n${items.map((i) => `  ${i}\n`).join('')}`;
  const why = (names: string[], chains: Record<string, ImpactChain>) => names.map((n) => chains[n]!.text);
  const anyChain = r.platforms.length + r.environments.length > 0;
  return [
    section(`Files changed since ${r.ref}`, r.files),
    ...(r.deletedManifests.length > 0 ? [section('Manifests deleted', r.deletedManifests)] : []),
    ...(anyChain ? ['Each is followed by its shortest chain of references back to a change ("a ← extends b": a is affected because it extends b).\n'] : []),
    section('Platforms affected', why(r.platforms, r.chains.platforms)),
    section('Environments affected', why(r.environments, r.chains.environments)),
  ].join('');
}
