// mnops deploy / plan / apply against the real Docker engine, on a small repository of its
// own: promotion through the gate, the manifest commit, health-gated rollout, the revert on
// a failing rollout, serialization of concurrent deploys and an unreachable engine.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXED_NOW, git, mnops, removeDir, type CliResult } from '../helpers/repo.js';
import { BROKEN, PLATFORM, containersOf, docker, ensureImages, instanceFile, instanceText, uniqueName, writeRepo } from './world.js';

interface Rec {
  seq: number;
  action: string;
  actor: string;
  environment: string;
  outcome: string;
  platform?: string;
  fromVersion?: string;
  toVersion?: string;
  commit?: string;
  reason?: string;
  lease?: { id: string; holder: string };
}

const source = uniqueName('d');
const target = uniqueName('s');
const third = uniqueName('t');
let root = '';

// As the runner runs it: the trail's actor is GITHUB_ACTOR only inside GitHub Actions.
const AS_RUNNER = { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'alice' };
const run = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> => mnops([...args, '--root', root], { env: { ...AS_RUNNER, ...env } });

/** The CLI as a child process that does not block the test (for concurrent deploys). */
function runAsync(args: string[], env: Record<string, string>): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args, '--root', root], {
      env: { ...process.env, NO_COLOR: '1', MNOPS_NO_CACHE: '1', MNOPS_NOW: FIXED_NOW, FORCE_COLOR: undefined, GITHUB_STEP_SUMMARY: undefined, ...AS_RUNNER, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - t0 }));
  });
}

async function audit(env?: string): Promise<Rec[]> {
  const r = await run(['audit', 'log', '--format', 'json', ...(env ? ['--env', env] : [])]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as Rec[]).sort((a, b) => a.seq - b.seq);
}

const head = (): string => git(root, 'rev-parse', 'HEAD').trim();
const commitCount = (): number => Number(git(root, 'rev-list', '--count', 'HEAD').trim());
const instance = (env: string): string => readFileSync(path.join(root, instanceFile(env)), 'utf8');

/** The one container of the platform in an environment: version label and health. */
function running(env: string): { version: string; health: string }[] {
  return containersOf(env).map((id) => {
    const [version, health] = docker('inspect', '--format', '{{index .Config.Labels "mnops.version"}} {{if .State.Health}}{{.State.Health.Status}}{{end}} {{.State.Running}}', id).split(' ');
    return { version: version!, health: health! };
  });
}

beforeAll(() => {
  ensureImages();
  root = writeRepo([
    { name: source, version: '1.1.0' },
    { name: target, version: '1.0.0', from: source },
    { name: third, version: '1.0.0' },
  ]);
});

afterAll(async () => {
  if (!root) return;
  const left: Record<string, string[]> = {};
  for (const env of [source, target, third]) {
    const r = await run(['teardown', '--env', env]);
    expect(r.status, r.stderr).toBe(0);
    left[env] = containersOf(env);
  }
  removeDir(root);
  expect(left).toEqual({ [source]: [], [target]: [], [third]: [] });
});

