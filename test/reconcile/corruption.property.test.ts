// Property: for random single-file corruptions of the example ecosystem, no command deletes
// or replaces anything. A copy of the example is "applied" synthetically (actual state =
// the clean desired state), one manifest file is corrupted (truncated, deleted, emptied, a
// hostile character inserted, a line deleted / duplicated / re-indented, a key misspelled,
// the kind mistyped), and for every docker / swarm environment the fail-closed declaration
// must either refuse (DeclarationError, exit 2) or plan nothing apply would take. Needs no
// Docker engine: plan and holdBack run against the synthetic actual state. Corruptions that
// leave the tree without any error finding are valid edits as far as anyone can tell: they
// are counted and skipped. A failure prints the operator, file, offset / line and the plan
// actions that apply would take, so it can be redone by hand.
import { randomBytes } from 'node:crypto';
import { existsSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordedSpec } from '../../tools/lib/provider/labels.js';
import type { ActualWorkload, DesiredWorkload } from '../../tools/lib/provider/types.js';
import { DeclarationError, environmentDeclaration, readDeclarations, type Declarations } from '../../tools/lib/reconcile/declaration.js';
import { DesiredStateError, desiredState } from '../../tools/lib/reconcile/desired.js';
import { holdBack } from '../../tools/lib/reconcile/hold.js';
import { pendingActions, plan, type Plan, type PlanAction } from '../../tools/lib/reconcile/plan.js';
import type { Tier } from '../../tools/lib/manifest/kinds.js';
import { FIXED_NOW, PROJECT_ROOT, addEphemeralEnvironments, git, removeDir, tempDir } from '../helpers/repo.js';

/** Fixed: a failure found once is found again, with the same file, offset and line. */
const SEED = 20261123;
const RUNS = 80;
const NOW = new Date(FIXED_NOW);
// No policies/ of its own: the built-in bundle judges, as for a repository that writes none.
const COPIED = ['ecosystem', 'platforms', 'registry', 'schemas'];
const MANIFEST_DIRS = ['ecosystem', 'platforms', 'registry'];
/** What the example's `from: env` secrets read (dummy values: they only feed digests). */
const SECRETS: Record<string, string> = {
  MNOPS_EXAMPLE_SIGNING_SECRET: 'dummy-example-signing-secret',
  MNOPS_WEBHOOK_SIGNATURE: 'dummy-webhook-signature',
  ACME_TENANT_ENCRYPTION_KEY: 'dummy-acme-tenant-key',
};
/** One digest key for the whole run, as the engine would keep it across runs. */
const DIGEST_KEY = randomBytes(32);
const SOURCE = (dir: string) => ({ env: SECRETS, root: dir, digestKey: () => Promise.resolve(DIGEST_KEY) });
const HOSTILE = ['{', '[', ':', '"', "'", '\t', '&', '*', '!', '%', '-', '\n '];
const OPS = ['truncate', 'delete-file', 'empty', 'insert-char', 'delete-line', 'duplicate-line', 'rename-key', 'kind-typo', 'reindent'] as const;
type Op = (typeof OPS)[number];
const CATEGORIES = ['instance', 'platform', 'template', 'environment', 'other'] as const;
type Category = (typeof CATEGORIES)[number];
const REFUSAL_NAMES_A_FILE = /\.ya?ml:\d+:\d+/;

/** One corruption, materialised: enough to redo it by hand. */
interface Corruption {
  op: Op;
  file: string;
  category: Category;
  /** Human-readable position and before → after, for the failure message. */
  where: string;
  /** The corrupted bytes; undefined: the file is deleted. */
  bytes?: Buffer;
}

interface EnvFailure {
  env: string;
  problem: string;
}

interface RunResult {
  corruption: Corruption;
  skipped: boolean;
  refused: string[];
  /** Passed the declaration, then desiredState refused (exit 2, nothing changes). */
  lateRefused: string[];
  failures: EnvFailure[];
  /** Held deletes in environments that were not refused (with --prune they would run). */
  heldDeletes: string[];
  errorRules: string[];
  /** The corrupted tree as the commands read it (in memory; the file is restored). */
  decl?: Declarations;
}

