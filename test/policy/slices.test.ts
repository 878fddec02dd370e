// The policies judged in slices (in parallel on a large ecosystem, or only what a change
// affects) must find exactly what one evaluation of everything finds. Over the example (which
// has findings of many rules) and a generated ecosystem with violations of every local rule
// planted in it; and, for a change under review, over random edits of a generated ecosystem:
// the PR run's findings equal the full run's findings that the change affects.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEcosystem } from '../../bench/synthetic.js';
import { runPolicies } from '../../tools/lib/policy/index.js';
import { isFindingAffected } from '../../tools/lib/registry/impact.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { exampleRepo, FIXED_NOW, git, removeDir, tempDir } from '../helpers/repo.js';
import { PLANTED_RULES, plantCeilings, plantViolations, randomChange, type Edit } from './planted.js';

const NOW = new Date(FIXED_NOW);

function keyOf(f: Finding): string {
  return [f.ruleId, f.severity, f.file, f.line, f.column, f.kind, f.name, f.environment, f.path, f.message].join('\u0000');
}
const keys = (fs: Finding[]) => fs.map(keyOf).sort();

describe('policies judged in slices', () => {
  let example: string;
  let generated: string;
  beforeAll(() => {
    example = exampleRepo();
    generated = tempDir('mnops-slices-');
    generateEcosystem(generated, 600, { git: false });
    plantViolations(generated);
  });
  afterAll(() => {
    removeDir(example);
    removeDir(generated);
  });

  for (const [label, rootOf] of [
    ['the example', () => example],
    ['a generated ecosystem with planted violations', () => generated],
  ] as const) {
    it(`find in any number of parts what one evaluation finds: ${label}`, async () => {
      const { ecosystem } = await loadEcosystem(rootOf(), { cacheDir: false });
      // Late enough that the example's ephemeral environments have expired.
      const now = new Date('2030-01-01T00:00:00Z');
      const one = await runPolicies(rootOf(), ecosystem, now, undefined, { threads: 1 });
      expect(one.findings.length).toBeGreaterThan(2);
      for (const parts of [2, 3, 7]) {
        const sliced = await runPolicies(rootOf(), ecosystem, now, undefined, { threads: parts });
        expect(keys(sliced.findings), `${parts} parts`).toEqual(keys(one.findings));
        expect(keys(sliced.waived), `${parts} parts, waived`).toEqual(keys(one.waived));
      }
    });
  }

  it('the planted violations are found (the comparison above is not of empty lists)', async () => {
    const { ecosystem } = await loadEcosystem(generated, { cacheDir: false });
    const rules = new Set((await runPolicies(generated, ecosystem, NOW)).findings.map((f) => f.ruleId));
    for (const rule of PLANTED_RULES)
      expect(rules.has(rule), `${rule} among ${[...rules].join(', ')}`).toBe(true);
  });
});

describe('a change under review is judged only where it reaches', () => {
  let root: string;
  let upstream: string;
  beforeAll(() => {
    root = tempDir('mnops-slices-pr-');
    generateEcosystem(root, 600);
    // Findings already on the base, all over: a platform the change affects without editing
    // it (a dependent, a consumer) must have its findings reported as a full run has them.
    plantViolations(root);
    plantCeilings(root);
    // A dependent that runs where what it depends on does not: changing the one affects
    // the other's findings in an environment the change itself never reaches.
    const envDir = path.join(root, 'ecosystem/platform-cloud');
    const placedIn = (e: string) => new Set([...readFileSync(path.join(envDir, e, 'platform.yaml'), 'utf8').matchAll(/- name: (\S+)/g)].map((m) => m[1]!));
    const where = new Map<string, Set<string>>();
    for (const e of readdirSync(envDir).sort()) for (const p of placedIn(e)) if (!p.startsWith('core-')) where.set(p, (where.get(p) ?? new Set()).add(e));
    const names = [...where.keys()].sort();
    const disjoint = (x: string, y: string) => [...where.get(x)!].every((e) => !where.get(y)!.has(e));
    upstream = names[0]!;
    const dependent = names.find((y) => disjoint(upstream, y))!;
    const file = path.join(root, 'platforms', dependent, 'platform.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/dependsOn: \[/, `dependsOn: [${upstream}, `).replace(/memoryMb: \d+/, 'memoryMb: 999999'));
    git(root, 'commit', '-qam', 'findings on the base');
  });
  afterAll(() => removeDir(root));

  const EDITS: Edit[] = [
    [/memoryMb: \d+/, 'memoryMb: 999999'],
    [/image: .*/, 'image: "mnops/app:latest"'],
    [/readOnlyRootfs: true/, 'readOnlyRootfs: false'],
    [/consumes: \[/, 'consumes: [nowhere-api@^9.0.0, '],
    [/dependsOn: \[[^\]]*\]/, 'dependsOn: []'],
    [/provides: \[[^\]]*\]/, 'provides: []'],
    [/tier: \w+/, 'tier: prod'],
    [/extends: \S+/, 'extends: no-such-template'],
    [/version: \S+/, 'version: 9.9.9'],
    [/owner: \S+/, 'owner: nobody-team'],
    [/- name: (\S+)\n {6}version: \S+\n/, ''],
    [/cpuCores: [\d.]+/, 'cpuCores: 64'],
  ];

  function touchUpstream(): string[] {
    const file = path.join(root, 'platforms', upstream, 'platform.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^( {2}description: .*)$/m, '$1 (changed)'));
    return [`platforms/${upstream}/platform.yaml: description`];
  }

  it('finds for 16 random changes exactly the full run’s findings that the change affects', async () => {
    let found = 0;
    for (let run = 0; run <= 16; run++) {
      const edits = run === 0 ? touchUpstream() : randomChange(root, run * 7919, EDITS, 12);
      try {
        const pr = await validate({ root, changedSince: 'HEAD', now: NOW, cacheDir: false });
        const full = await validate({ root, policyRef: 'HEAD', now: NOW, cacheDir: false });
        const expected = pr.impact ? full.report.findings.filter((f) => isFindingAffected(f, pr.impact!)) : full.report.findings;
        expect(keys(pr.report.findings), `edits:\n${edits.join('\n')}`).toEqual(keys(expected));
        found += expected.length;
      } finally {
        git(root, 'checkout', '-q', '--', '.');
      }
    }
    // The changes must have made findings for the comparison to mean anything.
    expect(found).toBeGreaterThan(8);
  }, 240_000);
});
