import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { FORMAT_NAMES, FORMATTERS, isFormatName, summarize, type Finding, type Report } from '../../tools/lib/report/index.js';
import { sortFindings } from '../../tools/lib/report/finding.js';
import * as core from '@actions/core';
import { annotation, escapeCommandData, escapeCommandProperty } from '../../tools/lib/report/formats/github.js';
import { escapeXmlAttribute, escapeXmlText } from '../../tools/lib/report/formats/junit.js';
import { codeSpan, codeSpanCell, escapeMarkdownCell, fencedBlock } from '../../tools/lib/report/formats/markdown.js';
import { FINGERPRINT_KEY, findingFingerprint, toArtifactUri } from '../../tools/lib/report/formats/sarif.js';
import { escapeControlChars, showControlChars, summaryLine } from '../../tools/lib/report/formats/text.js';

// A message carrying every character some format must escape.
const TRICKY = 'image "api:latest" is 100% unpinned, see a,b: c\nnext | <x> & \'q\'';

const CEILING: Finding = {
  ruleId: 'resources.ceiling',
  severity: 'error',
  message: 'memoryMb 32768 exceeds the prod ceiling 16384',
  hint: 'lower it or add a PolicyException',
  file: 'platforms/payments-platform/platform.yaml',
  line: 23,
  column: 5,
  kind: 'Platform',
  name: 'payments-platform',
  environment: 'prod',
  path: '/spec/resources/memoryMb',
};
const PINNED: Finding = {
  ruleId: 'images.pinned',
  severity: 'warning',
  message: TRICKY,
  file: 'platforms/payments-platform/platform.yaml',
  line: 7,
  column: 12,
  kind: 'Platform',
  name: 'payments-platform',
};
const EXPIRED: Finding = {
  ruleId: 'environments.expired',
  severity: 'note',
  message: 'environment pr-42 expired on 2025-01-01',
  file: 'ecosystem/platform-cloud/pr-42/environment.yaml',
  line: 1,
  column: 1,
};

function reportOf(findings: Finding[], manifests = 120): Report {
  return { summary: summarize(manifests, findings), findings, root: '/repo', toolVersion: '1.2.3' };
}

// Deliberately out of order: every format must sort.
const REPORT = reportOf([CEILING, EXPIRED, PINNED]);
const EMPTY = reportOf([]);
const plain = { color: false };

function many(severity: Finding['severity'], n: number): Finding[] {
  return Array.from({ length: n }, (_, i) => ({
    ruleId: `rule.${severity}`,
    severity,
    message: `${severity} number ${i + 1}`,
    file: `f/${String(i + 1).padStart(3, '0')}.yaml`,
    line: i + 1,
    column: 1,
  }));
}

describe('registry', () => {
  it('registers exactly one formatter per file under formats/', () => {
    const dir = fileURLToPath(new URL('../../tools/lib/report/formats/', import.meta.url));
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    expect([...FORMAT_NAMES].sort()).toEqual(files);
    expect(Object.keys(FORMATTERS).sort()).toEqual(files);
    expect(isFormatName('sarif')).toBe(true);
    expect(isFormatName('xml')).toBe(false);
  });

  it.each(FORMAT_NAMES)('%s ends its output with one newline, with and without findings', (name) => {
    for (const report of [REPORT, EMPTY]) {
      const { output } = FORMATTERS[name](report, plain);
      expect(output.endsWith('\n')).toBe(true);
      expect(output.endsWith('\n\n')).toBe(false);
    }
  });
});

describe('order', () => {
  it('sorts by file, line, column, then the most severe first, then rule', () => {
    const at = (file: string, line: number, column: number, severity: Finding['severity'], ruleId = 'r.x'): Finding => ({ ruleId, severity, message: 'm', file, line, column });
    const sorted = [at('a.yaml', 9, 1, 'error'), at('a.yaml', 9, 1, 'warning', 'r.a'), at('a.yaml', 9, 1, 'warning', 'r.b'), at('a.yaml', 9, 2, 'note'), at('a.yaml', 10, 1, 'note'), at('b.yaml', 1, 1, 'note')];
    for (const shuffled of [[...sorted].reverse(), [sorted[3]!, sorted[5]!, sorted[1]!, sorted[0]!, sorted[4]!, sorted[2]!]]) {
      expect(sortFindings(shuffled)).toEqual(sorted);
    }
  });

  it('at the same place, severity and rule, by message', () => {
    const said = (message: string): Finding => ({ ruleId: 'r.x', severity: 'error', message, file: 'a.yaml', line: 1, column: 1 });
    expect(sortFindings([said('c'), said('a'), said('b'), said('a')]).map((f) => f.message)).toEqual(['a', 'a', 'b', 'c']);
  });
});