let root = '';
let cacheDir = '';
const clean = new Map<string, Buffer>();
const byCategory = new Map<Category, string[]>();
/** Docker / swarm environments of the clean tree, with their synthetic applied state. */
const targets: { env: string; actual: ActualWorkload[]; admitted: Map<string, string> }[] = [];

function listManifests(dir: string): string[] {
  const out: string[] = [];
  for (const d of MANIFEST_DIRS) {
    for (const rel of readdirSync(path.join(dir, d), { recursive: true, encoding: 'utf8' })) {
      if (/\.ya?ml$/i.test(rel)) out.push(path.posix.join(d, rel.split(path.sep).join('/')));
    }
  }
  return out.sort();
}

function classify(text: string): Category {
  const kind = /^kind:\s*(\S+)/m.exec(text)?.[1];
  if (kind === 'PlatformInstance') return 'instance';
  if (kind === 'Platform') return 'platform';
  if (kind === 'PlatformTemplate') return 'template';
  if (kind === 'Environment') return 'environment';
  return 'other';
}

function appliedState(d: DesiredWorkload): ActualWorkload {
  return {
    id: d.platform,
    platform: d.platform,
    environment: d.environment,
    version: d.version,
    specHash: d.specHash,
    running: d.replicas,
    replicas: d.replicas,
    healthy: true,
    spec: recordedSpec(d),
    generations: [{ version: d.version, specHash: d.specHash, instances: [], running: d.replicas, healthy: true }],
  };
}

// ---------------------------------------------------------------------------------------------
// Corruption operators. Each takes the clean bytes and a few random numbers and returns the
// corrupted bytes plus a description precise enough to redo it by hand.

interface Draw {
  op: Op;
  category: Category;
  fileSeed: number;
  pos: number;
  pick: number;
}

/** Lines of a text, without the empty string after a final newline. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function joinLines(lines: string[], original: string): Buffer {
  return Buffer.from(lines.join('\n') + (original.endsWith('\n') ? '\n' : ''), 'utf8');
}

/** 1-based line:column of a byte offset. */
function lineCol(bytes: Buffer, offset: number): string {
  const before = bytes.subarray(0, offset).toString('utf8').split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

const show = (s: string) => JSON.stringify(s);

function misspell(word: string, pick: number): string {
  switch (pick % 3) {
    case 0:
      return `${word}x`;
    case 1:
      return word.length > 1 ? word.slice(0, -1) : `${word}x`;
    default:
      // Two letters swapped.
      return word.length > 2 ? `${word.slice(0, 1)}${word.slice(2, 3)}${word.slice(1, 2)}${word.slice(3)}` : `${word}${word}`;
  }
}

function corrupt(file: string, category: Category, bytes: Buffer, d: Pick<Draw, 'op' | 'pos' | 'pick'>): Corruption {
  const text = bytes.toString('utf8');
  const lines = linesOf(text);
  const base = { op: d.op, file, category };
  switch (d.op) {
    case 'truncate': {
      const at = d.pos % bytes.length;
      return { ...base, where: `truncated at byte ${at} (line ${lineCol(bytes, at)}) of ${bytes.length}`, bytes: bytes.subarray(0, at) };
    }
    case 'delete-file':
      return { ...base, where: 'file deleted' };
    case 'empty':
      return { ...base, where: 'file emptied', bytes: Buffer.alloc(0) };
    case 'insert-char': {
      const ch = HOSTILE[d.pick % HOSTILE.length]!;
      const at = d.pos % (bytes.length + 1);
      return {
        ...base,
        where: `inserted ${show(ch)} at byte ${at} (line ${lineCol(bytes, at)})`,
        bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from(ch, 'utf8'), bytes.subarray(at)]),
      };
    }
    case 'delete-line': {
      const i = d.pos % lines.length;
      const next = [...lines.slice(0, i), ...lines.slice(i + 1)];
      return { ...base, where: `deleted line ${i + 1} ${show(lines[i]!)}`, bytes: joinLines(next, text) };
    }
    case 'duplicate-line': {
      const i = d.pos % lines.length;
      const next = [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)];
      return { ...base, where: `duplicated line ${i + 1} ${show(lines[i]!)}`, bytes: joinLines(next, text) };
    }
    case 'rename-key': {
      const keyLine = /^(\s*(?:-\s+)?)([A-Za-z_$][\w$.-]*)(\s*:(?:\s|$))/;
      const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => keyLine.test(l));
      if (candidates.length === 0) return corrupt(file, category, bytes, { ...d, op: 'delete-line' });
      const [line, i] = candidates[d.pos % candidates.length]!;
      const m = keyLine.exec(line)!;
      const renamed = line.replace(keyLine, `${m[1]}${misspell(m[2]!, d.pick)}${m[3]}`);
      const next = [...lines];
      next[i] = renamed;
      return { ...base, where: `line ${i + 1}: ${show(line)} → ${show(renamed)}`, bytes: joinLines(next, text) };
    }
    case 'kind-typo': {
      const kindLine = /^(kind:\s*)(\S+)(.*)$/;
      const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => kindLine.test(l));
      if (candidates.length === 0) return corrupt(file, category, bytes, { ...d, op: 'rename-key' });
      const [line, i] = candidates[d.pos % candidates.length]!;
      const m = kindLine.exec(line)!;
      const typo = d.pick % 4 === 3 ? m[2]!.toLowerCase() : misspell(m[2]!, d.pick);
      const next = [...lines];
      next[i] = `${m[1]}${typo}${m[3]}`;
      return { ...base, where: `line ${i + 1}: ${show(line)} → ${show(next[i])}`, bytes: joinLines(next, text) };
    }
    case 'reindent': {
      const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => l.trim() !== '');
      const [line, i] = candidates[d.pos % candidates.length]!;
      const outdent = d.pick % 2 === 1 && line.startsWith(' ');
      const next = [...lines];
      next[i] = outdent ? line.slice(1) : ` ${line}`;
      return { ...base, where: `line ${i + 1}: ${show(line)} → ${show(next[i])} (${outdent ? 'one space less' : 'one space more'})`, bytes: joinLines(next, text) };
    }
  }
}

