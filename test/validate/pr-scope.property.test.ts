// Property: `mnops validate --changed-since BASE` is sound. For random edits of the example
// ecosystem (uncommitted, untracked files included), the PR-scoped run never reports fewer
// findings for what the change affects than the full run does, and never invents any:
//
//   scoped = validate({ changedSince: BASE })   the change, judged by BASE's rules
//   full   = validate({ policyRef: BASE })      the whole working tree, same rules
//   before = validate of BASE's own tree        (a git worktree of BASE), same rules
//
//   every finding of full that is not in before (the change introduced it) is in scoped,
//   and every finding of scoped is in full.
//
// Findings are compared by rule, severity, file, kind, name, environment, path and message
// (never by line: edits shift lines). Two differences are not scoping but exception review,
// which only the scoped run can do (it knows which PolicyException files the change adds, and
// counts those only when the PR is approved; the full run has no change, so it ignores them):
// a finding the scoped run lists as waived, and an `exceptions.unapproved` finding in a file
// the change touched. Both are allowed only when the change touches the exceptions folder.
//
// One repository is reused: each run edits the working tree, validates twice, and is reset with
// `git checkout -- . && git clean -fdq`. A failure prints the edits, the changed files, the
// missing or invented findings and the working tree's diff against BASE, enough to redo by hand.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tar from 'tar';
import { parseDocument } from 'yaml';
import { CAPABILITIES } from '../../tools/lib/policy/build.js';
import { BUILTIN_ENTRYPOINTS, BUNDLE_DIR, META_FILE, sourceFiles, sourceHash, WASM_FILE, type BundleMeta } from '../../tools/lib/policy/bundle.js';
import { opa, pinnedOpaVersion } from '../../tools/lib/policy/opa.js';
import { changedFilesSince } from '../../tools/lib/repo/git.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { widenChange } from '../../tools/lib/validate/scope.js';
import { validate, type ValidateOptions, type ValidateOutcome } from '../../tools/lib/validate/validate.js';
import { exampleRepo, FIXED_NOW, git, PROJECT_ROOT, removeDir, tempDir } from '../helpers/repo.js';

/** Fixed: a failure found once is found again, with the same edits (MNOPS_PR_SCOPE_SEED tries another). */
const SEED = Number(process.env.MNOPS_PR_SCOPE_SEED ?? 20261201);
const RUNS = 44;
const NOW = new Date(FIXED_NOW);
const APPROVER = 'platform-engineering';
const SETTINGS = 'ecosystem/governance/settings.yaml';
const EXCEPTIONS = 'ecosystem/governance/exceptions';
const TEMPLATES = [
  'ecosystem/platform-templates/base-service.yaml',
  'ecosystem/platform-templates/batch-worker.yaml',
  'ecosystem/platform-templates/http-service.yaml',
  'ecosystem/ecosystem-cloud/platform-templates/aws-http-service.yaml',
  'ecosystem/ecosystem-cloud/platform-templates/gcp-batch-worker.yaml',
];
const ENVIRONMENTS = ['customer-acme', 'dev', 'preview-pr-42', 'prod', 'sandbox-feature-x', 'staging'];
const INSTANCES = ENVIRONMENTS.map((e) => `ecosystem/platform-cloud/${e}/platform.yaml`);
const LIMITS = ['cpuCores', 'memoryMb', 'diskMb', 'maxOpenFds', 'maxProcesses', 'maxThreads'] as const;
const DEV_CEILINGS: Record<(typeof LIMITS)[number], number> = { cpuCores: 4, memoryMb: 4096, diskMb: 20480, maxOpenFds: 65536, maxProcesses: 4096, maxThreads: 8192 };
const TIERS = ['dev', 'sandbox', 'preview', 'staging', 'prod'];

const EDIT_KINDS = [
  'resource',
  'extends-unknown',
  'drop-healthcheck',
  'plaintext-secret',
  'instance-version',
  'delete-platform',
  'add-platform',
  'settings',
  'add-exception',
  'symlink-template',
  'non-yaml',
] as const;
type EditKind = (typeof EDIT_KINDS)[number];

interface EditDraw {
  kind: EditKind;
  a: number;
  b: number;
  c: number;
}
interface Draw {
  edits: EditDraw[];
  /** Whether the pull request was approved by the exception approver (matters for added exceptions). */
  approved: boolean;
}

interface RunResult {
  index: number;
  draw: Draw;
  /** What was done, one line per edit, precise enough to redo by hand. */
  applied: { kind: EditKind; what: string; skipped: boolean }[];
  changed: string[];
  missing: Finding[];
  invented: Finding[];
  scopedCount: number;
  fullCount: number;
  introducedCount: number;
  everything: boolean;
  diff: string;
  error?: string;
}

let root = '';
let base = '';
let before: ValidateOutcome;
let cacheDir = '';
const dirs: string[] = [];

// ---------------------------------------------------------------------------------------------
// Repositories, runs and keys.