describe('text', () => {
  const EXPECTED = [
    'ecosystem/platform-cloud/pr-42/environment.yaml',
    '  1:1  note  environments.expired  environment pr-42 expired on 2025-01-01',
    '',
    'platforms/payments-platform/platform.yaml',
    '  7:12  warning  images.pinned      image "api:latest" is 100% unpinned, see a,b: c\\nnext | <x> & \'q\'',
    '  23:5  error    resources.ceiling  memoryMb 32768 exceeds the prod ceiling 16384',
    '                                    → lower it or add a PolicyException',
    '',
    '✖ 2 problems (1 error, 1 warning) and 1 note in 120 manifests',
    '',
  ].join('\n');

  it('groups by file and aligns columns, plain when color is false', () => {
    const { output } = FORMATTERS.text(REPORT, plain);
    expect(output).toBe(EXPECTED);
    expect(output).not.toContain('\u001b');
  });

  it('adds ANSI colour when color is true, around the same text', () => {
    const { output } = FORMATTERS.text(REPORT, { color: true });
    expect(output).toContain('\u001b[31merror');
    // eslint-disable-next-line no-control-regex
    expect(output.replace(/\u001b\[\d+m/g, '')).toBe(EXPECTED);
  });

  it('says so when there is nothing to report', () => {
    expect(FORMATTERS.text(EMPTY, plain).output).toBe('✔ 120 manifests, no problems\n');
  });

  it('shows control characters from manifest content instead of sending them to the terminal', () => {
    const { output } = FORMATTERS.text(reportOf([{ ...EXPIRED, message: 'bad \u001b[2Jname\rover' }]), plain);
    expect(output).toContain('bad \\u001b[2Jname\\rover');
    expect(output).not.toContain('\u001b');
    expect(output).not.toContain('\r');
  });

  it('never lets a name, message, hint or file name start a line of its own (no ::command:: in an Actions log)', () => {
    const evil = '\n::error::forged\r\n  ::add-mask::x\u0000\u001b\u2028::warning::y';
    const hostile: Finding = { ...CEILING, ruleId: `r${evil}`, message: `m${evil}`, hint: `h${evil}`, file: `f${evil}.yaml` };
    const { output } = FORMATTERS.text(reportOf([hostile]), plain);
    const lines = output.split('\n');
    // File, finding, hint, blank, verdict, and the final newline: nothing more.
    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line.trimStart().startsWith('::'), line).toBe(false);
    // eslint-disable-next-line no-control-regex
    expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u2028]/);
    expect(lines[0]).toBe('f\\n::error::forged\\r\\n  ::add-mask::x\\u0000\\u001b\\u2028::warning::y.yaml');
    expect(lines[2]).toContain('→ h\\n::error::forged');
  });

  describe('findings that follow from an error above', () => {
    const cause: Finding = { ...CEILING, ruleId: 'schema.invalid', message: 'template base-service fails its schema', file: 'ecosystem/platform-templates/base-service.yaml', line: 3, column: 1 };
    const ref = { ruleId: cause.ruleId, file: cause.file, line: cause.line, column: cause.column };
    const consequence = (n: number, ruleId: string): Finding => ({ ...CEILING, ruleId, message: `p${n} inherits nothing`, file: `platforms/p${n}/platform.yaml`, line: n, column: 3, causedBy: ref });
    const folded = reportOf([consequence(2, 'resources.required'), cause, consequence(1, 'health.required'), consequence(3, 'resources.required')]);

    it('are folded under their cause with a count by rule, most frequent first', () => {
      const { output } = FORMATTERS.text(folded, plain);
      expect(output).toBe(
        [
          'ecosystem/platform-templates/base-service.yaml',
          '  3:1  error  schema.invalid  template base-service fails its schema',
          '                              → lower it or add a PolicyException',
          '                              ↳ and 3 findings caused by it (resources.required ×2, health.required ×1): fix this first; --verbose lists them',
          '',
          '✖ 4 problems (4 errors, 0 warnings) in 120 manifests',
          '  3 of them follow from 1 error above: fix it first',
          '',
        ].join('\n'),
      );
    });

    it('are listed in order under the cause with --verbose', () => {
      const lines = FORMATTERS.text(folded, { ...plain, verbose: true }).output.split('\n');
      const at = lines.findIndex((l) => l.includes('↳ and 3 findings'));
      expect(lines[at]).toMatch(/fix this first$/);
      expect(lines.slice(at + 1, at + 4)).toEqual([
        '                                  platforms/p1/platform.yaml:1:3  health.required  p1 inherits nothing',
        '                                  platforms/p2/platform.yaml:2:3  resources.required  p2 inherits nothing',
        '                                  platforms/p3/platform.yaml:3:3  resources.required  p3 inherits nothing',
      ]);
    });

    it('stand on their own when their cause is not in the report, and one folded finding is singular', () => {
      const alone = FORMATTERS.text(reportOf([consequence(1, 'health.required')]), plain).output;
      expect(alone).toContain('  1:3  error  health.required  p1 inherits nothing');
      expect(alone).not.toMatch(/caused by it|follow/);
      const one = FORMATTERS.text(reportOf([cause, consequence(1, 'health.required'), { ...cause, line: 9, causedBy: undefined }]), plain).output;
      expect(one).toContain('↳ and 1 finding caused by it (health.required ×1)');
      expect(one).toContain('  1 of them follows from 1 error above: fix it first');
    });

    it('ties in the rule counts go in rule order, and two causes are "those"', () => {
      const other = { ...cause, line: 7 };
      const otherRef = { ...ref, line: 7 };
      const out = FORMATTERS.text(reportOf([cause, other, consequence(1, 'b.rule'), consequence(2, 'a.rule'), { ...consequence(3, 'c.rule'), causedBy: otherRef }]), plain).output;
      expect(out).toContain('(a.rule ×1, b.rule ×1)');
      expect(out).toContain('  3 of them follow from 2 errors above: fix those first');
    });

    it('fold in time linear in their number: 200,000 under one cause', () => {
      const many = Array.from({ length: 200_000 }, (_, i) => consequence(i + 1, 'resources.required'));
      const { output } = FORMATTERS.text(reportOf([cause, ...many]), plain);
      expect(output).toContain('↳ and 200000 findings caused by it (resources.required ×200000)');
    });
  });

  it('summarizes with correct plurals', () => {
    expect(summaryLine({ manifests: 1, errors: 1, warnings: 0, notes: 0 })).toBe(
      '✖ 1 problem (1 error, 0 warnings) in 1 manifest',
    );
    expect(summaryLine({ manifests: 120, errors: 2, warnings: 1, notes: 0 })).toBe(
      '✖ 3 problems (2 errors, 1 warning) in 120 manifests',
    );
    expect(summaryLine({ manifests: 5, errors: 0, warnings: 0, notes: 2 })).toBe('✔ 5 manifests, no problems, 2 notes');
  });
});

