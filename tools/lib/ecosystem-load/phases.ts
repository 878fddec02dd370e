// Where a validate run spends its time, phase by phase (the bench prints it; --verbose too).
export const PHASES = ['discover', 'read', 'parse', 'index', 'references', 'resolve', 'input', 'evaluate', 'report', 'cache', 'snapshot'] as const;
export type Phase = (typeof PHASES)[number];
export type PhaseTimes = Partial<Record<Phase, number>>;

export class PhaseClock {
  readonly ms: PhaseTimes = {};

  /** Runs `fn`, adding its wall time to `phase`. */
  time<T>(phase: Phase, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(phase, performance.now() - t0);
    }
  }

  async timeAsync<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.add(phase, performance.now() - t0);
    }
  }

  add(phase: Phase, ms: number): void {
    this.ms[phase] = (this.ms[phase] ?? 0) + ms;
  }
}

/** `parse 812 · index 130 · …` in phase order, phases that took no time left out. */
export function formatPhases(ms: PhaseTimes): string {
  return PHASES.filter((p) => (ms[p] ?? 0) >= 0.5).map((p) => `${p} ${Math.round(ms[p]!)}`).join(' · ');
}