function materialise(d: Draw): Corruption {
  const files = byCategory.get(d.category)!;
  const file = files[d.fileSeed % files.length]!;
  return corrupt(file, d.category, clean.get(file)!, d);
}

// ---------------------------------------------------------------------------------------------
// The property, for one corruption.

function describeAction(a: PlanAction): string {
  const changes = a.changes
    .slice(0, 6)
    .map((c) => `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)
    .join('; ');
  const more = a.changes.length > 6 ? ` (+${a.changes.length - 6} more)` : '';
  return `${a.kind} ${a.platform}${a.held ? ` [held: ${a.held}]` : ''}${changes ? ` {${changes}${more}}` : ''}`;
}

async function judge(decl: Declarations, env: string, actual: ActualWorkload[], admitted: Map<string, string>, r: RunResult): Promise<void> {
  let tier: Tier;
  try {
    tier = environmentDeclaration(decl, env).tier;
  } catch (err) {
    if (err instanceof DeclarationError) {
      r.refused.push(env);
      if (!REFUSAL_NAMES_A_FILE.test(err.message) && !err.message.includes('has no PlatformInstance')) {
        r.failures.push({ env, problem: `refused, but the message names no file:line:column: ${err.message}` });
      }
      return;
    }
    r.failures.push({ env, problem: `environmentDeclaration crashed (not a DeclarationError): ${(err as Error).stack ?? String(err)}` });
    return;
  }
  let p: Plan;
  try {
    const desired = await desiredState(decl.ecosystem, env, SOURCE(root));
    // The gate admitted what was applied: a spec change under an admitted version is not held
    // by the gate, so staging and prod are judged as strictly as dev.
    p = holdBack(plan(env, desired, actual), { tier, environment: env, admitted });
  } catch (err) {
    if (err instanceof DesiredStateError) {
      r.lateRefused.push(`${env}: ${err.message}`);
      return;
    }
    r.failures.push({ env, problem: `desiredState / plan / holdBack crashed: ${(err as Error).stack ?? String(err)}` });
    return;
  }
  const pending = pendingActions(p);
  const unheldDeletes = p.actions.filter((a) => a.kind === 'delete' && !a.held);
  if (pending.length > 0 || unheldDeletes.length > 0) {
    r.failures.push({
      env,
      problem: `not refused, and apply would take ${pending.length} action(s): ${pending.map(describeAction).join(' | ')}`,
    });
  }
  for (const a of p.actions) if (a.kind === 'delete' && a.held) r.heldDeletes.push(`${env}: ${describeAction(a)}`);
}

async function run(c: Corruption): Promise<RunResult> {
  const abs = path.join(root, c.file);
  const r: RunResult = { corruption: c, skipped: false, refused: [], lateRefused: [], failures: [], heldDeletes: [], errorRules: [] };
  try {
    if (c.bytes === undefined) rmSync(abs);
    else writeFileSync(abs, c.bytes);
    let decl: Declarations;
    try {
      decl = await readDeclarations(root, { now: NOW });
    } catch (err) {
      r.failures.push({ env: '*', problem: `readDeclarations threw: ${(err as Error).stack ?? String(err)}` });
      return r;
    }
    r.decl = decl;
    r.errorRules = [...new Set(decl.errors.map((f) => `${f.ruleId}@${f.file}:${f.line}`))];
    if (decl.errors.length === 0) {
      // A valid edit (a comment line, an optional field): not a corruption the property is about.
      r.skipped = true;
      return r;
    }
    for (const t of targets) await judge(decl, t.env, t.actual, t.admitted, r);
    return r;
  } finally {
    writeFileSync(abs, clean.get(c.file)!);
  }
}

function report(r: RunResult): string {
  const c = r.corruption;
  return [
    `${c.op} ${c.file} (${c.category}): ${c.where}`,
    `  errors: ${r.errorRules.slice(0, 5).join(', ')}${r.errorRules.length > 5 ? ', …' : ''}`,
    ...r.failures.map((f) => `  ${f.env}: ${f.problem}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  cacheDir = tempDir('mnops-corrupt-cache-');
  vi.stubEnv('MNOPS_NO_CACHE', '1');
  // Belt and braces: were the cache switch ignored, the cache would land here (checked below).
  vi.stubEnv('MNOPS_CACHE_DIR', path.join(cacheDir, 'cache'));
  root = tempDir('mnops-corrupt-');
  for (const d of COPIED) cpSync(path.join(PROJECT_ROOT, d), path.join(root, d), { recursive: true });
  addEphemeralEnvironments(root);
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'example ecosystem');

  for (const file of listManifests(root)) {
    const bytes = readFileSync(path.join(root, file));
    clean.set(file, bytes);
    const cat = classify(bytes.toString('utf8'));
    byCategory.set(cat, [...(byCategory.get(cat) ?? []), file]);
  }

  const decl = await readDeclarations(root, { now: NOW });
  expect(decl.errors, 'the clean example must validate').toEqual([]);
  const eco = decl.ecosystem;
  for (const [env, e] of eco.environments) {
    const provider = eco.adapters.get(e.manifest.spec.adapter)?.manifest.spec.provider;
    if (provider !== 'docker' && provider !== 'swarm') continue;
    const d = environmentDeclaration(decl, env);
    const desired = await desiredState(eco, env, SOURCE(root));
    const actual = desired.map(appliedState);
    const admitted = new Map(desired.map((w) => [w.platform, w.version]));
    // Sanity: the synthetic applied state plans nothing at all.
    const p = holdBack(plan(env, desired, actual), { tier: d.tier, environment: env, admitted });
    expect(p.actions.every((a) => a.kind === 'noop'), `${env}: clean tree against its own applied state`).toBe(true);
    targets.push({ env, actual, admitted });
  }
  expect(targets.map((t) => t.env).sort()).toEqual(['dev', 'preview-pr-42', 'prod', 'sandbox-feature-x', 'staging']);
  for (const cat of CATEGORIES) expect(byCategory.get(cat)?.length ?? 0, `example files of category ${cat}`).toBeGreaterThan(0);
}, 120_000);

