// The conftest section of `npm run bench` (BENCH_SECTIONS=conftest): conftest, the usual way to
// run Rego over YAML files, beside `mnops validate`. Seven of our rules written for conftest
// (bench/conftest/policy: `package main`, one YAML document per file as `input`) run over every
// manifest of the workspace; a cold `mnops validate --no-cache` does its whole job (schema,
// references, template resolution, every rule) on the same files. Both are child processes,
// timed as process walls, alternately. The bar: mnops at most 0.65× conftest. Asserts nothing.
//
// conftest v0.71.1 is looked up on PATH and in Go's bin folder, and installed with
// `go install` when missing (minutes of compiling, once).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SECRET_KEY_PATTERN, DEFAULT_SECRET_VALUE_PATTERNS } from '../tools/lib/secrets/shapes.js';
import type { Metric, Row, Section, Workspace } from './bench.js';

const VERSION = '0.71.1';
const MODULE = 'github.com/open-policy-agent/conftest';
const RULES = 7;
const BAR = 0.65;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../tools/mnops.js');
// tsc copies no .rego: from dist/bench the policies are still read from the sources.
const POLICY = [path.join(HERE, 'conftest/policy'), path.resolve(HERE, '../../bench/conftest/policy')].find((p) => existsSync(p));
const MAX_BUFFER = 512 * 1024 * 1024;
const TIMEOUT_MS = 900_000;

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function fmtMs(ms: number): string {
  return ms >= 100 ? Math.round(ms).toLocaleString('en-US') : ms.toFixed(1);
}

/** The lower median, as the other sections report. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

function firstLines(text: string | undefined, n = 3): string {
  return (text ?? '').trim().split('\n').slice(0, n).join(' | ');
}

// ---------------------------------------------------------------------------------------
// Finding (or installing) conftest.

type Conftest = { bin: string; how: string } | { unavailable: string };

function tryRun(cmd: string, args: string[]): SpawnSyncReturns<string> | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return r.error || r.status !== 0 ? undefined : r;
}

function findGo(): string | undefined {
  return ['go', '/usr/local/go/bin/go'].find((g) => tryRun(g, ['version']));
}

/**
 * The version a conftest binary is: its `--version`, or, for a `go install` build (which says
 * "dev": only release builds stamp the version), the module version Go recorded in it.
 */
function versionOf(bin: string, go: string | undefined): string | undefined {
  const out = tryRun(bin, ['--version'])?.stdout;
  if (out === undefined) return undefined;
  const stamped = /Conftest:\s*v?(\S+)/.exec(out)?.[1];
  if (stamped && stamped !== 'dev') return stamped;
  const info = go ? tryRun(go, ['version', '-m', bin])?.stdout : undefined;
  const mod = info && new RegExp(`^\\s*mod\\s+${MODULE.replace(/\./g, '\\.')}\\s+v?(\\S+)`, 'm').exec(info)?.[1];
  return mod ?? stamped;
}

/** Where `go install` puts binaries: GOBIN, else the first GOPATH's bin. */
function goBin(go: string): string | undefined {
  const env = tryRun(go, ['env', 'GOBIN', 'GOPATH'])?.stdout.split('\n');
  const gobin = env?.[0]?.trim();
  const gopath = env?.[1]?.trim().split(path.delimiter)[0];
  return gobin || (gopath ? path.join(gopath, 'bin') : undefined);
}

/** The first `name` on PATH, as a path (Go reads the build info of a file, not a command name). */
function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name)).find((p) => existsSync(p));
}

