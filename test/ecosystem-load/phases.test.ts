// Where a validate run spends its time: the clock adds each phase's wall time, through
// errors too, and the summary line lists the phases in their order.
import { describe, expect, it } from 'vitest';
import { formatPhases, PhaseClock } from '../../tools/lib/ecosystem-load/phases.js';

describe('PhaseClock', () => {
  it('adds up the time of each phase over several runs, and passes the result through', async () => {
    const clock = new PhaseClock();
    expect(clock.time('parse', () => 7)).toBe(7);
    clock.add('parse', 10);
    expect(await clock.timeAsync('read', () => new Promise<string>((r) => setTimeout(() => r('done'), 30)))).toBe('done');
    expect(clock.ms.parse).toBeGreaterThanOrEqual(10);
    expect(clock.ms.parse).toBeLessThan(1000);
    expect(clock.ms.read).toBeGreaterThanOrEqual(25);
    expect(Object.keys(clock.ms).sort()).toEqual(['parse', 'read']);
  });

  it('counts a phase that throws, and lets the error through', async () => {
    const clock = new PhaseClock();
    expect(() =>
      clock.time('index', () => {
        clock.add('index', 5);
        throw new Error('bad index');
      }),
    ).toThrow('bad index');
    await expect(clock.timeAsync('cache', () => Promise.reject(new Error('bad cache')))).rejects.toThrow('bad cache');
    expect(clock.ms.index).toBeGreaterThanOrEqual(5);
    expect(clock.ms.cache).toBeGreaterThanOrEqual(0);
  });
});

describe('formatPhases', () => {
  it('lists the phases in their order, rounded, leaving out those under half a millisecond', () => {
    expect(formatPhases({ report: 3.4, parse: 812.5, discover: 0.49, index: 0.5, evaluate: 99.6 })).toBe('parse 813 · index 1 · evaluate 100 · report 3');
    expect(formatPhases({})).toBe('');
  });
});
