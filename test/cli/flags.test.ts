// The CLI's numeric and duration flags, through the real CLI: a bad value stops the run with
// exit 2 and one sentence naming the flag, the value and what it takes (nothing runs); a
// good value with a unit means what it says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo, mnops, removeDir } from '../helpers/repo.js';
import { BROKEN, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const COUNT = 'write a whole number of 0 or more';
const POSITIVE = 'write a whole number of 1 or more';
const DURATION = 'write seconds (30) or a duration like 30s, 5m, 1h30m (at most 24h)';

const BAD = (
  [
  { args: ['apply', '--env', 'dev', '--concurrency', 'x'], sentence: `--concurrency: "x" is not a whole number; ${POSITIVE}` },
  { args: ['apply', '--env', 'dev', '--concurrency', '0'], sentence: `--concurrency: "0" is below 1; ${POSITIVE}` },
  { args: ['apply', '--env', 'dev', '--timeout', '30x'], sentence: `--timeout: "30x" is not a duration; ${DURATION}` },
  { args: ['apply', '--env', 'dev', '--prune', '--confirm-prune', 'two'], sentence: `--confirm-prune: "two" is not a whole number; ${COUNT}` },
  { args: ['plan', '--env', 'dev', '--prune', '--confirm-prune', '1.5'], sentence: `--confirm-prune: "1.5" is not a whole number; ${COUNT}` },
  { args: ['deploy', 'p', '--to', 'dev', '--timeout', '0'], sentence: `--timeout: "0" is not above zero; ${DURATION}` },
  { args: ['rollback', 'p', '--env', 'dev', '--timeout', '2 minutes'], sentence: `--timeout: "2 minutes" is not a duration; ${DURATION}` },
  { args: ['drift', '--timeout', '25h'], sentence: `--timeout: "25h" is longer than 24h; ${DURATION}` },
  { args: ['drift', '--heal', '--prune', '--confirm-prune', '-1'], sentence: `--confirm-prune: "-1" is not a whole number; ${COUNT}` },
  { args: ['policy', 'test', '--min-coverage', 'x'], sentence: '--min-coverage: "x" is not a percentage; write a number from 0 to 100, e.g. 90' },
  { args: ['policy', 'test', '--min-coverage', '150'], sentence: '--min-coverage: "150" is not a percentage; write a number from 0 to 100, e.g. 90' },
  { args: ['audit', 'log', '--limit', 'ten'], sentence: `--limit: "ten" is not a whole number; ${POSITIVE}` },
    { args: ['audit', 'lock', 'acquire', '--env', 'dev', '--ttl', '30min'], sentence: `--ttl: "30min" is not a duration; ${DURATION}` },
  ] as { args: string[]; sentence: string }[]
).map((c) => ({ ...c, line: c.args.join(' ') }));

describe('a bad numeric or duration flag', () => {
  it.each(BAD)('mnops $line: exit 2 with one sentence, nothing run', async ({ args, sentence }) => {
    const r = await mnops(args);
    expect(r.stderr).toBe(`mnops: ${sentence}\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });
});

describe('durations and numbers with units', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  it('--ttl 1m30s leases for 90 seconds, and --limit 1 shows one record', async () => {
    const root = exampleRepo({ git: true });
    dirs.push(root);
    const before = Date.now();
    const r = await mnops(['audit', 'lock', 'acquire', '--root', root, '--env', 'dev', '--ttl', '1m30s', '--no-remote', '--holder', 'alice']);
    const after = Date.now();
    expect(r.status, r.stderr).toBe(0);
    const until = Date.parse(/until (\S+)/.exec(r.stdout)?.[1] ?? '');
    expect(until).toBeGreaterThanOrEqual(before + 90_000 - 1000);
    expect(until).toBeLessThanOrEqual(after + 90_000 + 1000);
    expect((await mnops(['audit', 'lock', 'release', '--root', root, '--env', 'dev', '--lease', /lease (\S+)/.exec(r.stdout)![1]!, '--no-remote'])).status).toBe(0);
    const log = await mnops(['audit', 'log', '--root', root, '--no-remote', '--limit', '1', '--format', 'json']);
    expect(log.status, log.stderr).toBe(0);
    expect((JSON.parse(log.stdout) as { action: string }[]).map((x) => x.action)).toEqual(['unlock']);
  });

  it('--min-coverage takes a percentage with its sign', async () => {
    const r = await mnops(['policy', 'test', '--min-coverage', '99.5%']);
    expect(r.stdout).toMatch(/coverage: [\d.]+% \(minimum 99\.5%\)/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  describe('on the engine', () => {
    const env = uniqueName('f');
    let root = '';
    beforeAll(() => {
      ensureImages();
      root = writeRepo([{ name: env, version: BROKEN }]);
    });
    afterAll(async () => {
      if (!root) return;
      const r = await mnops(['teardown', '--env', env, '--root', root]);
      removeDir(root);
      expect(r.status, r.stderr).toBe(0);
    });

    it('apply --timeout 3s gives up on a never-healthy workload after 3 seconds, not the default 60', async () => {
      const r = await mnops(['apply', '--env', env, '--timeout', '3s', '--concurrency', '1', '--root', root]);
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('1 platform(s) not applied');
      expect(r.ms).toBeGreaterThan(3000);
      expect(r.ms).toBeLessThan(30_000);
    }, 90_000);
  });
});
