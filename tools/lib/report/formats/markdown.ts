// Markdown for PR comments and job summaries: a heading, the verdict, one table row per
// finding (errors first). Cells quote manifest content, so everything that markdown or
// HTML would interpret is escaped.
import { messageWithHint, sortBySeverity, type Finding, type Report } from '../finding.js';
import type { Formatter } from '../format.js';
import { showControlChars, summaryLine } from './text.js';

export const MARKDOWN_HEADING = '## mnops validate';

/**
 * One table cell, or any inline text: no pipe ends it early, no newline breaks the row, no
 * markup renders — no HTML (a hidden `<!-- marker -->` included), emphasis, link, code span
 * or math (`$…$`, which GitHub renders as LaTeX).
 */
export function escapeMarkdownCell(value: string): string {
  return showControlChars(
    value
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/\$/g, '&#36;')
      .replace(/[\\`*_[\]~|]/g, '\\$&')
      .replace(/\r\n|\r|\n/g, '<br>'),
  );
}

/** Inline text outside a table (a heading, a list item): the same escaping as a cell. */
export const escapeMarkdownInline = escapeMarkdownCell;

/** Code span text: one line, no control characters, no backtick that would end the span. */
function spanText(value: string): string {
  return showControlChars(value.replace(/\r\n|\r|\n/g, ' ')).replace(/`/g, 'ˋ');
}

/**
 * A table cell shown as a code span: the text stays literal (no markup, no backslash escapes
 * inside), so only what would end the row or the span is replaced.
 */
export function codeSpanCell(value: string): string {
  return `\`${spanText(value).replace(/\|/g, '\\|')}\``;
}

/** A code span outside a table (where `\|` would show its backslash). */
export function codeSpan(value: string): string {
  return `\`${spanText(value)}\``;
}

/**
 * A fenced code block that its content cannot end: the fence is longer than any run of
 * backticks inside, and control characters are shown as escapes.
 */
export function fencedBlock(info: string, content: string): string {
  const text = showControlChars(content.replace(/\r\n?/g, '\n')).replace(/\n$/, '');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

function row(f: Finding): string {
  const cells = [f.severity, f.ruleId, `${f.file}:${f.line}`, messageWithHint(f)].map(escapeMarkdownCell);
  return `| ${cells.join(' | ')} |`;
}

export interface MarkdownOptions {
  /** Rows after this many are left out, with a note saying how many. */
  maxRows?: number;
}

export function markdownReport(report: Report, options: MarkdownOptions = {}): string {
  if (report.findings.length === 0) {
    const n = report.summary.manifests;
    return `${MARKDOWN_HEADING}\n\nNo problems found in ${n} manifest${n === 1 ? '' : 's'}.\n`;
  }
  const findings = sortBySeverity(report.findings);
  const shown = options.maxRows === undefined ? findings : findings.slice(0, options.maxRows);
  const lines = [
    MARKDOWN_HEADING,
    '',
    summaryLine(report.summary),
    '',
    '| Severity | Rule | Location | Message |',
    '| --- | --- | --- | --- |',
    ...shown.map(row),
  ];
  if (shown.length < findings.length) {
    lines.push(
      '',
      `_Showing the first ${shown.length} of ${findings.length} findings; run \`mnops validate\` for the full list._`,
    );
  }
  return lines.join('\n') + '\n';
}

export const markdown: Formatter = (report) => ({ output: markdownReport(report) });
