// `npm run bench`: the figures of README's "Benchmarks and their bars" on synthetic ecosystems of 1,000, 10,000 and
// 50,000 manifests (BENCH_SIZES=1000,10000 overrides). It prints figures next to their bars and
// asserts nothing: it exits 0 unless it crashed. BENCH_JSON=1 (or --json) prints one JSON
// document on stdout instead of the table; progress always goes to stderr.
// BENCH_SECTIONS=audit (a comma-separated list of section names) runs only those sections;
// no ecosystem is generated when none of them needs one.
//
// Each section is a function from a prepared workspace (a generated, committed ecosystem
// and its parse floor) to rows of metrics, or — when it does not measure the ecosystem,
// like the audit trail — a function run once in a folder of its own; later sections
// (drift, apply) are one more entry in SECTIONS.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { discoverManifestFiles } from '../tools/lib/repo/paths.js';
import type { Finding } from '../tools/lib/report/finding.js';
import { formatPhases } from '../tools/lib/ecosystem-load/phases.js';
import { validate, type ValidateOptions, type ValidateOutcome } from '../tools/lib/validate/validate.js';
import { auditSection } from './audit.js';
import { applySection } from './apply.js';
import { conftestSection } from './conftest.js';
import { driftSection } from './drift.js';
import { hostileSection } from './hostile.js';
import { generateEcosystem, touchFiles, type SyntheticSummary } from './synthetic.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../tools/mnops.js');
const RSS_WRAPPER = path.join(HERE, 'max-rss.js');
const GNU_TIME = '/usr/bin/time';

// ---------------------------------------------------------------------------------------
// The model: workspaces in, rows of metrics out.

export interface Workspace {
  size: number;
  /** The generated repository (git, one commit until a section adds more). */
  root: string;
  summary: SyntheticSummary;
  /** Repo-relative manifest files. */
  files: string[];
  /** One thread reading and parsing every file with `yaml`: the "floor" the validate bars are measured against. */
  floor: { ms: number; perFileMs: number };
  /** Runs of the expensive measurements (floor, cold) at this size. */
  heavyReps: number;
  /** Runs of the cheap ones (warm, PR). */
  lightReps: number;
  /** A fresh empty folder, removed with the workspace. */
  scratch(label: string): string;
}

export interface Metric {
  /** Stable key for JSON output. */
  key: string;
  /** Column header. */
  label: string;
  value: number;
  unit: 'ms' | 'MB' | '';
  /** Shown in parentheses after the value, e.g. per-file cost. */
  detail?: string;
  /** value / floor, when the bar is relative to the floor. */
  ratio?: number;
  bar?: { limit: string; ok: boolean };
}

export interface Row {
  size: number;
  metrics: Metric[];
  /** Anything that makes the figures suspect (findings in a synthetic set, a failed child). */
  notes?: string[];
}

export interface Section {
  name: string;
  title: string;
  /** The bars this section's metrics are marked against, one line each. */
  bars: string[];
  /** Once per ecosystem size, on that size's workspace. */
  run?: (ws: Workspace) => Promise<Row[]>;
  /** Once per bench, in an empty folder of its own, for sections that do not use the ecosystem. */
  runOnce?: (dir: string) => Promise<Row[]>;
}

// ---------------------------------------------------------------------------------------
// Measuring.

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** The lower median: with two runs, the faster one. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  gc();
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function measureFloor(root: string, files: string[]): number {
  gc();
  let sink = 0;
  const t0 = performance.now();
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const doc = parseDocument(text, { lineCounter: new LineCounter() });
    sink += doc.errors.length;
  }
  const ms = performance.now() - t0;
  if (sink < 0) console.error(sink); // keeps the parse observable
  return ms;
}

function ratioMetric(key: string, label: string, ms: number, floorMs: number, limit: number): Metric {
  const ratio = ms / floorMs;
  return { key, label, value: ms, unit: 'ms', ratio, bar: { limit: `≤ ${limit.toFixed(1)}×`, ok: ratio <= limit } };
}

function findingNotes(what: string, outcome: ValidateOutcome): string[] {
  const { summary, findings } = outcome.report;
  if (findings.length === 0) return [];
  const first = findings.slice(0, 3).map((f: Finding) => `    ${f.file}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.message}`);
  return [
    `${what}: the synthetic ecosystem has ${summary.errors} errors, ${summary.warnings} warnings, ${summary.notes} notes — figures are not representative`,
    ...first,
  ];
}

