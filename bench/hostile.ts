// The hostile-input section of `npm run bench` (BENCH_SECTIONS=hostile): how long a pull
// request's worst files hold up `mnops validate`, and how much memory they take. Each case is
// a repository of its own; it is loaded in process (the parse, or the reference check) and
// validated by the CLI in a child process (wall time and peak RSS, cache off). The bar: every
// hostile input is rejected in at most 2 s per MiB of input.
//
// BENCH_HOSTILE=flow,aliases (a comma-separated list of case names) runs only those cases.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseManifestBytes } from '../tools/lib/manifest/load.js';
import { checkReferences } from '../tools/lib/registry/references.js';
import { loadEcosystem } from '../tools/lib/ecosystem-load/load-ecosystem.js';
import type { Metric, Row, Section } from './bench.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../tools/mnops.js');
const RSS_WRAPPER = path.join(HERE, 'max-rss.js');
const GNU_TIME = '/usr/bin/time';
const MIB = 1024 * 1024;
/** Hostile files stay just under the 1 MiB file limit, so they are parsed and not refused by size. */
const FILE_BYTES = 1_000_000;
const S_PER_MIB = 2;

interface Case {
  name: string;
  what: string;
  /** Writes the repository; returns the bytes of hostile input it holds. */
  write(root: string): number;
  /** In process: parse the one hostile file, or load the ecosystem and check references. */
  inProcess: 'parse' | 'references';
}

function put(root: string, file: string, text: string): number {
  const abs = path.join(root, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return Buffer.byteLength(text);
}

/** Repeats `unit(i)` until the text is `bytes` long. */
function fill(head: string, unit: (i: number) => string, tail: string, bytes = FILE_BYTES): string {
  const parts = [head];
  let n = head.length + tail.length;
  for (let i = 0; ; i++) {
    const u = unit(i);
    if (n + u.length > bytes) break;
    parts.push(u);
    n += u.length;
  }
  parts.push(tail);
  return parts.join('');
}

const HOSTILE = 'registry/hostile.yaml';

const CASES: Case[] = [
  {
    name: 'flow',
    what: 'flow map of 70,000 unique keys',
    inProcess: 'parse',
    write: (root) => put(root, HOSTILE, `{${Array.from({ length: 70_000 }, (_, i) => `k${String(i).padStart(5, '0')}: ${i}`).join(', ')}}\n`),
  },
  {
    name: 'aliases',
    what: 'one anchor, 1 MB of aliases to it',
    inProcess: 'parse',
    write: (root) => put(root, HOSTILE, fill('base: &a [x, y, z]\nrefs: [', (i) => (i === 0 ? '*a' : ', *a'), ']\n')),
  },
  {
    name: 'deep',
    what: 'block sequences nested 1 MB deep (- - - …)',
    inProcess: 'parse',
    write: (root) => put(root, HOSTILE, fill('', () => '- ', 'x\n')),
  },
  {
    name: 'brackets',
    what: 'flow sequences nested 500,000 deep ([[[ … ]]])',
    inProcess: 'parse',
    write: (root) => put(root, HOSTILE, `${'['.repeat(FILE_BYTES / 2 - 1)}${']'.repeat(FILE_BYTES / 2 - 1)}\n`),
  },
  {
    name: 'unknown',
    what: '5,000 platforms, 15,000 unknown dependsOn names',
    inProcess: 'references',
    write: (root) => {
      let bytes = put(root, 'registry/namespaces.yaml', 'apiVersion: mnops/v1\nkind: Namespace\nmetadata:\n  name: bench\nspec:\n  owners: [bench-team]\n');
      for (let i = 0; i < 5000; i++) {
        const n = String(i).padStart(4, '0');
        // Typo-shaped unknown names, as long as the real ones: the case name suggestions find hardest.
        const deps = [0, 1, 2].map((k) => `    - q${n}-platform-${k}\n`).join('');
        bytes += put(
          root,
          `platforms/p${n}-platform/platform.yaml`,
          `apiVersion: mnops/v1\nkind: Platform\nmetadata:\n  name: p${n}-platform\nspec:\n  owner: bench-team\n  namespace: bench\n  version: 1.0.0\n  dependsOn:\n${deps}`,
        );
      }
      return bytes;
    },
  },
];

const fmt = (ms: number) => (ms >= 100 ? Math.round(ms).toLocaleString('en-US') : ms.toFixed(1));

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** `mnops validate` in a child: wall and CPU time, peak RSS (MB), exit status and the findings. */
function cliValidate(root: string): { ms: number; cpuMs: number; mb: number; status: number | null; findings: { ruleId: string; message: string }[]; note?: string } {
  const args = [CLI, 'validate', '--root', root, '--format', 'json', '--no-cache'];
  const rssFile = path.join(root, '..', `rss-${process.pid}-${Date.now()}`);
  const useGnuTime = existsSync(GNU_TIME) && process.env.BENCH_RSS !== 'wrapper';
  const [cmd, cmdArgs] = useGnuTime ? [GNU_TIME, ['-f', '%U %S %M', '-o', rssFile, process.execPath, ...args]] : [process.execPath, [RSS_WRAPPER, ...args]];
  const t0 = performance.now();
  const r = spawnSync(cmd, cmdArgs, {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', BENCH_RSS_FILE: rssFile, MNOPS_NO_CACHE: '1' },
    maxBuffer: 512 * MIB,
    timeout: 900_000,
  });
  const ms = performance.now() - t0;
  let kb = NaN;
  let cpuMs = NaN;
  try {
    // GNU time may prefix a "Command exited with non-zero status" line: take the last numbers.
    const nums = readFileSync(rssFile, 'utf8').trim().split(/\s+/).map(Number).filter(Number.isFinite);
    kb = nums[nums.length - 1] ?? NaN;
    if (useGnuTime && nums.length >= 3) cpuMs = (nums[nums.length - 3]! + nums[nums.length - 2]!) * 1000;
  } catch {
    // reported as NaN
  } finally {
    rmSync(rssFile, { force: true });
  }
  let findings: { ruleId: string; message: string }[] = [];
  let note: string | undefined;
  try {
    findings = (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
  } catch {
    note = `no JSON report (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 2).join(' | ')}`;
  }
  return { ms, cpuMs, mb: kb / 1024, status: r.status, findings, note };
}

async function inProcess(c: Case, root: string): Promise<{ ms: number; findings: number; first: string }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  if (c.inProcess === 'parse') {
    const bytes = readFileSync(path.join(root, HOSTILE));
    const t0 = performance.now();
    const { findings } = parseManifestBytes(bytes);
    const ms = performance.now() - t0;
    return { ms, findings: findings.length, first: findings[0] ? `${findings[0].ruleId} ${findings[0].message}` : '—' };
  }
  const { ecosystem } = await loadEcosystem(root, { cacheDir: false });
  const t0 = performance.now();
  const findings = checkReferences(ecosystem);
  const ms = performance.now() - t0;
  return { ms, findings: findings.length, first: findings[0] ? `${findings[0].ruleId} ${findings[0].message} (${findings[0].hint})` : '—' };
}

function selected(): Case[] {
  const raw = process.env.BENCH_HOSTILE;
  if (!raw) return CASES;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length > 0) throw new Error(`BENCH_HOSTILE=${raw}: expected names among ${CASES.map((c) => c.name).join(', ')}`);
  return CASES.filter((c) => names.includes(c.name));
}

