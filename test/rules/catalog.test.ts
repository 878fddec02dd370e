// The rule list cannot drift from the rules: every id the policies or the TypeScript checks
// can emit is described, every described rule is emitted somewhere, and the policy rules'
// severities are the Rego's own table.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../tools/lib/rules/catalog.js';
import { parseSeverityTable, SEVERITY_TABLE_FILE } from '../../tools/lib/rules/severities.js';
import { PROJECT_ROOT } from '../helpers/repo.js';

function files(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, ext));
    else if (e.name.endsWith(ext) && !e.name.endsWith(`_test${ext}`)) out.push(p);
  }
  return out;
}

const policyIds = RULES.filter((r) => r.source === 'policy').map((r) => r.id);
const loaderIds = RULES.filter((r) => r.source === 'loader').map((r) => r.id);

/** Rule ids the Rego emits: the first argument of every findings.resolved / manifest / manifest_in call. */
function regoEmitted(): Set<string> {
  const ids = new Set<string>();
  // Every constructor of policies/lib/findings.rego that takes the rule id first.
  const makers = [...readFileSync(path.join(PROJECT_ROOT, 'policies/lib/findings.rego'), 'utf8').matchAll(/^([a-z_]+)\(rule,/gm)].map((m) => m[1]!);
  expect(makers.length).toBeGreaterThan(0);
  const call = new RegExp(`findings\\.(?:${makers.join('|')})\\(\\s*"([^"]+)"`, 'g');
  for (const f of files(path.join(PROJECT_ROOT, 'policies/rules'), '.rego')) {
    for (const m of readFileSync(f, 'utf8').matchAll(call)) ids.add(m[1]!);
  }
  return ids;
}

/** Rule ids the TypeScript emits: quoted `area.rule` literals of the areas findings use. */
function typescriptEmitted(): Set<string> {
  const ids = new Set<string>();
  const area = /'((?:yaml|schema|manifest|ref|path|settings|exceptions|secrets|instances|policy)\.[a-z][a-z-]*)'/g;
  for (const f of files(path.join(PROJECT_ROOT, 'tools/lib'), '.ts')) {
    if (f.includes(`${path.sep}rules${path.sep}`)) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(area)) if (m[1] !== 'policy.wasm') ids.add(m[1]!);
  }
  return ids;
}

describe('the rule catalog', () => {
  it('has one entry per id', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it('describes exactly the rules the policies emit, and their severity table', () => {
    const table = parseSeverityTable(readFileSync(path.join(PROJECT_ROOT, SEVERITY_TABLE_FILE), 'utf8'));
    expect([...regoEmitted()].sort()).toEqual([...policyIds].sort());
    expect([...table.keys()].sort()).toEqual([...policyIds].sort());
  });

  it('describes exactly the rules the loader and reference checks emit', () => {
    expect([...typescriptEmitted()].sort()).toEqual([...loaderIds].sort());
  });

  it('gives every rule a one-line summary, an example and a fix that names an edit or a command', () => {
    // A fix names a field (spec.x, metadata.name), a file or folder, or a command to run.
    const actionable = /\b(spec|metadata)\.[A-Za-z]|[\w-]+\/[\w<>.-]+|\bmnops [a-z]|\bnpm |\bgit |\brename\b|\bdelete\b|\bremove\b|\bsave\b|\badd\b/;
    expect(RULES.filter((r) => !actionable.test(r.fix)).map((r) => `${r.id}: ${r.fix}`)).toEqual([]);
    for (const r of RULES) {
      expect(r.summary, r.id).not.toMatch(/\n/);
      expect(r.summary.length, r.id).toBeGreaterThan(10);
      expect(r.example.hint.length, r.id).toBeGreaterThan(5);
      expect(r.example.line, r.id).toMatch(/^\d+:\d+$/);
    }
  });
});
