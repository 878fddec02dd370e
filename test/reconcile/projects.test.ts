// Two clones of the example, each with its own project id, share the real Docker engine: both
// run dev side by side, drift in one never reports the other's containers, and tearing one
// down leaves the other's containers, networks and volumes alone (and whatever runs without a
// project, e.g. an example applied before projects existed). Bad project ids are refused with
// the file, line and a fix.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceName } from '../../tools/lib/provider/swarm/service-spec.js';
import { containerName } from '../../tools/lib/provider/docker/container-spec.js';
import { createDockerProvider } from '../../tools/lib/provider/docker/index.js';
import { digestKeyName } from '../../tools/lib/secrets/digest.js';
import { edit, exampleRepo, git, lineOf, mnops, removeDir } from '../helpers/repo.js';
import { docker } from '../promotion/world.js';

const SETTINGS = 'ecosystem/governance/settings.yaml';
const RUN = randomBytes(3).toString('hex');
const A = `pa-${RUN}`;
const B = `pb-${RUN}`;
// The example's dev secrets and an audit trail kept in the clone.
const ENV = { MNOPS_EXAMPLE_SIGNING_SECRET: 'projects-test-signing', MNOPS_WEBHOOK_SIGNATURE: 'projects-test-webhook', MNOPS_AUDIT_REMOTE: 'none', MNOPS_PROJECT: undefined };

/** A committed clone of the example whose settings declare `project`. */
function cloneWithProject(project: string): string {
  const root = exampleRepo({ git: true });
  edit(root, SETTINGS, /^spec:\n/m, `spec:\n  project: ${project}\n`);
  git(root, 'commit', '-qam', `project ${project}`);
  return root;
}

const lines = (text: string) => text.split('\n').filter(Boolean);
const containers = (project: string, all = false) => lines(docker('ps', ...(all ? ['-a'] : []), '--filter', `label=mnops.project=${project}`, '--format', '{{.Names}}'));
const networks = (project: string) => lines(docker('network', 'ls', '--filter', `label=mnops.project=${project}`, '--format', '{{.Name}}')).sort();
const volumes = (project: string) => lines(docker('volume', 'ls', '--filter', `label=mnops.project=${project}`, '--format', '{{.Name}}'));
/** A managed container by hand, as mnops labelled them before projects (or in another project). */
function handMade(name: string, labels: Record<string, string>): void {
  docker('run', '-d', '--name', name, ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), 'mnops/base:busybox', 'sleep', '600');
}
const exists = (name: string) => docker('ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}') === name;

// dev as an example applied before projects would have it: no mnops.project label.
const UNNAMED = `mnops-dev-witness-${RUN}`;

describe('project ids keep clones that share an engine apart', () => {
  let a = '';
  let b = '';
  const run = (root: string, args: string[]) => mnops([...args, '--root', root], { env: ENV });

  beforeAll(() => {
    a = cloneWithProject(A);
    b = cloneWithProject(B);
  });

  afterAll(async () => {
    for (const root of [a, b]) if (root) await run(root, ['teardown', '--env', 'dev']);
    // Whatever a failed teardown left, by the project's label only.
    for (const p of [A, B]) {
      for (const c of containers(p, true)) docker('rm', '-f', c);
      for (const n of networks(p)) docker('network', 'rm', n);
      for (const v of volumes(p)) docker('volume', 'rm', '-f', v);
    }
    try {
      docker('rm', '-f', UNNAMED);
    } catch {
      // not there
    }
    removeDir(a);
    removeDir(b);
  }, 240_000);

  it('runs both, drifts and tears down each alone', async () => {
    handMade(UNNAMED, { 'mnops.managed': 'true', 'mnops.environment': 'dev', 'mnops.platform': `witness-${RUN}` });
    const [appliedA, appliedB] = await Promise.all([run(a, ['apply', '--env', 'dev', '--concurrency', '4']), run(b, ['apply', '--env', 'dev', '--concurrency', '4'])]);
    expect(appliedA.status, appliedA.stdout + appliedA.stderr).toBe(0);
    expect(appliedB.status, appliedB.stdout + appliedB.stderr).toBe(0);

    // Each project's objects carry its id in their names and its label.
    for (const p of [A, B]) {
      const names = containers(p);
      expect(names).toHaveLength(9);
      for (const n of names) expect(n.startsWith(`mnops-${p}-dev-`), n).toBe(true);
      expect(networks(p)).toEqual([`mnops-${p}-dev`, `mnops-${p}-dev-internal`]);
      expect(volumes(p)).toContain(`mnops-${p}-key-dev`);
    }

    // B loses a container behind mnops' back: B's drift says so, A's sees nothing of B.
    const lost = containers(B).find((n) => n.includes('-data-platform-'))!;
    docker('rm', '-f', lost);
    const driftB = await run(b, ['drift', '--env', 'dev', '--no-record']);
    expect(driftB.status, driftB.stdout + driftB.stderr).toBe(1);
    expect(driftB.stdout).toContain('data-platform');
    const driftA = await run(a, ['drift', '--env', 'dev', '--no-record']);
    expect(driftA.status, driftA.stdout + driftA.stderr).toBe(0);
    expect(driftA.stdout).toContain('dev (docker): no drift (9 platform(s), 9 workload(s) read)');
    expect(driftA.stdout + driftB.stdout).not.toContain('witness');

    // Tearing A down removes A's objects only.
    const down = await run(a, ['teardown', '--env', 'dev']);
    expect(down.status, down.stdout + down.stderr).toBe(0);
    expect(containers(A, true)).toEqual([]);
    expect(networks(A)).toEqual([]);
    expect(volumes(A)).toEqual([]);
    expect(containers(B)).toHaveLength(8);
    expect(networks(B)).toEqual([`mnops-${B}-dev`, `mnops-${B}-dev-internal`]);
    expect(volumes(B)).toContain(`mnops-${B}-key-dev`);
    // B still plans its own environment: only the lost platform is to be created (exit 1: changes pending).
    const planB = await run(b, ['plan', '--env', 'dev']);
    expect(planB.status, planB.stdout + planB.stderr).toBe(1);
    expect(planB.stdout).toContain('Plan for dev: 1 to create, 0 to update, 0 to delete, 8 unchanged.');
    // What runs in dev without a project was touched by neither.
    expect(exists(UNNAMED)).toBe(true);
  }, 600_000);
});

