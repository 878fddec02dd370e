// Drift reports for people: text grouped by environment and platform (desired → actual per
// field, read like a plan), and markdown for an issue body or a job summary. JSON is the
// DriftReport itself (documented in the README). Names, values, errors and reasons come
// from manifests and engines: escaped in markdown, and control characters (line breaks
// included) shown as escapes in text, which may land in an Actions log.
import pc from 'picocolors';
import { codeSpanCell, escapeMarkdownCell as cell } from '../report/formats/markdown.js';
import { escapeControlChars as one } from '../report/formats/text.js';
import { outstanding, type DriftReport, type EnvironmentDrift } from './detect.js';
import { show, type DriftItem } from './compare.js';

const SYMBOL: Record<DriftItem['kind'], string> = { changed: '~', replicas: '~', missing: '+', undeclared: '-', stopped: '!', unhealthy: '!' };


/** How long since `from`, in the two largest units: `3d 4h`, `12m`, `new`. */
export function lasted(from: string | undefined, to: string): string {
  if (!from) return 'new';
  const s = Math.max(0, Math.floor((Date.parse(to) - Date.parse(from)) / 1000));
  if (s < 60) return 'new';
  const units: [string, number][] = [['d', 86_400], ['h', 3_600], ['m', 60]];
  const parts: string[] = [];
  let rest = s;
  for (const [u, n] of units) {
    const q = Math.floor(rest / n);
    if (q > 0 || parts.length) parts.push(`${q}${u}`);
    rest -= q * n;
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0')).join(' ') || 'new';
}

function describeItem(i: DriftItem): string {
  if (i.kind === 'missing') return one(`missing: declared ${show(i.desired)}, nothing runs`);
  if (i.kind === 'undeclared') return one(`undeclared: ${show(i.actual)} runs with the managed labels, no manifest declares it`);
  return one(`${i.field}: ${show(i.desired)} → ${show(i.actual)}`);
}

function byPlatform(items: DriftItem[]): Map<string, DriftItem[]> {
  const out = new Map<string, DriftItem[]>();
  for (const i of items) out.set(i.platform, [...(out.get(i.platform) ?? []), i]);
  return out;
}

function platformCount(items: DriftItem[]): number {
  return new Set(items.map((i) => i.platform)).size;
}

export function formatText(report: DriftReport, color: boolean): string {
  const c = pc.createColors(color);
  const paint: Record<DriftItem['kind'], (s: string) => string> = {
    changed: c.yellow,
    replicas: c.yellow,
    missing: c.green,
    undeclared: c.red,
    stopped: c.red,
    unhealthy: c.red,
  };
  const lines: string[] = [];
  for (const e of report.environments) {
    const head = `${c.bold(one(e.environment))} (${one(e.provider)})`;
    if (e.error) {
      lines.push(`${head}: ${c.red('could not check')}: ${one(e.error)}`);
      if (e.hint) lines.push(c.dim(`  ${one(e.hint)}`));
    }
    if (!e.error || e.items.length) {
      if (e.items.length === 0) lines.push(`${head}: ${c.green('no drift')} (${e.platforms} platform(s), ${e.instances} workload(s) read)`);
      else lines.push(`${head}: ${platformCount(e.items)} platform(s) drifted, ${e.items.length} difference(s)`);
    }
    for (const [platform, items] of byPlatform(e.items)) {
      lines.push(`  ${c.bold(one(platform))}`);
      const width = Math.max(...items.map((i) => describeItem(i).length));
      for (const i of items) {
        const where = i.instances.length ? c.dim(` [${one(i.instances.join(', '))}]`) : '';
        lines.push(`    ${paint[i.kind](`${SYMBOL[i.kind]} ${describeItem(i).padEnd(width)}`)}  ${c.dim(lasted(i.firstSeen, report.checkedAt))}${where}`);
      }
    }
    if (e.healed) {
      for (const h of e.healed) {
        const mark = h.status === 'done' ? c.green('✔') : c.red('✖');
        lines.push(`  ${mark} healed ${one(h.platform)} (${h.action}): ${h.status}${h.error ? `: ${one(h.error)}` : ''}`);
      }
      if (e.remaining) lines.push(e.remaining.length ? c.red(`  ${e.remaining.length} difference(s) remain after healing`) : c.green('  no drift after healing'));
    }
  }
  for (const s of report.skipped) lines.push(c.dim(`${one(s.environment)}: not checked, ${one(s.reason)}`));
  if (report.trail) lines.push(c.dim(one(report.trail)));
  const drifted = report.environments.filter((e) => outstanding(e).length > 0);
  const total = drifted.reduce((n, e) => n + outstanding(e).length, 0);
  const failed = report.environments.filter((e) => e.error).length;
  lines.push(
    '',
    total
      ? `Drift: ${total} difference(s) in ${drifted.length} of ${report.environments.length} environment(s).`
      : `No drift in ${report.environments.length - failed} environment(s) checked.`,
  );
  if (failed) lines.push(`${failed} environment(s) could not be checked.`);
  return `${lines.join('\n')}\n`;
}

function code(value: unknown): string {
  const s = show(value);
  return s === '(none)' ? '—' : codeSpanCell(s);
}

/** One environment as markdown: the body of its drift issue. */
export function formatEnvironmentMarkdown(e: EnvironmentDrift, checkedAt: string): string {
  const items = outstanding(e);
  const lines = [`### ${cell(e.environment)} (${cell(e.provider)})`, ''];
  if (e.error) lines.push(`**Could not check:** ${cell(e.error)}${e.hint ? ` — ${cell(e.hint)}` : ''}`, '');
  if (items.length === 0 && !e.error) lines.push(`No drift: ${e.platforms} platform(s), ${e.instances} workload(s) read.`, '');
  if (items.length) {
    lines.push('| Platform | Field | Desired (git) | Actual (engine) | For | Where |', '|---|---|---|---|---|---|');
    for (const i of items) {
      const field = i.kind === 'missing' ? 'missing' : i.kind === 'undeclared' ? 'undeclared' : codeSpanCell(i.field);
      lines.push(`| ${cell(i.platform)} | ${field} | ${code(i.desired)} | ${code(i.actual)} | ${cell(lasted(i.firstSeen, checkedAt))} | ${cell(i.instances.join(', '))} |`);
    }
    lines.push('');
  }
  if (e.healed?.length) {
    lines.push('Healed:', '');
    for (const h of e.healed) lines.push(`- ${h.status === 'done' ? '✅' : '❌'} ${cell(h.platform)} (${cell(h.action)}): ${cell(h.status)}${h.error ? ` — ${cell(h.error)}` : ''}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function formatMarkdown(report: DriftReport): string {
  const drifted = report.environments.filter((e) => outstanding(e).length > 0).length;
  const lines = [`## Drift check — ${cell(report.checkedAt)}`, '', drifted ? `Drift in ${drifted} of ${report.environments.length} environment(s).` : `No drift in ${report.environments.length} environment(s).`, ''];
  for (const e of report.environments) lines.push(formatEnvironmentMarkdown(e, report.checkedAt));
  for (const s of report.skipped) lines.push(`- ${cell(s.environment)}: not checked, ${cell(s.reason)}`);
  return `${lines.join('\n').trimEnd()}\n`;
}
