// Commands that change an engine or the trail, through the real CLI on the real Docker
// engine and real git: --dry-run says what would be done and leaves both as they were; drift
// prints each environment's progress once; plan and apply summarise the settings the
// engine cannot enforce in one line (the list with --verbose).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, mnops, removeDir } from '../helpers/repo.js';
import { containersOf, ensureImages, uniqueName, writeRepo, docker } from '../promotion/world.js';

const env = uniqueName('c');
const next = uniqueName('n'); // promotes from env; never applied
let root = '';
const run = (args: string[]) => mnops([...args, '--root', root], { env: { MNOPS_AUDIT_REMOTE: 'none' } });

/** What git holds (every ref, the index and the working tree): equal before and after means nothing changed. */
const gitState = () => `${git(root, 'for-each-ref', '--format=%(refname) %(objectname)')}${git(root, 'status', '--porcelain')}`;
/** What the engine runs for both environments: ids, states and images. */
const engineState = () => [env, next].map((e) => docker('ps', '-a', '--filter', `label=mnops.environment=${e}`, '--format', '{{.ID}} {{.State}} {{.Image}}')).join('\n');

beforeAll(async () => {
  ensureImages();
  root = writeRepo([
    { name: env, version: '1.0.0' },
    { name: next, version: '1.0.0', from: env },
  ]);
  const a = await run(['apply', '--env', env, '--timeout', '30']);
  expect(a.status, a.stdout + a.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (!root) return;
  for (const e of [env, next]) expect((await run(['teardown', '--env', e])).status).toBe(0);
  expect(containersOf(env)).toEqual([]);
  removeDir(root);
});

describe('--dry-run changes nothing', () => {
  it.each([
    { line: 'apply --env NEXT --dry-run', args: () => ['apply', '--env', next, '--dry-run'], says: `+ demo-platform 1.0.0  (create)` },
    { line: 'deploy --env NEXT --dry-run', args: () => ['deploy', 'demo-platform', '--env', next, '--approved-by', 'bob', '--dry-run'], says: `✔ dry run: demo-platform 1.0.0 → 1.0.0 in ${next} would be allowed` },
    { line: 'deploy --to NEXT --dry-run (the alias)', args: () => ['deploy', 'demo-platform', '--to', next, '--approved-by', 'bob', '--dry-run'], says: `✔ dry run: demo-platform 1.0.0 → 1.0.0 in ${next} would be allowed` },
    { line: 'rollback --env ENV --dry-run', args: () => ['rollback', 'demo-platform', '--env', env, '--to-version', '1.0.0', '--dry-run'], says: `dry run: demo-platform 1.0.0 → 1.0.0 in ${env} would be` },
    { line: 'teardown --env ENV --dry-run', args: () => ['teardown', '--env', env, '--dry-run'], says: `dry run: teardown would remove 1 workload(s) from ${env} on docker, with every secret and network mnops manages there:\n  - demo-platform 1.0.0\nnothing was changed\n` },
    { line: 'audit append --dry-run', args: () => ['audit', 'append', '--action', 'promote', '--env', env, '--outcome', 'success', '--dry-run'], says: `dry run: would record promote ${env} success by ` },
  ])('mnops $line: prints what it would do; engine and git unchanged', async ({ args, says }) => {
    const [engineBefore, gitBefore] = [engineState(), gitState()];
    const r = await run(args());
    expect(r.status === 0 || r.status === 1, r.stderr).toBe(true);
    expect(r.stdout).toContain(says);
    expect(engineState()).toBe(engineBefore);
    expect(gitState()).toBe(gitBefore);
  });

  it('teardown without --dry-run does remove the workload (the dry run above was not a no-op by accident)', async () => {
    const other = uniqueName('t');
    const dir = writeRepo([{ name: other, version: '1.0.0' }]);
    try {
      const cli = (args: string[]) => mnops([...args, '--root', dir], { env: { MNOPS_AUDIT_REMOTE: 'none' } });
      expect((await cli(['apply', '--env', other, '--timeout', '30'])).status).toBe(0);
      expect(containersOf(other)).toHaveLength(1);
      expect((await cli(['teardown', '--env', other])).stdout).toBe(`removed everything mnops manages in ${other}\n`);
      expect(containersOf(other)).toEqual([]);
    } finally {
      if (containersOf(other).length) await mnops(['teardown', '--env', other, '--root', dir], { env: { MNOPS_AUDIT_REMOTE: 'none' } });
      removeDir(dir);
    }
  });
});

describe('drift --heal --dry-run on a drifted environment', () => {
  it('reports the drift, heals nothing and records nothing', async () => {
    const other = uniqueName('h');
    const dir = writeRepo([{ name: other, version: '1.0.0' }]);
    const cli = (args: string[]) => mnops([...args, '--root', dir], { env: { MNOPS_AUDIT_REMOTE: 'none' } });
    try {
      expect((await cli(['apply', '--env', other, '--timeout', '30'])).status).toBe(0);
      docker('stop', '-t', '0', ...containersOf(other));
      const engineBefore = docker('ps', '-a', '--filter', `label=mnops.environment=${other}`, '--format', '{{.ID}} {{.State}}');
      const gitBefore = git(dir, 'for-each-ref', '--format=%(refname) %(objectname)');
      const r = await cli(['drift', '--env', other, '--heal', '--dry-run']);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toContain(`${other} (docker):`);
      expect(r.stderr).toContain('dry run: nothing was healed or recorded\n');
      expect(docker('ps', '-a', '--filter', `label=mnops.environment=${other}`, '--format', '{{.ID}} {{.State}}')).toBe(engineBefore);
      expect(engineBefore).toMatch(/exited/);
      expect(git(dir, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(gitBefore);
    } finally {
      expect((await cli(['teardown', '--env', other])).status).toBe(0);
      removeDir(dir);
    }
  }, 120_000);
});

describe('drift progress', () => {
  const once = (text: string, needle: string) => text.split(needle).length - 1;

  it('piped: each environment is reported once (the report line), not again as a progress line', async () => {
    const r = await run(['drift', '--env', env, '--no-record']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${env} (docker): no drift (1 platform(s), 1 workload(s) read)`);
    expect(once(r.stdout + r.stderr, 'workload(s) read')).toBe(1);
    expect(r.stderr).toBe(`${env}  reading…\n`);
  });

  it('on a terminal: the environment\'s result is printed once', () => {
    // `script` gives the CLI a real pseudo-terminal for stdout and stderr.
    const cmd = `${process.execPath} dist/tools/mnops.js drift --env ${env} --no-record --root ${root}`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', CI: '', TERM: 'xterm', MNOPS_AUDIT_REMOTE: 'none' } });
    expect(out).toContain(`${env} (docker): no drift (1 platform(s), 1 workload(s) read)`);
    expect(once(out, 'workload(s) read')).toBe(1);
  });
});

describe('settings the engine cannot enforce', () => {
  const SUMMARY = '! 1 setting cannot be enforced by docker: resources.maxThreads — run with --verbose for the list\n';
  it('plan says it in one line per plan', async () => {
    const r = await run(['plan', '--env', env]);
    expect(r.stdout.endsWith(`\n${SUMMARY}`)).toBe(true);
    expect(r.stdout).not.toContain('threads count against the pids limit');
  });

  it('plan --verbose lists each setting with its reason', async () => {
    const r = await run(['plan', '--env', env, '--verbose']);
    expect(r.stdout).toContain('! 1 setting cannot be enforced by docker:\n  - demo-platform: resources.maxThreads — threads count against the pids limit');
    expect(r.stdout).not.toContain('--verbose for the list');
  });

  it('apply says it once too, and lists it with --verbose', async () => {
    const quiet = await run(['apply', '--env', env, '--dry-run']);
    expect(quiet.stdout).toContain(SUMMARY);
    const loud = await run(['apply', '--env', env, '--dry-run', '--verbose']);
    expect(loud.stdout).toContain('  - demo-platform: resources.maxThreads — threads count against the pids limit');
  });
});
