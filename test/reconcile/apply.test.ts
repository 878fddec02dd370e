// mnops plan / apply against the real Docker engine on a small repository: field-level
// plan, health-gated replacement (a version that never turns healthy leaves the old one
// serving and the platform reported failed), and convergence after the fix.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnops, removeDir } from '../helpers/repo.js';
import { BROKEN, PLATFORM, containersOf, docker, ensureImages, instanceFile, instanceText, uniqueName, writeRepo } from '../promotion/world.js';

const env = uniqueName('r');
let root = '';
const run = (args: string[]) => mnops([...args, '--root', root]);
const setVersion = (v: string) => writeFileSync(path.join(root, instanceFile(env)), instanceText(env, v));
const running = () => containersOf(env).map((id) => docker('inspect', '--format', '{{index .Config.Labels "mnops.version"}} {{.State.Health.Status}}', id));

beforeAll(() => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
});

afterAll(async () => {
  if (!root) return;
  const r = await run(['teardown', '--env', env]);
  removeDir(root);
  expect(r.status, r.stderr).toBe(0);
  expect(containersOf(env)).toEqual([]);
});

describe('mnops plan / apply on the real engine', () => {
  it('plans a create (exit 1), applies it, then plans nothing (exit 0)', async () => {
    const p = await run(['plan', '--env', env, '--format', 'json']);
    expect(p.status, p.stderr).toBe(1);
    expect(JSON.parse(p.stdout)).toMatchObject({ environment: env, actions: [{ kind: 'create', platform: PLATFORM, version: '1.0.0' }] });
    const a = await run(['apply', '--env', env, '--timeout', '30']);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toContain(`Applied ${env}.`);
    expect(running()).toEqual(['1.0.0 healthy']);
    const again = await run(['apply', '--env', env]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('0 to create, 0 to update, 0 to delete, 1 unchanged.');
    expect(again.stdout).not.toContain('done');
  });

  it('diffs field by field, and a version that never turns healthy leaves the old one serving', async () => {
    setVersion(BROKEN);
    const p = await run(['plan', '--env', env]);
    expect(p.status).toBe(1);
    expect(p.stdout).toContain(`~ ${PLATFORM} ${BROKEN}  (update)`);
    expect(p.stdout).toContain(`/version: 1.0.0 → ${BROKEN}`);
    expect(p.stdout).toContain(`/image: mnops/base:1.0.0 → mnops/base:${BROKEN}`);
    const a = await run(['apply', '--env', env, '--timeout', '8']);
    expect(a.status, a.stdout + a.stderr).toBe(1);
    expect(a.stdout).toContain(`✖ ${PLATFORM} failed`);
    expect(a.stdout).toContain('1 platform(s) not applied; the previous versions keep running.');
    expect(running()).toEqual(['1.0.0 healthy']);
  }, 60_000);

  it('converges once the manifest is fixed', async () => {
    setVersion('1.1.0');
    const a = await run(['apply', '--env', env, '--timeout', '30']);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    expect(running()).toEqual(['1.1.0 healthy']);
    expect((await run(['plan', '--env', env])).status).toBe(0);
  }, 60_000);
});
