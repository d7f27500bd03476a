import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { saturation } from '../../src/coverage/saturation.js';
import { isStable, stopReason } from '../../src/engine/stop-rule.js';

describe('Chao2 saturation estimate', () => {
  it('uses Q1²/(2·Q2) with the (n-1)/n correction', () => {
    // counts: 3 singletons, 2 doubletons, 5 common features; n = 100
    const s = saturation(100, [1, 1, 1, 2, 2, 5, 9, 40, 80, 100]);
    expect(s.observed).toBe(10);
    expect(s.q1).toBe(3);
    expect(s.q2).toBe(2);
    expect(s.estimatedMissing).toBeCloseTo((99 / 100) * (9 / 4), 10);
    expect(s.estimatedTotal).toBeCloseTo(10 + (99 / 100) * (9 / 4), 10);
    expect(s.discoveryProbability).toBeCloseTo(0.03, 10);
  });

  it('falls back to Q1(Q1-1)/2 when there are no doubletons', () => {
    const s = saturation(50, [1, 1, 1, 1, 7]);
    expect(s.estimatedMissing).toBeCloseTo((49 / 50) * 6, 10);
  });

  it('estimates nothing missing when every feature was seen at least three times', () => {
    expect(saturation(10, [3, 4, 10]).estimatedMissing).toBe(0);
  });

  it('never estimates fewer features than observed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.array(fc.integer({ min: 1, max: 50 })), (n, counts) => {
        const s = saturation(n, counts);
        expect(s.estimatedTotal).toBeGreaterThanOrEqual(s.observed);
        expect(s.estimatedMissing).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('stop rule', () => {
  const sat = (missing: number, p: number) => ({ executions: 1000, observed: 50, q1: 0, q2: 0, estimatedTotal: 50 + missing, estimatedMissing: missing, discoveryProbability: p });
  it('is stable only when quiet for the patience AND the estimate is small', () => {
    const base = { executions: 1000, elapsedMs: 60_000, msSinceLastFind: 30_000, execsSinceLastFind: 800, saturation: sat(0.1, 0.001) };
    expect(isStable(base, 20_000)).toBe(true);
    expect(isStable({ ...base, msSinceLastFind: 10_000 }, 20_000)).toBe(false);
    expect(isStable({ ...base, saturation: sat(2, 0.001) }, 20_000)).toBe(false);
    expect(isStable({ ...base, saturation: sat(0.1, 0.05) }, 20_000)).toBe(false);
    expect(isStable({ ...base, executions: 10 }, 20_000)).toBe(false);
    // patience in executions as well as in time: a loaded machine runs fewer in the same time
    expect(isStable(base, 20_000, 800)).toBe(true);
    expect(isStable(base, 20_000, 801)).toBe(false);
  });
  it('honours --max-execs and --time first', () => {
    const state = { executions: 500, elapsedMs: 1000, msSinceLastFind: 0, execsSinceLastFind: 0, saturation: sat(9, 0.5) };
    expect(stopReason({ maxExecs: 500 }, state)).toBe('max-execs');
    expect(stopReason({ timeMs: 1000 }, state)).toBe('time');
    expect(stopReason({ untilStable: { patienceMs: 1 } }, state)).toBeUndefined();
  });
});
