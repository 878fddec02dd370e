// One typo, one finding to read: what follows from an error is folded under it.
import { describe, expect, it } from 'vitest';
import { edit, lineOf, mnops } from '../helpers/repo.js';
import { exampleRepos } from '../helpers/example-repos.js';

const repo = exampleRepos({ git: true });

const TEMPLATE = 'ecosystem/platform-templates/base-service.yaml';

interface JsonFinding { ruleId: string; file: string; line: number; column: number; causedBy?: { ruleId: string; file: string; line: number; column: number } }

describe('a template typo', () => {
  it('shows the schema error once, with the findings it causes folded under it', async () => {
    const root = repo();
    edit(root, TEMPLATE, '    maxThreads: 64', '    maxThread: 64');
    const line = lineOf(root, TEMPLATE, 'maxThread: 64');
    const r = await mnops(['validate', '--root', root]);
    expect(r.status).toBe(1);
    const [head, ...rest] = r.stdout.split('\n\n');
    expect(head).toBe(
      [
        TEMPLATE,
        `  ${line}:5  error  schema.invalid  unknown field "maxThread" in spec.resources`,
        '                               → did you mean "maxThreads"?',
        '                               ↳ and 107 findings caused by it (resources.required ×90, health.required ×17): fix this first; --verbose lists them',
      ].join('\n'),
    );
    expect(rest.join('\n\n')).toBe('✖ 108 problems (108 errors, 0 warnings) in 50 manifests\n  107 of them follow from 1 error above: fix it first\n');
  });

  it('--verbose lists the folded findings under the cause', async () => {
    const root = repo();
    edit(root, TEMPLATE, '    maxThreads: 64', '    maxThread: 64');
    const r = await mnops(['validate', '--root', root, '--verbose']);
    expect(r.stdout).toMatch(/\n {35}ecosystem\/platform-templates\/http-service\.yaml:\d+:3 {2}resources\.required {2}governance-platform declares no diskMb limit in dev\n/);
    expect(r.stdout.match(/^ {35}\S+:\d+:\d+ {2}(resources|health)\.required /gm)).toHaveLength(107);
  });

  it('json links every consequence to its cause with causedBy', async () => {
    const root = repo();
    edit(root, TEMPLATE, '    maxThreads: 64', '    maxThread: 64');
    const line = lineOf(root, TEMPLATE, 'maxThread: 64');
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    const findings = (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings).toHaveLength(108);
    const cause = findings.filter((f) => !f.causedBy);
    expect(cause).toMatchObject([{ ruleId: 'schema.invalid', file: TEMPLATE, line }]);
    for (const f of findings.filter((x) => x.causedBy)) expect(f.causedBy).toEqual({ ruleId: 'schema.invalid', file: TEMPLATE, line, column: 5 });
  });

  it('a misspelt extends folds the findings of the platforms built on that template', async () => {
    const root = repo();
    const file = 'ecosystem/platform-templates/batch-worker.yaml';
    edit(root, file, 'extends: base-service', 'extends: base-servce');
    const r = await mnops(['validate', '--root', root]);
    expect(r.stdout).toBe(
      [
        file,
        `  ${lineOf(root, file, 'base-servce')}:3  error  ref.unknown  template "base-servce" does not exist`,
        '                            → did you mean "base-service"?',
        '                            ↳ and 4 findings caused by it (resources.required ×3, health.required ×1): fix this first; --verbose lists them',
        '',
        '✖ 5 problems (5 errors, 0 warnings) in 50 manifests',
        '  4 of them follow from 1 error above: fix it first',
        '',
      ].join('\n'),
    );
  });
});

describe('a platform file that does not parse', () => {
  it('folds the "does not exist" references to it under the syntax error', async () => {
    const root = repo();
    const file = 'platforms/data-platform/platform.yaml';
    edit(root, file, '    maxProcesses: 32', '    maxProcesses: "32');
    const r = await mnops(['validate', '--root', root]);
    expect(r.stdout).toContain('↳ and 3 findings caused by it (ref.unknown ×3): fix this first; --verbose lists them');
    expect(r.stdout).not.toMatch(/^ecosystem\/platform-cloud\/dev\/platform\.yaml$/m);
    expect(r.status).toBe(1);
  });
});