/** Peak RSS (MB) of `mnops validate --no-cache` in a child process, and its wall time. */
function childPeakRss(root: string): { mb: number; ms: number; method: string; note?: string } {
  const args = [CLI, 'validate', '--root', root, '--format', 'json', '--no-cache'];
  const rssFile = path.join(os.tmpdir(), `mnops-bench-rss-${process.pid}-${Date.now()}`);
  const useGnuTime = existsSync(GNU_TIME) && process.env.BENCH_RSS !== 'wrapper';
  const [cmd, cmdArgs] = useGnuTime
    ? [GNU_TIME, ['-f', '%M', '-o', rssFile, process.execPath, ...args]]
    : [process.execPath, [RSS_WRAPPER, ...args]];
  const t0 = performance.now();
  const r = spawnSync(cmd, cmdArgs, {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', BENCH_RSS_FILE: rssFile },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 900_000,
  });
  const ms = performance.now() - t0;
  let kb = NaN;
  try {
    // GNU time may prefix a "Command exited with non-zero status" line: take the last number.
    const nums = readFileSync(rssFile, 'utf8').trim().split(/\s+/).map(Number).filter(Number.isFinite);
    kb = nums[nums.length - 1] ?? NaN;
  } catch {
    // reported below
  } finally {
    rmSync(rssFile, { force: true });
  }
  const note =
    r.status === 0
      ? undefined
      : `peak RSS child exited ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 3).join(' | ')}`;
  return { mb: kb / 1024, ms, method: useGnuTime ? 'GNU time %M' : 'process.resourceUsage().maxRSS', note };
}

// ---------------------------------------------------------------------------------------
// Sections.

const WARM_CHANGED = 5;
const SLOW_MS = 15_000;

/** The 10k row's cold cost per file, which larger sizes are compared with (sizes run in ascending order). */
let perFileAt10k: number | undefined;
const SCALE_REFERENCE = 10_000;

const validateSection: Section = {
  name: 'validate',
  title: 'validate (what `mnops validate` runs: schema, references, policies; cold = empty parse cache, warm/PR = 5 files changed)',
  bars: [
    'cold ≤ 0.6× floor',
    `warm ≤ 0.1× floor (${WARM_CHANGED} files changed)`,
    `PR ≤ 0.1× floor (--changed-since HEAD~1, ${WARM_CHANGED} files)`,
    'peak RSS ≤ 300 MB (< 1 GB above 10k)',
    'cold per file above 10k ≤ 1.25× the 10k figure',
  ],
  async run(ws) {
    const { root, floor } = ws;
    const notes: string[] = [];
    const phases: Record<string, { ms: number; text: string }[]> = {};
    const run = async (label: string, options: Omit<ValidateOptions, 'root'>) => {
      const r = await timed(() => validate({ root, ...options }));
      const s = r.value.stats;
      (phases[label] ??= []).push({ ms: r.ms, text: formatPhases(s.phases) });
      progress(`  ${label}: ${fmtMs(r.ms)} ms (files ${s.files}, parsed ${s.parsed}, cached ${s.cached}, findings ${r.value.report.findings.length}) — ${formatPhases(s.phases)}`);
      return r;
    };

    // Cold: every run starts from an empty cache; the last one's cache seeds the warm runs.
    // A run slower than SLOW_MS is not repeated: the figure is far from its bar anyway,
    // and repeats would push the bench past its few minutes.
    const cold: number[] = [];
    let seeded = '';
    let lightReps = ws.lightReps;
    for (let i = 0; i < ws.heavyReps; i++) {
      seeded = ws.scratch('cache-cold');
      const r = await run('cold', { cacheDir: seeded });
      cold.push(r.ms);
      if (i === 0) notes.push(...findingNotes('cold validate', r.value));
      if (r.ms > SLOW_MS) {
        lightReps = 1;
        notes.push(`cold validate took ${fmtMs(r.ms)} ms (> ${fmtMs(SLOW_MS)} ms): one run of each measurement, not ${ws.heavyReps}/${ws.lightReps}`);
        break;
      }
    }

    // A change of 5 files on a second commit; the cache still reflects the first.
    touchFiles(root, WARM_CHANGED);
    const fromSeed = (label: string) => {
      const dir = ws.scratch(label);
      cpSync(seeded, dir, { recursive: true });
      return dir;
    };
    const warm: number[] = [];
    const pr: number[] = [];
    for (let i = 0; i < lightReps; i++) warm.push((await run('warm', { cacheDir: fromSeed('cache-warm') })).ms);
    for (let i = 0; i < lightReps; i++) {
      const r = await run('PR', { cacheDir: fromSeed('cache-pr'), changedSince: 'HEAD~1' });
      pr.push(r.ms);
      if (i === 0) notes.push(...findingNotes('PR validate', r.value));
    }

    progress('  peak RSS: cold CLI validate in a child process');
    const rss = childPeakRss(root);
    progress(`  peak RSS: ${rss.mb.toFixed(0)} MB (${rss.method}; child wall ${fmtMs(rss.ms)} ms)`);
    if (rss.note) notes.push(rss.note);

    // Where the median run of each kind spent its time.
    for (const [label, list] of Object.entries(phases)) {
      const mid = [...list].sort((a, b) => a.ms - b.ms)[Math.floor((list.length - 1) / 2)]!;
      notes.push(`${label} phases (ms): ${mid.text}`);
    }
    const coldMs = median(cold);
    const perFile = coldMs / ws.files.length;
    if (ws.size === SCALE_REFERENCE) perFileAt10k = perFile;
    const rssLimit = ws.size > SCALE_REFERENCE ? 1024 : 300;
    const scaling: Metric[] =
      ws.size > SCALE_REFERENCE && perFileAt10k !== undefined
        ? [{ key: 'perFileVs10k', label: 'cold/file vs 10k', value: perFile / perFileAt10k, unit: '', detail: `${perFile.toFixed(3)} ms/file`, bar: { limit: '≤ 1.25×', ok: perFile / perFileAt10k <= 1.25 } }]
        : [];
    return [
      {
        size: ws.size,
        metrics: [
          { key: 'floorMs', label: 'floor ms', value: floor.ms, unit: 'ms', detail: `${floor.perFileMs.toFixed(3)}/file` },
          ratioMetric('coldMs', 'cold ms (×floor)', coldMs, floor.ms, 0.6),
          ratioMetric('warmMs', 'warm ms (×floor)', median(warm), floor.ms, 0.1),
          ratioMetric('prMs', 'PR ms (×floor)', median(pr), floor.ms, 0.1),
          { key: 'peakRssMb', label: 'peak RSS MB', value: rss.mb, unit: 'MB', bar: { limit: `≤ ${rssLimit}`, ok: rss.mb <= rssLimit } },
          ...scaling,
        ],
        notes,
      },
    ];
  },
};