describe('json', () => {
  it('prints the documented json object with fixed key order and nulls for absent fields', () => {
    const { output } = FORMATTERS.json(REPORT, plain);
    const expected = {
      version: 1,
      summary: { manifests: 120, errors: 1, warnings: 1 },
      findings: [
        {
          ruleId: 'environments.expired',
          severity: 'note',
          message: 'environment pr-42 expired on 2025-01-01',
          file: 'ecosystem/platform-cloud/pr-42/environment.yaml',
          line: 1,
          column: 1,
          kind: null,
          name: null,
          environment: null,
          path: null,
          hint: null,
        },
        {
          ruleId: 'images.pinned',
          severity: 'warning',
          message: TRICKY,
          file: 'platforms/payments-platform/platform.yaml',
          line: 7,
          column: 12,
          kind: 'Platform',
          name: 'payments-platform',
          environment: null,
          path: null,
          hint: null,
        },
        {
          ruleId: 'resources.ceiling',
          severity: 'error',
          message: 'memoryMb 32768 exceeds the prod ceiling 16384',
          file: 'platforms/payments-platform/platform.yaml',
          line: 23,
          column: 5,
          kind: 'Platform',
          name: 'payments-platform',
          environment: 'prod',
          path: '/spec/resources/memoryMb',
          hint: 'lower it or add a PolicyException',
        },
      ],
    };
    // Comparing the text pins key order, indentation and the trailing newline.
    expect(output).toBe(JSON.stringify(expected, null, 2) + '\n');
    const parsed = JSON.parse(output) as { findings: Record<string, unknown>[] };
    expect(Object.keys(parsed)).toEqual(['version', 'summary', 'findings']);
    for (const f of parsed.findings) {
      expect(Object.keys(f)).toEqual([
        'ruleId', 'severity', 'message', 'file', 'line', 'column', 'kind', 'name', 'environment', 'path', 'hint',
      ]);
    }
  });

  it('adds the cause of a finding, the commit that judged, and the proposed policy change, only when there are', () => {
    const cause = { ...CEILING, ruleId: 'ref.unknown', line: 3, column: 7 };
    const folded: Finding = { ...PINNED, causedBy: cause };
    const out = JSON.parse(
      FORMATTERS.json({ ...REPORT, findings: [folded], judgedBy: 'abc123', proposedPolicyChange: { added: [CEILING], cleared: [], error: 'bundle is broken' } }, plain).output,
    ) as { findings: { causedBy?: unknown }[]; judgedBy?: string; proposedPolicyChange?: { added: { ruleId: string }[]; cleared: unknown[]; error?: string } };
    expect(out.findings[0]!.causedBy).toEqual({ ruleId: 'ref.unknown', file: CEILING.file, line: 3, column: 7 });
    expect(out.judgedBy).toBe('abc123');
    expect(out.proposedPolicyChange).toMatchObject({ added: [{ ruleId: 'resources.ceiling' }], cleared: [], error: 'bundle is broken' });
    const clean = JSON.parse(FORMATTERS.json({ ...REPORT, findings: [PINNED], proposedPolicyChange: { added: [], cleared: [CEILING] } }, plain).output) as Record<string, unknown>;
    expect(Object.keys(clean)).toEqual(['version', 'summary', 'findings', 'proposedPolicyChange']);
    expect(Object.keys(clean.proposedPolicyChange as object)).toEqual(['added', 'cleared']);
    expect(Object.keys((clean.findings as object[])[0]!)).not.toContain('causedBy');
  });

  it('prints an empty list when clean', () => {
    expect(FORMATTERS.json(EMPTY, plain).output).toBe(
      '{\n  "version": 1,\n  "summary": {\n    "manifests": 120,\n    "errors": 0,\n    "warnings": 0\n  },\n  "findings": []\n}\n',
    );
  });
});

