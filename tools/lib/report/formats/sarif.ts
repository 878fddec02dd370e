// SARIF 2.1.0 as GitHub code scanning reads it: one run, rules derived from the findings,
// repo-relative locations under %SRCROOT%, and a fingerprint that survives line moves so
// an alert stays the same alert when unrelated lines are added above it.
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result, Run } from 'sarif';
import { messageWithHint, sortFindings, type Finding, type Report, type Severity } from '../finding.js';
import type { Formatter } from '../format.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** Where a reader of a code-scanning alert learns what mnops is. */
export const MNOPS_INFORMATION_URI = 'https://www.npmjs.com/package/machine-native-ops';
/** partialFingerprints key; bump the version if the hashed fields ever change. */
export const FINGERPRINT_KEY = 'mnopsFinding/v1';
const SRCROOT = '%SRCROOT%';

export interface RuleDescription {
  /** One sentence, shown as the rule's title in code scanning. */
  shortDescription: string;
  helpUri?: string;
}

export interface SarifOptions {
  /** Rule catalogue lookup; rules it does not know are described by their id. */
  describeRule?: (ruleId: string) => RuleDescription | undefined;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** `a/b c.yaml` → `a/b%20c.yaml`: a valid relative URI reference, read back as the same path. */
export function toArtifactUri(file: string): string {
  return file
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+/, '')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** Stable across line moves: what the finding is about, not where it currently sits. */
export function findingFingerprint(f: Finding): string {
  const key = [f.ruleId, f.file, f.kind ?? '', f.name ?? '', f.environment ?? '', f.path ?? ''].join('\u0000');
  return createHash('sha256').update(key).digest('hex');
}

function buildRules(findings: Finding[], options: SarifOptions): ReportingDescriptor[] {
  // The default level of a rule is the most severe level it was reported at in this run.
  const levels = new Map<string, Severity>();
  for (const f of findings) {
    const seen = levels.get(f.ruleId);
    if (seen === undefined || SEVERITY_RANK[f.severity] < SEVERITY_RANK[seen]) levels.set(f.ruleId, f.severity);
  }
  return [...levels.keys()].sort().map((id) => {
    const described = options.describeRule?.(id);
    const rule: ReportingDescriptor = {
      id,
      shortDescription: { text: described?.shortDescription ?? `mnops rule ${id}` },
      defaultConfiguration: { level: levels.get(id) ?? 'warning' },
    };
    if (described?.helpUri) rule.helpUri = described.helpUri;
    return rule;
  });
}

function buildResult(f: Finding, ruleIndex: number, fingerprint: string): Result {
  const properties: Record<string, string> = {};
  if (f.kind !== undefined) properties.kind = f.kind;
  if (f.name !== undefined) properties.name = f.name;
  if (f.environment !== undefined) properties.environment = f.environment;
  if (f.path !== undefined) properties.path = f.path;
  const result: Result = {
    ruleId: f.ruleId,
    ruleIndex,
    level: f.severity,
    message: { text: messageWithHint(f) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: toArtifactUri(f.file), uriBaseId: SRCROOT },
          region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column) },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint },
  };
  if (Object.keys(properties).length > 0) result.properties = properties;
  return result;
}

export function toSarifLog(report: Report, options: SarifOptions = {}): Log {
  const findings = sortFindings(report.findings);
  const rules = buildRules(findings, options);
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  // Two findings with the same identity (same rule, same object, same pointer) stay two
  // alerts: like GitHub's own line hash, repeats get an occurrence suffix.
  const occurrences = new Map<string, number>();
  const results = findings.map((f) => {
    const hash = findingFingerprint(f);
    const n = (occurrences.get(hash) ?? 0) + 1;
    occurrences.set(hash, n);
    return buildResult(f, ruleIndex.get(f.ruleId) ?? 0, `${hash}:${n}`);
  });

  const run: Run = {
    tool: {
      driver: {
        name: 'mnops',
        informationUri: MNOPS_INFORMATION_URI,
        semanticVersion: report.toolVersion,
        rules,
      },
    },
    // Columns come from JavaScript string offsets.
    columnKind: 'utf16CodeUnits',
    originalUriBaseIds: {
      [SRCROOT]: isAbsolute(report.root)
        ? { uri: pathToFileURL(report.root).href.replace(/\/?$/, '/') }
        : { description: { text: 'The repository root.' } },
    },
    results,
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

export function createSarifFormatter(options: SarifOptions = {}): Formatter {
  return (report) => ({ output: JSON.stringify(toSarifLog(report, options), null, 2) + '\n' });
}

export const sarif: Formatter = createSarifFormatter();
