// The governance input the built-in rules read: each manifest trimmed to the fields the rules
// read (the WASM runtime parses large inputs slowly), with names and list indexes kept so
// every finding still points at its line; `full` keeps everything for user policies.
import { describe, expect, it } from 'vitest';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import type { Ecosystem } from '../../tools/lib/manifest/ecosystem.js';
import { resolveAll, type ResolvedPlatform } from '../../tools/lib/manifest/resolve.js';
import { buildGovernanceInput } from '../../tools/lib/policy/input.js';
import { effectiveSettings } from '../../tools/lib/policy/settings.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const NOW = new Date('2026-11-23T12:34:56.789Z');

type Obj = Record<string, unknown>;
/** `o` with only `keys`, those it has. */
const only = (o: unknown, keys: string[]): Obj => Object.fromEntries(keys.filter((k) => (o as Obj)[k] !== undefined).map((k) => [k, (o as Obj)[k]]));

async function example(): Promise<{ eco: Ecosystem; resolved: ResolvedPlatform[] }> {
  const eco = (await loadEcosystem(ROOT, { cacheDir: false })).ecosystem;
  return { eco, resolved: resolveAll(eco) };
}

describe('buildGovernanceInput', () => {
  it('gives the time to the second and the day, never a clock inside the policy', async () => {
    const { eco, resolved } = await example();
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW);
    expect(input.now).toBe('2026-11-23T12:34:56Z');
    expect(input.today).toBe('2026-11-23');
    expect(input.settings).toEqual(effectiveSettings(eco));
  });

  it('trims each kind to the fields the rules read, keeping the name', async () => {
    const { eco, resolved } = await example();
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW);
    const reads: [Map<string, { manifest: { spec: unknown } }>, Obj, string[]][] = [
      [eco.platforms, input.platforms, ['owner', 'namespace', 'env', 'config']],
      [eco.templates, input.templates, ['env', 'config']],
      [eco.environments, input.environments, ['tier', 'ttl', 'createdAt', 'adapter', 'promotion', 'config']],
      [eco.adapters, input.adapters, ['implements', 'settings']],
      [eco.namespaces, input.namespaces, ['owners']],
    ];
    for (const [records, trimmed, keys] of reads) {
      expect(records.size).toBeGreaterThan(0);
      expect(Object.keys(trimmed).sort()).toEqual([...records.keys()].sort());
      for (const [name, rec] of records) expect(trimmed[name], name).toEqual({ metadata: { name }, spec: only(rec.manifest.spec, keys) });
    }
    // Something was left out, or the trimming would not be worth having.
    const [name, rec] = [...eco.platforms][0]!;
    expect(Object.keys((input.platforms[name] as { spec: Obj }).spec).length).toBeLessThan(Object.keys(rec.manifest.spec).length);
  });

  it('keeps exceptions whole, contracts by name and version, and the file each version is in', async () => {
    const { eco, resolved } = await example();
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW);
    for (const [name, rec] of eco.exceptions) expect(input.exceptions[name]).toBe(rec.manifest);
    expect(eco.contracts.size).toBeGreaterThan(0);
    expect(Object.keys(input.contracts).sort()).toEqual([...eco.contracts.keys()].sort());
    for (const [name, versions] of eco.contracts) {
      for (const rec of versions) {
        expect(input.contracts[name]![rec.manifest.spec.version]).toBe(rec.manifest);
        const file = input.contract_files[name]![rec.manifest.spec.version]!;
        expect(rec.file.split('/').pop()).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}\\.ya?ml$`, 'i'));
      }
    }
  });

  it('keeps every instance entry at its index with its name, env and config', async () => {
    const { eco, resolved } = await example();
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW);
    expect(Object.keys(input.instances).sort()).toEqual([...eco.instances.keys()].sort());
    for (const [env, rec] of eco.instances) {
      expect(input.instances[env], env).toEqual({ metadata: { name: rec.name }, spec: { platforms: rec.manifest.spec.platforms.map((e) => only(e, ['name', 'env', 'config'])) } });
    }
  });

  it('gives each resolved platform its resources, image, sandbox, contracts, network rules, ports and health command', async () => {
    const { eco, resolved } = await example();
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW);
    let withRules = 0;
    let withPorts = 0;
    let withHealth = 0;
    for (const r of resolved) {
      const s = r.spec as Obj & ResolvedPlatform['spec'];
      const expected: Obj = { ...only(s, ['resources', 'image', 'sandbox', 'provides', 'consumes']) };
      if (s.network) expected.network = { ...only(s.network, ['policy']), ...(s.network.rules ? { rules: s.network.rules.map((x) => only(x, ['direction', 'port', 'protocol', 'action'])) } : {}) };
      if (s.ports) expected.ports = s.ports.map((p) => only(p, ['containerPort', 'hostPort', 'protocol']));
      if (s.healthCheck) expected.healthCheck = { command: s.healthCheck.command };
      withRules += s.network?.rules?.length ? 1 : 0;
      withPorts += s.ports?.length ? 1 : 0;
      withHealth += s.healthCheck ? 1 : 0;
      expect(input.resolved[r.environment]![r.platform], `${r.environment}/${r.platform}`).toEqual(expected);
    }
    // The example exercises every branch.
    expect([withRules > 0, withPorts > 0, withHealth > 0]).toEqual([true, true, true]);
  });

  it('with full, hands user policies the manifests and resolved specs as they are', async () => {
    const { eco, resolved } = await example();
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW, { full: true });
    for (const [name, rec] of eco.platforms) expect(input.platforms[name]).toBe(rec.manifest);
    for (const [name, rec] of eco.environments) expect(input.environments[name]).toBe(rec.manifest);
    for (const [env, rec] of eco.instances) expect(input.instances[env]).toBe(rec.manifest);
    for (const r of resolved) expect(input.resolved[r.environment]![r.platform]).toBe(r.spec);
  });

  it('with platforms, holds only those platform manifests (a slice judges no others)', async () => {
    const { eco, resolved } = await example();
    const [first, second] = [...eco.platforms.keys()];
    const input = buildGovernanceInput(eco, resolved, effectiveSettings(eco), NOW, { platforms: new Set([first!, second!]) });
    expect(Object.keys(input.platforms).sort()).toEqual([first!, second!].sort());
    expect(Object.keys(input.templates).length).toBe(eco.templates.size);
  });
});