describe('sarif', () => {
  const schemaPath = fileURLToPath(new URL('../fixtures/sarif-schema-2.1.0.json', import.meta.url));
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  // Third-party draft-07 schema: strict mode off for it only.
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  addFormatsModule.default(ajv);
  const validate = ajv.compile(schema);

  function sarifOf(report: Report): Log {
    return JSON.parse(FORMATTERS.sarif(report, plain).output) as Log;
  }

  it.each([
    ['with findings', REPORT],
    ['without findings', EMPTY],
  ])('is valid against the official SARIF 2.1.0 schema (%s)', (_, report) => {
    const log = sarifOf(report);
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('rejects what the schema rejects (the validator is live)', () => {
    const log = sarifOf(REPORT) as unknown as { runs: { results: { level: string }[] }[] };
    log.runs[0]!.results[0]!.level = 'fatal';
    expect(validate(log)).toBe(false);
  });

  it('describes the tool, its rules and each result as code scanning needs', () => {
    const log = sarifOf(REPORT);
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0]!;
    expect(run.tool.driver.name).toBe('mnops');
    expect(run.tool.driver.semanticVersion).toBe('1.2.3');
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///repo/' } });
    expect(run.tool.driver.rules).toEqual([
      {
        id: 'environments.expired',
        shortDescription: { text: 'mnops rule environments.expired' },
        defaultConfiguration: { level: 'note' },
      },
      {
        id: 'images.pinned',
        shortDescription: { text: 'mnops rule images.pinned' },
        defaultConfiguration: { level: 'warning' },
      },
      {
        id: 'resources.ceiling',
        shortDescription: { text: 'mnops rule resources.ceiling' },
        defaultConfiguration: { level: 'error' },
      },
    ]);
    const results = run.results!;
    expect(results.map((r) => [r.ruleId, r.ruleIndex, r.level])).toEqual([
      ['environments.expired', 0, 'note'],
      ['images.pinned', 1, 'warning'],
      ['resources.ceiling', 2, 'error'],
    ]);
    const ceiling = results[2]!;
    expect(ceiling.message.text).toBe('memoryMb 32768 exceeds the prod ceiling 16384 — lower it or add a PolicyException');
    expect(ceiling.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'platforms/payments-platform/platform.yaml', uriBaseId: '%SRCROOT%' },
          region: { startLine: 23, startColumn: 5 },
        },
      },
    ]);
    expect(ceiling.properties).toEqual({
      kind: 'Platform',
      name: 'payments-platform',
      environment: 'prod',
      path: '/spec/resources/memoryMb',
    });
    expect(results[1]!.message.text).toBe(TRICKY);
  });

  it('fingerprints what a finding is about, not the line it sits on', () => {
    const fp = (f: Finding) => sarifOf(reportOf([f])).runs[0]!.results![0]!.partialFingerprints![FINGERPRINT_KEY];
    expect(fp(CEILING)).toMatch(/^[0-9a-f]{64}:1$/);
    expect(fp({ ...CEILING, line: 40, column: 9, message: 'reworded' })).toBe(fp(CEILING));
    expect(fp({ ...CEILING, path: '/spec/resources/cpuCores' })).not.toBe(fp(CEILING));
    expect(fp({ ...CEILING, environment: 'staging' })).not.toBe(fp(CEILING));
    expect(fp({ ...CEILING, kind: 'PlatformTemplate' })).not.toBe(fp(CEILING));
    expect(fp({ ...CEILING, name: 'ledger-platform' })).not.toBe(fp(CEILING));
    // Code scanning matches alerts by it across releases: the key's shape must not drift.
    const key = (f: Finding) => [f.ruleId, f.file, f.kind ?? '', f.name ?? '', f.environment ?? '', f.path ?? ''].join('\u0000');
    for (const f of [CEILING, EXPIRED]) expect(findingFingerprint(f)).toBe(createHash('sha256').update(key(f)).digest('hex'));
    expect(findingFingerprint(CEILING)).toBe(findingFingerprint({ ...CEILING, line: 1 }));
    // Two findings with one identity stay two alerts.
    const twice = sarifOf(reportOf([CEILING, { ...CEILING, line: 30 }])).runs[0]!.results!;
    const [a, b] = twice.map((r) => r.partialFingerprints![FINGERPRINT_KEY]!);
    expect(a!.endsWith(':1')).toBe(true);
    expect(b).toBe(a!.replace(/:1$/, ':2'));
  });

  it('a rule\'s default level is the most severe level it was reported at', () => {
    const seen = (severities: Finding['severity'][]) =>
      sarifOf(reportOf(severities.map((severity, i) => ({ ...EXPIRED, severity, file: `f${i}.yaml` })))).runs[0]!.tool.driver.rules![0]!.defaultConfiguration!.level;
    expect(seen(['note', 'warning', 'error', 'warning'])).toBe('error');
    expect(seen(['error', 'note'])).toBe('error');
    expect(seen(['note', 'warning', 'note'])).toBe('warning');
    expect(seen(['note'])).toBe('note');
  });

  it('writes repo-relative URIs with forward slashes, percent-encoded', () => {
    expect(toArtifactUri('platforms\\a b\\platform.yaml')).toBe('platforms/a%20b/platform.yaml');
    expect(toArtifactUri('./registry/#team.yaml')).toBe('registry/%23team.yaml');
    expect(toArtifactUri('././/registry/a.yaml')).toBe('registry/a.yaml');
    const log = sarifOf(reportOf([{ ...EXPIRED, file: 'ecosystem/my env/environment.yaml' }]));
    expect(validate(log)).toBe(true);
  });
});

