import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Scheduler } from '../../src/engine/scheduler.js';
import { ENTRY_FORMAT, inputId, type CorpusEntry } from '../../src/corpus/entry.js';
import type { Strategy } from '../../src/strategy.js';
import { createRng, type Rng } from '../../src/util/rng.js';

/** A real (if tiny) strategy over integers: enough to exercise the scheduler's choices. */
function numbers(name: string): Strategy<number> {
  return {
    name,
    arbitrary: () => fc.integer({ min: 0, max: 1_000_000 }),
    mutate: (n: number, rng: Rng) => n + 1 + rng.int(10),
    deliver: async () => ({ signature: 'ok' }),
    validate: (raw: unknown) => raw as number,
    describe: (n: number) => String(n),
    seeds: () => [1, 2],
  };
}

const entryOf = (strategy: string, data: number): CorpusEntry => ({
  format: ENTRY_FORMAT,
  id: inputId(strategy, data),
  strategy,
  input: data,
  parent: null,
  found: ['x'],
  origin: { exec: 0, epoch: 1, job: 0, time: '', elapsedMs: 0 },
  signature: 'ok',
  describe: '',
});

function sequence(seed: number, n: number) {
  const s = new Scheduler(createRng(seed), [numbers('a') as Strategy, numbers('b') as Strategy]);
  s.enqueue({ strategy: 'a', data: 1, parent: null });
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const input = s.next(i);
    out.push(input);
    if (i % 7 === 0 && input) {
      s.addEntry(entryOf(input.strategy, input.data as number), i);
      s.reward(input, 1, i);
    }
  }
  return out;
}

describe('scheduler', () => {
  it('runs queued inputs first', () => {
    const s = new Scheduler(createRng(1), [numbers('a') as Strategy]);
    s.enqueue({ strategy: 'a', data: 42, parent: null });
    expect(s.next(0)?.data).toBe(42);
  });

  it('gives the same sequence of inputs for the same seed and feedback', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        expect(sequence(seed, 60)).toEqual(sequence(seed, 60));
      }),
      { numRuns: 20 },
    );
    expect(sequence(1, 60)).not.toEqual(sequence(2, 60));
  });

  it('only drains the queue when not generating (replay)', () => {
    const s = new Scheduler(createRng(1), [numbers('a') as Strategy]);
    s.enqueue({ strategy: 'a', data: 5, parent: null });
    expect(s.next(0, false)?.data).toBe(5);
    expect(s.next(1, false)).toBeUndefined();
  });

  it('mutates corpus entries and records their parent', () => {
    const s = new Scheduler(createRng(3), [numbers('a') as Strategy], { generateRatio: 0, maxStack: 2 });
    const e = entryOf('a', 100);
    s.addEntry(e, 0);
    const next = s.next(1);
    expect(next?.parent).toBe(e.id);
    expect(next?.data as number).toBeGreaterThan(100);
  });

  it('charges finds by their cost: an input that restarts the target earns less energy per find', () => {
    const s = new Scheduler(createRng(9), [numbers('cheap') as Strategy, numbers('costly') as Strategy]);
    for (let i = 0; i < 50; i++) {
      s.reward({ strategy: 'cheap', data: i, parent: null }, 1, i, 1);
      s.reward({ strategy: 'costly', data: i, parent: null }, 1, i, 13);
    }
    let cheap = 0;
    for (let i = 0; i < 400; i++) if (s.next(i)?.strategy === 'cheap') cheap += 1;
    expect(cheap).toBeGreaterThan(250);
    // and the uniform share keeps the costly one in play
    expect(cheap).toBeLessThan(390);
  });

  it('spends more energy on the strategy that finds features', () => {
    const s = new Scheduler(createRng(9), [numbers('a') as Strategy, numbers('b') as Strategy]);
    for (let i = 0; i < 50; i++) s.reward({ strategy: 'b', data: i, parent: null }, 1, i);
    let b = 0;
    for (let i = 0; i < 400; i++) if (s.next(i)?.strategy === 'b') b += 1;
    expect(b).toBeGreaterThan(300);
  });
});
