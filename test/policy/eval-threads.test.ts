// The built CLI evaluates a large ecosystem's policies on several threads (each with its own
// instance of the bundle, the input sent as JSON bytes): its report must be the one thread's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEcosystem } from '../../bench/synthetic.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { mnops, removeDir, tempDir } from '../helpers/repo.js';
import { PLANTED_RULES, plantViolations } from './planted.js';

describe('policy evaluation on worker threads', () => {
  let root: string;
  beforeAll(() => {
    root = tempDir('mnops-threads-');
    // Above the size where the CLI starts threads.
    generateEcosystem(root, 2600, { git: false });
    plantViolations(root);
  });
  afterAll(() => removeDir(root));

  it('reports exactly what one thread reports', async () => {
    const run = async (threads: string) => {
      const r = await mnops(['validate', '--root', root, '--format', 'json'], { env: { MNOPS_POLICY_THREADS: threads } });
      expect(r.status, r.stderr).toBe(1);
      return (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    };
    const one = await run('1');
    for (const rule of PLANTED_RULES) expect(one.some((f) => f.ruleId === rule), rule).toBe(true);
    for (const threads of ['2', '3']) expect(await run(threads), `${threads} threads`).toEqual(one);
  }, 120_000);
});
