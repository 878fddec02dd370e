// Every finding says what to do next: a field to edit, a file, or a command to run. The
// example gets the usual mistakes planted, and each finding's hint is read as a user reads it.
import { afterAll, describe, expect, it } from 'vitest';
import { edit, exampleRepo, mnops, removeDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A field path (spec.x, metadata.name, resources.x), a repository path, or an mnops command. */
const ACTIONABLE = /\b(spec|metadata|resources|network|sandbox|healthCheck)\.[A-Za-z]|\b[\w.-]+\/[\w<>.${}-]+|\bmnops [a-z]|"[^"]+"\?$/;

interface JsonFinding { ruleId: string; file: string; line: number; hint: string | null; message: string }

describe('hints', () => {
  it('every finding of the planted mistakes names the edit or the command that clears it', async () => {
    const root = exampleRepo();
    dirs.push(root);
    const data = 'platforms/data-platform/platform.yaml';
    const automation = 'platforms/automation-platform/platform.yaml';
    edit(root, data, '    memoryMb: 1024', '    memoryMb: 999999');
    edit(root, data, '  owner: data-team', '  owner: x-team');
    edit(root, data, '  env:\n', '  env:\n    DB_PASSWORD: hunter2\n');
    edit(root, data, /^ {4}maxThreads: \d+\n/m, '');
    edit(root, automation, '    policy: egress-only', '    policy: allow-all');
    edit(root, automation, 'image: "mnops/base:${version}"', 'image: "mnops/base:latest"');
    edit(root, 'ecosystem/platform-cloud/prod/environment.yaml', '      capDrop: [ALL]', '      capDrop: [NET_RAW]');
    edit(root, 'ecosystem/platform-templates/batch-worker.yaml', 'extends: base-service', 'extends: base-servce');
    // Past every ttl and the example's exception.
    const r = await mnops(['validate', '--root', root, '--format', 'json', '--now', '2028-06-01T00:00:00Z']);
    expect(r.status).toBe(1);
    const findings = (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings;
    const rules = new Set(findings.map((f) => f.ruleId));
    for (const id of [
      'resources.ceiling',
      'resources.required',
      'ownership.owner',
      'secrets.plaintext',
      'network.open-in-prod',
      'images.pinned',
      'sandbox.hardened',
      'environments.expired',
      'exceptions.expired',
      'ref.unknown',
    ]) {
      expect(rules, id).toContain(id);
    }
    const vague = findings.filter((f) => !f.hint || !ACTIONABLE.test(f.hint)).map((f) => `${f.ruleId}: ${f.hint ?? '(no hint)'}`);
    expect([...new Set(vague)]).toEqual([]);
  });
});