function locateConftest(): Conftest {
  const go = findGo();
  const bin = go ? goBin(go) : undefined;
  const candidates = [...new Set([onPath('conftest'), bin && path.join(bin, 'conftest')].filter((c): c is string => !!c))];
  const seen: string[] = [];
  for (const c of candidates) {
    const v = versionOf(c, go);
    if (v === VERSION) return { bin: c, how: `found ${c}` };
    if (v) seen.push(`${c} is ${v}`);
  }
  const elsewhere = seen.length ? ` (${seen.join('; ')})` : '';
  if (!go || !bin) return { unavailable: `conftest v${VERSION} is not on PATH${elsewhere}, and there is no Go to install it with` };
  progress(`  conftest v${VERSION} not found${elsewhere}: go install ${MODULE}@v${VERSION} (compiling, may take minutes)…`);
  const t0 = performance.now();
  // Go's output goes to our stderr (the progress stream), never to the table on stdout.
  const r = spawnSync(go, ['install', `${MODULE}@v${VERSION}`], { stdio: ['ignore', 2, 2], timeout: 1_800_000 });
  if (r.error || r.status !== 0) {
    return { unavailable: `go install ${MODULE}@v${VERSION} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}; its output is above)` };
  }
  const installed = path.join(bin, 'conftest');
  const v = versionOf(installed, go);
  if (v !== VERSION) return { unavailable: `go install ${MODULE}@v${VERSION} produced ${installed} reporting version ${v ?? 'nothing'}` };
  progress(`  conftest installed in ${fmtMs(performance.now() - t0)} ms: ${installed}`);
  return { bin: installed, how: `installed ${installed} with go install` };
}

let located: Conftest | undefined;

// ---------------------------------------------------------------------------------------
// Running both.

/**
 * The file list cut into as few argument lists as one exec takes (Linux: argv and the
 * environment share ARG_MAX; each string also costs its pointer), with headroom.
 */
function chunkFiles(fixedArgs: string[], files: string[]): string[][] {
  const argMax = Number(tryRun('getconf', ['ARG_MAX'])?.stdout.trim()) || 256 * 1024;
  const cost = (s: string) => Buffer.byteLength(s) + 1 + 8;
  const envBytes = Object.entries(process.env).reduce((n, [k, v]) => n + cost(`${k}=${v ?? ''}`), 0);
  const budget = argMax - envBytes - fixedArgs.reduce((n, a) => n + cost(a), 0) - 64 * 1024;
  const chunks: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const f of files) {
    if (current.length > 0 && used + cost(f) > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(f);
    used += cost(f);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface ConftestResult {
  filename: string;
  failures?: { msg: string }[];
  warnings?: { msg: string }[];
}

interface RunOutcome {
  ms: number;
  /** Why the figure is suspect (a failed child, findings on a valid ecosystem). */
  problems: string[];
}

function runConftest(bin: string, args: string[], chunks: string[][], root: string, files: number): RunOutcome {
  let ms = 0;
  const results: ConftestResult[] = [];
  const problems: string[] = [];
  for (const chunk of chunks) {
    const t0 = performance.now();
    const r = spawnSync(bin, [...args, ...chunk], { cwd: root, encoding: 'utf8', maxBuffer: MAX_BUFFER, timeout: TIMEOUT_MS });
    ms += performance.now() - t0;
    // Exit 1 means denials, which the JSON lists; anything else is a failed run.
    if (r.error || (r.status !== 0 && r.status !== 1)) {
      problems.push(`conftest exited ${r.error?.message ?? r.status ?? r.signal}: ${firstLines(r.stderr)}`);
      continue;
    }
    try {
      results.push(...(JSON.parse(r.stdout) as ConftestResult[]));
    } catch {
      problems.push(`conftest printed no JSON: ${firstLines(r.stdout || r.stderr)}`);
    }
  }
  const denials = results.flatMap((x) => [...(x.failures ?? []), ...(x.warnings ?? [])].map((d) => `${x.filename}: ${d.msg}`));
  if (denials.length > 0) {
    problems.push(`conftest denied ${denials.length} times on the synthetic ecosystem (valid by construction) — figures are not representative`, ...denials.slice(0, 3).map((d) => `    ${d}`));
  }
  if (problems.length === 0 && results.length !== files) problems.push(`conftest reported ${results.length} files, not the ${files} passed`);
  return { ms, problems };
}

function runMnops(root: string): RunOutcome {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'validate', '--root', root, '--no-cache', '--format', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: MAX_BUFFER,
    timeout: TIMEOUT_MS,
  });
  const ms = performance.now() - t0;
  // Exit 1 means findings, which the JSON lists; anything else is a failed run.
  if (r.error || (r.status !== 0 && r.status !== 1)) return { ms, problems: [`mnops validate exited ${r.error?.message ?? r.status ?? r.signal}: ${firstLines(r.stderr)}`] };
  try {
    const n = (JSON.parse(r.stdout) as { findings: unknown[] }).findings.length;
    return { ms, problems: n > 0 ? [`mnops validate reported ${n} findings on the synthetic ecosystem (valid by construction) — figures are not representative`] : [] };
  } catch {
    return { ms, problems: [`mnops validate printed no JSON: ${firstLines(r.stdout || r.stderr)}`] };
  }
}