/** The example plus the project's policies/ (its own bundle), committed: { root, base }. */
async function makeRepo(extra?: (root: string) => void | Promise<void>): Promise<{ root: string; base: string }> {
  const r = exampleRepo({ git: true });
  dirs.push(r);
  cpSync(path.join(PROJECT_ROOT, 'policies'), path.join(r, 'policies'), { recursive: true });
  await extra?.(r);
  git(r, 'add', '-A');
  git(r, 'commit', '-q', '-m', 'policies and base state');
  return { root: r, base: git(r, 'rev-parse', 'HEAD').trim() };
}

/** validate of BASE's own tree, judged by BASE's rules: a worktree of BASE, removed afterwards. */
async function validateBase(repo: string, ref: string): Promise<ValidateOutcome> {
  const holder = tempDir('mnops-prscope-base-');
  const wt = path.join(holder, 'base');
  git(repo, 'worktree', 'add', '-q', '--detach', wt, ref);
  try {
    return await validate({ root: wt, policyRef: ref, now: NOW });
  } finally {
    git(repo, 'worktree', 'remove', '--force', wt);
    removeDir(holder);
  }
}

/** Identity of a finding without its line / column; paths of temp roots masked. */
function key(f: Finding): string {
  const message = f.message.replace(/\/(?:private\/)?tmp\/mnops-[A-Za-z0-9_-]+(?:\/base)?/g, '<root>');
  return [f.ruleId, f.severity, f.file, f.kind ?? '-', f.name ?? '-', f.environment ?? '-', f.path ?? '-', message].join(' | ');
}

function show(f: Finding): string {
  return `${f.severity} ${f.ruleId} ${f.file}:${f.line} [${f.kind ?? '-'}/${f.name ?? '-'}${f.environment ? ` @${f.environment}` : ''}${f.path ? ` ${f.path}` : ''}] ${f.message}`;
}

function reset(repo: string): void {
  git(repo, 'checkout', '-q', '--', '.');
  git(repo, 'clean', '-fdq');
}

function diffAgainst(repo: string, ref: string): string {
  git(repo, 'add', '-A', '--intent-to-add');
  try {
    return git(repo, 'diff', ref, '--', '.');
  } finally {
    git(repo, 'reset', '-q');
  }
}

// ---------------------------------------------------------------------------------------------
// Edits. Each reads the current working tree, so they compose; one that has nothing to act on
// (its file was deleted by an earlier edit) says so and is skipped.

const abs = (file: string, repo = root) => path.join(repo, file);
const exists = (file: string) => existsSync(abs(file));

function editYaml(file: string, change: (doc: ReturnType<typeof parseDocument>) => void, repo = root): void {
  const doc = parseDocument(readFileSync(abs(file, repo), 'utf8'));
  change(doc);
  writeFileSync(abs(file, repo), doc.toString());
}

function platformFiles(): string[] {
  return [
    'automation-platform',
    'data-platform',
    'governance-platform',
    'infrastructure-platform',
    'observability-platform',
    'registry-platform',
    'runtime-platform',
    'security-platform',
    'semantic-platform',
  ]
    .map((p) => `platforms/${p}/platform.yaml`)
    .filter(exists);
}

function pick<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

/** A value for a resource limit: under, at, just over, or far over the dev ceiling; rarely not a number. */
function resourceValue(limit: (typeof LIMITS)[number], n: number): number | string {
  const ceiling = DEV_CEILINGS[limit];
  switch (n % 6) {
    case 0:
      return limit === 'cpuCores' ? 0.25 : Math.max(1, Math.round(ceiling / 16));
    case 1:
      return ceiling;
    case 2:
      return limit === 'cpuCores' ? ceiling + 0.5 : ceiling + 1;
    case 3:
      return ceiling * 3;
    case 4:
      return ceiling * 5;
    default:
      return n % 12 === 5 ? 'lots' : -1;
  }
}

/** A new platform with errors, optionally deployed; returns what was written. */
function addPlatform(i: number, d: EditDraw): string {
  let mask = d.b % 64;
  if (mask === 0 || mask === 16) mask |= 2;
  const name = mask & 16 ? `Added_${i}` : `added-${i}-platform`;
  const lines = [
    'apiVersion: mnops/v1',
    'kind: Platform',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  description: Added by the property test.',
    '  owner: data-team',
    `  namespace: ${mask & 32 ? 'nowhere' : 'data'}`,
    '  lifecycle: active',
    '  version: 1.0.0',
    `  extends: ${mask & 1 ? 'no-such-template' : 'http-service'}`,
    '  image: "mnops/base:${version}"',
    '  env:',
    '    ADDED: "yes"',
    ...(mask & 4 ? ['    DB_PASSWORD: hunter2'] : []),
    '  resources:',
    `    memoryMb: ${mask & 2 ? 6000 : 256}`,
    ...(mask & 8 ? ['  dependsOn:', '    - ghost-platform'] : []),
  ];
  const file = `platforms/added-${i}-platform/platform.yaml`;
  mkdirSync(path.dirname(abs(file)), { recursive: true });
  writeFileSync(abs(file), `${lines.join('\n')}\n`);
  const problems = [mask & 1 && 'unknown extends', mask & 2 && 'memoryMb 6000', mask & 4 && 'DB_PASSWORD', mask & 8 && 'dependsOn ghost-platform', mask & 16 && 'bad name', mask & 32 && 'unknown namespace']
    .filter(Boolean)
    .join(', ');
  let deployed = '';
  const env = ['', 'dev', 'staging'][d.c % 3]!;
  const instance = `ecosystem/platform-cloud/${env}/platform.yaml`;
  if (env && exists(instance)) {
    editYaml(instance, (doc) => {
      const list = doc.getIn(['spec', 'platforms']) as { add?: (v: unknown) => void } | undefined;
      if (list?.add) list.add(doc.createNode({ name, version: '1.0.0' }));
    });
    deployed = `, added to ${instance}`;
  }
  return `wrote ${file} (Platform ${name}: ${problems})${deployed}`;
}

