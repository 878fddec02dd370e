// "Did you mean": the existing name closest to a mistyped one, for schema fields and kinds
// as for references between manifests. One distance and one threshold, so a typo is caught
// (or not) the same way wherever it is made.

/**
 * How many edits a name of this length may be away from a suggestion: one per four
 * characters, at least one, so `cache-platform` does not suggest `api-platform`.
 */
export function allowedEdits(wanted: string): number {
  return Math.max(1, Math.floor(wanted.length / 4));
}

const fold = (s: string): string => s.toLowerCase();

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment), since that is the commonest typo; gives up (returning max + 1) past `max`.
 * With a finite `max` only the band of cells within `max` of the diagonal is computed (an
 * alignment that leaves it costs more than `max`), so the work is O(|a| × max).
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  const over = Math.min(max + 1, a.length + n + 1);
  const band = Math.min(max, Math.max(a.length, n));
  // Three rows (two back, for swaps), reused across calls: suggestions compare many names.
  if (rows.length < 3 * (n + 1)) rows = new Int32Array(6 * (n + 1));
  let before = 0;
  let prev = n + 1;
  let cur = 2 * (n + 1);
  for (let j = 0; j <= n; j++) {
    rows[before + j] = over;
    rows[prev + j] = j <= max ? j : over;
    rows[cur + j] = over;
  }
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - band);
    const hi = Math.min(n, i + band);
    const ai = a.charCodeAt(i - 1);
    const aPrev = i > 1 ? a.charCodeAt(i - 2) : -1;
    let best = (rows[cur + lo - 1] = lo === 1 && i <= max ? i : over);
    for (let j = lo; j <= hi; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(rows[prev + j]! + 1, rows[cur + j - 1]! + 1, rows[prev + j - 1]! + (ai === bj ? 0 : 1));
      if (j > 1 && ai === b.charCodeAt(j - 2) && aPrev === bj) v = Math.min(v, rows[before + j - 2]! + 1);
      if (v > over) v = over;
      rows[cur + j] = v;
      if (v < best) best = v;
    }
    if (hi < n) rows[cur + hi + 1] = over;
    if (best > max) return max + 1;
    const free = before;
    before = prev;
    prev = cur;
    cur = free;
  }
  const d = rows[prev + n]!;
  return d > max ? max + 1 : d;
}

let rows = new Int32Array(0);

/**
 * How much suggestion work one reference check may do: the first MAX_SUGGESTED distinct
 * unknown names get a "did you mean", within a total of MAX_SUGGESTION_CELLS edit-distance
 * cells; later ones get the list of what exists. So a pull request of 15,000 unknown
 * names costs a bounded amount of work, not 15,000 searches of every name.
 */
export class SuggestionBudget {
  static readonly MAX_SUGGESTED = 200;
  static readonly MAX_SUGGESTION_CELLS = 5_000_000;
  searches = 0;
  cells = 0;

  /** Whether one more search may start. */
  take(): boolean {
    if (this.searches >= SuggestionBudget.MAX_SUGGESTED || this.cells >= SuggestionBudget.MAX_SUGGESTION_CELLS) return false;
    this.searches++;
    return true;
  }
}

/**
 * Existing names prepared once for many searches: sorted (for listing), grouped by length
 * (a name whose length differs by more than the allowed edits is never compared), and each
 * search's answer remembered.
 */
export class NameIndex {
  readonly sorted: string[];
  /** Folded length → [folded, name] pairs. */
  private readonly byLength = new Map<number, [string, string][]>();
  private readonly answers = new Map<string, string | undefined>();

  constructor(names: Iterable<string>) {
    this.sorted = [...new Set(names)].sort();
    for (const name of this.sorted) {
      const folded = fold(name);
      const group = this.byLength.get(folded.length);
      if (group) group.push([folded, name]);
      else this.byLength.set(folded.length, [[folded, name]]);
    }
  }

  /**
   * The closest name, as `closestName` defines it; undefined when none is close enough, or
   * (with a budget) when the budget is spent.
   */
  closest(wanted: string, budget?: SuggestionBudget): string | undefined {
    if (this.answers.has(wanted)) return this.answers.get(wanted);
    if (budget && !budget.take()) return undefined;
    const folded = fold(wanted);
    const max = allowedEdits(wanted);
    let best: string | undefined;
    let bestDistance = max + 1;
    // Only lengths within `max` of the wanted one, nearest first, so a close match is found
    // early and narrows the band.
    const lengths = [...this.byLength.keys()]
      .filter((l) => Math.abs(l - folded.length) <= max)
      .sort((a, b) => Math.abs(a - folded.length) - Math.abs(b - folded.length) || a - b);
    for (const length of lengths) {
      if (Math.abs(length - folded.length) > bestDistance) break;
      for (const [candidate, name] of this.byLength.get(length)!) {
        // Ties go to the alphabetically first name, so equal distances are let through.
        const limit = Math.min(max, bestDistance);
        if (budget) budget.cells += folded.length * (2 * limit + 1);
        const d = editDistance(folded, candidate, limit);
        if (d > limit) continue;
        if (d < bestDistance || (d === bestDistance && best !== undefined && name < best)) {
          best = name;
          bestDistance = d;
        }
      }
    }
    this.answers.set(wanted, best);
    return best;
  }
}

/**
 * The existing name closest to `wanted`, if it is close enough to be a typo (see
 * allowedEdits). Case is ignored, so `memoryMB` finds `memoryMb`. Among equally close
 * names, the alphabetically first.
 */
export function closestName(wanted: string, names: Iterable<string> | NameIndex): string | undefined {
  return (names instanceof NameIndex ? names : new NameIndex(names)).closest(wanted);
}
