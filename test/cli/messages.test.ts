// The messages of the usual first-hour mistakes, as a user reads them: the file, the line,
// and a fix that, once made, validates clean.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edit, lineOf, mnops } from '../helpers/repo.js';
import { exampleRepos } from '../helpers/example-repos.js';

const repo = exampleRepos();

const PLATFORM = 'platforms/data-platform/platform.yaml';

describe('a version written as a number', () => {
  it('says it is a number and gives the quoted semver to write', async () => {
    const root = repo();
    edit(root, PLATFORM, /^ {2}version: 0\.9\.0$/m, '  version: 0.9');
    const r = await mnops(['validate', '--root', root]);
    expect(r.status).toBe(1);
    const line = lineOf(root, PLATFORM, 'version: 0.9');
    expect(r.stdout).toContain(`${PLATFORM}\n  ${line}:3  error  schema.invalid  spec.version is the number 0.9; versions are semantic-version strings (major.minor.patch)`);
    expect(r.stdout).toContain('→ write version: "0.9.0"');
  });

  it('quoting it half-way ("0.9") gets the same fix, and the fix validates clean', async () => {
    const root = repo();
    edit(root, PLATFORM, /^ {2}version: 0\.9\.0$/m, '  version: "0.9"');
    const r = await mnops(['validate', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('spec.version "0.9" is not a semantic version: it needs major.minor.patch');
    expect(r.stdout).toContain('→ write version: "0.9.0"');
    edit(root, PLATFORM, '  version: "0.9"', '  version: "0.9.0"');
    const fixed = await mnops(['validate', '--root', root]);
    expect(fixed.stdout).toContain('no problems');
    expect(fixed.status).toBe(0);
  });

  it('an env value written as a number says to quote it', async () => {
    const root = repo();
    edit(root, PLATFORM, 'EVIDENCE_RETENTION_DAYS: "90"', 'EVIDENCE_RETENTION_DAYS: 90');
    const r = await mnops(['validate', '--root', root]);
    expect(r.stdout).toContain('spec.env.EVIDENCE_RETENTION_DAYS is the number 90, expected a string');
    expect(r.stdout).toContain('→ quote it: EVIDENCE_RETENTION_DAYS: "90"');
  });
});

describe('YAML mistakes', () => {
  it('a duplicate key names the key and both lines', async () => {
    const root = repo();
    edit(root, PLATFORM, '  lifecycle: active\n', '  lifecycle: active\n  lifecycle: deprecated\n');
    const r = await mnops(['validate', '--root', root]);
    const first = lineOf(root, PLATFORM, 'lifecycle: active');
    expect(r.stdout).toContain(`${PLATFORM}\n  ${first + 1}:3  error  yaml.duplicate-key  map key "lifecycle" appears twice: first at line ${first}, again at line ${first + 1}`);
    expect(r.status).toBe(1);
  });

  it('an unclosed quote is reported where it opened, not at the end of the file', async () => {
    const root = repo();
    edit(root, PLATFORM, '    maxProcesses: 32', '    maxProcesses: "32');
    const line = lineOf(root, PLATFORM, 'maxProcesses: "32');
    const lines = readFileSync(path.join(root, PLATFORM), 'utf8').split('\n').length;
    expect(line).toBeLessThan(lines - 5);
    const r = await mnops(['validate', '--root', root]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${PLATFORM}\n  ${line}:19  error  yaml.syntax  YAML syntax error: the " quote opened here is never closed`);
    expect(r.stdout).toContain(`→ add the closing " at the end of the value on line ${line}`);
  });
});

describe('an instance ahead of the catalog', () => {
  it('is a warning on the instance line, naming the catalog version and both fixes', async () => {
    const root = repo();
    const instance = 'ecosystem/platform-cloud/dev/platform.yaml';
    edit(root, instance, /(- name: data-platform\n\s+version: )0\.9\.0/, '$10.9.1');
    const r = await mnops(['validate', '--root', root, '--fail-on', 'warning']);
    expect(r.status).toBe(1);
    const line = lineOf(root, instance, 'version: 0.9.1');
    expect(r.stdout).toContain(
      `${instance}\n  ${line}:7  warning  instances.version-ahead  dev runs data-platform 0.9.1, but the catalog's newest version is 0.9.0 (${PLATFORM})`,
    );
    expect(r.stdout).toContain(`→ release it first: set spec.version: 0.9.1 in ${PLATFORM}; or write version: 0.9.0 here`);
  });

  it('a pre-release ahead of the catalog (a build under review) is fine', async () => {
    const root = repo();
    const instance = 'ecosystem/platform-cloud/dev/platform.yaml';
    edit(root, instance, /(- name: data-platform\n\s+version: )0\.9\.0/, '$10.9.1-pr.7');
    const r = await mnops(['validate', '--root', root]);
    expect(r.stdout).not.toContain('instances.version-ahead');
  });
});

describe('acting on a platform whose manifest has errors', () => {
  it('deploy says the manifest has errors (file:line and the fix), not that the platform does not exist; exit 2', async () => {
    const root = repo({ git: true });
    mkdirSync(path.join(root, 'platforms/billing-platform'));
    const text = readFileSync(path.join(root, PLATFORM), 'utf8').replace('name: data-platform', 'name: billing-platform').replace('memoryMb: 1024', 'memoryMB: 1024');
    writeFileSync(path.join(root, 'platforms/billing-platform/platform.yaml'), text);
    const file = 'platforms/billing-platform/platform.yaml';
    const line = lineOf(root, file, 'memoryMB');
    const r = await mnops(['deploy', 'billing-platform', '--to', 'staging', '--dry-run', '--root', root]);
    expect(r.stderr).toContain(`platform "billing-platform" has manifest errors: ${file}:${line}:5 schema.invalid: unknown field "memoryMB" in spec.resources; nothing was changed`);
    expect(r.stderr).toContain(`did you mean "memoryMb"?; fix ${file}, then run mnops validate`);
    expect(r.stderr).not.toContain('does not exist');
    expect(r.status).toBe(2);
  });

  it('apply refuses with the manifest error, exit 2', async () => {
    const root = repo({ git: true });
    edit(root, PLATFORM, 'memoryMb: 1024', 'memoryMB: 1024');
    const line = lineOf(root, PLATFORM, 'memoryMB');
    const r = await mnops(['apply', '--env', 'dev', '--dry-run', '--root', root], { env: { MNOPS_AUDIT_SIGNING_KEY: 'test-key' } });
    expect(r.stderr).toContain(`cannot determine the desired state of dev: ${PLATFORM}:${line}:5 schema.invalid: unknown field "memoryMB" in spec.resources; nothing was changed`);
    expect(r.stderr).toContain(`fix ${PLATFORM}, then run mnops validate`);
    expect(r.status).toBe(2);
  });
});
