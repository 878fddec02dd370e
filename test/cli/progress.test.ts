// Progress of apply, deploy and drift: updating lines on a terminal (the renderer against a
// stand-in TTY stream), plain lines, each once, when piped or under CI — and, through the
// real CLI on the engine, on stderr only, so stdout stays the report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgress, type ProgressStream } from '../../tools/lib/cli/progress.js';
import { mnops, removeDir } from '../helpers/repo.js';
import { PLATFORM, containersOf, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const ESC = '\x1b';
const UP = (n: number) => `${ESC}[${n}A\r${ESC}[J`;

function stream(tty: { columns?: number; rows?: number } | false): ProgressStream & { chunks: string[] } {
  const chunks: string[] = [];
  return { chunks, write: (s: string) => chunks.push(s), ...(tty ? { isTTY: true, columns: tty.columns ?? 80, rows: tty.rows ?? 24 } : {}) };
}

/** A clock the test moves by hand. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('on a terminal', () => {
  it('updates the running lines in place and leaves each final line above them once', () => {
    const out = stream({ columns: 80 });
    const c = clock();
    const p = createProgress(out, { env: {}, now: c.now, tickMs: 0 });
    p.update('billing-platform', 'creating…');
    p.update('api', 'updating…');
    c.advance(2000);
    p.update('api', 'updating…'); // unchanged: nothing redrawn
    p.update('billing-platform', 'waiting for health');
    c.advance(2100);
    p.finish('billing-platform', 'healthy');
    p.end();
    expect(out.chunks).toEqual([
      'billing-platform  creating… 0.0s\n',
      `${UP(1)}billing-platform  creating… 0.0s\napi               updating… 0.0s\n`,
      `${UP(2)}billing-platform  waiting for health 2.0s\napi               updating… 2.0s\n`,
      `${UP(2)}billing-platform  healthy 4.1s\napi               updating… 4.1s\n`,
      `${UP(1)}api               updating… 4.1s\n`,
    ]);
  });

  it('done() takes a line away without leaving a final one (the report says how it went)', () => {
    const out = stream({ columns: 80 });
    const p = createProgress(out, { env: {}, now: () => 0, tickMs: 0 });
    p.update('dev', 'reading…');
    p.update('prod', 'reading…');
    p.done('dev');
    p.end();
    expect(out.chunks).toEqual(['dev  reading… 0.0s\n', `${UP(1)}dev   reading… 0.0s\nprod  reading… 0.0s\n`, `${UP(2)}prod  reading… 0.0s\n`, `${UP(1)}prod  reading… 0.0s\n`]);
    const piped = stream(false);
    const q = createProgress(piped, { env: {}, now: () => 0, tickMs: 0 });
    q.update('dev', 'reading…');
    q.done('dev');
    expect(piped.chunks).toEqual(['dev  reading…\n']);
  });

  it('cuts lines to the terminal width (a wrapped line would break the cursor-up count)', () => {
    const out = stream({ columns: 30 });
    const p = createProgress(out, { env: {}, now: () => 0, tickMs: 0 });
    p.update('a-very-long-platform-name', 'waiting for health 2/3');
    expect(out.chunks[0]).toBe(`${'a-very-long-platform-name  wa'.slice(0, 28)}…\n`);
    expect(out.chunks[0]!.length - 1).toBeLessThan(30);
  });

  it('keeps the time of a running line ticking', async () => {
    const out = stream({});
    const p = createProgress(out, { env: {}, tickMs: 20 });
    p.update('api', 'creating…');
    await new Promise((r) => setTimeout(r, 150));
    p.end();
    const redraws = out.chunks.filter((c) => c.startsWith(UP(1)) && c.includes('api  creating…'));
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    const after = out.chunks.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(out.chunks.length).toBe(after); // end() stopped the clock
  });
});

describe('piped, or under CI', () => {
  for (const [name, target, env] of [
    ['piped', stream(false), {}],
    ['on a terminal under CI=true', stream({}), { CI: 'true' }],
    ['on a dumb terminal', stream({}), { TERM: 'dumb' }],
  ] as const) {
    it(`${name}: one plain line per status, each once, no escape codes`, () => {
      const c = clock();
      const p = createProgress(target, { env, now: c.now, tickMs: 0 });
      p.update('billing-platform', 'creating…');
      p.update('api', 'creating…');
      p.update('billing-platform', 'creating…');
      c.advance(4100);
      p.finish('billing-platform', 'healthy');
      p.note('waiting for alice’s deploy to finish…');
      p.end();
      expect(target.chunks.join('')).toBe(
        ['billing-platform  creating…', 'api               creating…', 'billing-platform  healthy 4.1s', 'waiting for alice’s deploy to finish…', ''].join('\n'),
      );
    });
  }
});

describe('apply and drift through the CLI, piped', () => {
  const env = uniqueName('g');
  let root = '';
  beforeAll(() => {
    ensureImages();
    root = writeRepo([{ name: env, version: '1.0.0' }]);
  });
  afterAll(async () => {
    if (!root) return;
    const r = await mnops(['teardown', '--env', env, '--root', root]);
    removeDir(root);
    expect(r.status, r.stderr).toBe(0);
  });

  it('apply: each platform creating and healthy on stderr, once; stdout the plan and the outcome', async () => {
    const a = await mnops(['apply', '--env', env, '--timeout', '30s', '--root', root]);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    expect(a.stderr).not.toContain(ESC);
    const lines = a.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${PLATFORM}  creating…`);
    expect(lines[1]).toMatch(new RegExp(`^${PLATFORM}  healthy \\d+\\.\\ds$`));
    expect(a.stdout).not.toContain('creating');
    expect(a.stdout).toContain(`Applied ${env}.`);
  }, 60_000);

  it('drift --format json: stdout is the JSON alone; an environment named twice is read and said once', async () => {
    docker('stop', '-t', '0', ...containersOf(env));
    const d = await mnops(['drift', '--env', env, '--env', env, '--heal', '--timeout', '30s', '--format', 'json', '--root', root]);
    expect(d.status, d.stderr).toBe(0);
    const report = JSON.parse(d.stdout) as { environments: { environment: string; healed?: { status: string }[] }[] };
    expect(report.environments.map((e) => e.environment)).toEqual([env]);
    expect(report.environments[0]?.healed?.map((h) => h.status)).toEqual(['done']);
    const lines = d.stderr.trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/ \d+\.\ds$/, ''))).toEqual([
      `${env}  reading…`,
      // Its result is the report's line for it: not said again here.
      `${env}/${PLATFORM}  healing…`,
      `${env}/${PLATFORM}  healed`,
    ]);
  }, 90_000);
});