describe('mnops apply / plan / deploy on the real engine', () => {
  it('applies every environment, and a second plan is unchanged (idempotent)', async () => {
    for (const env of [source, target, third]) {
      const r = await run(['apply', '--env', env, '--timeout', '30']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`+ ${PLATFORM}`);
      const again = await run(['plan', '--env', env]);
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain(`Plan for ${env}: 0 to create, 0 to update, 0 to delete, 1 unchanged.`);
    }
    expect(running(source)).toEqual([{ version: '1.1.0', health: 'healthy' }]);
    expect(running(target)).toEqual([{ version: '1.0.0', health: 'healthy' }]);
  });

  it('denies a promotion without approvals: every reason printed, no commit, a denied audit record', async () => {
    const before = head();
    const r = await run(['deploy', PLATFORM, '--to', target]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(`promotion denied: ${PLATFORM} 1.0.0 → 1.1.0 in ${target}`);
    expect(r.stdout).toMatch(/^ {2}- .*approval/m);
    expect(head()).toBe(before);
    expect(instance(target)).toBe(instanceText(target, '1.0.0'));
    const denied = (await audit(target)).filter((a) => a.outcome === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ action: 'promote', actor: 'alice', platform: PLATFORM, fromVersion: '1.0.0', toVersion: '1.1.0' });
    expect(denied[0]!.reason).toMatch(/approval/);
    expect(running(target)).toEqual([{ version: '1.0.0', health: 'healthy' }]);
  });

  it('promotes with an approval: one commit of the one line, the new version healthy, audited, lease free', async () => {
    const before = head();
    const r = await run(['deploy', PLATFORM, '--to', target, '--approved-by', 'bob']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`deployed ${PLATFORM} 1.0.0 → 1.1.0 in ${target}`);
    // The file is the same text but the version: comments and layout kept.
    expect(instance(target)).toBe(instanceText(target, '1.1.0'));
    expect(git(root, 'rev-parse', 'HEAD~1').trim()).toBe(before);
    expect(git(root, 'diff', '--name-only', 'HEAD~1', 'HEAD').trim()).toBe(instanceFile(target));
    const message = git(root, 'log', '-1', '--format=%B');
    expect(message).toContain(`deploy(${target}): ${PLATFORM} 1.0.0 → 1.1.0`);
    expect(message).toContain('Actor: alice');
    expect(message).toContain('Gate: allowed');
    expect(message).toContain('Approved-by: bob');
    expect(running(target)).toEqual([{ version: '1.1.0', health: 'healthy' }]);
    // The apply that started the target records an inventory too: only the promotion here.
    const success = (await audit(target)).filter((a) => a.outcome === 'success' && a.action !== 'apply');
    expect(success).toHaveLength(1);
    expect(success[0]).toMatchObject({ action: 'promote', actor: 'alice', fromVersion: '1.0.0', toVersion: '1.1.0', commit: head() });
    const lock = await run(['audit', 'lock', 'status', '--env', target]);
    expect(lock.stdout.trim()).toBe(`${target} is free`);
    // Nothing left to do for the engine either.
    expect((await run(['plan', '--env', target])).status).toBe(0);
  });

  it('reverts the manifest commit when the rollout never turns healthy; the old version keeps serving', async () => {
    const r = await run(['deploy', PLATFORM, '--to', third, '--version', BROKEN, '--timeout', '15']);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(`rollout failed: ${PLATFORM} 1.0.0 → ${BROKEN} in ${third}`);
    expect(r.stdout).toContain('reverted the manifest commit');
    const failed = (await audit(third)).filter((a) => a.outcome === 'failure');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ actor: 'alice', fromVersion: '1.0.0', toVersion: BROKEN });
    // HEAD reverts the deploy commit the failure record names.
    expect(git(root, 'log', '-1', '--format=%B')).toContain(`This reverts commit ${failed[0]!.commit!}`);
    expect(git(root, 'rev-parse', 'HEAD~1').trim()).toBe(failed[0]!.commit);
    expect(instance(third)).toBe(instanceText(third, '1.0.0'));
    expect(running(third)).toEqual([{ version: '1.0.0', health: 'healthy' }]);
    expect((await run(['plan', '--env', third])).status).toBe(0);
  }, 60_000);

  it('serializes two concurrent deploys to one environment; the later one sees the earlier commit', async () => {
    const commits = commitCount();
    // dave starts while carol holds the lease, so he reads the manifest before carol's commit
    // lands: under the lease his deploy must see 1.1.0 and still bring 1.0.0 back.
    const first = runAsync(['deploy', PLATFORM, '--to', third, '--version', '1.1.0', '--timeout', '30'], { GITHUB_ACTOR: 'carol' });
    for (let i = 0; i < 100 && !(await run(['audit', 'lock', 'status', '--env', third])).stdout.includes('held by carol'); i++) await new Promise((r) => setTimeout(r, 100));
    const [a, b] = await Promise.all([first, runAsync(['deploy', PLATFORM, '--to', third, '--version', '1.0.0', '--timeout', '30'], { GITHUB_ACTOR: 'dave' })]);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    expect(b.status, b.stdout + b.stderr).toBe(0);
    const trail = (await audit(third)).filter((x) => x.seq > 0);
    const locks = trail.filter((x) => x.action === 'lock' || x.action === 'unlock');
    const recent = locks.slice(-4);
    // lock, unlock, lock, unlock: the second lease only after the first is given back.
    expect(recent.map((x) => x.action)).toEqual(['lock', 'unlock', 'lock', 'unlock']);
    expect(recent[0]!.lease!.id).toBe(recent[1]!.lease!.id);
    expect(recent[2]!.lease!.id).toBe(recent[3]!.lease!.id);
    expect([recent[0]!.actor, recent[2]!.actor]).toEqual(['carol', 'dave']);
    expect(b.stdout).toContain(`deployed ${PLATFORM} 1.1.0 → 1.0.0 in ${third}`);
    // The deploy that held the lease last decides what the manifest says and what runs.
    const last = '1.0.0';
    const story = [a.stdout, a.stderr, b.stdout, b.stderr, JSON.stringify(trail.slice(-6), null, 1)].join('\n');
    expect(instance(third), story).toBe(instanceText(third, last));
    expect(running(third)).toEqual([{ version: last, health: 'healthy' }]);
    expect(commitCount()).toBeGreaterThan(commits);
  }, 90_000);

  it('an unreachable engine is exit 2 with one sentence', async () => {
    const r = await run(['plan', '--env', source], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/engine/i);
    expect(lines[0]!.split(/[.!?](\s|$)/).filter((s) => s.trim()).length).toBeLessThanOrEqual(2);
  });
});