export const SECTIONS: Section[] = [validateSection, conftestSection, auditSection, applySection, driftSection, hostileSection];

// ---------------------------------------------------------------------------------------
// Output.

function fmtMs(ms: number): string {
  return ms >= 100 ? Math.round(ms).toLocaleString('en-US') : ms.toFixed(1);
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface Cell {
  value: string;
  detail: string;
  mark: string;
}

function cellOf(m: Metric | undefined): Cell {
  if (!m) return { value: '—', detail: '', mark: '' };
  const digits = m.unit === '' && Math.abs(m.value) < 10 ? 2 : 0; // ratios keep their decimals
  const value = m.unit !== 'ms' ? (Number.isFinite(m.value) ? m.value.toFixed(digits) : '?') : fmtMs(m.value);
  const detail = m.ratio !== undefined ? `(${m.ratio.toFixed(2)}×)` : m.detail ? `(${m.detail})` : '';
  const mark = m.bar ? (m.bar.ok ? 'ok' : 'over') : '';
  return { value, detail, mark };
}

/** One table per section: a line per row, a column per metric; value, detail and mark each aligned. */
export function renderTable(section: Section, rows: Row[]): string {
  const labels: string[] = [];
  for (const row of rows) for (const m of row.metrics) if (!labels.includes(m.label)) labels.push(m.label);
  const grid = rows.map((row) => labels.map((l) => cellOf(row.metrics.find((m) => m.label === l))));
  const sizes = rows.map((r) => r.size.toLocaleString('en-US'));
  const widths = labels.map((_, c) => {
    const cells = grid.map((g) => g[c]!);
    return {
      value: Math.max(0, ...cells.map((x) => x.value.length)),
      detail: Math.max(0, ...cells.map((x) => x.detail.length)),
      mark: Math.max(0, ...cells.map((x) => x.mark.length)),
    };
  });
  const render = (x: Cell, w: { value: number; detail: number; mark: number }) =>
    [x.value.padStart(w.value), w.detail ? x.detail.padEnd(w.detail) : '', w.mark ? x.mark.padEnd(w.mark) : ''].filter((s, i) => i === 0 || s !== '').join(' ');
  const colWidth = labels.map((l, c) => {
    const w = widths[c]!;
    const inner = w.value + (w.detail ? w.detail + 1 : 0) + (w.mark ? w.mark + 1 : 0);
    return Math.max(l.length, inner);
  });
  const sizeWidth = Math.max(4, ...sizes.map((s) => s.length));
  const lines = [
    section.title,
    ['size'.padEnd(sizeWidth), ...labels.map((l, c) => l.padEnd(colWidth[c]!))].join(' | '),
    ['-'.repeat(sizeWidth), ...colWidth.map((w) => '-'.repeat(w))].join('-+-'),
    ...grid.map((cells, r) => [sizes[r]!.padStart(sizeWidth), ...cells.map((x, c) => render(x, widths[c]!).padEnd(colWidth[c]!))].join(' | ')),
    `bars: ${section.bars.join(' · ')}`,
  ];
  for (const row of rows) for (const n of row.notes ?? []) lines.push(`note (${row.size.toLocaleString('en-US')}): ${n}`);
  return lines.map((l) => l.trimEnd()).join('\n');
}

// ---------------------------------------------------------------------------------------
// Driver.

function parseSizes(): number[] {
  const raw = process.env.BENCH_SIZES ?? '1000,10000,50000';
  const sizes = raw.split(',').map((s) => Number(s.trim().replace(/_/g, ''))).filter((n) => Number.isInteger(n) && n > 0);
  if (sizes.length === 0) throw new Error(`BENCH_SIZES=${raw}: expected a comma-separated list of positive integers`);
  return sizes;
}

function selectSections(): Section[] {
  const raw = process.env.BENCH_SECTIONS;
  if (!raw) return SECTIONS;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0 || names.length === 0) throw new Error(`BENCH_SECTIONS=${raw}: expected names among ${SECTIONS.map((s) => s.name).join(', ')}`);
  return SECTIONS.filter((s) => names.includes(s.name));
}