describe('junit', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    htmlEntities: true,
    parseAttributeValue: false,
    isArray: (name) => ['testsuite', 'testcase', 'failure', 'property'].includes(name),
  });
  interface Case {
    classname: string;
    name: string;
    failure?: { message: string; type: string; '#text': string }[];
    'system-out'?: string;
  }
  interface Suite {
    name: string;
    tests: string;
    failures: string;
    testcase: Case[];
  }
  function parse(xml: string): { name: string; tests: string; failures: string; testsuite: Suite[] } {
    expect(XMLValidator.validate(xml)).toBe(true);
    return (parser.parse(xml) as { testsuites: ReturnType<typeof parse> }).testsuites;
  }

  it('has one suite per file and one case per finding; errors and warnings fail', () => {
    const suites = parse(FORMATTERS.junit(REPORT, plain).output);
    expect([suites.name, suites.tests, suites.failures]).toEqual(['mnops validate', '3', '2']);
    expect(suites.testsuite.map((s) => [s.name, s.tests, s.failures])).toEqual([
      ['ecosystem/platform-cloud/pr-42/environment.yaml', '1', '0'],
      ['platforms/payments-platform/platform.yaml', '2', '2'],
    ]);
    const [note] = suites.testsuite[0]!.testcase;
    expect(note!.name).toBe('environments.expired 1:1');
    expect(note!.failure).toBeUndefined();
    expect(note!['system-out']).toBe(
      'note: ecosystem/platform-cloud/pr-42/environment.yaml:1:1 environments.expired\nenvironment pr-42 expired on 2025-01-01',
    );
    const [pinned, ceiling] = suites.testsuite[1]!.testcase;
    expect(pinned!.classname).toBe('platforms/payments-platform/platform.yaml');
    expect(pinned!.name).toBe('images.pinned Platform/payments-platform 7:12');
    // Escaping round-trips: quotes, apostrophes, <, &, and the newline inside an attribute.
    expect(pinned!.failure![0]!.message).toBe(TRICKY);
    expect(pinned!.failure![0]!.type).toBe('images.pinned');
    expect(pinned!.failure![0]!['#text']).toBe(
      `warning: platforms/payments-platform/platform.yaml:7:12 images.pinned\n${TRICKY}`,
    );
    expect(ceiling!.failure![0]!['#text']).toBe(
      'error: platforms/payments-platform/platform.yaml:23:5 resources.ceiling\n' +
        'memoryMb 32768 exceeds the prod ceiling 16384\n→ lower it or add a PolicyException',
    );
  });

  it('is never empty: a clean run is one passing test case', () => {
    const output = FORMATTERS.junit(EMPTY, plain).output;
    const suites = parse(output);
    expect([suites.tests, suites.failures]).toEqual(['1', '0']);
    expect(suites.testsuite).toHaveLength(1);
    expect(suites.testsuite[0]!.testcase.map((c) => c.name)).toEqual(['120 manifests validated']);
    expect(output).not.toContain('<failure');
  });

  it('escapes markup and drops characters XML 1.0 forbids', () => {
    expect(escapeXmlText(`a & b < c > d "e" 'f'`)).toBe('a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;');
    expect(escapeXmlText('nul\u0000 esc\u001b bell\u0007 lone\ud800 fffe\ufffe ok\u00e9\u{1f600}\t\n')).toBe(
      'nul esc bell lone fffe ok\u00e9\u{1f600}\t\n',
    );
    expect(escapeXmlAttribute('a\nb\tc\rd')).toBe('a&#10;b&#9;c&#13;d');
    const hostile = { ...PINNED, message: 'x\u0000y\u001bz </failure><x a="1"> ]]>', file: 'a&b<c>.yaml' };
    const suites = parse(FORMATTERS.junit(reportOf([hostile]), plain).output);
    expect(suites.testsuite[0]!.name).toBe('a&b<c>.yaml');
    expect(suites.testsuite[0]!.testcase[0]!.failure![0]!.message).toBe('xyz </failure><x a="1"> ]]>');
  });
});