async function addException(i: number, d: EditDraw): Promise<string> {
  // A target among the findings the tree has now (the change's so far, and BASE's), else the
  // finding the example's own exception waives.
  const now = await validate({ root, policyRef: base, now: NOW });
  const waivable = (f: Finding) => f.kind !== undefined && f.name !== undefined && !/^(yaml|schema|ref|path|exceptions|policy|manifest)\./.test(f.ruleId);
  const candidates: { rule: string; kind: string; name: string; environment?: string }[] = [
    ...now.report.findings.filter(waivable).map((f) => ({ rule: f.ruleId, kind: f.kind!, name: f.name!, ...(f.environment ? { environment: f.environment } : {}) })),
    ...now.waived.map((f) => ({ rule: f.ruleId, kind: f.kind!, name: f.name!, ...(f.environment ? { environment: f.environment } : {}) })),
  ];
  const target = pick(candidates, d.b) ?? { rule: 'resources.ceiling', kind: 'Platform', name: 'semantic-platform', environment: 'dev' };
  const name = i === 0 ? 'x' : `x-${i}`;
  const file = `${EXCEPTIONS}/${name}.yaml`;
  const text = [
    'apiVersion: mnops/v1',
    'kind: PolicyException',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  rule: ${target.rule}`,
    '  target:',
    `    kind: ${target.kind}`,
    `    name: ${target.name}`,
    ...(target.environment ? [`    environment: ${target.environment}`] : []),
    '  reason: Waived by the property test while the owning team fixes it.',
    `  approvedBy: ${APPROVER}`,
    '  expires: 2027-06-30',
    '',
  ].join('\n');
  writeFileSync(abs(file), text);
  return `wrote ${file} waiving ${target.rule} for ${target.kind}/${target.name}${target.environment ? ` in ${target.environment}` : ''} (of ${candidates.length} candidates)`;
}

function settingsEdit(d: EditDraw): string {
  const variant = d.a % 5;
  if (variant <= 1) {
    const tier = pick(TIERS, d.b)!;
    const limit = pick(LIMITS, d.c)!;
    let label = '';
    editYaml(SETTINGS, (doc) => {
      const old = doc.getIn(['spec', 'tiers', tier, 'ceilings', limit]) as number;
      const next = variant === 0 ? (limit === 'cpuCores' ? 0.25 : Math.max(1, Math.round(old / 16))) : old * 2;
      doc.setIn(['spec', 'tiers', tier, 'ceilings', limit], next);
      label = `${tier} ceiling ${limit} ${old} → ${next}`;
    });
    return `${SETTINGS}: ${label}`;
  }
  if (variant === 2) {
    const tier = pick(TIERS, d.b)!;
    const sev = pick(['note', 'warning', 'error'], d.c)!;
    editYaml(SETTINGS, (doc) => doc.setIn(['spec', 'tiers', tier, 'severity', 'health.required'], sev));
    return `${SETTINGS}: ${tier} severity health.required → ${sev}`;
  }
  if (variant === 3) {
    editYaml(SETTINGS, (doc) => doc.setIn(['spec', 'exceptions', 'maxDays'], 30));
    return `${SETTINGS}: exceptions.maxDays 500 → 30`;
  }
  const tier = pick(['sandbox', 'preview'], d.b)!;
  editYaml(SETTINGS, (doc) => doc.setIn(['spec', 'ttl', 'maxHours', tier], 1));
  return `${SETTINGS}: ttl.maxHours.${tier} → 1`;
}

/** Replaces a template with a relative symlink to a copy in common/, then edits only the copy. */
function symlinkTemplate(i: number, d: EditDraw): string | undefined {
  const tpl = pick(TEMPLATES.filter((t) => exists(t) && !isLink(t)), d.a);
  if (!tpl) return undefined;
  const copy = `common/${i}-${path.basename(tpl)}`;
  mkdirSync(path.dirname(abs(copy)), { recursive: true });
  cpSync(abs(tpl), abs(copy));
  rmSync(abs(tpl));
  const target = path.relative(path.dirname(abs(tpl)), abs(copy));
  symlinkSync(target, abs(tpl));
  const doc = parseDocument(readFileSync(abs(copy), 'utf8'));
  let what: string;
  const variant = d.b % 4;
  if (variant === 1 && doc.hasIn(['spec', 'extends'])) {
    doc.setIn(['spec', 'extends'], 'no-such-template');
    what = 'extends → no-such-template';
  } else if (variant === 2 && doc.hasIn(['spec', 'healthCheck'])) {
    doc.deleteIn(['spec', 'healthCheck']);
    what = 'healthCheck removed';
  } else if (variant === 3) {
    doc.setIn(['spec', 'env', 'DB_PASSWORD'], 'hunter2');
    what = 'env.DB_PASSWORD: hunter2';
  } else {
    doc.setIn(['spec', 'resources', 'memoryMb'], 5000);
    what = 'resources.memoryMb → 5000';
  }
  writeFileSync(abs(copy), doc.toString());
  return `${tpl} → symlink to ${target}; in the copy only: ${what}`;
}

function isLink(file: string): boolean {
  try {
    return lstatSync(abs(file)).isSymbolicLink();
  } catch {
    return false;
  }
}

async function applyEdit(i: number, d: EditDraw): Promise<string | undefined> {
  switch (d.kind) {
    case 'resource': {
      const file = pick([...platformFiles(), ...TEMPLATES.filter(exists)], d.a);
      if (!file) return undefined;
      // memoryMb half the time: the dev ceiling the brief is about.
      const limit = d.b % 2 === 0 ? 'memoryMb' : pick(LIMITS, d.b >> 1)!;
      const value = resourceValue(limit, d.c);
      editYaml(file, (doc) => doc.setIn(['spec', 'resources', limit], value));
      return `${file}: spec.resources.${limit} → ${JSON.stringify(value)}`;
    }
    case 'extends-unknown': {
      const file = pick(
        [...platformFiles(), ...TEMPLATES.filter(exists)].filter((f) => /^\s+extends:/m.test(readFileSync(abs(f), 'utf8'))),
        d.a,
      );
      if (!file) return undefined;
      const to = d.b % 2 === 0 ? 'no-such-template' : 'base-servic';
      editYaml(file, (doc) => doc.setIn(['spec', 'extends'], to));
      return `${file}: spec.extends → ${to}`;
    }
    case 'drop-healthcheck': {
      const file = pick(
        TEMPLATES.filter((t) => exists(t) && /^\s+healthCheck:/m.test(readFileSync(abs(t), 'utf8'))),
        d.a,
      );
      if (!file) return undefined;
      editYaml(file, (doc) => doc.deleteIn(['spec', 'healthCheck']));
      return `${file}: spec.healthCheck removed`;
    }
    case 'plaintext-secret': {
      const file = pick(platformFiles(), d.a);
      if (!file) return undefined;
      editYaml(file, (doc) => doc.setIn(['spec', 'env', 'DB_PASSWORD'], 'hunter2'));
      return `${file}: spec.env.DB_PASSWORD: hunter2`;
    }
    case 'instance-version': {
      const file = pick(INSTANCES.filter(exists), d.a);
      if (!file) return undefined;
      let what = '';
      editYaml(file, (doc) => {
        const entries = (doc.toJS() as { spec: { platforms: { name: string; version: string }[] } }).spec.platforms;
        const i = d.b % entries.length;
        const old = entries[i]!.version;
        const [maj, min, pat] = old.split('.').map(Number) as [number, number, number];
        const next = pick(['9.9.9', '0.0.1', `${maj}.${min}.${pat + 1}`, `${maj}.${min + 1}.0`, 'latest'], d.c)!;
        doc.setIn(['spec', 'platforms', i, 'version'], next);
        what = `spec.platforms[${i}] (${entries[i]!.name}) version ${old} → ${next}`;
      });
      return `${file}: ${what}`;
    }
    case 'delete-platform': {
      const file = pick(platformFiles(), d.a);
      if (!file) return undefined;
      rmSync(abs(file));
      return `deleted ${file}`;
    }
    case 'add-platform':
      return addPlatform(i, d);
    case 'settings':
      return settingsEdit(d);
    case 'add-exception':
      return addException(i, d);
    case 'symlink-template':
      return symlinkTemplate(i, d);
    case 'non-yaml': {
      const file = pick(['ecosystem/NOTES.md', 'platforms/data-platform/notes.txt', 'registry/namespaces.yaml.bak', 'ecosystem/platform-cloud/dev/values.json'], d.a)!;
      mkdirSync(path.dirname(abs(file)), { recursive: true });
      writeFileSync(abs(file), d.b % 2 === 0 ? 'not a manifest\n' : '{"memoryMb": 99999}\n');
      return `wrote ${file} (not YAML)`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The property, for one draw.

function compare(scoped: ValidateOutcome, full: ValidateOutcome, baseline: ValidateOutcome, changed: string[]) {
  const beforeKeys = new Set(baseline.report.findings.map(key));
  const fullKeys = new Set(full.report.findings.map(key));
  const scopedKeys = new Set(scoped.report.findings.map(key));
  const reviewsExceptions = changed.some((f) => f.startsWith(`${EXCEPTIONS}/`));
  // Exception review (see the top of the file): only the scoped run knows which exceptions
  // the change adds, so only it waives by them once approved, or reports them unapproved.
  const scopedWaived = new Set(reviewsExceptions ? scoped.waived.map(key) : []);
  const introduced = full.report.findings.filter((f) => !beforeKeys.has(key(f)));
  const missing = introduced.filter((f) => !scopedKeys.has(key(f)) && !scopedWaived.has(key(f)));
  const invented = scoped.report.findings.filter(
    (f) => !fullKeys.has(key(f)) && !(reviewsExceptions && f.ruleId === 'exceptions.unapproved' && changed.includes(f.file)),
  );
  return { introduced, missing, invented };
}

async function run(index: number, draw: Draw): Promise<RunResult> {
  const r: RunResult = { index, draw, applied: [], changed: [], missing: [], invented: [], scopedCount: 0, fullCount: 0, introducedCount: 0, everything: false, diff: '' };
  try {
    for (const [i, d] of draw.edits.entries()) {
      const what = await applyEdit(i, d);
      r.applied.push({ kind: d.kind, what: what ?? 'nothing to act on (skipped)', skipped: what === undefined });
    }
    const opts: ValidateOptions = { root, now: NOW, ...(draw.approved ? { approvedBy: [APPROVER] } : {}) };
    // Side by side: each waits on git for its BASE inputs while the other evaluates.
    const [scoped, full] = await Promise.all([validate({ ...opts, changedSince: base }), validate({ ...opts, policyRef: base })]);
    // What git reports changed, plus the manifests that are links to those files.
    r.changed = [...(scoped.impact?.files ?? [])].sort();
    const c = compare(scoped, full, before, r.changed);
    Object.assign(r, {
      missing: c.missing,
      invented: c.invented,
      scopedCount: scoped.report.findings.length,
      fullCount: full.report.findings.length,
      introducedCount: c.introduced.length,
      everything: widenChange(scoped.ecosystem, r.changed).everything,
    });
    if (c.missing.length > 0 || c.invented.length > 0) r.diff = diffAgainst(root, base);
  } catch (err) {
    r.error = (err as Error).stack ?? String(err);
    try {
      r.diff = diffAgainst(root, base);
    } catch {
      // the diff is only for the report
    }
  } finally {
    reset(root);
  }
  return r;
}

function report(r: RunResult): string {
  const cap = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}\n… (${s.length - n} more characters)` : s);
  return [
    `run ${r.index} (seed ${SEED}, approvedBy ${r.draw.approved ? APPROVER : 'nobody'}):`,
    ...r.applied.map((a, i) => `  edit ${i + 1} ${a.kind}: ${a.what}`),
    `  changed files (and links to them): ${r.changed.join(', ') || '(none)'}${r.everything ? ' (widened to everything)' : ''}`,
    `  findings: scoped ${r.scopedCount}, full ${r.fullCount}, introduced by the change ${r.introducedCount}`,
    ...(r.error ? [`  threw: ${r.error}`] : []),
    ...(r.missing.length ? ['  MISSING from the scoped run (full reports them, BASE did not):', ...r.missing.map((f) => `    ${show(f)}`)] : []),
    ...(r.invented.length ? ['  INVENTED by the scoped run (full does not report them):', ...r.invented.map((f) => `    ${show(f)}`)] : []),
    ...(r.diff ? ['  git diff BASE (untracked files as intent-to-add):', cap(r.diff, 6000).replace(/^/gm, '    | ')] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  cacheDir = tempDir('mnops-prscope-cache-');
  dirs.push(cacheDir);
  vi.stubEnv('MNOPS_NO_CACHE', '1');
  // Belt and braces: were the cache switch ignored, the cache would land here (checked below).
  vi.stubEnv('MNOPS_CACHE_DIR', path.join(cacheDir, 'cache'));
  ({ root, base } = await makeRepo());
  before = await validateBase(root, base);
  // Sanity: with no change the three runs agree, and the scoped run reports nothing.
  const full = await validate({ root, policyRef: base, now: NOW });
  expect(full.report.findings.map(key), 'the clean tree is its BASE').toEqual(before.report.findings.map(key));
  const scoped = await validate({ root, changedSince: base, now: NOW });
  expect(scoped.report.findings.map(show), 'no change, no scoped findings').toEqual([]);
  expect(scoped.judgedBy).toBe(base);
}, 120_000);

afterAll(() => {
  if (process.env.MNOPS_CACHE_DIR && cacheDir) expect(existsSync(process.env.MNOPS_CACHE_DIR), 'the parse cache must stay off').toBe(false);
  vi.unstubAllEnvs();
  for (const d of dirs) removeDir(d);
});

describe('validate --changed-since reports everything the change affects', () => {
  it(`holds for ${RUNS} random edits of the example (seed ${SEED})`, async () => {
    // 1–3 edits a run; the first one's kind goes round EDIT_KINDS, so each kind leads
    // RUNS / EDIT_KINDS.length runs whatever the seed, and appears in others at random.
    const draws: Draw[] = fc
      .sample(
        fc.record({
          first: fc.record({ a: fc.nat(), b: fc.nat(), c: fc.nat() }),
          rest: fc.array(fc.record({ kind: fc.constantFrom(...EDIT_KINDS), a: fc.nat(), b: fc.nat(), c: fc.nat() }), { maxLength: 2 }),
          approved: fc.boolean(),
        }),
        { seed: SEED, numRuns: RUNS },
      )
      .map((d, i) => ({ edits: [{ kind: EDIT_KINDS[i % EDIT_KINDS.length]!, ...d.first }, ...d.rest], approved: d.approved }));
    const t0 = performance.now();
    const results: RunResult[] = [];
    for (const [i, d] of draws.entries()) results.push(await run(i, d));
    const ms = performance.now() - t0;

    const failed = results.filter((r) => r.error || r.missing.length > 0 || r.invented.length > 0);
    const perKind = EDIT_KINDS.map((k) => {
      const applied = results.flatMap((r) => r.applied).filter((a) => a.kind === k && !a.skipped).length;
      const skipped = results.flatMap((r) => r.applied).filter((a) => a.kind === k && a.skipped).length;
      return { k, applied, skipped };
    });
    const withFindings = results.filter((r) => r.introducedCount > 0).length;
    const summary =
      `${RUNS} runs in ${Math.round(ms)} ms: ${failed.length} failed, ${withFindings} introduced findings; ` +
      `edits applied per kind: ${perKind.map((p) => `${p.k} ${p.applied}${p.skipped ? ` (+${p.skipped} skipped)` : ''}`).join(', ')}`;
    console.log(summary);

    expect(failed.length, `${summary}\n\nproperty violated (seed ${SEED}):\n${failed.map(report).join('\n\n')}`).toBe(0);
    // Not vacuous: each kind of edit ran several times, and most runs introduced findings.
    for (const p of perKind) expect(p.applied, `${summary}\n${p.k} applied too rarely`).toBeGreaterThanOrEqual(3);
    expect(withFindings, summary).toBeGreaterThanOrEqual(RUNS / 2);
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------
// Known bypasses, each with its own repository and BASE.

/** BASE's bundle, marked as built from the Rego it sits beside (the wasm is the project's build of the same sources). */
async function markBundleFresh(repo: string): Promise<void> {
  const file = path.join(repo, BUNDLE_DIR, META_FILE);
  const meta = JSON.parse(readFileSync(file, 'utf8')) as BundleMeta;
  writeFileSync(file, `${JSON.stringify({ ...meta, sourceHash: await sourceHash(repo) }, null, 2)}\n`);
}

/**
 * What `mnops policy build` writes, for a repository whose policies/ stand in for the built-ins
 * (the real command also compiles the package's copy, and two copies of one package do not
 * compile together).
 */
async function buildOwnBundle(repo: string): Promise<void> {
  const sources = (await sourceFiles(repo)).filter((f) => f.startsWith(path.join(repo, 'policies') + path.sep) && !f.endsWith('_test.rego'));
  const tmp = tempDir('mnops-prscope-opa-');
  try {
    const out = path.join(tmp, 'bundle.tar.gz');
    const r = await opa(['build', '-t', 'wasm', '--capabilities', CAPABILITIES(), ...BUILTIN_ENTRYPOINTS.flatMap((e) => ['-e', e]), '-o', out, ...sources], repo);
    expect(r.code, `opa build of the PR's own policies: ${r.stderr}`).toBe(0);
    await tar.x({ file: out, cwd: tmp, filter: (p) => p === '/policy.wasm' || p === 'policy.wasm' });
    const wasm = readFileSync(path.join(tmp, 'policy.wasm'));
    const meta: BundleMeta = {
      opaVersion: pinnedOpaVersion(),
      sourceHash: await sourceHash(repo),
      wasmSha256: createHash('sha256').update(wasm).digest('hex'),
      entrypoints: [...BUILTIN_ENTRYPOINTS],
      userPackages: [],
    };
    writeFileSync(path.join(repo, BUNDLE_DIR, WASM_FILE), wasm);
    writeFileSync(path.join(repo, BUNDLE_DIR, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  } finally {
    removeDir(tmp);
  }
}

describe('counterexamples found by the property', () => {
  const counterexamples: { name: string; found: string; edit: () => void; expectMissing: (f: Finding) => boolean }[] = [
    {
      // The example's PolicyException semantic-platform-dev-ceiling targets Platform/semantic-platform.
      // Deleting the platform leaves it pointing at nothing (ref.unknown in the exception's file,
      // kind PolicyException): the impact of a platform does not reach the exceptions naming it.
      name: 'deleting a platform a PolicyException targets',
      found: 'seed 20261201 run 16; seed 2 run 27',
      edit: () => rmSync(abs('platforms/semantic-platform/platform.yaml')),
      expectMissing: (f) => f.ruleId === 'ref.unknown' && f.kind === 'PolicyException',
    },
    {
      // runtime-platform provides engine and event-bus. A schema-invalid value takes the platform
      // out of the ecosystem, so its changed file names no manifest and nothing propagates: its
      // consumers' contracts.unsatisfied findings are dropped.
      name: 'a schema-invalid value in a platform that provides contracts',
      found: 'seed 1 run 26',
      edit: () => editYaml('platforms/runtime-platform/platform.yaml', (doc) => doc.setIn(['spec', 'resources', 'maxOpenFds'], -1)),
      expectMissing: (f) => f.ruleId === 'contracts.unsatisfied',
    },
    {
      // The same through a template: the platforms extending aws-http-service lose their template,
      // and their findings (resources.required, health.required, …) are dropped.
      name: 'a schema-invalid value in a template',
      found: 'seed 2 run 0',
      edit: () => editYaml('ecosystem/ecosystem-cloud/platform-templates/aws-http-service.yaml', (doc) => doc.setIn(['spec', 'resources', 'memoryMb'], -1)),
      expectMissing: (f) => f.name === 'infrastructure-platform',
    },
  ];

  for (const ce of counterexamples) {
    it(`counterexample: ${ce.name} (${ce.found})`, async () => {
      reset(root);
      try {
        ce.edit();
        const [scoped, full] = await Promise.all([validate({ root, changedSince: base, now: NOW }), validate({ root, policyRef: base, now: NOW })]);
        const changed = [...(scoped.impact?.files ?? [])];
        const c = compare(scoped, full, before, changed);
        const detail = `changed: ${changed.join(', ')}\nscoped:\n${scoped.report.findings.map(show).join('\n')}\nmissing from the scoped run:\n${c.missing.map(show).join('\n')}`;
        expect(c.introduced.some(ce.expectMissing), `the full run reports what the case is about\n${detail}`).toBe(true);
        expect(c.missing.length, detail).toBe(0);
        expect(c.invented.map(show)).toEqual([]);
      } finally {
        reset(root);
      }
    });
  }
});

describe('known bypasses of the PR scope', () => {
  it('a template that is a symlink: the PR edits only its target (common/tpl.yaml)', async () => {
    const TPL = 'ecosystem/platform-templates/http-service.yaml';
    const repo = await makeRepo((r) => {
      mkdirSync(path.join(r, 'common'));
      cpSync(path.join(r, TPL), path.join(r, 'common/tpl.yaml'));
      rmSync(path.join(r, TPL));
      symlinkSync('../../common/tpl.yaml', path.join(r, TPL));
    });
    const baseline = await validateBase(repo.root, repo.base);
    editYaml('common/tpl.yaml', (doc) => doc.setIn(['spec', 'resources', 'memoryMb'], 5000), repo.root);
    const changed = (await changedFilesSince(repo.root, repo.base)).changed;
    expect(changed, 'git reports only the target').toEqual(['common/tpl.yaml']);

    const scoped = await validate({ root: repo.root, changedSince: repo.base, now: NOW });
    const full = await validate({ root: repo.root, policyRef: repo.base, now: NOW });
    const c = compare(scoped, full, baseline, changed);
    const ceiling = c.introduced.filter((f) => f.ruleId === 'resources.ceiling');
    expect(ceiling.map(show), 'the full run sees the ceiling violation').toContainEqual(expect.stringContaining('registry-platform in dev exceeds the dev ceiling 4096'));
    expect(c.missing.map(show), `missing from the scoped run:\n${c.missing.map(show).join('\n')}`).toEqual([]);
    expect(c.invented.map(show)).toEqual([]);
    expect(scoped.report.findings.map(key)).toEqual(expect.arrayContaining(ceiling.map(key)));
  });

  it('a settings-only PR lowering a ceiling: verdict by BASE unchanged, the new findings listed as proposed', async () => {
    // A fresh bundle: a stale one makes the proposal an error instead (it could not say what the rules do).
    const repo = await makeRepo((r) => markBundleFresh(r));
    const baseline = await validateBase(repo.root, repo.base);
    editYaml(SETTINGS, (doc) => doc.setIn(['spec', 'tiers', 'dev', 'ceilings', 'memoryMb'], 512), repo.root);
    const scoped = await validate({ root: repo.root, changedSince: repo.base, now: NOW });
    const full = await validate({ root: repo.root, policyRef: repo.base, now: NOW });

    expect(scoped.judgedBy).toBe(repo.base);
    expect(scoped.report.judgedBy).toBe(repo.base);
    // BASE's ceilings judge: the same verdict as BASE's tree, reported in full (the rules changed).
    expect(scoped.report.findings.map(key).sort()).toEqual(baseline.report.findings.map(key).sort());
    expect(full.report.findings.map(key).sort()).toEqual(baseline.report.findings.map(key).sort());

    const proposed = scoped.report.proposedPolicyChange;
    expect(proposed, 'a settings change carries proposedPolicyChange').toBeDefined();
    expect(proposed!.error).toBeUndefined();
    expect(proposed!.cleared.map(show)).toEqual([]);
    const added = proposed!.added.map(show);
    // Platforms over 512 MB in dev: data-platform and runtime-platform (1024), automation- and
    // observability-platform (768); semantic-platform's 2048 stays waived by its exception.
    for (const p of ['data-platform', 'runtime-platform', 'automation-platform', 'observability-platform']) {
      expect(added, `proposed.added names ${p}`).toContainEqual(expect.stringContaining(`memoryMb`));
      expect(proposed!.added.some((f) => f.ruleId === 'resources.ceiling' && f.name === p && f.environment === 'dev'), `${p} in dev:\n${added.join('\n')}`).toBe(true);
    }
    expect(proposed!.added.every((f) => f.ruleId === 'resources.ceiling' && f.environment === 'dev'), added.join('\n')).toBe(true);
    expect(proposed!.added.some((f) => f.name === 'semantic-platform'), 'the waived platform stays waived').toBe(false);
  });

  describe('a policy-only PR: resources.rego stops firing for a ceiling violation BASE reports', () => {
    const RULE = 'policies/rules/resources.rego';
    const violation = (f: Finding) => f.ruleId === 'resources.ceiling' && f.name === 'data-platform' && f.environment === 'dev';
    let repo: { root: string; base: string };
    let baseline: ValidateOutcome;

    beforeAll(async () => {
      repo = await makeRepo(async (r) => {
        // BASE: data-platform asks for 5000 MB in dev (ceiling 4096), and BASE's bundle is fresh.
        editYaml('platforms/data-platform/platform.yaml', (doc) => doc.setIn(['spec', 'resources', 'memoryMb'], 5000), r);
        await markBundleFresh(r);
      });
      baseline = await validateBase(repo.root, repo.base);
      expect(baseline.report.findings.filter(violation).length, 'BASE reports the violation').toBe(1);
      expect(baseline.report.findings.map(show).filter((f) => f.includes('policy.bundle-stale')), 'BASE bundle is fresh').toEqual([]);
    }, 120_000);

    function stopFiring(): void {
      const file = path.join(repo.root, RULE);
      const text = readFileSync(file, 'utf8');
      const next = text.replace('\tvalue > ceiling\n', '\tvalue > ceiling * 2\n');
      expect(next, `the ceiling comparison in ${RULE}`).not.toBe(text);
      writeFileSync(file, next);
    }

    it('without rebuilding the bundle: BASE still judges, and the report says the bundle is stale', async () => {
      reset(repo.root);
      stopFiring();
      const scoped = await validate({ root: repo.root, changedSince: repo.base, now: NOW });
      expect(scoped.report.judgedBy).toBe(repo.base);
      expect(scoped.report.findings.filter(violation).map(show), 'BASE bundle still fires').toHaveLength(1);
      const proposed = scoped.report.proposedPolicyChange;
      expect(proposed, 'a policy change carries proposedPolicyChange').toBeDefined();
      // The PR's own bundle was not rebuilt from its Rego: a reviewer must be told, either by
      // the proposal's error or by a bundle-stale error in the report (it is not in BASE's).
      const stale = scoped.report.findings.filter((f) => f.ruleId === 'policy.bundle-stale' && f.severity === 'error');
      expect(proposed!.error !== undefined || stale.length > 0, `proposed: ${JSON.stringify(proposed)}\nfindings:\n${scoped.report.findings.map(show).join('\n')}`).toBe(true);
      reset(repo.root);
    });

    it('with the bundle rebuilt: BASE still judges, and the proposal clears the finding', async () => {
      reset(repo.root);
      stopFiring();
      await buildOwnBundle(repo.root);
      const changed = (await changedFilesSince(repo.root, repo.base)).changed;
      expect(changed).toEqual([`${BUNDLE_DIR}/${META_FILE}`, `${BUNDLE_DIR}/${WASM_FILE}`, RULE]);
      const scoped = await validate({ root: repo.root, changedSince: repo.base, now: NOW });
      expect(scoped.report.judgedBy).toBe(repo.base);
      expect(scoped.report.findings.filter(violation).map(show), 'BASE bundle still fires').toHaveLength(1);
      expect(scoped.report.findings.filter((f) => f.ruleId === 'policy.bundle-stale').map(show)).toEqual([]);
      const proposed = scoped.report.proposedPolicyChange;
      expect(proposed, 'a policy change carries proposedPolicyChange').toBeDefined();
      expect(proposed!.error).toBeUndefined();
      expect(proposed!.cleared.filter(violation).map(show), JSON.stringify(proposed, null, 1)).toHaveLength(1);
      expect(proposed!.added.map(show)).toEqual([]);
      reset(repo.root);
    }, 60_000);
  });
});
