// What the governance check shows on a pull request: annotations on the exact lines (within
// GitHub's per-step limits, errors first), a job summary with a findings table and a Mermaid
// graph of the affected platforms and environments, and a sticky comment in plain words.
// Everything a manifest (or a policy) says — file names, rule ids, messages, names — is
// escaped: a pull request controls its whole tree, and must not make the comment or the
// summary say anything the check did not. Annotations go through annotationOf (no control
// character in a file name, title or message reaches the runner).
import type { Ecosystem } from '../manifest/ecosystem.js';
import { affectedSubgraph, buildGraph, nodeId, toMermaid, type Impact } from '../registry/index.js';
import { sortBySeverity, type Finding, type Report } from '../report/finding.js';
import { annotationParts } from '../report/formats/github.js';
import { codeSpan, codeSpanCell, escapeMarkdownCell as cell, fencedBlock } from '../report/formats/markdown.js';

/** GitHub shows at most 10 error and 10 warning annotations per step (and 50 per job). */
export const ANNOTATION_LIMITS = { error: 10, warning: 10, note: 10 } as const;

export interface AnnotationPlan {
  annotated: Finding[];
  /** Beyond the limits: only in the summary, the comment and the SARIF report. */
  rest: Finding[];
}

export function planAnnotations(findings: readonly Finding[]): AnnotationPlan {
  const used = { error: 0, warning: 0, note: 0 };
  const annotated: Finding[] = [];
  const rest: Finding[] = [];
  for (const f of sortBySeverity([...findings])) {
    if (used[f.severity] < ANNOTATION_LIMITS[f.severity]) {
      used[f.severity]++;
      annotated.push(f);
    } else rest.push(f);
  }
  return { annotated, rest };
}

const ICON = { error: '❌', warning: '⚠️', note: 'ℹ️' } as const;

/**
 * A finding as @actions/core's annotation arguments: `core.error(a.message, a.properties)`.
 * The file is workspace-relative (`prefix` as in SummaryInput); control characters in the
 * file, rule and message are shown as escapes (core escapes what is left).
 */
export function annotationOf(f: Finding, prefix: string): { message: string; properties: { title: string; file: string; startLine: number; startColumn: number } } {
  const p = annotationParts({ ...f, file: joinPath(prefix, f.file) });
  return { message: p.message, properties: { title: p.title, file: p.file, startLine: p.line, startColumn: p.col } };
}

/** Affected platforms and environments, and the edges between them, as Mermaid. */
export function impactGraph(eco: Ecosystem, impact: Impact): string | undefined {
  const ids = [...[...impact.platforms].map((p) => nodeId('Platform', p)), ...[...impact.environments].map((e) => nodeId('Environment', e))];
  if (ids.length === 0) return undefined;
  const sub = affectedSubgraph(buildGraph(eco), ids);
  return sub.nodes.length ? toMermaid(sub) : undefined;
}

export interface SummaryInput {
  report: Report;
  impact?: Impact;
  ecosystem: Ecosystem;
  plan: AnnotationPlan;
  /** Where the files are relative to the workspace (`.` for the repo root). */
  prefix: string;
  base?: string;
  /** Most rows in the table (the SARIF report has every finding). */
  maxRows?: number;
}

export function jobSummary(s: SummaryInput): string {
  const { summary, findings } = s.report;
  const verdict = summary.errors ? `${ICON.error} ${summary.errors} error(s), ${summary.warnings} warning(s)` : summary.warnings ? `${ICON.warning} ${summary.warnings} warning(s)` : '✅ no findings';
  const scope = s.base ? ` in what this change affects (since ${s.base.slice(0, 12)})` : '';
  const lines = [`## mnops governance: ${verdict}${scope}`, '', `${summary.manifests} manifest(s) checked.`, ''];
  if (findings.length) {
    const max = s.maxRows ?? 200;
    lines.push('| | Rule | Where | Problem | Fix |', '|---|---|---|---|---|');
    for (const f of sortBySeverity([...findings]).slice(0, max)) {
      lines.push(`| ${ICON[f.severity]} | ${codeSpanCell(f.ruleId)} | ${codeSpanCell(`${joinPath(s.prefix, f.file)}:${f.line}`)} | ${cell(f.message)} | ${cell(f.hint ?? '')} |`);
    }
    if (findings.length > max) lines.push('', `… and ${findings.length - max} more in the SARIF report.`);
    if (s.plan.rest.length) lines.push('', `${s.plan.annotated.length} finding(s) are annotated on their lines; GitHub shows at most 10 errors and 10 warnings per step, so ${s.plan.rest.length} more are listed only here.`);
    lines.push('');
  }
  if (s.impact) {
    const graph = impactGraph(s.ecosystem, s.impact);
    const platforms = [...s.impact.platforms].sort();
    const envs = [...s.impact.environments].sort();
    lines.push('### What this change affects', '', `Platforms: ${platforms.map(cell).join(', ') || 'none'}. Environments: ${envs.map(cell).join(', ') || 'none'}.`, '');
    if (graph) lines.push(fencedBlock('mermaid', graph), '');
  }
  return `${lines.join('\n')}\n`;
}

/** A repo-relative file as the workspace sees it (`prefix` is the root's folder in it). */
export function joinPath(prefix: string, file: string): string {
  return prefix === '' || prefix === '.' ? file : `${prefix.replace(/\/$/, '')}/${file}`;
}

/** The sticky PR comment: what to fix, in plain words, most important first. */
export function prComment(s: SummaryInput & { runUrl?: string }): string {
  const { summary, findings } = s.report;
  const lines: string[] = [];
  if (!findings.length) {
    lines.push(`### ✅ mnops governance: nothing to fix`, '', `No findings in what this pull request changes or affects (${summary.manifests} manifests checked).`);
  } else {
    const blocking = summary.errors ? `${summary.errors} problem(s) must be fixed before merging` : 'nothing blocks the merge';
    lines.push(`### ${summary.errors ? ICON.error : ICON.warning} mnops governance: ${blocking}`, '');
    if (summary.warnings) lines.push(`${summary.warnings} warning(s) should be looked at.`, '');
    const max = 50;
    for (const f of sortBySeverity([...findings]).slice(0, max)) {
      const where = `${codeSpan(joinPath(s.prefix, f.file))} line ${f.line}`;
      lines.push(`- ${ICON[f.severity]} **${where}** (${cell(f.ruleId)}): ${cell(f.message)}${f.hint ? `\n  **Fix:** ${cell(f.hint)}` : ''}`);
    }
    if (findings.length > max) lines.push(`- … and ${findings.length - max} more: see the job summary.`);
  }
  if (s.runUrl) lines.push('', `<sub>[Run details](${s.runUrl}) · updated on every push</sub>`);
  return `${lines.join('\n')}\n`;
}