describe('github', () => {
  it('escapes command data and properties the way the runner reads them', () => {
    expect(escapeCommandData('100% a,b: c\r\nd')).toBe('100%25 a,b: c%0D%0Ad');
    expect(escapeCommandProperty('100% a,b: c\r\nd')).toBe('100%25 a%2Cb%3A c%0D%0Ad');
  });

  it('prints one annotation per finding, errors first, then the verdict', () => {
    const { output } = FORMATTERS.github(REPORT, plain);
    expect(output).toBe(
      [
        '::error file=platforms/payments-platform/platform.yaml,line=23,col=5,title=resources.ceiling::' +
          'memoryMb 32768 exceeds the prod ceiling 16384 — lower it or add a PolicyException',
        '::warning file=platforms/payments-platform/platform.yaml,line=7,col=12,title=images.pinned::' +
          'image "api:latest" is 100%25 unpinned, see a,b: c%0Anext | <x> & \'q\'',
        '::notice file=ecosystem/platform-cloud/pr-42/environment.yaml,line=1,col=1,title=environments.expired::' +
          'environment pr-42 expired on 2025-01-01',
        '✖ 2 problems (1 error, 1 warning) and 1 note in 120 manifests',
        '',
      ].join('\n'),
    );
  });

  it('escapes file names that contain separators', () => {
    const { output } = FORMATTERS.github(reportOf([{ ...EXPIRED, file: 'a,b:c%.yaml', ruleId: 'x:y,z' }]), plain);
    expect(output.split('\n')[0]).toBe(
      '::notice file=a%2Cb%3Ac%25.yaml,line=1,col=1,title=x%3Ay%2Cz::environment pr-42 expired on 2025-01-01',
    );
  });

  it('escapes every property and the message exactly as @actions/core does, after showing control characters', () => {
    const evil = 'a,b:c%d\r\n::error::forged\u0000\u001b[2J\u0085';
    const hostile: Finding = { ...CEILING, ruleId: `rule${evil}`, file: `dir${evil}/x\`✅ nothing to fix.yaml`, message: `msg${evil}`, hint: `fix${evil}` };
    const ours = annotation(hostile);
    // What core prints for the same annotation, with the control characters shown first.
    let printed = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      printed += chunk;
      return true;
    });
    try {
      core.error(showControlChars(`msg${evil} — fix${evil}`), { title: escapeControlChars(hostile.ruleId), file: escapeControlChars(hostile.file), startLine: 23, startColumn: 5 });
    } finally {
      process.stdout.write = write;
    }
    const parse = (line: string) => {
      const m = /^::(\w+) ([^:]*)::(.*)$/.exec(line.trimEnd())!;
      expect(m, line).not.toBeNull();
      return { command: m[1], properties: Object.fromEntries(m[2]!.split(',').map((kv) => kv.split('=') as [string, string])), data: m[3] };
    };
    expect(parse(ours)).toEqual(parse(printed));
    // One line, no raw control character: nothing quoted starts a command of its own.
    // eslint-disable-next-line no-control-regex
    expect(ours).not.toMatch(/[\r\n\u0000\u001b\u0085]/);
    expect(FORMATTERS.github(reportOf([hostile]), plain).output.split('\n').filter((l) => l.trimStart().startsWith('::'))).toHaveLength(1);
  });

  it('annotates at most 10 of each severity and says how many more there are', () => {
    const report = reportOf([...many('warning', 12), ...many('note', 3), ...many('error', 25)]);
    const lines = FORMATTERS.github(report, plain).output.trimEnd().split('\n');
    const commands = lines.filter((l) => l.startsWith('::'));
    expect(commands.map((l) => l.slice(0, l.indexOf(' ')))).toEqual([
      ...Array<string>(10).fill('::error'),
      ...Array<string>(10).fill('::warning'),
      ...Array<string>(3).fill('::notice'),
    ]);
    // The first ten in stable order, not any ten.
    expect(commands[0]).toBe('::error file=f/001.yaml,line=1,col=1,title=rule.error::error number 1');
    expect(commands[9]).toBe('::error file=f/010.yaml,line=10,col=1,title=rule.error::error number 10');
    expect(lines.slice(commands.length)).toEqual([
      '15 more errors, 2 more warnings not shown as annotations (GitHub shows 10 of each per step); see the job summary.',
      '✖ 37 problems (25 errors, 12 warnings) and 3 notes in 120 manifests',
    ]);
  });

  it('writes a job summary table with escaped cells', () => {
    const { jobSummary } = FORMATTERS.github(REPORT, plain);
    expect(jobSummary).toBe(
      [
        '## mnops validate',
        '',
        '✖ 2 problems (1 error, 1 warning) and 1 note in 120 manifests',
        '',
        '| Severity | Rule | Location | Message |',
        '| --- | --- | --- | --- |',
        '| error | resources.ceiling | platforms/payments-platform/platform.yaml:23 | ' +
          'memoryMb 32768 exceeds the prod ceiling 16384 — lower it or add a PolicyException |',
        '| warning | images.pinned | platforms/payments-platform/platform.yaml:7 | ' +
          'image "api:latest" is 100% unpinned, see a,b: c<br>next \\| &lt;x&gt; &amp; \'q\' |',
        '| note | environments.expired | ecosystem/platform-cloud/pr-42/environment.yaml:1 | ' +
          'environment pr-42 expired on 2025-01-01 |',
        '',
      ].join('\n'),
    );
  });

  it('caps the job summary at 200 rows and says so', () => {
    const report = reportOf([...many('warning', 150), ...many('error', 100)]);
    const summary = FORMATTERS.github(report, plain).jobSummary!;
    const rows = summary.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Severity') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(200);
    expect(rows[0]).toBe('| error | rule.error | f/001.yaml:1 | error number 1 |');
    expect(rows[100]).toBe('| warning | rule.warning | f/001.yaml:1 | warning number 1 |');
    expect(summary.trimEnd().split('\n').at(-1)).toBe(
      '_Showing the first 200 of 250 findings; run `mnops validate` for the full list._',
    );
  });

  it('prints only the verdict when clean', () => {
    const { output, jobSummary } = FORMATTERS.github(EMPTY, plain);
    expect(output).toBe('✔ 120 manifests, no problems\n');
    expect(jobSummary).toBe('## mnops validate\n\nNo problems found in 120 manifests.\n');
  });
});

