// GitHub Actions workflow commands: one annotation per finding on the file and line, plus
// a job summary. GitHub shows at most 10 annotations of each severity per step and drops
// the rest silently, so we emit the 10 that matter most and say how many were left out.
import { messageWithHint, sortBySeverity, type Finding, type Severity } from '../finding.js';
import type { Formatter } from '../format.js';
import { markdownReport } from './markdown.js';
import { showControlChars, summaryLine } from './text.js';

export const ANNOTATIONS_PER_SEVERITY = 10;
export const JOB_SUMMARY_MAX_ROWS = 200;

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

/** Command data (the text after `::`), escaped as @actions/core does. */
export function escapeCommandData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Command property values (`file=`, `title=`): data escaping plus the separators `:` and `,`. */
export function escapeCommandProperty(value: string): string {
  return escapeCommandData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotation(f: Finding): string {
  const properties = [
    `file=${escapeCommandProperty(f.file)}`,
    `line=${f.line}`,
    `col=${f.column}`,
    `title=${escapeCommandProperty(f.ruleId)}`,
  ].join(',');
  // Control characters other than line breaks are made visible: a raw ESC or NUL in a log
  // line could recolour or hide what follows.
  return `::${COMMAND[f.severity]} ${properties}::${escapeCommandData(showControlChars(messageWithHint(f)))}`;
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
