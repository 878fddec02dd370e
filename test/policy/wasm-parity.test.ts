// Every `opa test` case also runs through the WASM engine with our host builtins, so topdown
// (opa test) and WASM (what users run) cannot disagree unnoticed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_BUILTINS } from '../../tools/lib/policy/builtins.js';
import { CAPABILITIES } from '../../tools/lib/policy/build.js';
import { sourceFiles } from '../../tools/lib/policy/bundle.js';
import { opa } from '../../tools/lib/policy/opa.js';
import { PROJECT_ROOT } from '../helpers/repo.js';

interface TestCase {
  entrypoint: string;
  file: string;
}

async function testCases(): Promise<{ cases: TestCase[]; files: string[] }> {
  const files = await sourceFiles(PROJECT_ROOT);
  const cases: TestCase[] = [];
  for (const file of files.filter((f) => f.endsWith('_test.rego'))) {
    const text = readFileSync(file, 'utf8');
    const pkg = /^package\s+([\w.]+)/m.exec(text)?.[1];
    if (!pkg) continue;
    const names = new Set([...text.matchAll(/^(test_\w+)\b/gm)].map((m) => m[1]!));
    for (const n of names) cases.push({ entrypoint: `${pkg.replace(/\./g, '/')}/${n}`, file: path.relative(PROJECT_ROOT, file) });
  }
  return { cases, files };
}

const { cases, files } = await testCases();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnops-wasm-tests-'));
let results = new Map<string, unknown>();

beforeAll(async () => {
  const out = path.join(tmp, 'tests.tar.gz');
  const r = await opa(['build', '-t', 'wasm', '--capabilities', CAPABILITIES(), ...cases.flatMap((c) => ['-e', c.entrypoint]), '-o', out, ...files], PROJECT_ROOT);
  expect(r.stderr).toBe('');
  await tar.x({ file: out, cwd: tmp, filter: (p) => p.endsWith('policy.wasm') });
  const policy = await loadPolicy(readFileSync(path.join(tmp, 'policy.wasm')), undefined, HOST_BUILTINS);
  results = new Map(cases.map((c) => [c.entrypoint, policy.evaluate({}, c.entrypoint)]));
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('opa test cases through the WASM engine', () => {
  it('finds the test cases', () => {
    expect(cases.length).toBeGreaterThan(50);
  });
  it.each(cases)('$entrypoint ($file)', ({ entrypoint }) => {
    expect(results.get(entrypoint)).toEqual([{ result: true }]);
  });
});
