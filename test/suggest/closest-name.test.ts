// "Did you mean" against plain definitions: the banded edit distance must give the textbook
// optimal-string-alignment distance (or max + 1 past max), and the index must pick what a
// search of every name would pick — nearest, then alphabetically first, case ignored.
import { describe, expect, it } from 'vitest';
import { allowedEdits, closestName, editDistance, NameIndex, SuggestionBudget } from '../../tools/lib/suggest/closest-name.js';

/** The full-table optimal string alignment distance, as the textbooks write it. */
function osa(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function word(next: () => number, maxLength: number, alphabet = 'abcd-'): string {
  const length = Math.floor(next() * (maxLength + 1));
  let w = '';
  for (let i = 0; i < length; i++) w += alphabet[Math.floor(next() * alphabet.length)];
  return w;
}

/** A typo of `w`: a few random insertions, deletions, substitutions and swaps. */
function typo(next: () => number, w: string): string {
  let t = w;
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (t.length + 1));
    const op = Math.floor(next() * 4);
    const c = 'abcdx'[Math.floor(next() * 5)]!;
    if (op === 0) t = t.slice(0, at) + c + t.slice(at);
    else if (op === 1) t = t.slice(0, at) + t.slice(at + 1);
    else if (op === 2) t = t.slice(0, at) + c + t.slice(at + 1);
    else if (at + 1 < t.length) t = t.slice(0, at) + t[at + 1]! + t[at]! + t.slice(at + 2);
  }
  return t;
}

describe('editDistance', () => {
  it('is the optimal string alignment distance, a swap counting once', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('platfrom', 'platform')).toBe(1);
    expect(editDistance('ca', 'abc')).toBe(3); // OSA, not Damerau: a swapped pair is not edited again
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('agrees with the full table on random pairs, for every bound: the distance, or max + 1 past it', () => {
    const next = random(15);
    for (let n = 0; n < 3000; n++) {
      const a = word(next, 9);
      const b = next() < 0.5 ? typo(next, a) : word(next, 9);
      const exact = osa(a, b);
      expect(editDistance(a, b), `${a} ~ ${b}`).toBe(exact);
      for (const max of [0, 1, 2, 3, 5]) {
        expect(editDistance(a, b, max), `${a} ~ ${b} within ${max}`).toBe(exact > max ? max + 1 : exact);
      }
    }
  });

  it('gives the same answers whatever the length of the names compared before (its rows are reused)', () => {
    const long = 'x'.repeat(40);
    expect(editDistance(long, `${long}yz`)).toBe(2);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('abcd', 'abdc', 1)).toBe(1);
    expect(editDistance(long, 'x'.repeat(38), 1)).toBe(2);
  });
});

describe('allowedEdits', () => {
  it('allows one edit per four characters, and at least one', () => {
    expect([0, 3, 4, 7, 8, 12, 13].map((l) => allowedEdits('a'.repeat(l)))).toEqual([1, 1, 1, 1, 2, 3, 3]);
  });
});

describe('closestName', () => {
  /** Every name compared: the nearest within the allowed edits, ties to the first in order. */
  function bruteForce(wanted: string, names: string[]): string | undefined {
    const max = allowedEdits(wanted);
    let best: [number, string] | undefined;
    for (const name of [...new Set(names)].sort()) {
      const d = osa(wanted.toLowerCase(), name.toLowerCase());
      if (d <= max && (!best || d < best[0])) best = [d, name];
    }
    return best?.[1];
  }

  it('picks what a search of every name picks, for random names and typos of them', () => {
    const next = random(7);
    for (let n = 0; n < 400; n++) {
      const names = Array.from({ length: 1 + Math.floor(next() * 12) }, () => word(next, 12, 'abcAB-'));
      const index = new NameIndex(names);
      for (let k = 0; k < 5; k++) {
        const wanted = next() < 0.7 ? typo(next, names[Math.floor(next() * names.length)]!) : word(next, 12, 'abcAB-');
        const expected = bruteForce(wanted, names);
        expect(index.closest(wanted), `${wanted} among ${names.join(' ')}`).toBe(expected);
        expect(closestName(wanted, names)).toBe(expected);
      }
    }
  });

  it('ignores case, prefers the nearer name, and among equals the alphabetically first', () => {
    expect(closestName('memoryMB', ['memoryMb', 'cpus'])).toBe('memoryMb');
    expect(closestName('api-platfrm', ['api-platform', 'api-platforms'])).toBe('api-platform');
    // Both one edit away, listed in either order: the first in alphabetical order wins.
    expect(closestName('cat', ['hat', 'bat'])).toBe('bat');
    expect(closestName('cat', ['bat', 'hat'])).toBe('bat');
    // The nearer name wins even when a farther one sorts first and has the same length.
    expect(closestName('checkout-svc', ['checkout-abc', 'checkout-svd'])).toBe('checkout-svd');
    // A nearer name of another length wins over a farther one of the same length.
    expect(closestName('orders-apii', ['orders-api', 'orders-bpij'])).toBe('orders-api');
  });

  it('suggests nothing past the allowed edits: cache-platform does not suggest api-platform', () => {
    expect(closestName('cache-platform', ['api-platform'])).toBeUndefined();
    expect(closestName('abc', ['xyz'])).toBeUndefined();
    expect(closestName('anything', [])).toBeUndefined();
  });

  it('remembers an answer, and lists the names sorted without repeats', () => {
    const index = new NameIndex(['b', 'a', 'b', 'c']);
    expect(index.sorted).toEqual(['a', 'b', 'c']);
    const budget = new SuggestionBudget();
    expect(index.closest('d', budget)).toBe('a');
    expect(index.closest('d', budget)).toBe('a');
    expect(budget.searches).toBe(1);
  });
});

describe('SuggestionBudget', () => {
  it('allows MAX_SUGGESTED searches, then none', () => {
    const budget = new SuggestionBudget();
    let taken = 0;
    while (budget.take()) taken++;
    expect(taken).toBe(SuggestionBudget.MAX_SUGGESTED);
    expect(budget.searches).toBe(SuggestionBudget.MAX_SUGGESTED);
  });

  it('stops once the cells it may compute are spent, and the index then suggests nothing', () => {
    const budget = new SuggestionBudget();
    budget.cells = SuggestionBudget.MAX_SUGGESTION_CELLS - 1;
    expect(budget.take()).toBe(true);
    budget.cells = SuggestionBudget.MAX_SUGGESTION_CELLS;
    expect(budget.take()).toBe(false);
    expect(new NameIndex(['orders-api']).closest('orders-apj', budget)).toBeUndefined();
  });

  it('counts the cells of each comparison: the wanted length times the band', () => {
    const budget = new SuggestionBudget();
    // 'abcdefgh' allows 2 edits: each of the two same-length names costs 8 × (2·2 + 1) cells
    // at most, less once a match narrows the band.
    new NameIndex(['abcdefgx', 'zzzzzzzz']).closest('abcdefgh', budget);
    expect(budget.cells).toBe(8 * 5 + 8 * 3);
  });
});
