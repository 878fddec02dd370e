// `mnops policy build` and `mnops policy test`: compile the built-in and user Rego into one
// WASM bundle (entrypoints governance, promotion and one per user rule), and run opa test.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { BUILTIN_ENTRYPOINTS, BUNDLE_DIR, META_FILE, packageRoot, sourceFiles, sourceHash, userPackages, WASM_FILE, type BundleMeta } from './bundle.js';
import { PolicyError } from './errors.js';
import { opa, pinnedOpaVersion } from './opa.js';

export const CAPABILITIES = () => path.join(packageRoot(), 'policies', 'capabilities.json');

/** Sources compiled into the bundle: every .rego except tests. */
export async function bundleSources(root: string): Promise<string[]> {
  return (await sourceFiles(root)).filter((f) => !f.endsWith('_test.rego'));
}

export async function buildBundle(root: string, outDir = path.join(root, BUNDLE_DIR)): Promise<BundleMeta> {
  const users = await userPackages(root);
  const entrypoints = [...BUILTIN_ENTRYPOINTS, ...users.flatMap((u) => u.rules.map((r) => `user/${u.name}/${r}`))];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mnops-policy-'));
  try {
    const out = path.join(tmp, 'bundle.tar.gz');
    const args = ['build', '-t', 'wasm', '--capabilities', CAPABILITIES(), ...entrypoints.flatMap((e) => ['-e', e]), '-o', out, ...(await bundleSources(root))];
    const r = await opa(args, root);
    if (r.code !== 0) throw new PolicyError(`opa build failed:\n${r.stderr.trim() || r.stdout.trim()}`, 'fix the Rego error above (unsupported builtins are listed in policies/capabilities.json)');
    await tar.x({ file: out, cwd: tmp, filter: (p) => p === '/policy.wasm' || p === 'policy.wasm' });
    const wasm = await readFile(path.join(tmp, 'policy.wasm'));
    const meta: BundleMeta = {
      opaVersion: pinnedOpaVersion(),
      sourceHash: await sourceHash(root),
      wasmSha256: createHash('sha256').update(wasm).digest('hex'),
      entrypoints,
      userPackages: users,
    };
    await mkdir(outDir, { recursive: true });
    // Write both files beside their targets, then rename: a reader never sees half a bundle.
    await writeFile(path.join(outDir, `${WASM_FILE}.tmp`), wasm);
    await writeFile(path.join(outDir, `${META_FILE}.tmp`), `${JSON.stringify(meta, null, 2)}\n`);
    await rename(path.join(outDir, `${WASM_FILE}.tmp`), path.join(outDir, WASM_FILE));
    await rename(path.join(outDir, `${META_FILE}.tmp`), path.join(outDir, META_FILE));
    return meta;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface PolicyTestResult {
  passed: number;
  failed: number;
  coverage: number;
  output: string;
}

/** Runs `opa test` with coverage over the built-in and user policies. */
export async function testPolicies(root: string): Promise<PolicyTestResult> {
  const files = await sourceFiles(root);
  const verbose = await opa(['test', ...files], root).catch(() => ({ stdout: '', stderr: '', code: 2 }));
  const cov = await opa(['test', '--coverage', '--format', 'json', ...files], root);
  let coverage = 0;
  try {
    coverage = (JSON.parse(cov.stdout) as { coverage?: number }).coverage ?? 0;
  } catch {
    // opa test failed before printing coverage; the verbose run says why
  }
  const output = `${verbose.stdout}${verbose.stderr}`;
  const passed = Number(/PASS: (\d+)\/(\d+)/.exec(output)?.[1] ?? 0);
  const total = Number(/PASS: (\d+)\/(\d+)/.exec(output)?.[2] ?? /FAIL: \d+\/(\d+)/.exec(output)?.[1] ?? 0);
  const failed = verbose.code === 0 ? 0 : Math.max(total - passed, 1);
  return { passed, failed, coverage, output };
}
