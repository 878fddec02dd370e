// The "proposed policy change" section: when a change alters the rules (policies, settings,
// exceptions), the verdict still comes from the base's rules, and this shows reviewers the
// blast radius of the new ones — what they would add or clear across the whole ecosystem.
import type { Finding, Report } from './finding.js';
import { codeSpanCell, escapeMarkdownCell } from './formats/markdown.js';
import { escapeControlChars } from './formats/text.js';

const MAX_ROWS = 50;

function textLine(sign: string, f: Finding): string {
  // Names and messages are manifest text: control characters are shown, never obeyed.
  const clean = escapeControlChars;
  return `  ${sign} ${clean(f.file)}:${f.line}:${f.column}  ${f.severity}  ${clean(f.ruleId)}  ${clean(f.message)}`;
}

export function proposedChangeText(report: Report): string {
  const p = report.proposedPolicyChange;
  if (!p) return '';
  const lines = ['', `Proposed policy change (not the verdict: this change is judged by ${report.judgedBy?.slice(0, 12) ?? 'the base'}'s rules):`];
  if (p.error) lines.push(`  its own rules cannot be evaluated: ${p.error}`);
  else if (p.added.length === 0 && p.cleared.length === 0) lines.push('  its rules would report exactly what the current ones do');
  for (const f of p.added.slice(0, MAX_ROWS)) lines.push(textLine('+', f));
  for (const f of p.cleared.slice(0, MAX_ROWS)) lines.push(textLine('-', f));
  const more = Math.max(0, p.added.length - MAX_ROWS) + Math.max(0, p.cleared.length - MAX_ROWS);
  if (more) lines.push(`  … and ${more} more (see --format json)`);
  if (!p.error) lines.push(`  ${p.added.length} finding(s) added, ${p.cleared.length} cleared across the whole ecosystem`);
  return `${lines.join('\n')}\n`;
}

export function proposedChangeMarkdown(report: Report): string {
  const p = report.proposedPolicyChange;
  if (!p) return '';
  const out = [
    '',
    '### Proposed policy change',
    '',
    `This change alters the rules. Its verdict above comes from the base's rules; with its own rules, the whole ecosystem would get:`,
    '',
  ];
  if (p.error) return `${out.join('\n')}its own rules cannot be evaluated: ${escapeMarkdownCell(p.error)}\n`;
  if (p.added.length === 0 && p.cleared.length === 0) return `${out.join('\n')}no difference.\n`;
  out.push('| | severity | rule | where | message |', '|---|---|---|---|---|');
  const row = (sign: string, f: Finding) => `| ${sign} | ${f.severity} | ${codeSpanCell(f.ruleId)} | ${codeSpanCell(`${f.file}:${f.line}`)} | ${escapeMarkdownCell(f.message)} |`;
  for (const f of p.added.slice(0, MAX_ROWS)) out.push(row('added', f));
  for (const f of p.cleared.slice(0, MAX_ROWS)) out.push(row('cleared', f));
  const cut = p.added.length > MAX_ROWS || p.cleared.length > MAX_ROWS;
  out.push('', `${p.added.length} added, ${p.cleared.length} cleared${cut ? ` (the first ${MAX_ROWS} of each are listed; the report in --format json has them all)` : ''}.`);
  return `${out.join('\n')}\n`;
}