describe('markdown', () => {
  it('escapes everything a table cell would otherwise interpret', () => {
    expect(escapeMarkdownCell('a | b\nc\r\nd')).toBe('a \\| b<br>c<br>d');
    expect(escapeMarkdownCell('<script> & __proto__ *x* [l](u) `c` ~s~ \\')).toBe(
      '&lt;script&gt; &amp; \\_\\_proto\\_\\_ \\*x\\* \\[l\\](u) \\`c\\` \\~s\\~ \\\\',
    );
    // GitHub renders $…$ as LaTeX, and a hidden comment would hide what follows.
    expect(escapeMarkdownCell('$\\color{green}{ok}$ <!-- mnops:governance -->')).toBe('&#36;\\\\color{green}{ok}&#36; &lt;!-- mnops:governance --&gt;');
    expect(escapeMarkdownCell('a\u001bb\u0000')).toBe('a\\u001bb\\u0000');
  });

  it('keeps code spans closed and on one line, whatever they quote', () => {
    const name = 'x`✅ nothing to fix\n- [x] a|b\u001b';
    expect(codeSpan(name)).toBe('`xˋ✅ nothing to fix - [x] a|b\\u001b`');
    expect(codeSpanCell(name)).toBe('`xˋ✅ nothing to fix - [x] a\\|b\\u001b`');
    for (const span of [codeSpan(name), codeSpanCell(name)]) expect(span.match(/`/g)).toHaveLength(2);
  });

  it('fences a block its content cannot close', () => {
    expect(fencedBlock('mermaid', 'flowchart LR\n  a\n')).toBe('```mermaid\nflowchart LR\n  a\n```');
    const block = fencedBlock('mermaid', 'a\n```\n# pwned\n````x');
    expect(block.startsWith('`````mermaid\n')).toBe(true);
    expect(block.endsWith('\n`````')).toBe(true);
  });

  it('lists every finding, uncapped', () => {
    const report = reportOf(many('error', 250));
    const { output } = FORMATTERS.markdown(report, plain);
    expect(output.split('\n').filter((l) => l.startsWith('| error |'))).toHaveLength(250);
    expect(output).not.toContain('Showing the first');
  });

  it('renders the same table as the job summary', () => {
    expect(FORMATTERS.markdown(REPORT, plain).output).toBe(FORMATTERS.github(REPORT, plain).jobSummary);
  });

  it('says when there is nothing to report', () => {
    expect(FORMATTERS.markdown(EMPTY, plain).output).toBe('## mnops validate\n\nNo problems found in 120 manifests.\n');
    expect(FORMATTERS.markdown(reportOf([], 1), plain).output).toBe('## mnops validate\n\nNo problems found in 1 manifest.\n');
  });
});
