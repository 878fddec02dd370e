// JUnit XML for CI dashboards (Jenkins, GitLab, Azure DevOps, test-reporter actions):
// one suite per file, one test case per finding. Errors and warnings fail their case;
// notes pass and carry their text in system-out. A clean run still has one passing case,
// because several dashboards treat a report without test cases as broken.
import { sortFindings, type Finding, type Report } from '../finding.js';
import type { Formatter } from '../format.js';

const SUITES_NAME = 'mnops validate';

// XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF];
// anything else (other control characters, lone surrogates, U+FFFE/U+FFFF) makes the whole
// document unreadable, so it is dropped.
const ILLEGAL_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text content: the five markup characters escaped, illegal characters removed. */
export function escapeXmlText(value: string): string {
  return value
    .replace(ILLEGAL_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Attribute values also keep their line breaks and tabs, which parsers would otherwise normalize to spaces. */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attributes(attrs: Record<string, string | number>): string {
  return Object.entries(attrs)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

function testCaseName(f: Finding): string {
  const subject = f.kind && f.name ? `${f.kind}/${f.name}` : (f.name ?? f.kind);
  return [f.ruleId, subject, `${f.line}:${f.column}`].filter(Boolean).join(' ');
}

function testCaseBody(f: Finding): string {
  const lines = [`${f.severity}: ${f.file}:${f.line}:${f.column} ${f.ruleId}`, f.message];
  if (f.hint) lines.push(`→ ${f.hint}`);
  return escapeXmlText(lines.join('\n'));
}

function testCase(f: Finding): string[] {
  const open = `    <testcase${attributes({ classname: f.file, name: testCaseName(f) })}>`;
  if (f.severity === 'note') return [open, `      <system-out>${testCaseBody(f)}</system-out>`, '    </testcase>'];
  const failure = `      <failure${attributes({ message: f.message, type: f.ruleId })}>${testCaseBody(f)}</failure>`;
  return [open, failure, '    </testcase>'];
}

function properties(report: Report): string[] {
  return [
    '    <properties>',
    `      <property${attributes({ name: 'mnops.version', value: report.toolVersion })}/>`,
    `      <property${attributes({ name: 'mnops.manifests', value: report.summary.manifests })}/>`,
    '    </properties>',
  ];
}

export const junit: Formatter = (report) => {
  const byFile = new Map<string, Finding[]>();
  for (const f of sortFindings(report.findings)) {
    const group = byFile.get(f.file);
    if (group) group.push(f);
    else byFile.set(f.file, [f]);
  }

  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  for (const [file, findings] of byFile) {
    const failed = findings.filter((f) => f.severity !== 'note').length;
    tests += findings.length;
    failures += failed;
    const counts = { tests: findings.length, failures: failed, errors: 0, skipped: 0 };
    suites.push(`  <testsuite${attributes({ name: file, ...counts })}>`, ...properties(report));
    for (const f of findings) suites.push(...testCase(f));
    suites.push('  </testsuite>');
  }
  if (byFile.size === 0) {
    tests = 1;
    const caseName = `${report.summary.manifests} manifest${report.summary.manifests === 1 ? '' : 's'} validated`;
    suites.push(
      `  <testsuite${attributes({ name: SUITES_NAME, tests: 1, failures: 0, errors: 0, skipped: 0 })}>`,
      ...properties(report),
      `    <testcase${attributes({ classname: SUITES_NAME, name: caseName })}/>`,
      '  </testsuite>',
    );
  }

  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: SUITES_NAME, tests, failures, errors: 0 })}>`,
    ...suites,
    '</testsuites>',
  ];
  return { output: lines.join('\n') + '\n' };
};
