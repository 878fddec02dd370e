// What plan and apply say about settings the engine cannot enforce: one line per plan by
// default (the same list every run trains people to skip it), the full list with --verbose.
import type { Unenforceable } from '../provider/types.js';

/** The distinct fields, in first-seen order, with how many platforms each concerns. */
function fieldsOf(items: readonly Unenforceable[]): string {
  const count = new Map<string, number>();
  for (const u of items) count.set(u.field, (count.get(u.field) ?? 0) + 1);
  return [...count].map(([field, n]) => (n > 1 ? `${field} (${n} platforms)` : field)).join(', ');
}

/** Nothing when everything is enforced; one summary line, or with `verbose` the list. */
export function unenforceableText(items: readonly Unenforceable[], engine: string, verbose: boolean): string {
  if (items.length === 0) return '';
  const head = `! ${items.length} setting${items.length === 1 ? '' : 's'} cannot be enforced by ${engine}`;
  if (!verbose) return `${head}: ${fieldsOf(items)} — run with --verbose for the list\n`;
  return `${head}:\n${items.map((u) => `  - ${u.platform}: ${u.field} — ${u.reason}\n`).join('')}`;
}