export const conftestSection: Section = {
  name: 'conftest',
  title: `conftest v${VERSION} (${RULES} of our rules per file) beside mnops validate (cold, --no-cache, every check); process walls`,
  bars: [`mnops validate ≤ ${BAR}× conftest on the same files`],
  // Synchronous inside: conftest and mnops run as child processes, one after the other.
  run: (ws: Workspace): Promise<Row[]> => Promise.resolve(conftestRows(ws)),
};

function conftestRows(ws: Workspace): Row[] {
  if (!POLICY) return [{ size: ws.size, metrics: [], notes: ['conftest policies (bench/conftest/policy) not found; no figures'] }];
  located ??= locateConftest();
  if ('unavailable' in located) return [{ size: ws.size, metrics: [], notes: [`conftest unavailable: ${located.unavailable}; no figures`] }];
  const { bin } = located;

  // The secret shapes are the CLI's one list, as data: the .rego keeps no copy of its own.
  const shapes = path.join(ws.scratch('conftest'), 'shapes.json');
  writeFileSync(shapes, JSON.stringify({ mnops: { secrets: { keyPattern: DEFAULT_SECRET_KEY_PATTERN, valuePatterns: DEFAULT_SECRET_VALUE_PATTERNS } } }));
  const args = ['test', '--policy', POLICY, '--data', shapes, '--no-color', '--output', 'json'];
  // Repo-relative paths from the root keep the argument list short.
  const chunks = chunkFiles([bin, ...args], ws.files);

  const notes = [`conftest: ${located.how}`];
  if (chunks.length > 1) notes.push(`the file list exceeds one exec's arguments: ${chunks.length} sequential conftest runs per measurement, walls summed`);
  const conftest: number[] = [];
  const mnops: number[] = [];
  // Pairs, alternately, so drift in the machine's speed falls on both alike.
  for (let i = 0; i < ws.heavyReps; i++) {
    const c = runConftest(bin, args, chunks, ws.root, ws.files.length);
    progress(`  conftest: ${fmtMs(c.ms)} ms (${ws.files.length} files${chunks.length > 1 ? `, ${chunks.length} execs` : ''})`);
    const m = runMnops(ws.root);
    progress(`  mnops validate: ${fmtMs(m.ms)} ms`);
    conftest.push(c.ms);
    mnops.push(m.ms);
    for (const p of [...c.problems, ...m.problems]) if (!notes.includes(p)) notes.push(p);
  }
  const c = median(conftest);
  const m = median(mnops);
  const metrics: Metric[] = [
    { key: 'conftestMs', label: 'conftest ms', value: c, unit: 'ms', detail: `${(c / ws.files.length).toFixed(3)}/file` },
    { key: 'mnopsMs', label: 'mnops validate ms (×conftest)', value: m, unit: 'ms', ratio: m / c, bar: { limit: `≤ ${BAR}×`, ok: m / c <= BAR } },
  ];
  return [{ size: ws.size, metrics, notes }];
}
