// mnops drift against a real one-node Docker Swarm: a clean apply shows no drift; a scaled
// service and an out-of-band `docker service update` are reported with their fields and
// values; --heal restores the service through the apply path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnops, removeDir } from '../helpers/repo.js';
import { PLATFORM, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const env = uniqueName('ds');
const service = `mnops-${env}-${PLATFORM}`;
let root = '';
const run = (args: string[], extraEnv: Record<string, string> = {}) => mnops([...args, '--root', root], { env: extraEnv });

interface Item {
  platform: string;
  kind: string;
  field: string;
  desired: unknown;
  actual: unknown;
}
const drift = async (extra: string[] = []) => {
  const r = await run(['drift', '--env', env, '--format', 'json', ...extra]);
  const report = JSON.parse(r.stdout || '{}') as { environments: { items: Item[]; provider: string; remaining?: Item[] }[] };
  return { status: r.status, stderr: r.stderr, env: report.environments?.[0] };
};

beforeAll(async () => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0', adapter: 'swarm' }]);
  const a = await run(['apply', '--env', env, '--timeout', '60']);
  expect(a.status, a.stdout + a.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  if (!root) return;
  const r = await run(['teardown', '--env', env]);
  removeDir(root);
  expect(r.status, r.stderr).toBe(0);
  expect(docker('service', 'ls', '-q', '--filter', `label=mnops.environment=${env}`)).toBe('');
}, 120_000);

describe('mnops drift on a real swarm', () => {
  it('shows no drift after an apply', async () => {
    const d = await drift();
    expect(d.status, d.stderr + JSON.stringify(d.env?.items)).toBe(0);
    expect(d.env).toMatchObject({ provider: 'swarm', items: [] });
  });

  it('reports a scaled service and an out-of-band limit change, then heals them', async () => {
    docker('service', 'update', '--detach', '--replicas', '2', '--limit-memory', '96M', service);
    const d = await drift(['--no-record']);
    expect(d.status, d.stderr).toBe(1);
    const byField = Object.fromEntries(d.env!.items.map((i) => [i.field, i]));
    expect(byField['/replicas']).toMatchObject({ kind: 'replicas', desired: 1, actual: 2 });
    expect(byField['/resources/memoryMb']).toMatchObject({ kind: 'changed', desired: 64, actual: 96 });

    const h = await drift(['--heal', '--timeout', '60']);
    expect(h.status, h.stderr + JSON.stringify(h.env)).toBe(0);
    expect(h.env!.remaining).toEqual([]);
    expect(docker('service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}} {{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}}', service)).toBe(
      `1 ${64 * 1024 * 1024}`,
    );
  }, 180_000);
});
