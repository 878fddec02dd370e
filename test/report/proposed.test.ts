// The "proposed policy change" section a reviewer reads when a change alters the rules: what
// the change's own rules would add or clear, never mistaken for the verdict.
import { describe, expect, it } from 'vitest';
import type { Finding, Report } from '../../tools/lib/report/finding.js';
import { proposedChangeMarkdown, proposedChangeText } from '../../tools/lib/report/proposed.js';

const finding = (n: number, over: Partial<Finding> = {}): Finding => ({
  ruleId: 'resources.ceiling',
  severity: 'error',
  message: `memoryMb ${n} exceeds the prod ceiling`,
  file: `platforms/p${n}/platform.yaml`,
  line: n,
  column: 5,
  kind: 'Platform',
  name: `p${n}`,
  ...over,
});

const report = (proposedPolicyChange?: Report['proposedPolicyChange'], judgedBy?: string): Report =>
  ({ findings: [], judgedBy, proposedPolicyChange }) as unknown as Report;

describe('proposed policy change, as text', () => {
  it('is nothing when the change leaves the rules alone', () => {
    expect(proposedChangeText(report())).toBe('');
    expect(proposedChangeMarkdown(report())).toBe('');
  });

  it('names the commit whose rules gave the verdict, and lists what would be added and cleared', () => {
    const out = proposedChangeText(report({ added: [finding(1)], cleared: [finding(2, { severity: 'warning', ruleId: 'images.pinned' })] }, '0123456789abcdef0123'));
    expect(out).toBe(
      [
        '',
        "Proposed policy change (not the verdict: this change is judged by 0123456789ab's rules):",
        '  + platforms/p1/platform.yaml:1:5  error  resources.ceiling  memoryMb 1 exceeds the prod ceiling',
        '  - platforms/p2/platform.yaml:2:5  warning  images.pinned  memoryMb 2 exceeds the prod ceiling',
        '  1 finding(s) added, 1 cleared across the whole ecosystem',
        '',
      ].join('\n'),
    );
  });

  it('says "the base" without a commit, and when nothing would change', () => {
    const out = proposedChangeText(report({ added: [], cleared: [] }));
    expect(out).toContain("judged by the base's rules");
    expect(out).toContain('  its rules would report exactly what the current ones do\n');
    expect(out).toContain('  0 finding(s) added, 0 cleared');
  });

  it('reports rules that cannot be evaluated, without counts', () => {
    const out = proposedChangeText(report({ added: [], cleared: [], error: 'rego_parse_error: unexpected }' }));
    expect(out).toContain('  its own rules cannot be evaluated: rego_parse_error: unexpected }\n');
    expect(out).not.toMatch(/exactly what|finding\(s\) added/);
  });

  it('shows at most 50 of each and counts the rest', () => {
    const many = (k: number, from: number) => Array.from({ length: k }, (_, i) => finding(from + i));
    const out = proposedChangeText(report({ added: many(53, 100), cleared: many(51, 300) }));
    expect(out.split('\n').filter((l) => l.startsWith('  + '))).toHaveLength(50);
    expect(out.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(50);
    expect(out).toContain('  … and 4 more (see --format json)\n');
    expect(out).toContain('  53 finding(s) added, 51 cleared');
    expect(proposedChangeText(report({ added: many(50, 1), cleared: [] }))).not.toContain('more (see');
  });

  it('shows control characters in manifest text instead of obeying them', () => {
    const out = proposedChangeText(report({ added: [finding(1, { message: 'evil\u001b[2Jclear', ruleId: 'x\ny' })], cleared: [] }));
    expect(out).not.toContain('\u001b');
    expect(out.split('\n').filter((l) => l.startsWith('  + '))).toHaveLength(1);
  });
});

describe('proposed policy change, as markdown', () => {
  const head = '\n### Proposed policy change\n\nThis change alters the rules. Its verdict above comes from the base\'s rules; with its own rules, the whole ecosystem would get:\n\n';

  it('is a table of what would be added and cleared, with the counts', () => {
    const out = proposedChangeMarkdown(report({ added: [finding(1, { message: 'a | b' })], cleared: [finding(2)] }));
    expect(out).toBe(
      `${head}| | severity | rule | where | message |\n|---|---|---|---|---|\n` +
        '| added | error | `resources.ceiling` | `platforms/p1/platform.yaml:1` | a \\| b |\n' +
        '| cleared | error | `resources.ceiling` | `platforms/p2/platform.yaml:2` | memoryMb 2 exceeds the prod ceiling |\n' +
        '\n1 added, 1 cleared.\n',
    );
  });

  it('says "no difference", or why the rules cannot be evaluated', () => {
    // One paragraph with the sentence before it: "…would get: no difference."
    const sentence = head.slice(0, -1);
    expect(proposedChangeMarkdown(report({ added: [], cleared: [] }))).toBe(`${sentence}no difference.\n`);
    expect(proposedChangeMarkdown(report({ added: [finding(1)], cleared: [], error: 'bad | rego' }))).toBe(`${sentence}its own rules cannot be evaluated: bad \\| rego\n`);
  });

  it('lists at most 50 rows of each', () => {
    const many = Array.from({ length: 60 }, (_, i) => finding(i + 1));
    const out = proposedChangeMarkdown(report({ added: many, cleared: many }));
    expect(out.split('\n').filter((l) => l.startsWith('| added'))).toHaveLength(50);
    expect(out.split('\n').filter((l) => l.startsWith('| cleared'))).toHaveLength(50);
    expect(out).toContain('60 added, 60 cleared (the first 50 of each are listed; the report in --format json has them all).');
    // Nothing cut, nothing said about it.
    expect(proposedChangeMarkdown(report({ added: many.slice(0, 50), cleared: many.slice(0, 3) }))).toContain('\n50 added, 3 cleared.\n');
  });
});
