// The audit section of `npm run bench`: how fast records land in the trail (README, "Audit trail") and
// how long `mnops audit verify` takes on 10,000 of them. It measures real repositories —
// a bare repository as the remote, clones as writers — through the library, so the
// figures are the trail's cost and not node's start-up. It asserts nothing.
//
// BENCH_AUDIT_APPENDS (default 200) sequential appends; 4 writer processes append
// BENCH_AUDIT_CONCURRENT (default 100) records between them; BENCH_AUDIT_RECORDS (default
// 10000) records are generated for verify.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AuditTrail, verifyTrail, type VerifyReport } from '../tools/lib/audit/index.js';
import { commitMessage } from '../tools/lib/audit/trail.js';
import { canonicalJson } from '../tools/lib/json/canonical.js';
import { dayFile, sealRecord, type AuditAction, type AuditRecord } from '../tools/lib/audit/record.js';
import type { SigningKey } from '../tools/lib/audit/signing.js';
import type { Metric, Row, Section } from './bench.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const AUDIT_LIB = pathToFileURL(path.resolve(HERE, '../tools/lib/audit/index.js')).href;
const WRITERS = 4;
const RECORDS_PER_DAY = 50;

function envInt(name: string, fallback: number): number {
  const n = Number((process.env[name] ?? '').replace(/_/g, ''));
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

const fmt = (ms: number) => (ms >= 100 ? Math.round(ms).toLocaleString('en-US') : ms.toFixed(1));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** A bare remote holding one manifest commit on main. */
export function makeRemote(dir: string): string {
  const bare = path.join(dir, 'remote.git');
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
  const seed = path.join(dir, 'seed');
  git(dir, 'init', '-q', '-b', 'main', seed);
  writeFileSync(path.join(seed, 'README.md'), '# manifests\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'manifests');
  git(seed, 'push', '-q', bare, 'main');
  return bare;
}

function clone(bare: string, dest: string): string {
  git(path.dirname(dest), 'clone', '-q', bare, dest);
  return dest;
}

function throughput(key: string, label: string, records: number, ms: number, extra = ''): Metric {
  const perSecond = records / (ms / 1000);
  return { key, label, value: ms / records, unit: 'ms', detail: `${perSecond.toFixed(1)} rec/s${extra}` };
}

const ACTIONS: AuditAction[] = ['deploy', 'promote', 'deploy', 'rollback', 'heal', 'drift-detected', 'deploy', 'exception-used'];
const ENVIRONMENTS = ['dev', 'sandbox', 'preview', 'qa', 'staging', 'prod'];

function entryFor(i: number, prefix: string, time?: string) {
  return {
    id: `${prefix}-${i}`,
    ...(time ? { time } : {}),
    actor: `actor-${i % 7}`,
    action: ACTIONS[i % ACTIONS.length]!,
    environment: ENVIRONMENTS[i % ENVIRONMENTS.length]!,
    platform: `platform-${i % 200}`,
    fromVersion: `1.${i - 1}.0`,
    toVersion: `1.${i}.0`,
    outcome: 'success' as const,
    reason: 'synthetic bench record',
    commit: (i * 2654435761).toString(16).padStart(40, '0').slice(-40),
  };
}

async function sequentialAppends(root: string, count: number, remote: boolean, prefix: string): Promise<{ ms: number; retries: number }> {
  const trail = await AuditTrail.open({ root, remote: remote ? undefined : false });
  let retries = 0;
  const t0 = performance.now();
  for (let i = 1; i <= count; i++) retries += (await trail.append(entryFor(i, prefix))).retries;
  return { ms: performance.now() - t0, retries };
}

// A writer process: imports the built library, says ready, appends on "go", reports retries.
const WRITER_SCRIPT = `
const [lib, root, count, name] = process.argv.slice(1);
const { AuditTrail } = await import(lib);
const trail = await AuditTrail.open({ root });
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
let retries = 0;
for (let i = 1; i <= Number(count); i++) {
  const r = await trail.append({ id: name + '-' + i, actor: name, action: 'deploy', environment: 'prod', outcome: 'success' });
  retries += r.retries;
}
process.stdout.write(JSON.stringify({ retries }) + '\\n');
`;

/** `writers` processes in their own clones, released at once; wall time until the last is done. */
async function concurrentAppends(dir: string, bare: string, writers: number, each: number): Promise<{ ms: number; retries: number; failures: string[] }> {
  const children = Array.from({ length: writers }, (_, w) => {
    const root = clone(bare, path.join(dir, `writer-${w + 1}`));
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER_SCRIPT, AUDIT_LIB, root, String(each), `w${w + 1}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const ready = new Promise<void>((resolve) => {
      child.stdout.on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('ready\n')) resolve();
      });
    });
    const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    return { child, ready, done };
  });
  // A writer that dies before it is ready must not hang the bench.
  await Promise.race([Promise.all(children.map((c) => c.ready)), Promise.all(children.map((c) => c.done))]);
  const t0 = performance.now();
  for (const c of children) c.child.stdin.end('go\n');
  const results = await Promise.all(children.map((c) => c.done));
  const ms = performance.now() - t0;
  let retries = 0;
  const failures: string[] = [];
  for (const [i, r] of results.entries()) {
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || !last.startsWith('{')) failures.push(`writer ${i + 1} exited ${r.code}: ${r.stderr.trim().split('\n').slice(0, 2).join(' | ')}`);
    else retries += (JSON.parse(last) as { retries: number }).retries;
  }
  return { ms, retries, failures };
}

// ---------------------------------------------------------------------------------------
// A 10,000-record trail, fast: the records are sealed by the library (real seq, prev and
// hash; unsigned unless a key is given), and git fast-import writes the commits the trail
// would have written — same messages, same day files, same author, one checkpoint tag per
// record — in one process.

function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

export async function generateTrail(repo: string, records: number, branch = 'mnops/audit', key?: SigningKey): Promise<void> {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: repo, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const write = async (chunk: string) => {
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  };

  const step = 86_400_000 / RECORDS_PER_DAY;
  const start = Date.now() - Math.ceil(records / RECORDS_PER_DAY + 1) * 86_400_000;
  let prev: AuditRecord | undefined;
  let file = '';
  let content = '';
  for (let i = 1; i <= records; i++) {
    const at = new Date(start + i * step);
    const time = at.toISOString();
    const record = sealRecord(entryFor(i, 'rec', time), i, prev?.hash ?? '', key ? { key } : {});
    const f = dayFile(time);
    if (f !== file) {
      file = f;
      content = '';
    }
    content += `${canonicalJson(record)}\n`;
    const seconds = Math.floor(at.getTime() / 1000);
    await write(
      `commit refs/heads/${branch}\nmark :${i}\n` +
        `author ${record.actor} <${record.actor.replace(/[^A-Za-z0-9._-]/g, '_')}@mnops.invalid> ${seconds} +0000\n` +
        `committer mnops audit <audit@mnops.invalid> ${seconds} +0000\n` +
        data(commitMessage(record)) +
        `M 100644 inline ${file}\n` +
        data(content) +
        '\n',
    );
    prev = record;
  }
  for (let i = 1; i <= records; i++) await write(`reset refs/tags/mnops-audit/${i}\nfrom :${i}\n\n`);
  await write('done\n');
  child.stdin.end();
  const code = await closed;
  if (code !== 0) throw new Error(`git fast-import exited ${code}: ${stderr.trim()}`);
}

async function timedVerify(root: string, remote: boolean): Promise<{ ms: number; report: VerifyReport }> {
  const trail = await AuditTrail.open({ root, remote: remote ? undefined : false });
  const t0 = performance.now();
  const report = await verifyTrail(trail);
  return { ms: performance.now() - t0, report };
}

function verifyNotes(what: string, report: VerifyReport, records: number): string[] {
  if (report.breaks.length === 0 && report.records === records && report.checkpoints === records) return [];
  return [`${what}: ${report.records} records, ${report.checkpoints} checkpoints, ${report.breaks.length} breaks (first: ${report.breaks[0]?.message ?? '—'}) — figures are suspect`];
}

export const auditSection: Section = {
  name: 'audit',
  title: 'audit trail (size = records; append = library appends, ms per record (records/s), each pushed to a bare remote unless noted)',
  bars: ['none: figures only'],
  async runOnce(dir) {
    const appends = envInt('BENCH_AUDIT_APPENDS', 200);
    const concurrent = Math.max(WRITERS, Math.round(envInt('BENCH_AUDIT_CONCURRENT', 100) / WRITERS) * WRITERS);
    const records = envInt('BENCH_AUDIT_RECORDS', 10_000);
    const rows: Row[] = [];

    // 1. Sequential appends from one clone, pushed each time; and the same with no remote.
    const seqDir = path.join(dir, 'sequential');
    mkdirSync(seqDir);
    const bare = makeRemote(seqDir);
    const seq = await sequentialAppends(clone(bare, path.join(seqDir, 'writer')), appends, true, 'seq');
    progress(`  ${appends} sequential appends, bare remote: ${fmt(seq.ms)} ms (${fmt(seq.ms / appends)} ms each)`);
    const localRoot = path.join(seqDir, 'local');
    git(seqDir, 'init', '-q', '-b', 'main', localRoot);
    const local = await sequentialAppends(localRoot, appends, false, 'local');
    progress(`  ${appends} sequential appends, no remote: ${fmt(local.ms)} ms (${fmt(local.ms / appends)} ms each)`);
    const seqCheck = await timedVerify(path.join(seqDir, 'writer'), true);
    rows.push({
      size: appends,
      metrics: [throughput('appendMs', 'append ms', appends, seq.ms), throughput('appendLocalMs', 'append, no remote ms', appends, local.ms)],
      notes: verifyNotes('sequential trail', seqCheck.report, appends),
    });

    // 2. Four writer processes, each in its own clone, racing on one remote.
    const conDir = path.join(dir, 'concurrent');
    mkdirSync(conDir);
    const conBare = makeRemote(conDir);
    const con = await concurrentAppends(conDir, conBare, WRITERS, concurrent / WRITERS);
    progress(`  ${concurrent} appends by ${WRITERS} writer processes: ${fmt(con.ms)} ms, ${con.retries} rejected pushes retried`);
    const conCheck = await timedVerify(clone(conBare, path.join(conDir, 'check')), true);
    rows.push({
      size: concurrent,
      metrics: [throughput('appendConcurrentMs', `${WRITERS} writers ms`, concurrent, con.ms, `, ${con.retries} retries`)],
      notes: [...con.failures, ...verifyNotes('concurrent trail', conCheck.report, concurrent)],
    });

    // 3. A generated trail of `records` records: verify it, and append onto it.
    const bigDir = path.join(dir, 'verify');
    mkdirSync(bigDir);
    const bigBare = makeRemote(bigDir);
    const t0 = performance.now();
    await generateTrail(bigBare, records);
    // fast-import leaves one loose ref per tag; a remote's gc packs them, and every fetch and
    // push of the trail lists them all, so appends are measured against the packed state.
    git(bigBare, 'pack-refs', '--all');
    const buildMs = performance.now() - t0;
    progress(`  generated ${records.toLocaleString('en-US')} records with git fast-import: ${fmt(buildMs)} ms`);
    const verifyLocal = await timedVerify(bigBare, false);
    progress(`  verify (in the remote itself, no fetch): ${fmt(verifyLocal.ms)} ms, ${verifyLocal.report.breaks.length} breaks`);
    const checkout = clone(bigBare, path.join(bigDir, 'checkout'));
    const verifyOrigin = await timedVerify(checkout, true);
    progress(`  verify (a clone, fetching from origin): ${fmt(verifyOrigin.ms)} ms, ${verifyOrigin.report.breaks.length} breaks`);
    const onTop = Math.min(20, appends);
    const big = await sequentialAppends(checkout, onTop, true, 'more');
    progress(`  ${onTop} appends onto the ${records.toLocaleString('en-US')}-record trail: ${fmt(big.ms)} ms (${fmt(big.ms / onTop)} ms each)`);
    rows.push({
      size: records,
      metrics: [
        throughput('appendLargeMs', 'append ms', onTop, big.ms, `, ${onTop} appends`),
        { key: 'generateMs', label: 'generate ms', value: buildMs, unit: 'ms', detail: 'fast-import' },
        { key: 'verifyMs', label: 'verify ms', value: verifyLocal.ms, unit: 'ms', detail: 'no fetch' },
        { key: 'verifyOriginMs', label: 'verify, clone ms', value: verifyOrigin.ms, unit: 'ms', detail: 'fetch from origin' },
      ],
      notes: [...verifyNotes('generated trail (local)', verifyLocal.report, records), ...verifyNotes('generated trail (clone)', verifyOrigin.report, records)],
    });
    return rows;
  },
};
