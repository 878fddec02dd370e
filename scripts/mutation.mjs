// `npm run mutation [module…]`: one Stryker run per module (stryker.config.mjs), each keeping
// its own report under reports/mutation/<module>/, then the score of every module that has a
// report. A run cut short keeps the modules it finished; `--score` only prints the table.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { MODULES } from '../stryker.config.mjs';

const args = process.argv.slice(2);
const scoreOnly = args.includes('--score');
const asked = args.filter((a) => a !== '--score');
for (const m of asked) {
  if (!(m in MODULES)) {
    console.error(`mutation: ${m} is not a module; use one of ${Object.keys(MODULES).join(', ')}`);
    process.exit(2);
  }
}

if (!scoreOnly) {
  for (const module of asked.length ? asked : Object.keys(MODULES)) {
    console.log(`mutation: ${module}`);
    const run = spawnSync('npx', ['stryker', 'run'], { stdio: 'inherit', env: { ...process.env, MUTATION_MODULE: module } });
    if (run.status !== 0) {
      console.error(`mutation: stryker failed on ${module} (exit ${run.status ?? run.signal})`);
      process.exit(2);
    }
  }
}

const DETECTED = new Set(['Killed', 'Timeout']);
const rows = [];
for (const module of Object.keys(MODULES)) {
  const file = `reports/mutation/${module}/mutation.json`;
  if (!existsSync(file)) continue;
  const count = { detected: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 };
  for (const { mutants } of Object.values(JSON.parse(readFileSync(file, 'utf8')).files)) {
    for (const { status } of mutants) {
      if (DETECTED.has(status)) count.detected++;
      else if (status === 'Survived') count.survived++;
      else if (status === 'NoCoverage') count.noCoverage++;
      else if (status === 'Ignored') count.ignored++;
      else count.errors++;
    }
  }
  rows.push({ module, ...count });
}
if (!rows.length) {
  console.error('mutation: no report yet under reports/mutation/');
  process.exit(2);
}
const sum = (key) => rows.reduce((n, r) => n + r[key], 0);
const total = { module: 'total', detected: sum('detected'), survived: sum('survived'), noCoverage: sum('noCoverage'), ignored: sum('ignored'), errors: sum('errors') };
const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');
console.table([...rows, total].map((r) => ({
  module: r.module,
  killed: r.detected,
  survived: r.survived,
  'no coverage': r.noCoverage,
  'ignored (static)': r.ignored,
  'compile/runtime errors': r.errors,
  score: pct(r.detected, r.detected + r.survived + r.noCoverage),
  'covered score': pct(r.detected, r.detected + r.survived),
})));
const missing = Object.keys(MODULES).filter((m) => !rows.some((r) => r.module === m));
if (missing.length) console.log(`not measured yet: ${missing.join(', ')}`);