export const hostileSection: Section = {
  name: 'hostile',
  title: 'hostile input (size = KiB of input; in process = parse of the file, or the reference check; CLI = mnops validate --no-cache in a child)',
  bars: [`rejected in ≤ ${S_PER_MIB} s per MiB of input (CLI wall, node start-up included)`, 'bounded memory (peak RSS shown)'],
  async runOnce(dir) {
    const rows: Row[] = [];
    for (const c of selected()) {
      const root = path.join(dir, c.name);
      mkdirSync(root, { recursive: true });
      const bytes = c.write(root);
      progress(`  ${c.name}: ${c.what}, ${(bytes / 1024).toFixed(0)} KiB`);
      const local = await inProcess(c, root);
      progress(`    in process: ${fmt(local.ms)} ms, ${local.findings} findings; first: ${local.first.slice(0, 200)}`);
      const cli = cliValidate(root);
      progress(`    CLI: ${fmt(cli.ms)} ms (CPU ${fmt(cli.cpuMs)} ms), peak RSS ${cli.mb.toFixed(0)} MB, exit ${cli.status}, ${cli.findings.length} findings`);
      const budget = (S_PER_MIB * 1000 * bytes) / MIB;
      const rules = [...new Set(cli.findings.map((f) => f.ruleId))].join(', ') || '—';
      const metrics: Metric[] = [
        { key: 'inProcessMs', label: 'in process ms', value: local.ms, unit: 'ms', detail: c.inProcess },
        { key: 'cliMs', label: 'CLI ms', value: cli.ms, unit: 'ms', detail: `${((cli.ms / 1000) * (MIB / bytes)).toFixed(2)} s/MiB`, bar: { limit: `≤ ${fmt(budget)} ms`, ok: cli.ms <= budget } },
        { key: 'cliCpuMs', label: 'CLI CPU ms', value: cli.cpuMs, unit: 'ms', detail: 'user + sys' },
        { key: 'peakRssMb', label: 'peak RSS MB', value: cli.mb, unit: 'MB' },
        { key: 'exit', label: 'exit', value: cli.status ?? NaN, unit: '' },
        { key: 'findings', label: 'findings', value: cli.findings.length, unit: '' },
      ];
      rows.push({
        size: Math.round(bytes / 1024),
        metrics,
        notes: [`${c.name} — ${c.what}: ${rules}; first: ${(cli.findings[0]?.message ?? local.first).slice(0, 160)}`, ...(cli.note ? [cli.note] : [])],
      });
      rmSync(root, { recursive: true, force: true });
    }
    return rows;
  },
};
