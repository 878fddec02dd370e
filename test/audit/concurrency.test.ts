// The audit trail under concurrent writers, crashes and contention, on real repositories:
// a bare repository is the remote, every writer has its own clone and runs as its own OS
// process (the built CLI), exactly as CI jobs racing on one manifest repository would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTrail } from '../../bench/audit.js';
import { acquireLease, AuditTrail, type AuditRecord } from '../../tools/lib/audit/index.js';
import { CLI, git, mnops, PROJECT_ROOT, removeDir, tempDir } from '../helpers/repo.js';

const BRANCH = 'refs/heads/mnops/audit';
const CHILD_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------------------------------
// Worlds: one bare remote, N clones.

interface World {
  dir: string;
  bare: string;
  clones: string[];
  /** A new clone, for reading the trail as someone who never wrote to it. */
  freshClone(): string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

function makeWorld(clones: number): World {
  const dir = tempDir('mnops-audit-');
  dirs.push(dir);
  const bare = path.join(dir, 'remote.git');
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
  const seed = path.join(dir, 'seed');
  git(dir, 'init', '-q', '-b', 'main', seed);
  writeFileSync(path.join(seed, 'README.md'), '# manifests\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-q', '-m', 'manifests');
  git(seed, 'push', '-q', bare, 'main');
  const clone = (name: string) => {
    git(dir, 'clone', '-q', bare, name);
    return path.join(dir, name);
  };
  let fresh = 0;
  return {
    dir,
    bare,
    clones: Array.from({ length: clones }, (_, i) => clone(`c${i + 1}`)),
    freshClone: () => clone(`fresh-${++fresh}`),
  };
}

// ---------------------------------------------------------------------------------------
// Processes.

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** The built CLI as its own process; killed (and reported as such) if it outlives the timeout. */
function start(args: string[], options: RunOptions = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<Run>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

const cli = (args: string[], options: RunOptions = {}): Promise<Run> => start(args, options).done;

function appendArgs(clone: string, id: string, actor = 'tester', extra: string[] = []): string[] {
  return ['audit', 'append', '--root', clone, '--action', 'deploy', '--env', 'prod', '--outcome', 'success', '--actor', actor, '--id', id, ...extra];
}

const append = (clone: string, id: string, actor?: string, options: RunOptions = {}): Promise<Run> => cli(appendArgs(clone, id, actor), options);

/** One writer: `count` appends in a row, each a new process. */
async function writer(clone: string, name: string, count: number): Promise<Run[]> {
  const runs: Run[] = [];
  for (let k = 1; k <= count; k++) runs.push(await append(clone, `${name}-r${k}`, name));
  return runs;
}

// ---------------------------------------------------------------------------------------
// What the remote holds.

async function logOf(world: World, extra: string[] = []): Promise<AuditRecord[]> {
  const r = await mnops(['audit', 'log', '--root', world.freshClone(), '--format', 'json', ...extra]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as AuditRecord[];
}

/** Parents of every commit on the remote's audit branch, newest first. */
function parentCounts(bare: string): number[] {
  return git(bare, 'rev-list', '--parents', BRANCH)
    .trim()
    .split('\n')
    .map((line) => line.split(' ').length - 1);
}

function remoteTip(bare: string): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', BRANCH], { cwd: bare, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Every record line of the day files at `ref` (where records live; commit messages hold none). */
function recordFilesAt(repo: string, ref: string): string {
  return spawnSync('git', ['grep', '-h', '-e', '', ref, '--', 'records/'], { cwd: repo, encoding: 'utf8' }).stdout;
}

function checkpointCount(bare: string): number {
  return git(bare, 'for-each-ref', '--format=%(refname)', 'refs/tags/mnops-audit/').split('\n').filter(Boolean).length;
}

/** Every id once, seq 1..N, one linear chain on the remote, a checkpoint per record, verify clean. */
async function expectExactlyOnce(world: World, ids: string[]): Promise<AuditRecord[]> {
  const records = (await logOf(world)).reverse();
  expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
  expect(records.map((r) => r.seq)).toEqual(ids.map((_, i) => i + 1));
  const parents = parentCounts(world.bare);
  expect(parents).toHaveLength(ids.length);
  expect(parents.every((p) => p <= 1)).toBe(true);
  expect(parents[parents.length - 1]).toBe(0);
  expect(checkpointCount(world.bare)).toBe(ids.length);
  const verify = await mnops(['audit', 'verify', '--root', world.freshClone()]);
  expect(verify.stdout).toContain(`${ids.length} records, chain intact`);
  expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  return records;
}

function seqOf(records: AuditRecord[], id: string): number {
  const r = records.find((x) => x.id === id);
  if (!r) throw new Error(`record ${id} is missing`);
  return r.seq;
}

// ---------------------------------------------------------------------------------------

describe('audit trail: concurrent writers from separate clones', () => {
  for (const [writers, each] of [
    [2, 5],
    [8, 3],
  ] as const) {
    it(`${writers} writers × ${each} appends at once all land exactly once, in one linear chain`, async () => {
      const world = makeWorld(writers);
      const names = world.clones.map((_, i) => `w${i + 1}`);
      const runs = await Promise.all(world.clones.map((clone, i) => writer(clone, names[i]!, each)));
      // (Whether a push was actually rejected here depends on timing; the test below forces it.)
      for (const run of runs.flat()) expect(run.code, run.stderr).toBe(0);

      const ids = names.flatMap((n) => Array.from({ length: each }, (_, k) => `${n}-r${k + 1}`));
      const records = await expectExactlyOnce(world, ids);
      // Each writer's own appends keep their order.
      for (const n of names) {
        const seqs = Array.from({ length: each }, (_, k) => seqOf(records, `${n}-r${k + 1}`));
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
    }, 240_000);
  }

  it('a rejected push is retried on the new tip (a competitor lands between read and push)', async () => {
    const world = makeWorld(2);
    const [a, b] = world.clones as [string, string];
    expect((await append(b, 'first')).code).toBe(0);
    const trail = await AuditTrail.open({ root: a });
    let builds = 0;
    const result = await trail.append(() => {
      // The builder runs after the tip is read and before the commit is pushed: the
      // competitor's record lands in that window, so the first push must be rejected.
      if (++builds === 1) {
        const r = spawnSync(process.execPath, [CLI, ...appendArgs(b, 'competitor', 'b')], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
        expect(r.status, r.stderr).toBe(0);
      }
      return { id: 'mine', actor: 'a', action: 'deploy', environment: 'prod', outcome: 'success' };
    });
    expect(result.retries).toBeGreaterThanOrEqual(1);
    expect(result.duplicate).toBe(false);
    expect(result.record?.seq).toBe(3);
    await expectExactlyOnce(world, ['first', 'competitor', 'mine']);
  }, 120_000);
});

describe('audit trail: retries and crashes', () => {
  it('the same append retried (same id) after it landed writes nothing new, from any clone', async () => {
    const world = makeWorld(2);
    const [a, b] = world.clones as [string, string];
    const first = await append(a, 'deploy-42');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('recorded #1 deploy-42');
    const tip = remoteTip(world.bare);

    for (const clone of [a, a, b]) {
      const again = await append(clone, 'deploy-42');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('already recorded (deploy-42)');
    }
    expect(remoteTip(world.bare)).toBe(tip);
    await expectExactlyOnce(world, ['deploy-42']);
  }, 120_000);

  it('an append killed between commit and push is completed by the next append without duplication', async () => {
    const world = makeWorld(2);
    const [a, b] = world.clones as [string, string];
    expect((await append(b, 'before')).code).toBe(0);

    // The push goes nowhere while fetching still works: the record is committed locally,
    // the push fails, the process exits 2 — what a crash after the commit leaves behind.
    git(a, 'remote', 'set-url', '--push', 'origin', path.join(world.dir, 'no-such-remote.git'));
    const crashed = await append(a, 'crashed');
    expect(crashed.code).toBe(2);
    expect(crashed.stderr).toMatch(/cannot push the audit record/);
    expect(recordFilesAt(a, BRANCH)).toContain('"id":"crashed"');
    expect(recordFilesAt(world.bare, BRANCH)).not.toContain('"id":"crashed"');
    git(a, 'config', '--unset', 'remote.origin.pushurl');

    // Meanwhile another writer moves the remote, so the pending commit must be rebuilt on it.
    expect((await append(b, 'meanwhile')).code).toBe(0);

    const next = await append(a, 'next');
    expect(next.code, next.stderr).toBe(0);
    const records = await expectExactlyOnce(world, ['before', 'meanwhile', 'crashed', 'next']);
    expect(seqOf(records, 'crashed')).toBeLessThan(seqOf(records, 'next'));

    // Nothing left pending: the clone's branch is the remote's.
    expect(git(a, 'rev-parse', BRANCH).trim()).toBe(remoteTip(world.bare));
    const after = await append(a, 'after');
    expect(after.code).toBe(0);
    await expectExactlyOnce(world, ['before', 'meanwhile', 'crashed', 'next', 'after']);
  }, 120_000);

  it('the crashed append itself, retried with its id, lands once', async () => {
    const world = makeWorld(1);
    const [a] = world.clones as [string];
    git(a, 'remote', 'set-url', '--push', 'origin', path.join(world.dir, 'no-such-remote.git'));
    expect((await append(a, 'deploy-7')).code).toBe(2);
    expect(remoteTip(world.bare)).toBeUndefined();
    git(a, 'config', '--unset', 'remote.origin.pushurl');
    const retry = await append(a, 'deploy-7');
    expect(retry.code, retry.stderr).toBe(0);
    await expectExactlyOnce(world, ['deploy-7']);
  }, 120_000);

  it('a retry days later (same id, e.g. a CI job re-run) writes nothing new either', async () => {
    const world = makeWorld(1);
    const [a] = world.clones as [string];
    // rec-1 … rec-150, from four days ago to yesterday: rec-1 is outside the recent day files.
    await generateTrail(world.bare, 150);
    expect((await append(a, 'today')).code).toBe(0);
    const tip = remoteTip(world.bare);
    const again = await append(a, 'rec-1');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already recorded (rec-1)');
    expect(remoteTip(world.bare)).toBe(tip);
    const ids = (await logOf(world)).map((r) => r.id);
    expect(ids.filter((id) => id === 'rec-1')).toHaveLength(1);
    expect(ids).toHaveLength(151);
  }, 120_000);

  it('a process SIGKILLed after its commit, before its push, is completed by the next append', async () => {
    const world = makeWorld(2);
    const [a, b] = world.clones as [string, string];
    expect((await append(b, 'before')).code).toBe(0);

    // A git in front of the real one that parks on `push` (after the commit and the local
    // ref update) and drops a marker: the test then kills the append at exactly that point.
    const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    const bin = path.join(world.dir, 'bin');
    mkdirSync(bin);
    const marker = path.join(world.dir, 'at-push');
    writeFileSync(
      path.join(bin, 'git'),
      [
        '#!/bin/sh',
        'if [ "$1" = push ] && [ -n "$MNOPS_TEST_PARK_PUSH" ]; then',
        '  : > "$MNOPS_TEST_PARK_PUSH"',
        '  while kill -0 "$PPID" 2>/dev/null; do sleep 0.05; done',
        '  exit 1',
        'fi',
        `exec '${realGit}' "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(path.join(bin, 'git'), 0o755);

    const victim = start(appendArgs(a, 'killed', 'a'), { env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, MNOPS_TEST_PARK_PUSH: marker } });
    const deadline = Date.now() + 60_000;
    while (!existsSync(marker) && Date.now() < deadline && victim.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(marker)).toBe(true);
    victim.child.kill('SIGKILL');
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(recordFilesAt(a, BRANCH)).toContain('"id":"killed"');
    expect(recordFilesAt(world.bare, BRANCH)).not.toContain('"id":"killed"');

    expect((await append(b, 'meanwhile')).code).toBe(0);
    const next = await append(a, 'next');
    expect(next.code, next.stderr).toBe(0);
    const records = await expectExactlyOnce(world, ['before', 'meanwhile', 'killed', 'next']);
    expect(seqOf(records, 'killed')).toBeLessThan(seqOf(records, 'next'));
  }, 120_000);
});

describe('audit trail: the checkout it runs in', () => {
  it('appending never touches the working tree, the index or the current branch', async () => {
    const world = makeWorld(1);
    const [a] = world.clones as [string];
    writeFileSync(path.join(a, 'README.md'), '# manifests, edited\n');
    writeFileSync(path.join(a, 'staged.yaml'), 'kind: Platform\n');
    git(a, 'add', 'staged.yaml');
    writeFileSync(path.join(a, 'untracked.txt'), 'scratch\n');
    const state = () => ({
      status: git(a, 'status', '--porcelain', '--untracked-files=all'),
      staged: git(a, 'diff', '--cached'),
      unstaged: git(a, 'diff'),
      head: git(a, 'symbolic-ref', 'HEAD'),
      commit: git(a, 'rev-parse', 'HEAD'),
      readme: readFileSync(path.join(a, 'README.md'), 'utf8'),
      files: git(a, 'ls-files', '--cached', '--others', '--exclude-standard'),
    });
    const indexHash = () => createHash('sha256').update(readFileSync(path.join(a, '.git/index'))).digest('hex');
    const before = state();
    const index = indexHash();
    expect(before.status).toContain('M README.md');
    expect(before.status).toContain('A  staged.yaml');

    expect((await append(a, 'with-root')).code).toBe(0);
    // And run from inside the checkout, root found by git, as a user would.
    const inside = await cli(['audit', 'append', '--action', 'heal', '--env', 'prod', '--outcome', 'success', '--actor', 'x', '--id', 'from-cwd'], { cwd: a });
    expect(inside.code, inside.stderr).toBe(0);

    expect(indexHash()).toBe(index);
    expect(state()).toEqual(before);
    expect(before.head.trim()).toBe('refs/heads/main');
    await expectExactlyOnce(world, ['with-root', 'from-cwd']);
  }, 120_000);
});

describe('audit trail: secrets', () => {
  it('a record never contains a secret: known values and token shapes become ***', async () => {
    const world = makeWorld(1);
    const [a] = world.clones as [string];
    const secret = 's3cr3t-value';
    const token = `ghp_${'A1b2C3d4E5'.repeat(4)}`;
    const trail = await AuditTrail.open({ root: a, secrets: [secret] });
    const r = await trail.append({
      id: 'with-secrets',
      actor: `deployer-${secret}`,
      action: 'deploy',
      environment: 'prod',
      platform: 'payments',
      fromVersion: '1.0.0',
      toVersion: `1.0.1+${secret}`,
      outcome: 'failure',
      reason: `health check failed using password ${secret} and token ${token}`,
    });
    expect(r.record?.reason).toBe('health check failed using password *** and token ***');
    // A hand-given actor is kept as claimed, and scrubbed like every field.
    expect(r.record?.claimedActor).toBe('deployer-***');

    const message = git(world.bare, 'log', '-1', '--format=%an%n%B', BRANCH);
    const files = git(world.bare, 'ls-tree', '-r', '--name-only', BRANCH).split('\n').filter(Boolean);
    expect(files).toHaveLength(1);
    const dayFile = git(world.bare, 'show', `${BRANCH}:${files[0]!}`);
    // The record lives in the day file; the commit message is a summary of it.
    expect(dayFile).toContain('***');
    for (const text of [message, dayFile]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token);
    }
    // Nowhere in any object of the remote or of the writer's clone.
    for (const repo of [world.bare, a]) {
      const objects = spawnSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout;
      expect(objects).toContain('with-secrets');
      expect(objects).not.toContain(secret);
      expect(objects).not.toContain(token);
    }
  }, 60_000);
});

describe('audit trail: leases', () => {
  const acquire = (clone: string, holder: string, ttl = '10m', env = 'prod') => cli(['audit', 'lock', 'acquire', '--root', clone, '--env', env, '--holder', holder, '--ttl', ttl]);
  const leaseId = (run: Run) => /lease ([0-9a-f-]{36}) on/.exec(run.stdout)?.[1];

  it('4 processes racing for one environment: exactly one holder; release, break and expiry', async () => {
    const world = makeWorld(4);
    const clones = world.clones;
    const ids: string[] = [];
    // Several rounds, one environment each: a race that goes wrong only sometimes still shows.
    for (const env of ['prod', 'staging', 'qa']) {
      const runs = await Promise.all(clones.map((c, i) => acquire(c, `w${i + 1}`, '10m', env)));
      const winners = runs.filter((r) => r.code === 0);
      expect(
        winners.map((w) => w.stdout),
        runs.map((r) => `${r.code} ${r.stdout}${r.stderr}`).join(''),
      ).toHaveLength(1);
      const holder = `w${runs.findIndex((r) => r.code === 0) + 1}`;
      for (const loser of runs.filter((r) => r.code !== 0)) {
        expect(loser.code, loser.stderr).toBe(1);
        expect(loser.stdout).toContain(`${env} is held by ${holder}`);
      }
      const locks = await logOf(world, ['--env', env, '--action', 'lock']);
      expect(locks.map((l) => l.lease?.holder)).toEqual([holder]);
      ids.push(locks[0]!.id);
      expect((await mnops(['audit', 'lock', 'status', '--root', clones[0]!, '--env', env])).stdout).toContain(`${env} is held by ${holder}`);
    }

    // Release by the holder, then a new acquire succeeds.
    const prod = (await logOf(world, ['--env', 'prod', '--action', 'lock']))[0]!;
    const holderClone = clones[Number(prod.lease!.holder.slice(1)) - 1]!;
    const otherClone = clones.find((c) => c !== holderClone)!;
    const release = await cli(['audit', 'lock', 'release', '--root', holderClone, '--env', 'prod', '--lease', prod.lease!.id]);
    expect(release.code, release.stderr).toBe(0);
    const again = await acquire(otherClone, 'next');
    expect(again.code, again.stderr).toBe(0);
    const nextLease = leaseId(again);
    expect(nextLease).toBeDefined();
    expect((await acquire(holderClone, 'late')).code).toBe(1);

    // An explicit break with the lease id clears it and is recorded with its reason.
    const broke = await cli(['audit', 'lock', 'break', '--root', holderClone, '--env', 'prod', '--lease', nextLease!, '--reason', 'deploy runner crashed']);
    expect(broke.code, broke.stderr).toBe(0);
    expect((await mnops(['audit', 'lock', 'status', '--root', clones[0]!, '--env', 'prod'])).stdout).toContain('prod is free');
    const unlocks = await logOf(world, ['--env', 'prod', '--action', 'unlock']);
    expect(unlocks.map((u) => [u.outcome, u.lease?.id, u.reason])).toEqual([
      ['broken', nextLease, 'deploy runner crashed'],
      ['released', prod.lease!.id, undefined],
    ]);
    // Breaking a lease that is not the current one is refused.
    const stale = await cli(['audit', 'lock', 'break', '--root', holderClone, '--env', 'prod', '--lease', nextLease!, '--reason', 'again']);
    expect(stale.code).toBe(2);

    // An expired lease can be taken by someone else. (4 s rather than 1 s: on a loaded
    // machine one CLI process can take more than a second, and the lease must still be live
    // for the first attempt.)
    const short = await acquire(clones[0]!, 'brief', '4s');
    expect(short.code, short.stderr).toBe(0);
    const expiresAt = Date.parse(/until (\S+)/.exec(short.stdout)?.[1] ?? '');
    expect(Number.isNaN(expiresAt)).toBe(false);
    expect((await acquire(clones[1]!, 'eager')).code).toBe(1);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
    const taken = await acquire(clones[1]!, 'eager');
    expect(taken.code, taken.stderr).toBe(0);

    const all = (await logOf(world)).reverse();
    expect(all.map((r) => `${r.action} ${r.environment} ${r.outcome} ${r.lease?.holder ?? ''}`).slice(3)).toEqual([
      'unlock prod released ' + prod.lease!.holder,
      'lock prod acquired next',
      'unlock prod broken next',
      'lock prod acquired brief',
      'lock prod acquired eager',
    ]);
    await expectExactlyOnce(world, all.map((r) => r.id));
  }, 240_000);

  it('a lease acquisition that never reached the remote is published as failed, not as a lease', async () => {
    const world = makeWorld(2);
    const [a, b] = world.clones as [string, string];
    // a's acquisitions of prod and qa are committed locally and never pushed (exit 2).
    git(a, 'remote', 'set-url', '--push', 'origin', path.join(world.dir, 'no-such-remote.git'));
    for (const env of ['prod', 'qa']) {
      const r = await acquire(a, 'a', '10m', env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot push/);
    }
    git(a, 'config', '--unset', 'remote.origin.pushurl');
    // Meanwhile b takes prod for real.
    const held = await acquire(b, 'b');
    expect(held.code, held.stderr).toBe(0);
    // a's next append publishes what it left behind — without taking prod from b, and
    // without leaving qa held by a lease nobody was granted.
    expect((await append(a, 'next')).code).toBe(0);
    const status = async (env: string) => (await mnops(['audit', 'lock', 'status', '--root', world.freshClone(), '--env', env])).stdout;
    expect(await status('prod')).toContain('prod is held by b');
    expect(await status('qa')).toContain('qa is free');
    expect((await acquire(a, 'c')).stdout).toContain('prod is held by b');
    const records = (await logOf(world)).reverse();
    expect(records.map((r) => `${r.action} ${r.environment} ${r.outcome} ${r.lease?.holder ?? ''}`.trim())).toEqual([
      'lock prod acquired b',
      'lock prod failure a',
      'lock qa failure a',
      'deploy prod success',
    ]);
    await expectExactlyOnce(world, records.map((r) => r.id));
  }, 120_000);

  it('a writer whose lease push is rejected re-decides on the new tip instead of taking a held lease', async () => {
    const world = makeWorld(2);
    const [a, b] = world.clones as [string, string];
    expect((await append(a, 'seed')).code).toBe(0);
    const trail = await AuditTrail.open({ root: a });
    let calls = 0;
    const result = await acquireLease(trail, {
      environment: 'prod',
      holder: 'a',
      ttlMs: 600_000,
      // `now` runs inside the builder, after the tip was read: b takes the lease right then.
      now: () => {
        if (++calls === 1) {
          const r = spawnSync(process.execPath, [CLI, 'audit', 'lock', 'acquire', '--root', b, '--env', 'prod', '--holder', 'b', '--ttl', '10m'], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
          expect(r.status, r.stderr).toBe(0);
        }
        return new Date();
      },
    });
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(result.acquired).toBe(false);
    expect(result.acquired ? undefined : result.heldBy.holder).toBe('b');
    const locks = await logOf(world, ['--action', 'lock']);
    expect(locks.map((l) => l.lease?.holder)).toEqual(['b']);
    // Nothing of a's attempt is left pending to be published by a's next append.
    expect((await append(a, 'later')).code).toBe(0);
    expect((await logOf(world, ['--action', 'lock'])).map((l) => l.lease?.holder)).toEqual(['b']);
  }, 120_000);
});
