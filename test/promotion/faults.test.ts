// Faults on the real engine: the engine gone mid-apply is exit 2 with one sentence
// and a re-run converges; a deploy killed mid-rollout leaves its lease, which is broken, and
// the re-run converges without a second manifest commit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXED_NOW, git, mnops, removeDir, type CliResult } from '../helpers/repo.js';
import { PLATFORM, containersOf, docker, ensureImages, instanceFile, uniqueName, writeRepo } from './world.js';

const source = uniqueName('fd');
const target = uniqueName('fs');
const multi = uniqueName('fm');
// Named as the naming policy wants: reconcile refuses an ecosystem with policy errors.
const EXTRA = ['demo-two-platform', 'demo-three-platform'];
let root = '';

const run = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> => mnops([...args, '--root', root], { env: { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'alice', ...env } });

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, ...args, '--root', root], {
    env: { ...process.env, NO_COLOR: '1', MNOPS_NO_CACHE: '1', MNOPS_NOW: FIXED_NOW, FORCE_COLOR: undefined, GITHUB_STEP_SUMMARY: undefined, GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'alice', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, ms: performance.now() - t0 }));
  });
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A unix-socket proxy to the real engine that the test can cut. */
async function engineProxy(socket: string): Promise<{ cut: () => Promise<void> }> {
  const conns = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect('/var/run/docker.sock');
    conns.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  rmSync(socket, { force: true });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    cut: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of conns) c.destroy();
      await closed;
      rmSync(socket, { force: true });
    },
  };
}

function addPlatforms(): void {
  const base = readFileSync(path.join(root, `platforms/${PLATFORM}/platform.yaml`), 'utf8');
  for (const name of EXTRA) {
    mkdirSync(path.join(root, `platforms/${name}`), { recursive: true });
    writeFileSync(path.join(root, `platforms/${name}/platform.yaml`), base.replace(`name: ${PLATFORM}`, `name: ${name}`));
  }
  const file = path.join(root, instanceFile(multi));
  const lines = [PLATFORM, ...EXTRA].map((p) => `  - name: ${p}\n    version: 1.0.0`).join('\n');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/platforms:[\s\S]*$/, `platforms:\n${lines}\n`));
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'three platforms');
}

beforeAll(() => {
  ensureImages();
  root = writeRepo([
    { name: source, version: '1.1.0' },
    { name: target, version: '1.0.0', from: source },
    { name: multi, version: '1.0.0' },
  ]);
  addPlatforms();
});

afterAll(async () => {
  if (!root) return;
  const left: Record<string, string[]> = {};
  for (const env of [source, target, multi]) {
    const r = await run(['teardown', '--env', env]);
    expect(r.status, r.stderr).toBe(0);
    left[env] = containersOf(env);
  }
  removeDir(root);
  expect(left).toEqual({ [source]: [], [target]: [], [multi]: [] });
});

describe('faults on the real engine', () => {
  it('engine unreachable mid-apply → exit 2, and a re-run converges', async () => {
    const socket = `/tmp/mnops-proxy-${multi}.sock`;
    const proxy = await engineProxy(socket);
    const apply = start(['apply', '--env', multi, '--concurrency', '1', '--timeout', '30'], { DOCKER_HOST: `unix://${socket}` });
    try {
      await until('the first container of the apply', () => containersOf(multi).length > 0);
    } finally {
      await proxy.cut();
    }
    const r = await apply.done;
    expect(r.status, r.stdout + r.stderr).toBe(2);
    // stderr holds the progress lines first (one per platform), then the error.
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('mnops:'));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0], r.stderr).toMatch(/engine/i);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(lines[0]!.split(/[.!?](\s|$)/).filter((s) => s.trim()).length).toBeLessThanOrEqual(2);

    const again = await run(['apply', '--env', multi, '--timeout', '30']);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    const plan = await run(['plan', '--env', multi]);
    expect(plan.status, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`Plan for ${multi}: 0 to create, 0 to update, 0 to delete, 3 unchanged.`);
    expect(containersOf(multi)).toHaveLength(3);
  }, 90_000);

  it('a killed deploy re-run converges', async () => {
    for (const env of [source, target]) {
      const r = await run(['apply', '--env', env, '--timeout', '30']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    const newOne = () => docker('ps', '-a', '-q', '--filter', `label=mnops.environment=${target}`, '--filter', 'label=mnops.version=1.1.0') !== '';
    const deploy = start(['deploy', PLATFORM, '--to', target, '--approved-by', 'bob', '--timeout', '30']);
    try {
      await until('the new container of the deploy', newOne);
    } finally {
      deploy.child.kill('SIGKILL');
    }
    const killed = await deploy.done;
    expect(killed.status, killed.stdout + killed.stderr).toBeNull();

    const status = await run(['audit', 'lock', 'status', '--env', target]);
    expect(status.stdout).toMatch(new RegExp(`^${target} is held by alice \\(lease \\S+\\)`));
    const lease = /\(lease (\S+)\)/.exec(status.stdout)![1]!;
    const broke = await run(['audit', 'lock', 'break', '--env', target, '--lease', lease, '--reason', 'deploy process killed']);
    expect(broke.status, broke.stdout + broke.stderr).toBe(0);
    expect((await run(['audit', 'lock', 'status', '--env', target])).stdout.trim()).toBe(`${target} is free`);

    const again = await run(['deploy', PLATFORM, '--to', target, '--approved-by', 'bob', '--timeout', '30']);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    const deploys = git(root, 'log', '--format=%s', '--', instanceFile(target)).split('\n').filter((s) => s.startsWith(`deploy(${target})`));
    expect(deploys).toEqual([`deploy(${target}): ${PLATFORM} 1.0.0 → 1.1.0`]);
    expect(readFileSync(path.join(root, instanceFile(target)), 'utf8')).toContain('version: 1.1.0 # pinned by the test');
    const plan = await run(['plan', '--env', target]);
    expect(plan.status, plan.stdout + plan.stderr).toBe(0);
    const versions = containersOf(target).map((id) => docker('inspect', '--format', '{{index .Config.Labels "mnops.version"}} {{.State.Health.Status}}', id));
    expect(versions).toEqual(['1.1.0 healthy']);
  }, 90_000);
});