describe('the unnamed project (no project id)', () => {
  const env = `np-${RUN}`;
  const labelled = `mnops-${A}-${env}-web-0`;
  const network = `mnops-${A}-${env}-internal`;
  afterAll(() => {
    const joined = lines(docker('ps', '-aq', '--filter', `label=mnops.environment=${A}-${env}`));
    for (const rm of [['rm', '-f', labelled, ...joined], ['network', 'rm', network]]) {
      try {
        docker(...rm);
      } catch {
        // not there
      }
    }
  });

  it('neither lists nor tears down what a named project runs in an environment of the same name', async () => {
    handMade(labelled, { 'mnops.managed': 'true', 'mnops.environment': env, 'mnops.platform': 'web', 'mnops.project': A });
    const unnamed = createDockerProvider();
    expect(await unnamed.list(env)).toEqual([]);
    await unnamed.teardown(env);
    expect(exists(labelled)).toBe(true);
    // Its own project sees it.
    expect((await createDockerProvider({ project: A }).list(env)).map((w) => w.platform)).toEqual(['web']);
  }, 60_000);

  it('refuses a network of the same name that another project made, rather than join it', async () => {
    // No project, environment `<A>-<env>`, names its networks as project A's <env> does.
    docker('network', 'create', '--internal', '--label', 'mnops.managed=true', '--label', `mnops.environment=${env}`, '--label', `mnops.project=${A}`, network);
    const d = {
      platform: 'web', environment: `${A}-${env}`, version: '1.0.0', specHash: 'sha256:0123456789abcdef', image: 'mnops/base:busybox', command: ['sleep', '60'],
      env: {}, secrets: [], resources: {}, network: { policy: 'http-only' as const }, sandbox: {}, replicas: 1, ports: [], dependsOn: [],
    };
    await expect(createDockerProvider().replace(d, undefined, 20_000)).rejects.toThrow(`network ${network} belongs to project ${A}, environment ${env}: the name is taken`);
    expect(docker('ps', '-a', '--filter', `label=mnops.environment=${A}-${env}`, '--format', '{{.Names}}')).toBe('');
  }, 60_000);
});

describe('project ids', () => {
  it('a bad spec.project is a schema error on its line, with what a good one is', async () => {
    const root = exampleRepo({ git: true });
    try {
      edit(root, SETTINGS, /^spec:\n/m, 'spec:\n  project: Shop_EU\n');
      const r = await mnops(['validate', '--root', root]);
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain(SETTINGS);
      expect(r.stdout).toContain(`${lineOf(root, SETTINGS, 'project: Shop_EU')}:3  error  schema.invalid  spec.project "Shop_EU" is not a valid project id: lower-case letters, digits and inner hyphens, at most 20 characters`);
      expect(r.stdout).toContain('→ write a project id: lower-case letters, digits and inner hyphens, at most 20 characters, e.g. shop-eu');
      // Longer than 20 is refused the same way (swarm service names have 63 characters in all).
      edit(root, SETTINGS, 'project: Shop_EU', `project: ${'a'.repeat(21)}`);
      const long = await mnops(['validate', '--root', root]);
      expect(long.stdout).toContain(`spec.project "${'a'.repeat(21)}" is not a valid project id`);
    } finally {
      removeDir(root);
    }
  }, 60_000);

  it('a bad MNOPS_PROJECT stops plan before the engine, naming the variable and a fix (exit 2)', async () => {
    const root = exampleRepo({ git: true });
    try {
      const r = await mnops(['plan', '--env', 'dev', '--root', root], { env: { ...ENV, MNOPS_PROJECT: 'Bad_One' } });
      expect(r.status, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toContain('mnops: MNOPS_PROJECT="Bad_One" is not a project id (lower-case letters, digits and inner hyphens, at most 20 characters, e.g. shop-eu)');
      expect(r.stderr).toContain('set MNOPS_PROJECT to one, e.g. MNOPS_PROJECT=bad-one, or unset it to use spec.project of the settings');
    } finally {
      removeDir(root);
    }
  }, 60_000);

  it('names carry the project; without one they are the names of before projects', () => {
    const d = { environment: 'dev', platform: 'web', specHash: 'sha256:abcdef0123456789' } as Parameters<typeof containerName>[0];
    expect(containerName(d, 0)).toBe('mnops-dev-web-abcdef012345-0');
    expect(containerName(d, 0, undefined, 'shop-eu')).toBe('mnops-shop-eu-dev-web-abcdef012345-0');
    expect(digestKeyName('dev')).toBe('mnops-key-dev');
    expect(digestKeyName('dev', 'shop-eu')).toBe('mnops-shop-eu-key-dev');
    // The longest project with long names still fits a swarm service name, and stays unique.
    const long = serviceName('e'.repeat(40), 'observability-platform', 'p'.repeat(20));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long.startsWith(`mnops-${'p'.repeat(20)}-`)).toBe(true);
    expect(serviceName('e'.repeat(40), 'observability-platform', 'q'.repeat(20))).not.toBe(long);
  });
});