afterAll(() => {
  if (process.env.MNOPS_CACHE_DIR && cacheDir) expect(existsSync(process.env.MNOPS_CACHE_DIR), 'the parse cache must stay off').toBe(false);
  vi.unstubAllEnvs();
  if (root) removeDir(root);
  if (cacheDir) removeDir(cacheDir);
});

describe('single-file corruptions of the example ecosystem never delete or replace anything', () => {
  const DEV_INSTANCE = 'ecosystem/platform-cloud/dev/platform.yaml';

  /** Deterministic draws against the dev instance; positions found by content, not by number. */
  const devCases: { op: Op; draw: (text: string, lines: string[]) => { pos: number; pick: number } }[] = [
    // Mid-name: the list ends with "- name: regis", a platform that does not exist.
    { op: 'truncate', draw: (text) => ({ pos: Buffer.byteLength(text.slice(0, text.indexOf('registry-platform') + 5)), pick: 0 }) },
    { op: 'delete-file', draw: () => ({ pos: 0, pick: 0 }) },
    { op: 'empty', draw: () => ({ pos: 0, pick: 0 }) },
    // "  {platforms:": an unclosed flow mapping.
    { op: 'insert-char', draw: (text) => ({ pos: Buffer.byteLength(text.slice(0, text.indexOf('platforms:'))), pick: HOSTILE.indexOf('{') }) },
    // Drops "- name: security-platform": two versions in one entry.
    { op: 'delete-line', draw: (_t, lines) => ({ pos: lines.indexOf('    - name: security-platform'), pick: 0 }) },
    { op: 'duplicate-line', draw: (_t, lines) => ({ pos: lines.indexOf('      version: 2.3.0'), pick: 0 }) },
    // "environment:" → "environmentx:".
    { op: 'rename-key', draw: (_t, lines) => ({ pos: lines.filter((l) => /^(\s*(?:-\s+)?)([A-Za-z_$][\w$.-]*)(\s*:(?:\s|$))/.test(l)).indexOf('  environment: dev'), pick: 0 }) },
    { op: 'kind-typo', draw: () => ({ pos: 0, pick: 0 }) },
    { op: 'reindent', draw: (_t, lines) => ({ pos: lines.filter((l) => l.trim() !== '').indexOf('      version: 1.8.0'), pick: 0 }) },
  ];

  it('covers every operator with a deterministic case', () => {
    expect(devCases.map((c) => c.op).sort()).toEqual([...OPS].sort());
  });

  for (const dc of devCases) {
    it(`refuses dev after ${dc.op} of its instance`, async () => {
      const bytes = clean.get(DEV_INSTANCE)!;
      const text = bytes.toString('utf8');
      const { pos, pick } = dc.draw(text, linesOf(text));
      expect(pos, `${dc.op}: anchor not found in ${DEV_INSTANCE}`).toBeGreaterThanOrEqual(0);
      const c = corrupt(DEV_INSTANCE, 'instance', bytes, { op: dc.op, pos, pick });
      const r = await run(c);
      expect(r.failures.length, report(r)).toBe(0);
      // Whether or not validation reported anything (a deleted or emptied instance may not be a
      // finding), dev's declaration must refuse, naming the file.
      let refusal: unknown;
      try {
        environmentDeclaration(r.decl!, 'dev');
      } catch (err) {
        refusal = err;
      }
      expect(refusal, `${c.op}: ${c.where}: dev was not refused`).toBeInstanceOf(DeclarationError);
      expect((refusal as Error).message).toMatch(/has no PlatformInstance|\.ya?ml:\d+:\d+/);
      if (r.skipped) return;
      expect(r.refused, `${c.op}: ${c.where}\n${report(r)}`).toContain('dev');
    });
  }

  // Found by truncating / deleting every line of every platform and template file in turn
  // (the random runs above rarely land exactly on a line boundary). Each leaves a file that
  // parses and passes the schema on its own; the only errors are policy findings judged for
  // *other* environments, so the environments the file also feeds are not refused and would
  // be replaced with the half-file's spec.
  const counterexamples: { name: string; file: string; category: Category; op: Op; at: (text: string, lines: string[]) => number }[] = [
    {
      name: 'base-service template cut before "  network:" (drops network, sandbox and healthCheck)',
      file: 'ecosystem/platform-templates/base-service.yaml',
      category: 'template',
      op: 'truncate',
      at: (text) => Buffer.byteLength(text.slice(0, text.indexOf('\n  network:') + 1)),
    },
    {
      name: 'registry-platform cut after its image line',
      file: 'platforms/registry-platform/platform.yaml',
      category: 'platform',
      op: 'truncate',
      at: (text) => Buffer.byteLength(text.slice(0, text.indexOf('\n', text.indexOf('  image:')) + 1)),
    },
    {
      name: 'data-platform without its "extends: batch-worker" line',
      file: 'platforms/data-platform/platform.yaml',
      category: 'platform',
      op: 'delete-line',
      at: (_t, lines) => lines.indexOf('  extends: batch-worker'),
    },
    {
      name: 'observability-platform without its "extends: http-service" line',
      file: 'platforms/observability-platform/platform.yaml',
      category: 'platform',
      op: 'delete-line',
      at: (_t, lines) => lines.indexOf('  extends: http-service'),
    },
  ];

  for (const ce of counterexamples) {
    it(`counterexample: ${ce.name}`, async () => {
      const bytes = clean.get(ce.file)!;
      const text = bytes.toString('utf8');
      const pos = ce.at(text, linesOf(text));
      expect(pos, `${ce.name}: anchor not found in ${ce.file}`).toBeGreaterThan(0);
      const r = await run(corrupt(ce.file, ce.category, bytes, { op: ce.op, pos, pick: 0 }));
      expect(r.skipped, `${ce.name}: the corrupted tree must have errors`).toBe(false);
      expect(r.failures.length, `property violated:\n${report(r)}`).toBe(0);
    });
  }

  it(`holds for ${RUNS} random corruptions (seed ${SEED})`, async () => {
    const draws = fc.sample(
      fc.record({
        op: fc.constantFrom(...OPS),
        category: fc.constantFrom(...CATEGORIES),
        fileSeed: fc.nat(),
        pos: fc.nat(),
        pick: fc.nat(),
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const t0 = performance.now();
    const results: RunResult[] = [];
    for (const d of draws) results.push(await run(materialise(d)));
    const ms = performance.now() - t0;

    const failed = results.filter((r) => r.failures.length > 0);
    const skipped = results.filter((r) => r.skipped);
    const refused = results.filter((r) => !r.skipped && r.failures.length === 0 && r.refused.length > 0);
    const unaffected = results.filter((r) => !r.skipped && r.failures.length === 0 && r.refused.length === 0);
    const late = results.filter((r) => r.lateRefused.length > 0);
    const held = results.filter((r) => r.heldDeletes.length > 0);
    const refusedCategories = new Set(results.filter((r) => r.refused.length > 0).map((r) => r.corruption.category));
    const summary =
      `${RUNS} runs in ${Math.round(ms)} ms: ${refused.length} refused (≥1 environment), ${unaffected.length} unaffected (errors, no environment refused, nothing to apply), ` +
      `${skipped.length} skipped (valid edit), ${failed.length} failed; ${late.length} with a desiredState refusal, ${held.length} with held deletes; ` +
      `refused per category: ${CATEGORIES.map((cat) => `${cat} ${results.filter((r) => r.corruption.category === cat && r.refused.length > 0).length}`).join(', ')}`;
    console.log(summary);
    for (const r of late) console.log(`desiredState refusal after ${r.corruption.op} ${r.corruption.file} (${r.corruption.where}): ${r.lateRefused.join('; ')}`);
    for (const r of held) console.log(`held deletes after ${r.corruption.op} ${r.corruption.file} (${r.corruption.where}): ${r.heldDeletes.join('; ')}`);

    expect(failed.length, `${summary}\n\nproperty violated (seed ${SEED}):\n${failed.map(report).join('\n\n')}`).toBe(0);
    // Not vacuous: most runs were real corruptions, and each kind of file was refused at least once.
    expect(RUNS - skipped.length, summary).toBeGreaterThanOrEqual(RUNS / 2);
    for (const cat of ['instance', 'platform', 'template'] as const) expect(refusedCategories.has(cat), `${summary}\nno ${cat} corruption was refused`).toBe(true);
  }, 120_000);
});
