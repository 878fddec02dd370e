// The graph views in process (test/registry/cli.test.ts drives the same through the CLI):
// one platform and what is next to it, what one environment runs, both, and unknown names.
import { afterAll, describe, expect, it } from 'vitest';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { buildGraph, type Graph } from '../../tools/lib/registry/graph.js';
import { filterGraph } from '../../tools/lib/registry/graph-view.js';
import { UsageError } from '../../tools/lib/repo/errors.js';
import { BASE, doc, load, removeWorlds, waiver, writeWorld } from './world.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const eco = (await loadEcosystem(ROOT, { cacheDir: false })).ecosystem;
const all = buildGraph(eco);
const ids = (g: Graph) => g.nodes.map((n) => n.id);
afterAll(removeWorlds);

/** Every edge of the view joins two kept nodes, and every edge of the graph between kept nodes is there. */
function edgesExactlyBetweenKept(view: Graph): void {
  const kept = new Set(ids(view));
  const key = (e: Graph['edges'][number]) => `${e.from} ${e.relation} ${e.to} ${e.label ?? ''}`;
  expect(view.edges.map(key).sort()).toEqual(all.edges.filter((e) => kept.has(e.from) && kept.has(e.to)).map(key).sort());
}

describe('filterGraph', () => {
  it('without a filter is the whole graph', () => {
    expect(filterGraph(eco, all, {})).toBe(all);
  });

  it('--platform: the platform, its templates up to the root, what it references and what references it directly', () => {
    const view = filterGraph(eco, all, { platform: 'data-platform' });
    expect(ids(view)).toEqual(
      expect.arrayContaining([
        'Platform/data-platform',
        'PlatformTemplate/batch-worker',
        'PlatformTemplate/base-service',
        'Namespace/data',
        'Platform/runtime-platform',
        'Platform/semantic-platform',
        'Contract/storage',
        'Environment/dev',
      ]),
    );
    expect(ids(view)).not.toContain('Platform/security-platform');
    expect(ids(view)).not.toContain('Adapter/docker');
    expect(ids(view)).not.toContain('PlatformTemplate/http-service');
    expect(view.nodes.length).toBeLessThan(all.nodes.length / 3);
    edgesExactlyBetweenKept(view);
  });

  it('--env: what the environment runs and what that is built from, its adapter and the exceptions that apply there', () => {
    const running = eco.instances.get('prod')!.manifest.spec.platforms.map((p) => `Platform/${p.name}`).sort();
    const prod = ids(filterGraph(eco, all, { environment: 'prod' }));
    expect(prod.filter((id) => id.startsWith('Platform/')).sort()).toEqual(running);
    expect(prod.filter((id) => id.startsWith('Environment/'))).toEqual(['Environment/prod']);
    expect(prod).toContain(`Adapter/${eco.environments.get('prod')!.manifest.spec.adapter}`);
    expect(prod).toContain('PlatformTemplate/base-service');
    expect(prod.filter((id) => id.startsWith('Adapter/'))).toHaveLength(1);
    expect(prod).not.toContain('PolicyException/semantic-platform-dev-ceiling');
    expect(ids(filterGraph(eco, all, { environment: 'dev' }))).toContain('PolicyException/semantic-platform-dev-ceiling');
    edgesExactlyBetweenKept(filterGraph(eco, all, { environment: 'prod' }));
  });

  it('--env keeps an exception for what runs there, in every environment or in that one only', async () => {
    const anywhere = waiver('api-anywhere', ['kind: Platform', 'name: api-platform']);
    const world = await load(writeWorld({ ...BASE, 'ecosystem/governance/exceptions/api-anywhere.yaml': anywhere }), { clean: false });
    const dev = ids(filterGraph(world, buildGraph(world), { environment: 'dev' }));
    expect(dev).toContain('PolicyException/api-anywhere');
    // api-platform runs in dev, but this exception is for prod.
    expect(dev).not.toContain('PolicyException/api-prod-replicas');
    // prod does not run api-platform: neither applies there.
    const prod = ids(filterGraph(world, buildGraph(world), { environment: 'prod' }));
    expect(prod.filter((id) => id.startsWith('PolicyException/'))).toEqual([]);
  });

  it('--platform keeps the platforms that depend on it through a template; --env an exception on its instance, and works without one', async () => {
    const world = await load(
      writeWorld({
        ...BASE,
        'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['replicas: 1', 'dependsOn:', '  - db-platform']),
        'ecosystem/governance/exceptions/sandbox-inst.yaml': waiver('sandbox-inst', ['kind: PlatformInstance', 'name: sandbox']),
      }),
      { clean: false },
    );
    const graph = buildGraph(world);
    const db = ids(filterGraph(world, graph, { platform: 'db-platform' }));
    // worker and lone inherit dependsOn db-platform from batch; report has a list of its own.
    expect(db).toEqual(expect.arrayContaining(['Platform/worker-platform', 'Platform/lone-platform', 'Platform/api-platform']));
    expect(db).not.toContain('Platform/report-platform');
    const sandbox = ids(filterGraph(world, graph, { environment: 'sandbox' }));
    expect(sandbox).toEqual(expect.arrayContaining(['Environment/sandbox', 'Adapter/swarm', 'Platform/worker-platform', 'PlatformTemplate/batch', 'PolicyException/sandbox-inst']));
    // The dependency of worker (db-platform) does not run in sandbox: it is left out.
    expect(sandbox).not.toContain('Platform/db-platform');
    expect(ids(filterGraph(world, graph, { environment: 'dev' }))).not.toContain('PolicyException/sandbox-inst');
    const bare = await load(writeWorld({ ...BASE, 'ecosystem/platform-cloud/sandbox/platform.yaml': null }), { clean: false });
    expect(ids(filterGraph(bare, buildGraph(bare), { environment: 'sandbox' })).sort()).toEqual(['Adapter/swarm', 'Environment/sandbox']);
  });

  it('both: what both views keep', () => {
    const both = ids(filterGraph(eco, all, { environment: 'prod', platform: 'runtime-platform' }));
    const env = new Set(ids(filterGraph(eco, all, { environment: 'prod' })));
    const platform = new Set(ids(filterGraph(eco, all, { platform: 'runtime-platform' })));
    expect(both).toContain('Platform/runtime-platform');
    expect(both).toContain('Environment/prod');
    expect(both).not.toContain('Environment/dev');
    expect(both.sort()).toEqual([...env].filter((id) => platform.has(id)).sort());
  });

  it('an unknown name is a UsageError naming the close one, or the names there are', () => {
    const error = (filter: Parameters<typeof filterGraph>[2]) => {
      try {
        filterGraph(eco, all, filter);
      } catch (e) {
        return e as UsageError;
      }
      throw new Error('no error');
    };
    const env = error({ environment: 'stagin' });
    expect(env).toBeInstanceOf(UsageError);
    expect([env.message, env.hint]).toEqual(['--env stagin: environment "stagin" does not exist', 'did you mean "staging"?']);
    const platform = error({ platform: 'data-platfrom' });
    expect([platform.message, platform.hint]).toEqual(['--platform data-platfrom: platform "data-platfrom" does not exist', 'did you mean "data-platform"?']);
    expect(error({ platform: 'zzz' }).hint).toBe(`pick one of: ${[...eco.platforms.keys()].sort().join(', ')}`);
  });
});
