import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, effectiveSettings } from '../../tools/lib/policy/settings.js';
import { DEFAULT_SECRET_KEY_PATTERN, DEFAULT_SECRET_VALUE_PATTERNS } from '../../tools/lib/secrets/index.js';
import { doc, load, removeWorlds, writeWorld } from '../registry/world.js';

afterAll(removeWorlds);

const withSettings = async (spec: string[] | null) =>
  effectiveSettings(await load(writeWorld(spec ? { 'ecosystem/governance/settings.yaml': doc('PolicySettings', 'governance', spec) } : {})));

describe('effectiveSettings: the repository’s PolicySettings over the defaults', () => {
  it('without a PolicySettings manifest, the defaults', async () => {
    expect(await withSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.tiers.prod!.ceilings).toEqual({ cpuCores: 16, memoryMb: 16_384, diskMb: 102_400, maxOpenFds: 65_536, maxProcesses: 4_096, maxThreads: 8_192 });
    expect(DEFAULT_SETTINGS.secrets).toEqual({ keyPattern: DEFAULT_SECRET_KEY_PATTERN, valuePatterns: [...DEFAULT_SECRET_VALUE_PATTERNS] });
  });

  it('merges per tier and per field: a ceiling set replaces only itself; a severity map only where given', async () => {
    const s = await withSettings(['tiers:', '  dev:', '    ceilings: {cpuCores: 1}', '    severity: {health.required: note}', '  prod:', '    ceilings: {memoryMb: 32768}']);
    expect(s.tiers.dev).toEqual({ ceilings: { ...DEFAULT_SETTINGS.tiers.dev!.ceilings, cpuCores: 1 }, severity: { 'health.required': 'note' } });
    expect(s.tiers.prod).toEqual({ ceilings: { ...DEFAULT_SETTINGS.tiers.prod!.ceilings, memoryMb: 32_768 } });
    // Tiers the manifest does not name keep their defaults, without a severity key.
    expect(s.tiers.staging).toEqual(DEFAULT_SETTINGS.tiers.staging);
    expect(Object.keys(s.tiers).sort()).toEqual(['dev', 'preview', 'prod', 'sandbox', 'staging']);
  });

  it('ttl and naming field by field; secret value patterns added to the built-in ones, the key pattern replaced', async () => {
    const s = await withSettings([
      'ttl: {maxHours: {preview: 24}}',
      'naming: {environment: "^[a-z]+$"}',
      'secrets:',
      '  keyPattern: "(?i)hush"',
      "  valuePatterns: ['\\bacme_[a-z0-9]{20}\\b']",
    ]);
    expect(s.ttl).toEqual({ maxHours: { sandbox: 168, preview: 24 } });
    expect(s.naming).toEqual({ platform: DEFAULT_SETTINGS.naming.platform, environment: '^[a-z]+$' });
    expect(s.secrets.keyPattern).toBe('(?i)hush');
    expect(s.secrets.valuePatterns).toEqual([...DEFAULT_SECRET_VALUE_PATTERNS, '\\bacme_[a-z0-9]{20}\\b']);
  });

  it('a manifest that sets nothing keeps every default', async () => {
    expect(await withSettings(['description: nothing changed here'])).toEqual(DEFAULT_SETTINGS);
  });
});
