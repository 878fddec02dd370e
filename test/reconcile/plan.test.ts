// plan() reads the provider's list one way: one workload per platform. Replicas of an
// unfinished rollout beside the serving ones make an update (to retire them), never a no-op;
// a provider that lists a platform twice breaks the contract and is refused, not merged.
import { describe, expect, it } from 'vitest';
import { hashWorkload } from '../../tools/lib/reconcile/desired.js';
import { plan } from '../../tools/lib/reconcile/plan.js';
import { recordedSpec } from '../../tools/lib/provider/labels.js';
import type { ActualWorkload, DesiredWorkload } from '../../tools/lib/provider/types.js';

const KEY = Buffer.alloc(32, 3);
function desired(platform: string, version = '1.0.0'): DesiredWorkload {
  return hashWorkload({ platform, environment: 'e', version, image: `img:${version}`, env: {}, secrets: [], resources: {}, network: {}, sandbox: {}, replicas: 1, ports: [], dependsOn: [] }, KEY);
}
function running(d: DesiredWorkload, leftovers: { version: string; specHash: string }[] = []): ActualWorkload {
  const serving = { version: d.version, specHash: d.specHash, instances: ['x'], running: 1, healthy: true };
  return {
    id: d.platform,
    platform: d.platform,
    environment: 'e',
    version: d.version,
    specHash: d.specHash,
    running: 1,
    replicas: 1,
    healthy: true,
    spec: recordedSpec(d),
    generations: [serving, ...leftovers.map((l) => ({ ...l, instances: ['y'], running: 1, healthy: true }))],
  };
}

describe('plan against one workload per platform', () => {
  it('is a no-op when the serving generation is all there is, an update while leftovers run beside it', () => {
    const d = desired('a');
    expect(plan('e', [d], [running(d)]).actions).toMatchObject([{ kind: 'noop', platform: 'a' }]);
    const p = plan('e', [d], [running(d, [{ version: '0.9.0', specHash: 'old' }])]);
    expect(p.actions).toMatchObject([{ kind: 'update', platform: 'a', changes: [{ field: '/generations', from: '1.0.0 (1), 0.9.0 (1)', to: '1 of 1.0.0' }] }]);
  });

  it('refuses a list that holds a platform twice', () => {
    const d = desired('a');
    expect(() => plan('e', [d], [running(d), running(d)])).toThrow(/listed a in e twice/);
  });
});
