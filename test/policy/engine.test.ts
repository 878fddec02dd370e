import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../tools/lib/policy/engine.js';
import { PolicyError } from '../../tools/lib/policy/errors.js';
import { CAPABILITIES } from '../../tools/lib/policy/build.js';
import { opa } from '../../tools/lib/policy/opa.js';
import { exampleRepo, mnops, PROJECT_ROOT, removeDir } from '../helpers/repo.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnops-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A tiny real bundle built with the pinned OPA. */
async function tinyBundle(rego: string, entrypoints: string[]): Promise<string> {
  const dir = mkdtempSync(path.join(tmp, 'b-'));
  writeFileSync(path.join(dir, 'p.rego'), rego);
  const r = await opa(['build', '-t', 'wasm', '--capabilities', CAPABILITIES(), ...entrypoints.flatMap((e) => ['-e', e]), '-o', path.join(dir, 'b.tar.gz'), path.join(dir, 'p.rego')], dir);
  expect(r.stderr).toBe('');
  await tar.x({ file: path.join(dir, 'b.tar.gz'), cwd: dir, filter: (p) => p.endsWith('policy.wasm') });
  writeFileSync(path.join(dir, 'bundle.json'), JSON.stringify({ opaVersion: 'v1.22.2', sourceHash: 'x', wasmSha256: sha256(readFileSync(path.join(dir, 'policy.wasm'))), entrypoints, userPackages: [] }));
  return dir;
}

let tiny: PolicyEngine;
beforeAll(async () => {
  tiny = await PolicyEngine.loadFrom(
    await tinyBundle('package t\n\nallow if input.x == 1\n\ncmp := semver.compare(input.a, "1.0.0")\n\nkeys := object.keys(input.o)\n', ['t/allow', 't/cmp', 't/keys']),
  );
}, 120_000);

describe('PolicyEngine fails closed', () => {
  it('a missing bundle is a PolicyError that says what to run', async () => {
    const err = await PolicyEngine.loadFrom(path.join(tmp, 'nope')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).message).toMatch(/cannot be read \(ENOENT\)/);
    expect((err as PolicyError).hint).toMatch(/mnops policy build/);
  });

  it('a corrupt bundle is a PolicyError', async () => {
    const dir = path.join(tmp, 'corrupt');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'policy.wasm'), 'not wasm at all');
    writeFileSync(path.join(dir, 'bundle.json'), JSON.stringify({ entrypoints: ['governance'], wasmSha256: sha256('not wasm at all') }));
    await expect(PolicyEngine.loadFrom(dir)).rejects.toThrow(/is corrupt/);
  });

  it('a bundle missing a declared entrypoint is refused', async () => {
    const dir = path.join(tmp, 'noentry');
    mkdirSync(dir);
    const wasm = readFileSync(path.join(PROJECT_ROOT, 'policies/dist/policy.wasm'));
    writeFileSync(path.join(dir, 'policy.wasm'), wasm);
    writeFileSync(path.join(dir, 'bundle.json'), JSON.stringify({ entrypoints: ['governance', 'nothing/here'], wasmSha256: sha256(wasm) }));
    await expect(PolicyEngine.loadFrom(dir)).rejects.toThrow(/has no entrypoint "nothing\/here"/);
  });

  it('an undefined result is an error, never a pass', () => {
    expect(tiny.evaluate('t/allow', { x: 1 })).toBe(true);
    expect(() => tiny.evaluate('t/allow', { x: 2 })).toThrow(/returned no result/);
  });

  it('host builtins run, and a builtin error stops the evaluation', () => {
    expect(tiny.evaluate('t/cmp', { a: '1.2.0' })).toBe(1);
    expect(tiny.evaluate('t/keys', { o: { b: 1, a: 2 } })).toEqual(['b', 'a']);
    expect(() => tiny.evaluate('t/cmp', { a: 'not-a-version' })).toThrow(/policy evaluation of "t\/cmp" failed: semver\.compare: "not-a-version" is not a valid semantic version/);
  });

  it('mnops validate exits 2 with one sentence when the repository bundle is corrupt', async () => {
    const root = exampleRepo();
    try {
      mkdirSync(path.join(root, 'policies/dist'), { recursive: true });
      const bytes = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0, 255]);
      writeFileSync(path.join(root, 'policies/dist/policy.wasm'), bytes);
      writeFileSync(path.join(root, 'policies/dist/bundle.json'), JSON.stringify({ entrypoints: ['governance'], wasmSha256: sha256(bytes) }));
      const r = await mnops(['validate', '--root', root]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^mnops: the policy bundle in .*policies\/dist is corrupt/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    } finally {
      removeDir(root);
    }
  });

  // A PR that ships its own bundle must not get it evaluated: the wasm must be the one bundle.json describes.
  describe('bundle integrity', () => {
    const withOwnBundle = (edit: (dist: string) => void) => {
      const root = exampleRepo();
      const dist = path.join(root, 'policies/dist');
      mkdirSync(dist, { recursive: true });
      for (const f of ['policy.wasm', 'bundle.json']) writeFileSync(path.join(dist, f), readFileSync(path.join(PROJECT_ROOT, 'policies/dist', f)));
      edit(dist);
      return root;
    };
    const refused = async (root: string, pattern: RegExp) => {
      try {
        const r = await mnops(['validate', '--root', root]);
        expect(r.status, r.stdout + r.stderr).toBe(2);
        expect(r.stderr).toMatch(pattern);
        expect(r.stdout).toBe('');
      } finally {
        removeDir(root);
      }
    };

    it('a swapped policy.wasm (bundle.json left alone) is exit 2, never evaluated', async () => {
      const other = readFileSync(path.join(await tinyBundle('package governance\n\nfindings := []\n\nwaived := []\n', ['governance']), 'policy.wasm'));
      await refused(
        withOwnBundle((dist) => writeFileSync(path.join(dist, 'policy.wasm'), other)),
        /policy\.wasm in .* is not the one bundle\.json describes .*: the bundle was swapped or damaged/,
      );
    }, 60_000);

    it('a bundle.json without the wasm hash is exit 2', async () => {
      await refused(
        withOwnBundle((dist) => {
          const meta = JSON.parse(readFileSync(path.join(dist, 'bundle.json'), 'utf8')) as Record<string, unknown>;
          delete meta.wasmSha256;
          writeFileSync(path.join(dist, 'bundle.json'), JSON.stringify(meta));
        }),
        /does not record the sha256 of policy\.wasm/,
      );
    });

    it('a missing bundle.json is exit 2, not a fallback to the built-in rules', async () => {
      await refused(
        withOwnBundle((dist) => rmSync(path.join(dist, 'bundle.json'))),
        /has policies\/dist\/policy\.wasm without bundle\.json/,
      );
    });

    it('Rego policies of its own without a built bundle are exit 2', async () => {
      await refused(
        withOwnBundle((dist) => {
          rmSync(dist, { recursive: true });
          mkdirSync(path.join(path.dirname(dist), 'user'), { recursive: true });
          writeFileSync(path.join(path.dirname(dist), 'user', 'x.rego'), 'package user.x\n\ndeny contains "no" if false\n');
        }),
        /has Rego policies \(policies\/user\/x\.rego\) but no built bundle/,
      );
    });
  });
});
