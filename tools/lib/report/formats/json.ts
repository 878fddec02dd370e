// The machine contract (README, `mnops validate`): one object, fixed key order, absent fields as null,
// so consumers can rely on every key being present.
import { sortFindings, type Finding, type Report, type Severity } from '../finding.js';
import type { Formatter } from '../format.js';

export interface JsonFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  kind: string | null;
  name: string | null;
  environment: string | null;
  path: string | null;
  hint: string | null;
  /** Present on a finding that follows from another one in the report: fix that one first. */
  causedBy?: { ruleId: string; file: string; line: number; column: number };
}

export interface JsonReport {
  version: 1;
  summary: { manifests: number; errors: number; warnings: number };
  findings: JsonFinding[];
  /** PR mode: the commit whose rules gave the verdict. */
  judgedBy?: string;
  /** PR mode, when the change alters the rules: what its own rules would add or clear. */
  proposedPolicyChange?: { added: JsonFinding[]; cleared: JsonFinding[]; error?: string };
}

function toJsonFinding(f: Finding): JsonFinding {
  // Built key by key: the order here is the order on the wire.
  return {
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    file: f.file,
    line: f.line,
    column: f.column,
    kind: f.kind ?? null,
    name: f.name ?? null,
    environment: f.environment ?? null,
    path: f.path ?? null,
    hint: f.hint ?? null,
    ...(f.causedBy ? { causedBy: { ruleId: f.causedBy.ruleId, file: f.causedBy.file, line: f.causedBy.line, column: f.causedBy.column } } : {}),
  };
}

export function toJsonReport(report: { summary: JsonReport['summary']; findings: Finding[]; judgedBy?: string; proposedPolicyChange?: Report['proposedPolicyChange'] }): JsonReport {
  const p = report.proposedPolicyChange;
  return {
    version: 1,
    summary: {
      manifests: report.summary.manifests,
      errors: report.summary.errors,
      warnings: report.summary.warnings,
    },
    findings: sortFindings(report.findings).map(toJsonFinding),
    ...(report.judgedBy ? { judgedBy: report.judgedBy } : {}),
    ...(p ? { proposedPolicyChange: { added: p.added.map(toJsonFinding), cleared: p.cleared.map(toJsonFinding), ...(p.error ? { error: p.error } : {}) } } : {}),
  };
}

export const json: Formatter = (report) => ({ output: JSON.stringify(toJsonReport(report), null, 2) + '\n' });
