// The one Finding model every producer (loader, schema, references, policies) emits and
// every formatter consumes. Formatters never re-derive data: they get findings + summary.

export type Severity = 'error' | 'warning' | 'note';

export interface Finding {
  /** Stable rule id, e.g. `schema.invalid`, `ref.unknown`, `resources.ceiling`. */
  ruleId: string;
  severity: Severity;
  /** One sentence saying what is wrong, naming the offending value. */
  message: string;
  /** One line saying what to do about it. */
  hint?: string;
  /** Repository-relative path with forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  kind?: string;
  name?: string;
  environment?: string;
  /** JSON pointer into the manifest (or the resolved spec) the finding is about. */
  path?: string;
  /** The finding this one follows from (a template that fails its schema leaves its platforms without limits): fix that one first. */
  causedBy?: FindingRef;
}

/** Where another finding is: enough to find it in the same report. */
export interface FindingRef {
  ruleId: string;
  file: string;
  line: number;
  column: number;
}

export interface Summary {
  manifests: number;
  errors: number;
  warnings: number;
  notes: number;
}

export interface Report {
  summary: Summary;
  findings: Finding[];
  /** Repository root the file paths are relative to. */
  root: string;
  /** Tool version, for SARIF and junit headers. */
  toolVersion: string;
  /** The commit whose policies, settings and exceptions judged the change (PR mode). */
  judgedBy?: string;
  /** What the change's own rules would add or clear across the ecosystem, when it changes them. */
  proposedPolicyChange?: { added: Finding[]; cleared: Finding[]; error?: string };
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** Stable order: file, line, column, rule — so output is diffable and tests are exact. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

export function summarize(manifests: number, findings: Finding[]): Summary {
  let errors = 0;
  let warnings = 0;
  let notes = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else notes++;
  }
  return { manifests, errors, warnings, notes };
}

/** The message and, when there is one, what to do about it — for formats with one text field. */
export function messageWithHint(f: Finding): string {
  return f.hint ? `${f.message} — ${f.hint}` : f.message;
}

/** Errors first, then warnings, then notes; the stable order within each. For capped lists. */
export function sortBySeverity(findings: Finding[]): Finding[] {
  const sorted = sortFindings(findings);
  return [
    ...sorted.filter((f) => f.severity === 'error'),
    ...sorted.filter((f) => f.severity === 'warning'),
    ...sorted.filter((f) => f.severity === 'note'),
  ];
}
