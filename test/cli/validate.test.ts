import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { edit, exampleRepo, git, lineOf, mnops, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
function repo(opts: { git?: boolean } = {}): string {
  const d = exampleRepo(opts);
  dirs.push(d);
  return d;
}

/** Every file under a dir with its size and mtime: to prove a run wrote nothing. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.isSymbolicLink()) {
        const st = statSync(p);
        out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

interface JsonReport {
  version: number;
  summary: { manifests: number; errors: number; warnings: number };
  findings: { ruleId: string; severity: string; message: string; file: string; line: number; column: number; kind: string | null; name: string | null; path: string | null; hint?: string }[];
}
const json = (stdout: string) => JSON.parse(stdout) as JsonReport;

describe('mnops validate on the example ecosystem', () => {
  it('passes with exit 0 and counts every manifest', async () => {
    const root = repo();
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = json(r.stdout);
    expect(report.findings).toEqual([]);
    expect(report.summary.manifests).toBeGreaterThanOrEqual(45);
    expect(r.status).toBe(0);
  });

  it('prints a plain summary when piped', async () => {
    const r = await mnops(['validate', '--root', repo()]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain(String.fromCharCode(27));
    expect(r.stdout).toMatch(/manifests/);
  });
});

describe('findings with exact locations', () => {
  it('schema.invalid points at the offending key with a fix hint, exit 1', async () => {
    const root = repo();
    const file = 'platforms/governance-platform/platform.yaml';
    edit(root, file, '    memoryMb: 512', '    memoryMB: 512');
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    expect(r.status).toBe(1);
    const f = json(r.stdout).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      ruleId: 'schema.invalid',
      severity: 'error',
      file,
      line: lineOf(root, file, 'memoryMB'),
      column: 5,
      kind: 'Platform',
      name: 'governance-platform',
      path: '/spec/resources/memoryMB',
      message: 'unknown field "memoryMB" in spec.resources',
      hint: 'did you mean "memoryMb"?',
    });
  });

  it('schema.invalid for a wrong type names the value and the expected type', async () => {
    const root = repo();
    const file = 'ecosystem/platform-cloud/staging/platform.yaml';
    edit(root, file, '      replicas: 1', '      replicas: one');
    const f = json((await mnops(['validate', '--root', root, '--format', 'json'])).stdout).findings;
    expect(f).toEqual([
      expect.objectContaining({
        ruleId: 'schema.invalid',
        file,
        line: lineOf(root, file, 'replicas: one'),
        column: 7,
        message: 'spec.platforms[7].replicas is "one", expected integer',
      }),
    ]);
  });

  it('ref.unknown points at the reference and suggests the closest name', async () => {
    const root = repo();
    const file = 'platforms/governance-platform/platform.yaml';
    edit(root, file, 'extends: http-service', 'extends: http-servce');
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    expect(r.status).toBe(1);
    const f = json(r.stdout).findings.filter((x) => x.ruleId === 'ref.unknown');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ file, line: lineOf(root, file, 'extends:'), column: 3, path: '/spec/extends' });
    expect(f[0]!.message).toContain('http-servce');
    expect(f[0]!.hint).toContain('http-service');
  });

  it('ref.cycle reports a template cycle', async () => {
    const root = repo();
    edit(root, 'ecosystem/platform-templates/base-service.yaml', /spec:\n/, 'spec:\n  extends: http-service\n');
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    expect(r.status).toBe(1);
    const cyc = json(r.stdout).findings.filter((x) => x.ruleId === 'ref.cycle');
    expect(cyc.length).toBeGreaterThanOrEqual(1);
    expect(cyc[0]!.message).toMatch(/base-service/);
    expect(cyc[0]!.message).toMatch(/http-service/);
  });
});

describe('exit 2 when the command cannot do its job', () => {
  it('unknown format', async () => {
    const r = await mnops(['validate', '--format', 'xml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/xml/);
  });
  it('a root that does not exist', async () => {
    const r = await mnops(['validate', '--root', '/nonexistent/mnops']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mnops: cannot read the repository root \/nonexistent\/mnops/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('a path outside the repository', async () => {
    const root = repo();
    const r = await mnops(['validate', '--root', root, '/etc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/etc is outside the repository root/);
  });
  it('an unknown git ref for --changed-since', async () => {
    const root = repo({ git: true });
    const r = await mnops(['validate', '--root', root, '--changed-since', 'no-such-ref']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no-such-ref/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('scoping', () => {
  it('validate_platform reports only findings of one environment directory', async () => {
    const root = repo();
    edit(root, 'ecosystem/platform-cloud/staging/platform.yaml', '      replicas: 1', '      replicas: one');
    edit(root, 'ecosystem/platform-cloud/dev/environment.yaml', /tier: dev/, 'tier: develop');
    const stagingOnly = await mnops(['--root', root, '--format', 'json', path.join(root, 'ecosystem/platform-cloud/staging')], { entry: 'validate_platform' });
    const files = json(stagingOnly.stdout).findings.map((f) => f.file);
    expect(files).toEqual(['ecosystem/platform-cloud/staging/platform.yaml']);
    expect(stagingOnly.status).toBe(1);
  });

  it('--changed-since reports what the change affects, not older problems', async () => {
    const root = repo({ git: true });
    // An old problem, committed: not part of the change.
    edit(root, 'ecosystem/platform-cloud/dev/platform.yaml', /version: (\d+\.\d+\.\d+)/, 'version: 9');
    git(root, 'commit', '-qam', 'old problem');
    git(root, 'tag', 'base');
    // The change: a template typo that affects every platform extending it.
    edit(root, 'ecosystem/platform-templates/http-service.yaml', 'containerPort: 8080', 'containerPort: eighty');
    const all = json((await mnops(['validate', '--root', root, '--format', 'json'])).stdout).findings;
    const changed = json((await mnops(['validate', '--root', root, '--format', 'json', '--changed-since', 'base'])).stdout).findings;
    expect(all.map((f) => f.file)).toContain('ecosystem/platform-cloud/dev/platform.yaml');
    // The template itself, and what the platforms extending it lose now it does not load.
    expect(changed.map((f) => f.file)).toContain('ecosystem/platform-templates/http-service.yaml');
    expect(changed.filter((f) => f.file !== 'ecosystem/platform-templates/http-service.yaml').every((f) => f.ruleId !== 'schema.invalid')).toBe(true);
    expect(changed.map((f) => f.file)).not.toContain('ecosystem/platform-cloud/dev/platform.yaml');
  });
});

describe('hostile input: a clear finding or error, bounded, nothing written', () => {
  const cases: [string, (root: string) => void, RegExp][] = [
    [
      'alias bomb',
      (root) => {
        const lines = ['apiVersion: mnops/v1', 'kind: Namespace', 'metadata: {name: bomb}', 'spec:', '  owners: [x]', '  l0: &a0 [x,x,x,x,x,x,x,x,x,x]'];
        for (let i = 1; i < 10; i++) lines.push(`  l${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]`);
        writeFileSync(path.join(root, 'registry/bomb.yaml'), lines.join('\n') + '\n');
      },
      /yaml\.limit/,
    ],
    ['5,000 nested brackets', (root) => writeFileSync(path.join(root, 'registry/deep.yaml'), `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`), /yaml\.limit.*nesting/],
    [
      'a 50 MB file',
      (root) => writeFileSync(path.join(root, 'registry/huge.yaml'), Buffer.alloc(50 * 1024 * 1024, 'a: b\n')),
      /yaml\.limit.*50\.0 MiB, over the 1\.0 MiB limit/,
    ],
    ['duplicate keys', (root) => edit(root, 'platforms/governance-platform/platform.yaml', '  lifecycle: active\n', '  lifecycle: active\n  lifecycle: active\n'), /yaml\.duplicate-key/],
    [
      '__proto__ through a template merge',
      (root) => edit(root, 'ecosystem/platform-templates/http-service.yaml', 'spec:\n', 'spec:\n  config:\n    __proto__:\n      isAdmin: true\n'),
      /yaml\.forbidden-key/,
    ],
    ['invalid UTF-8', (root) => writeFileSync(path.join(root, 'registry/bad.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28, 0x0a])), /yaml\.encoding/],
    ['a symlink pointing out of the repository', (root) => symlinkSync('/etc/hostname', path.join(root, 'registry/escape.yaml')), /path\.outside-root/],
    [
      'a secret file reference escaping with ../',
      (root) => edit(root, 'platforms/governance-platform/platform.yaml', '  dependsOn:\n', '  secrets:\n    - {name: LEAK, from: file, key: ../../etc/shadow}\n  dependsOn:\n'),
      /path\.outside-root/,
    ],
  ];
  for (const [name, breakIt, expected] of cases) {
    it(name, async () => {
      const root = repo();
      breakIt(root);
      const before = snapshot(root);
      const r = await mnops(['validate', '--root', root, '--format', 'json']);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('');
      const report = json(r.stdout);
      const lines = report.findings.map((f) => `${f.ruleId} ${f.message}`).join('\n');
      expect(lines).toMatch(expected);
      expect(r.ms).toBeLessThan(20_000);
      expect(snapshot(root)).toEqual(before);
    });
  }

  it('an unreadable manifest folder is exit 2 with one sentence', async () => {
    if (process.getuid?.() === 0) return; // root reads everything; nothing to prove here
    const root = repo();
    chmodSync(path.join(root, 'registry'), 0o000);
    const r = await mnops(['validate', '--root', root]);
    chmodSync(path.join(root, 'registry'), 0o755);
    expect(r.status).toBe(2);
  });
});

describe('output files', () => {
  it('--output writes the report and nothing to stdout', async () => {
    const root = repo();
    const out = path.join(tempDir(), 'nested', 'report.sarif');
    dirs.push(path.dirname(path.dirname(out)));
    const r = await mnops(['validate', '--root', root, '--format', 'sarif', '--output', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).version).toBe('2.1.0');
  });

  it('github format annotates and appends the job summary', async () => {
    const root = repo();
    const file = 'platforms/governance-platform/platform.yaml';
    edit(root, file, '    memoryMb: 512', '    memoryMB: 512');
    const summaryDir = tempDir();
    dirs.push(summaryDir);
    const summary = path.join(summaryDir, 'summary.md');
    mkdirSync(summaryDir, { recursive: true });
    const r = await mnops(['validate', '--root', root, '--format', 'github'], { env: { GITHUB_STEP_SUMMARY: summary } });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`::error file=${file},line=${lineOf(root, file, 'memoryMB')},col=5`);
    expect(existsSync(summary)).toBe(true);
    expect(readFileSync(summary, 'utf8')).toMatch(/schema\.invalid/);
  });
});

describe('enforce (warnings fail) and the evaluation time', () => {
  it('a warning passes validate but fails enforce; --now decides what has expired', async () => {
    const root = repo();
    const later = ['--now', '2027-06-01T00:00:00Z'];
    const v = await mnops(['validate', '--root', root, '--format', 'json', ...later]);
    expect(v.status).toBe(0);
    const warned = json(v.stdout).findings;
    expect(warned.map((f) => [f.ruleId, f.severity])).toEqual([
      ['environments.expired', 'warning'],
      ['environments.expired', 'warning'],
    ]);
    expect((await mnops(['--root', root, ...later], { entry: 'enforce' })).status).toBe(1);
    expect((await mnops(['--root', root], { entry: 'enforce' })).status).toBe(0);
  });

  it('--fail-on warning fails on warnings and still on errors alone', async () => {
    const later = ['--now', '2027-06-01T00:00:00Z'];
    const warned = repo();
    expect((await mnops(['validate', '--root', warned, '--fail-on', 'warning', ...later])).status).toBe(1);
    const erred = repo();
    edit(erred, 'platforms/governance-platform/platform.yaml', '    memoryMb: 512', '    memoryMB: 512');
    const r = await mnops(['validate', '--root', erred, '--format', 'json', '--fail-on', 'warning']);
    expect(json(r.stdout).summary).toMatchObject({ errors: 1, warnings: 0 });
    expect(r.status).toBe(1);
  });

  it('rejects a --now that is not a time', async () => {
    const r = await mnops(['validate', '--now', 'tomorrow']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--now "tomorrow" is not a valid time/);
  });
});
