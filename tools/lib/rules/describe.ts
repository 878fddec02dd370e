// `mnops rules` and `mnops explain RULE`: the catalog, with each tier's severity as this
// repository's settings make it (an override in ecosystem/governance/settings.yaml, else
// the policies' default).
import type { Tier } from '../manifest/kinds.js';
import type { PolicySettingsSpec } from '../policy/settings.js';
import { UsageError } from '../repo/errors.js';
import { closestName } from '../suggest/closest-name.js';
import { ALL_TIERS, RULES, ruleDoc, type RuleDoc } from './catalog.js';
import { defaultSeverities } from './severities.js';

const SETTINGS_FILE = 'ecosystem/governance/settings.yaml';
const EXCEPTIONS_DIR = 'ecosystem/governance/exceptions/';
/** Shown for a tier the rule does not judge. */
const NOT_CHECKED = '-';

export interface RuleView {
  id: string;
  source: RuleDoc['source'];
  summary: string;
  defaultSeverity: string;
  /** Severity per tier, or "-" where the rule does not judge that tier. */
  severity: Record<Tier, string>;
  waive: string;
}

function defaultOf(doc: RuleDoc, table: Map<string, string>): string {
  if (doc.source === 'loader') return doc.severity ?? 'error';
  return table.get(doc.id) ?? 'error';
}

function waiveText(doc: RuleDoc): string {
  if (doc.source === 'loader') return 'cannot be waived: fix what it reports';
  return `PolicyException (spec.rule: ${doc.id}) in ${EXCEPTIONS_DIR}; or tiers.<tier>.severity.${doc.id}: off in ${SETTINGS_FILE}`;
}

export function ruleView(doc: RuleDoc, settings: PolicySettingsSpec, table = defaultSeverities()): RuleView {
  const base = defaultOf(doc, table);
  const severity = {} as Record<Tier, string>;
  for (const tier of ALL_TIERS) {
    if (doc.tiers && !doc.tiers.includes(tier)) severity[tier] = NOT_CHECKED;
    // Tier overrides apply to policy findings about an environment only.
    else if (doc.source === 'policy' && doc.tiers) severity[tier] = settings.tiers[tier]?.severity?.[doc.id] ?? base;
    else severity[tier] = base;
  }
  return { id: doc.id, source: doc.source, summary: doc.summary, defaultSeverity: base, severity, waive: waiveText(doc) };
}

export function allRuleViews(settings: PolicySettingsSpec): RuleView[] {
  const table = defaultSeverities();
  return RULES.map((doc) => ruleView(doc, settings, table));
}

/** The rule, or a UsageError with the closest id. */
export function findRule(id: string): RuleDoc {
  const doc = ruleDoc(id);
  if (doc) return doc;
  const close = closestName(id, RULES.map((r) => r.id));
  throw new UsageError(`unknown rule "${id}"`, close ? `did you mean "${close}"? (mnops rules lists every rule)` : 'mnops rules lists every rule');
}

/** One line per rule: id, each tier's severity, whether a PolicyException waives it, what it checks. */
export function formatRuleList(views: RuleView[]): string {
  const idWidth = Math.max(4, ...views.map((v) => v.id.length));
  const col = (s: string) => s.padEnd(8);
  const header = `${'RULE'.padEnd(idWidth)}  ${ALL_TIERS.map((t) => col(t.toUpperCase())).join('')}${'WAIVE'.padEnd(17)}CHECKS`;
  const rows = views.map(
    (v) => `${v.id.padEnd(idWidth)}  ${ALL_TIERS.map((t) => col(v.severity[t])).join('')}${(v.source === 'policy' ? 'PolicyException' : 'no (fix it)').padEnd(17)}${v.summary}`,
  );
  return (
    [header, ...rows].join('\n') +
    `\n\n"${NOT_CHECKED}": the rule does not judge that tier. Severities come from the policies' defaults and tiers.<tier>.severity in ${SETTINGS_FILE}.\n` +
    `Waive one finding of a policy rule with a PolicyException in ${EXCEPTIONS_DIR}. Details, an example and the fix: mnops explain RULE\n`
  );
}

function exceptionTemplate(doc: RuleDoc): string {
  const envLine = doc.tiers ? ', environment: <env>' : '';
  return [
    `  # ${EXCEPTIONS_DIR}<name>.yaml`,
    '  apiVersion: mnops/v1',
    '  kind: PolicyException',
    '  metadata:',
    '    name: <name>',
    '  spec:',
    `    rule: ${doc.id}`,
    `    target: {kind: <kind of the finding>, name: <its name>${envLine}}`,
    '    reason: <why, and when it will be fixed>',
    '    approvedBy: <an approver from settings exceptions.approvers>',
    '    expires: <YYYY-MM-DD>',
  ].join('\n');
}

export function formatExplanation(doc: RuleDoc, view: RuleView): string {
  const tiers = ALL_TIERS.map((t) => `${t} ${view.severity[t]}`).join(', ');
  const ex = doc.example;
  const lines = [
    `${doc.id} (${doc.source === 'policy' ? 'policy rule, policies/rules/' : 'checked in code by the loader and reference checks'})`,
    `  ${doc.summary}`,
    '',
    doc.details,
    '',
    `Severity: default ${view.defaultSeverity}; per tier: ${tiers}${doc.tiers ? '' : ' (not tier-specific)'}`,
    '',
    'Example finding:',
    `  ${ex.file}`,
    `    ${ex.line}  ${view.defaultSeverity}  ${doc.id}  ${ex.message}`,
    `    → ${ex.hint}`,
    '',
    `Fix: ${doc.fix}`,
    '',
  ];
  if (doc.source === 'policy') {
    lines.push(`Waive: one finding, until a date, with a PolicyException (reviewed like code):`, exceptionTemplate(doc), `Or change its severity for a tier in ${SETTINGS_FILE}: tiers.<tier>.severity.${doc.id}: warning | note | off`, '');
  } else {
    lines.push('Waive: it cannot be waived; fix what it reports.', '');
  }
  return lines.join('\n');
}
