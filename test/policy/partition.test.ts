// How the governance input is cut for parallel evaluation: the parts, what each keeps, and
// the identity that unites their findings. (test/policy/slices.test.ts shows the parts find
// what the whole does; this shows how they are cut.)
import { describe, expect, it } from 'vitest';
import type { GovernanceInput } from '../../tools/lib/policy/input.js';
import { DEFAULT_SETTINGS } from '../../tools/lib/policy/settings.js';
import { partition, rawFindingKey, sliceInput } from '../../tools/lib/policy/slices.js';

const platformsIn = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, {}]));

function input(resolved: Record<string, number>, platforms: string[], instancesOnly: string[] = []): GovernanceInput {
  return {
    now: '2026-01-01T00:00:00Z',
    today: '2026-01-01',
    settings: DEFAULT_SETTINGS,
    platforms: Object.fromEntries(platforms.map((p) => [p, { kind: 'Platform' }])),
    templates: { t: {} },
    environments: { dev: {} },
    instances: Object.fromEntries([...Object.keys(resolved), ...instancesOnly].map((e) => [e, { env: e }])),
    contracts: { c: {} },
    contract_files: {},
    adapters: { docker: {} },
    namespaces: { ns: {} },
    exceptions: { w: {} },
    resolved: Object.fromEntries(Object.entries(resolved).map(([e, n]) => [e, platformsIn(n)])),
  };
}
const plain = (slices: ReturnType<typeof partition>) => slices.map((s) => ({ platforms: [...s.platforms], environments: [...s.environments] }));

describe('partition', () => {
  it('deals environments largest first, each to the lightest part, and platform manifests round-robin', () => {
    const parts = partition(input({ a: 1, b: 5, c: 3, d: 2, e: 2 }, ['p1', 'p2', 'p3', 'p4', 'p5']), 2);
    // b (5) → part 0; c (3) → part 1; d (2) → part 1 (3 < 5); e (2) → part 0 (5 = 5, the first); a (1) → part 1 (5 < 7).
    expect(plain(parts)).toEqual([
      { platforms: ['p1', 'p3', 'p5'], environments: ['b', 'e'] },
      { platforms: ['p2', 'p4'], environments: ['c', 'd', 'a'] },
    ]);
  });

  it('equal sizes go by name; an environment with an instance but nothing resolved still has a part', () => {
    const parts = partition(input({ z: 2, y: 2, x: 2 }, [], ['lonely']), 3);
    expect(plain(parts).map((p) => p.environments)).toEqual([['x', 'lonely'], ['y'], ['z']]);
  });

  it('every environment and platform is in exactly one part, for any number of parts', () => {
    const whole = input({ a: 4, b: 1, c: 9, d: 0, e: 3, f: 3 }, ['p1', 'p2', 'p3'], ['g']);
    for (const n of [1, 2, 3, 7]) {
      const parts = partition(whole, n);
      expect(parts).toHaveLength(n);
      expect(parts.flatMap((p) => [...p.environments]).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
      expect(parts.flatMap((p) => [...p.platforms]).sort()).toEqual(['p1', 'p2', 'p3']);
    }
  });
});

describe('sliceInput', () => {
  it('keeps only its platforms and environments in what is judged per item, and every small collection whole', () => {
    const whole = input({ a: 1, b: 2 }, ['p1', 'p2']);
    const part = sliceInput(whole, { platforms: new Set(['p2']), environments: new Set(['b', 'missing']) });
    expect(Object.keys(part.platforms)).toEqual(['p2']);
    expect(Object.keys(part.resolved)).toEqual(['b']);
    expect(Object.keys(part.instances)).toEqual(['b']);
    expect(part.resolved.b).toBe(whole.resolved.b);
    for (const k of ['now', 'today', 'settings', 'templates', 'environments', 'contracts', 'contract_files', 'adapters', 'namespaces', 'exceptions'] as const) expect(part[k]).toBe(whole[k]);
    // The whole is not changed.
    expect(Object.keys(whole.platforms)).toEqual(['p1', 'p2']);
  });
});

describe('rawFindingKey', () => {
  const finding = { ruleId: 'r.x', severity: 'error', kind: 'Platform', name: 'a', environment: 'dev', path: '/spec', resolved: true, message: 'm', hint: 'h', exception: 'w' };
  it('tells findings apart by each of their fields, and reads a missing one as null', () => {
    const base = rawFindingKey(finding);
    for (const k of Object.keys(finding)) expect(rawFindingKey({ ...finding, [k]: 'other' }), k).not.toBe(base);
    expect(rawFindingKey({ ...finding, extra: 1 })).toBe(base);
    expect(rawFindingKey({ ...finding, exception: undefined })).toBe(rawFindingKey({ ...finding, exception: null }));
    // Fields are kept apart: a value that holds the separator does not run into the next.
    expect(rawFindingKey({ ruleId: 'a', severity: 'b' })).not.toBe(rawFindingKey({ ruleId: 'a\u0000"b"', severity: null }));
  });
});
