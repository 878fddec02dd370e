// Human output, read like compiler errors: findings grouped under their file, columns
// aligned, the hint on its own line, one summary line at the end. Every line is ours: a
// control character from a manifest (a newline included) is shown as an escape, so nothing
// quoted can forge a line — in a terminal or as a `::command::` in an Actions log.
import pc from 'picocolors';
import { sortFindings, type Finding, type Severity, type Summary } from '../finding.js';
import type { Formatter } from '../format.js';

type Colors = ReturnType<typeof pc.createColors>;

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * The one-line verdict every human format ends with, e.g.
 * `✖ 3 problems (2 errors, 1 warning) in 120 manifests` or `✔ 120 manifests, no problems`.
 * Notes are not problems: they are mentioned, never counted as failures.
 */
export function summaryLine(summary: Summary): string {
  const problems = summary.errors + summary.warnings;
  const notes = summary.notes > 0 ? plural(summary.notes, 'note') : '';
  const manifests = plural(summary.manifests, 'manifest');
  if (problems === 0) return `✔ ${manifests}, no problems${notes ? `, ${notes}` : ''}`;
  const counts = `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}`;
  return `✖ ${plural(problems, 'problem')} (${counts})${notes ? ` and ${notes}` : ''} in ${manifests}`;
}

/**
 * Messages quote manifest content; a control character in it must not move the cursor,
 * recolour the terminal or forge a line, so it is shown as an escape instead.
 * Newlines and tabs are left to the caller to lay out (markdown turns them into <br>).
 */
export function showControlChars(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, escapeChar);
}

/**
 * Every control character shown as an escape, line breaks and tabs included: text that goes
 * to a terminal or an Actions log as one line. A line of its own could start with `::` and
 * be read by the runner as a workflow command (it ignores leading spaces), so names,
 * messages and file names never bring one.
 */
export function escapeControlChars(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, escapeChar);
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

function paintSeverity(c: Colors, severity: Severity, text: string): string {
  if (severity === 'error') return c.red(text);
  if (severity === 'warning') return c.yellow(text);
  return c.cyan(text);
}

function groupByFile(findings: Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const f of sortFindings(findings)) {
    const group = groups.get(f.file);
    if (group) group.push(f);
    else groups.set(f.file, [f]);
  }
  return groups;
}

const refKey = (f: { ruleId: string; file: string; line: number; column: number }) => `${f.file}:${f.line}:${f.column} ${f.ruleId}`;

/** `resources.required ×80, health.required ×17`: what the folded findings are, most frequent first. */
function ruleCounts(findings: Finding[]): string {
  const counts = new Map<string, number>();
  for (const f of findings) counts.set(f.ruleId, (counts.get(f.ruleId) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([rule, n]) => `${escapeControlChars(rule)} ×${n}`).join(', ');
}

/** The lines under a cause: how many findings follow from it, and with --verbose which. */
function foldedLines(c: Colors, indent: string, folded: Finding[], verbose: boolean): string[] {
  const n = folded.length;
  const lines = [indent + c.dim(`↳ and ${plural(n, 'finding')} caused by it (${ruleCounts(folded)}): fix this first${verbose ? '' : '; --verbose lists them'}`)];
  if (verbose) {
    for (const f of sortFindings(folded)) {
      lines.push(`${indent}    ${c.dim(escapeControlChars(`${f.file}:${f.line}:${f.column}`))}  ${c.dim(escapeControlChars(f.ruleId))}  ${escapeControlChars(f.message)}`);
    }
  }
  return lines;
}

function formatFile(c: Colors, file: string, findings: Finding[], folded: Map<string, Finding[]>, verbose: boolean): string[] {
  const rows = findings.map((f) => ({ f, position: `${f.line}:${f.column}` }));
  const positionWidth = Math.max(...rows.map((r) => r.position.length));
  const severityWidth = Math.max(...rows.map((r) => r.f.severity.length));
  const ruleWidth = Math.max(...rows.map((r) => escapeControlChars(r.f.ruleId).length));
  // The hint starts under the message column, on a line of its own.
  const messageIndent = ' '.repeat(2 + positionWidth + 2 + severityWidth + 2 + ruleWidth + 2);

  const lines = [c.underline(escapeControlChars(file))];
  for (const { f, position } of rows) {
    lines.push(
      '  ' +
        c.dim(position.padEnd(positionWidth)) +
        '  ' +
        paintSeverity(c, f.severity, f.severity.padEnd(severityWidth)) +
        '  ' +
        c.dim(escapeControlChars(f.ruleId).padEnd(ruleWidth)) +
        '  ' +
        escapeControlChars(f.message),
    );
    if (f.hint) lines.push(messageIndent + c.green(`→ ${escapeControlChars(f.hint)}`));
    const consequences = folded.get(refKey(f));
    if (consequences) lines.push(...foldedLines(c, messageIndent, consequences, verbose));
  }
  return lines;
}

export const text: Formatter = (report, options) => {
  const c = pc.createColors(options.color);
  const lines: string[] = [];
  // A finding whose cause is in the report is shown under it, not on its own.
  const shown = new Set(report.findings.map(refKey));
  const folded = new Map<string, Finding[]>();
  const own: Finding[] = [];
  for (const f of report.findings) {
    const cause = f.causedBy && shown.has(refKey(f.causedBy)) ? refKey(f.causedBy) : undefined;
    if (cause) {
      const under = folded.get(cause);
      if (under) under.push(f);
      else folded.set(cause, [f]);
    }
    else own.push(f);
  }
  for (const [file, findings] of groupByFile(own)) {
    lines.push(...formatFile(c, file, findings, folded, options.verbose ?? false), '');
  }
  const verdict = summaryLine(report.summary);
  const failed = report.summary.errors + report.summary.warnings > 0;
  lines.push(c.bold(failed ? (report.summary.errors > 0 ? c.red(verdict) : c.yellow(verdict)) : c.green(verdict)));
  const foldedCount = report.findings.length - own.length;
  if (foldedCount > 0) lines.push(`  ${plural(foldedCount, 'of them follows', 'of them follow')} from ${plural(folded.size, 'error')} above: fix ${folded.size === 1 ? 'it' : 'those'} first`);
  return { output: lines.join('\n') + '\n' };
};
