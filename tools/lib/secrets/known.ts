// The secret values this process has resolved — from the runner's environment or from files,
// for any template, platform or environment — and plain values that look secret. Redaction
// replaces every one of them, and listeners (an action's core.setSecret) hear of each as soon
// as it is resolved: no caller has to know in advance which values exist, or pass them on.

/** Values shorter than this are never masked: they would blank out ordinary text. */
export const MIN_SECRET_LENGTH = 4;

const known = new Set<string>();
const listeners = new Set<(value: string) => void>();
let sorted: string[] | undefined;

/** A value and, when it has several lines, each line: an error often quotes only one. */
export function secretParts(value: string): string[] {
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  return [...new Set([value, ...(lines.length > 1 ? lines : [])])].filter((p) => p.length >= MIN_SECRET_LENGTH);
}

/** Remembers resolved secret values for the rest of the process. */
export function rememberSecrets(values: Iterable<string>): void {
  for (const value of values) {
    for (const part of secretParts(value)) {
      if (known.has(part)) continue;
      known.add(part);
      sorted = undefined;
      for (const listener of listeners) listener(part);
    }
  }
}

/** Every known value, longest first (a value containing another is replaced whole). */
export function knownSecrets(): readonly string[] {
  sorted ??= [...known].sort((a, b) => b.length - a.length);
  return sorted;
}

/** Calls `listener` for every value known now and each one remembered later; returns the unsubscribe. */
export function onSecret(listener: (value: string) => void): () => void {
  for (const value of known) listener(value);
  listeners.add(listener);
  return () => listeners.delete(listener);
}