function prepare(base: string, size: number): Workspace {
  const root = path.join(base, `eco-${size}`);
  mkdirSync(root, { recursive: true });
  const t0 = performance.now();
  const summary = generateEcosystem(root, size);
  progress(
    `${size.toLocaleString('en-US')} manifests: generated ${summary.files} files, avg ${summary.avgLines} lines ` +
      `(${summary.platforms} platforms, ${summary.templates} templates, ${summary.contracts} contracts, ${summary.environments} environments) in ${fmtMs(performance.now() - t0)} ms`,
  );
  const { files } = discoverManifestFiles(root);
  const heavyReps = Number(process.env.BENCH_REPS) || (size <= 2000 ? 3 : 2);
  // JIT warm-up first: the floor is the steady per-file cost, not the compiler's.
  measureFloor(root, files.slice(0, 500));
  const floorRuns: number[] = [];
  for (let i = 0; i < heavyReps; i++) floorRuns.push(measureFloor(root, files));
  const floorMs = median(floorRuns);
  progress(`  floor: ${fmtMs(floorMs)} ms (${(floorMs / files.length).toFixed(3)} ms/file; runs ${floorRuns.map(fmtMs).join(', ')})`);
  let n = 0;
  return {
    size,
    root,
    summary,
    files,
    floor: { ms: floorMs, perFileMs: floorMs / files.length },
    heavyReps,
    lightReps: 7,
    scratch(label) {
      const dir = path.join(base, `${label}-${size}-${n++}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}

async function main(): Promise<void> {
  const json = process.env.BENCH_JSON === '1' || process.argv.includes('--json');
  const sizes = parseSizes();
  const sections = selectSections();
  const base = mkdtempSync(path.join(os.tmpdir(), 'mnops-bench-'));
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  // Other work on the machine skews every figure: say so next to them.
  const loadAtStart = os.loadavg()[0] ?? 0;
  const t0 = performance.now();
  const results = sections.map((section) => ({ section, rows: [] as Row[] }));
  try {
    const perSize = results.filter((r) => r.section.run);
    for (const size of perSize.length > 0 ? sizes : []) {
      const ws = prepare(base, size);
      for (const r of perSize) {
        progress(`  [${r.section.name}]`);
        r.rows.push(...(await r.section.run!(ws)));
      }
      rmSync(ws.root, { recursive: true, force: true });
    }
    for (const r of results) {
      if (!r.section.runOnce) continue;
      progress(`[${r.section.name}]`);
      const dir = path.join(base, `section-${r.section.name}`);
      mkdirSync(dir, { recursive: true });
      r.rows.push(...(await r.section.runOnce(dir)));
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    cleanup();
  }
  const totalMs = performance.now() - t0;
  if (json) {
    const doc = {
      machine: {
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        cpus: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? '',
        loadAverageAtStart: loadAtStart,
      },
      sizes: sections.some((s) => s.run) ? sizes : [],
      totalMs,
      sections: results.map(({ section, rows }) => ({ name: section.name, title: section.title, bars: section.bars, rows })),
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  const out = [
    `machine-native-ops bench — node ${process.version}, ${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? 'unknown cpu'}, load ${loadAtStart.toFixed(2)} at start`,
    ...(loadAtStart > 0.5 ? ['warning: the machine was busy when the bench started; figures are noisy'] : []),
    '',
    ...results.flatMap(({ section, rows }) => [renderTable(section, rows), '']),
    ...(sections.some((s) => s.run)
      ? ['floor = one thread reading and parsing every file with yaml parseDocument + LineCounter, after a JIT warm-up;', 'figures are lower medians of repeated runs.']
      : []),
    `total ${(totalMs / 1000).toFixed(1)} s`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

// Sections and the table renderer are importable; only running the file runs the bench.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
