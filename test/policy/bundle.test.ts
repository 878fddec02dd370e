import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_BUILTIN_NAMES } from '../../tools/lib/policy/builtins.js';
import { META_FILE, sourceHash, type BundleMeta } from '../../tools/lib/policy/bundle.js';
import { findOpa } from '../../tools/lib/policy/opa.js';
import { PROJECT_ROOT } from '../helpers/repo.js';

describe('the committed policy bundle', () => {
  it('is current against the Rego sources (run mnops policy build)', async () => {
    const meta = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'policies/dist', META_FILE), 'utf8')) as BundleMeta;
    expect(meta.sourceHash).toBe(await sourceHash(PROJECT_ROOT));
    expect(meta.entrypoints).toEqual(expect.arrayContaining(['governance', 'promotion']));
  });

  it('opa fmt finds nothing to change', async () => {
    const opa = await findOpa();
    const out = execFileSync(opa, ['fmt', '--list', path.join(PROJECT_ROOT, 'policies')], { encoding: 'utf8' });
    expect(out.trim()).toBe('');
  });

  it('capabilities list exactly the SDK builtins plus the host builtins we register', () => {
    const caps = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'policies/capabilities.json'), 'utf8')) as { builtins: { name: string }[] };
    const sdk = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules/@open-policy-agent/opa-wasm/capabilities.json'), 'utf8')) as {
      builtins: { name: string }[];
    };
    const expected = [...new Set([...sdk.builtins.map((b) => b.name), ...HOST_BUILTIN_NAMES])].sort();
    expect(caps.builtins.map((b) => b.name).sort()).toEqual(expected);
  });
});
