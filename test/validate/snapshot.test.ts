// A validate that starts from the last run's snapshot judges again only what changed, and
// must report exactly what a cold run (no cache at all) reports — over random edits of a
// generated ecosystem with findings all over it. A snapshot that was tampered with, or made
// under other rules, is not used.
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEcosystem } from '../../bench/synthetic.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { FIXED_NOW, git, removeDir, tempDir } from '../helpers/repo.js';
import { plantCeilings, plantViolations, randomChange, type Edit } from '../policy/planted.js';

const NOW = new Date(FIXED_NOW);
const keyOf = (f: Finding) => [f.ruleId, f.severity, f.file, f.line, f.column, f.kind, f.name, f.environment, f.path, f.message].join('\u0000');
const keys = (fs: Finding[]) => fs.map(keyOf).sort();

describe('validate from the last run’s snapshot', () => {
  let root: string;
  let seeded: string;
  const caches: string[] = [];
  const freshCache = () => {
    const dir = tempDir('mnops-snap-cache-');
    caches.push(dir);
    cpSync(seeded, dir, { recursive: true });
    return dir;
  };
  beforeAll(async () => {
    root = tempDir('mnops-snap-');
    generateEcosystem(root, 600);
    plantViolations(root);
    plantCeilings(root);
    git(root, 'commit', '-qam', 'findings on the base');
    seeded = tempDir('mnops-snap-seed-');
    await validate({ root, cacheDir: seeded, now: NOW });
  });
  afterAll(() => {
    for (const d of [root, seeded, ...caches]) removeDir(d);
  });

  const edit = (file: string, fn: (t: string) => string) => writeFileSync(path.join(root, file), fn(readFileSync(path.join(root, file), 'utf8')));

  function snapshotFile(dir: string): string {
    const name = readdirSync(dir).find((f) => f.startsWith('findings-'));
    expect(name, 'the first run wrote a snapshot').toBeDefined();
    return path.join(dir, name!);
  }

  const EDITS: Edit[] = [
    [/memoryMb: \d+/, 'memoryMb: 999999'],
    [/memoryMb: 999999/, 'memoryMb: 256'],
    [/image: .*/, 'image: "mnops/app:latest"'],
    [/consumes: \[/, 'consumes: [nowhere-api@^9.0.0, '],
    [/dependsOn: \[[^\]]*\]/, 'dependsOn: []'],
    [/provides: \[[^\]]*\]/, 'provides: []'],
    [/tier: \w+/, 'tier: prod'],
    [/name: (\S+)-platform\n/, 'name: $1-renamed-platform\n'],
    [/extends: \S+/, 'extends: no-such-template'],
    [/owner: \S+/, 'owner: nobody-team'],
    [/- name: (\S+)\n {6}version: \S+\n/, ''],
    [/kind: Platform\n/, 'kind: Platfrom\n'],
  ];

  it('reports what a cold run reports, for 14 random changes (and the same again with no change)', async () => {
    let found = 0;
    for (let run = 1; run <= 14; run++) {
      const edits = randomChange(root, run * 104729, EDITS, 10);
      try {
        const cache = freshCache();
        const warm = await validate({ root, cacheDir: cache, now: NOW });
        const cold = await validate({ root, cacheDir: false, now: NOW });
        expect(keys(warm.report.findings), `edits:\n${edits.join('\n')}`).toEqual(keys(cold.report.findings));
        // The snapshot it wrote holds for the next run too.
        const again = await validate({ root, cacheDir: cache, now: NOW });
        expect(keys(again.report.findings), `again, edits:\n${edits.join('\n')}`).toEqual(keys(cold.report.findings));
        found += cold.report.findings.length;
      } finally {
        git(root, 'checkout', '-q', '--', '.');
      }
    }
    expect(found).toBeGreaterThan(100);
  }, 300_000);

  it('drops what a deleted or renamed platform was found to do, and what it provided', async () => {
    const base = await validate({ root, cacheDir: false, now: NOW });
    const judged = [...new Set(base.report.findings.filter((f) => f.kind === 'Platform' && f.environment && !f.name!.startsWith('core-')).map((f) => f.name!))].sort();
    const providers = base.ecosystem.records.filter((r) => r.kind === 'Platform' && (r.manifest as { spec: { provides?: string[] } }).spec.provides?.length).map((r) => r.name).sort();
    expect(judged.length).toBeGreaterThan(2);
    const cases: [string, () => void][] = [
      ['delete a platform with findings', () => rmSync(path.join(root, 'platforms', judged[0]!, 'platform.yaml'))],
      ['rename a platform with findings', () => edit(`platforms/${judged[1]!}/platform.yaml`, (t) => t.replace(/^( {2}name: \S+)$/m, '$1-renamed'))],
      ['break the kind of a platform with findings', () => edit(`platforms/${judged[2]!}/platform.yaml`, (t) => t.replace('kind: Platform', 'kind: Platfrom'))],
      ['delete a provider', () => rmSync(path.join(root, 'platforms', providers[0]!, 'platform.yaml'))],
      ['stop providing', () => edit(`platforms/${providers[1]!}/platform.yaml`, (t) => t.replace(/provides: \[[^\]]*\]/, 'provides: []'))],
    ];
    for (const [what, change] of cases) {
      change();
      try {
        const warm = await validate({ root, cacheDir: freshCache(), now: NOW });
        const cold = await validate({ root, cacheDir: false, now: NOW });
        expect(keys(warm.report.findings), what).toEqual(keys(cold.report.findings));
      } finally {
        git(root, 'checkout', '-q', '--', '.');
      }
    }
  });

  it('judges again only what changed', async () => {
    const cache = freshCache();
    const file = path.join(root, 'platforms', readdirSync(path.join(root, 'platforms')).sort()[40]!, 'platform.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^( {2}description: .*)$/m, '$1 (changed)'));
    try {
      const warm = await validate({ root, cacheDir: cache, now: NOW });
      const cold = await validate({ root, cacheDir: false, now: NOW });
      expect(keys(warm.report.findings)).toEqual(keys(cold.report.findings));
      // Fewer placements resolved than the whole ecosystem has: the rest came from the snapshot.
      expect(warm.stats.phases.resolve ?? 0).toBeLessThan((cold.stats.phases.resolve ?? 0) / 2);
    } finally {
      git(root, 'checkout', '-q', '--', '.');
    }
  });

  it('ignores a snapshot that was tampered with', async () => {
    const cache = freshCache();
    const snap = snapshotFile(cache);
    const text = readFileSync(snap, 'utf8');
    // Drop every finding of the base, keeping the old seal: a forger without the key.
    const [mac, json] = [text.slice(0, 64), text.slice(65)];
    const body = JSON.parse(json) as { findings: unknown[] };
    expect(body.findings.length).toBeGreaterThan(10);
    writeFileSync(snap, `${mac}\n${JSON.stringify({ ...body, findings: [] })}`);
    const warm = await validate({ root, cacheDir: cache, now: NOW });
    const cold = await validate({ root, cacheDir: false, now: NOW });
    expect(keys(warm.report.findings)).toEqual(keys(cold.report.findings));
    expect(warm.report.findings.length).toBeGreaterThan(10);
  });

  it('is not used under other rules: another day, or other settings', async () => {
    const cache = freshCache();
    const later = new Date('2030-06-01T00:00:00Z');
    const warm = await validate({ root, cacheDir: cache, now: later });
    const cold = await validate({ root, cacheDir: false, now: later });
    expect(keys(warm.report.findings)).toEqual(keys(cold.report.findings));
    const settings = path.join(root, 'ecosystem/governance/settings.yaml');
    let text: string;
    try {
      text = readFileSync(settings, 'utf8');
    } catch {
      return; // the generated ecosystem has no settings file: nothing to change
    }
    writeFileSync(settings, text.replace(/memoryMb: \d+/, 'memoryMb: 1'));
    try {
      const w = await validate({ root, cacheDir: freshCache(), now: NOW });
      const c = await validate({ root, cacheDir: false, now: NOW });
      expect(keys(w.report.findings)).toEqual(keys(c.report.findings));
    } finally {
      git(root, 'checkout', '-q', '--', '.');
    }
  });
});
