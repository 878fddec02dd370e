// GitHub Actions workflow commands: one annotation per finding on the file and line, plus
// a job summary. GitHub shows at most 10 annotations of each severity per step and drops
// the rest silently, so we emit the 10 that matter most and say how many were left out.
// Each annotation says what @actions/core's core.error/warning/notice would print for it
// (same escaping of every property and of the message), with control characters in the file
// name, rule and message shown as escapes first: nothing quoted can end the command, start
// another, or reach the log raw.
import { messageWithHint, sortBySeverity, type Finding, type Severity } from '../finding.js';
import type { Formatter } from '../format.js';
import { markdownReport } from './markdown.js';
import { escapeControlChars, showControlChars, summaryLine } from './text.js';

export const ANNOTATIONS_PER_SEVERITY = 10;
export const JOB_SUMMARY_MAX_ROWS = 200;

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

/** Command data (the text after `::`), escaped as @actions/core does (its escapeData). */
export function escapeCommandData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Command property values (`file=`, `title=`): data escaping plus the separators `:` and `,` (core's escapeProperty). */
export function escapeCommandProperty(value: string): string {
  return escapeCommandData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * What an annotation says, before command escaping: the file and rule on one line with
 * every control character shown as an escape; the message may keep its line breaks (the
 * runner shows them inside the annotation) but no other control character.
 */
export function annotationParts(f: Finding): { title: string; file: string; line: number; col: number; message: string } {
  return { title: escapeControlChars(f.ruleId), file: escapeControlChars(f.file), line: f.line, col: f.column, message: showControlChars(messageWithHint(f)) };
}

export function annotation(f: Finding): string {
  const p = annotationParts(f);
  // Escaped as core's escapeProperty / escapeData; like core, an empty value is left out.
  const properties = [
    p.file ? `file=${escapeCommandProperty(p.file)}` : '',
    p.line ? `line=${p.line}` : '',
    p.col ? `col=${p.col}` : '',
    p.title ? `title=${escapeCommandProperty(p.title)}` : '',
  ].filter(Boolean);
  return `::${COMMAND[f.severity]}${properties.length ? ` ${properties.join(',')}` : ''}::${escapeCommandData(p.message)}`;
}

function count(n: number, word: string): string {
  return `${n} more ${word}${n === 1 ? '' : 's'}`;
}

export const github: Formatter = (report) => {
  const lines: string[] = [];
  const omitted: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  const emitted: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const f of sortBySeverity(report.findings)) {
    if (emitted[f.severity] < ANNOTATIONS_PER_SEVERITY) {
      emitted[f.severity]++;
      lines.push(annotation(f));
    } else {
      omitted[f.severity]++;
    }
  }
  const left = [
    omitted.error > 0 ? count(omitted.error, 'error') : '',
    omitted.warning > 0 ? count(omitted.warning, 'warning') : '',
    omitted.note > 0 ? count(omitted.note, 'note') : '',
  ].filter(Boolean);
  if (left.length > 0) {
    lines.push(
      `${left.join(', ')} not shown as annotations (GitHub shows ${ANNOTATIONS_PER_SEVERITY} of each per step); ` +
        'see the job summary.',
    );
  }
  lines.push(summaryLine(report.summary));
  return {
    output: lines.join('\n') + '\n',
    jobSummary: markdownReport(report, { maxRows: JOB_SUMMARY_MAX_ROWS }),
  };
};
