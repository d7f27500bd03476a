import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import fc from 'fast-check';

/**
 * The single source of randomness of a run. Every choice the scheduler and the
 * mutators make goes through one Rng so that `--seed` with `--jobs 1` replays the
 * same sequence of inputs.
 */
export interface Rng {
  /** integer in [0, maxExclusive) */
  int(maxExclusive: number): number;
  /** float in [0, 1) */
  float(): number;
  /** uniform pick; the array must not be empty */
  pick<T>(items: readonly T[]): T;
  /** true with probability p */
  chance(p: number): boolean;
  /** a fast-check Random for Arbitrary.generate, advanced by this Rng */
  fcRandom(): fc.Random;
  /** a fresh 32-bit seed derived from this stream */
  seed(): number;
}

export function createRng(seed: number): Rng {
  // pure-rand 8 generators are mutable: every draw advances `gen`.
  const gen = xoroshiro128plus(seed >>> 0);
  const nextU32 = (): number => uniformInt(gen, 0, 0xffffffff);
  const rng: Rng = {
    int(maxExclusive) {
      if (maxExclusive <= 1) return 0;
      return uniformInt(gen, 0, maxExclusive - 1);
    },
    float() {
      return nextU32() / 0x1_0000_0000;
    },
    pick(items) {
      if (items.length === 0) throw new Error('Rng.pick on an empty list');
      return items[rng.int(items.length)] as (typeof items)[number];
    },
    chance(p) {
      return rng.float() < p;
    },
    fcRandom() {
      return new fc.Random(xoroshiro128plus(nextU32()));
    },
    seed() {
      return nextU32();
    },
  };
  return rng;
}

/** Draw one value from a fast-check arbitrary, deterministically from `rng`. */
export function sample<T>(arb: fc.Arbitrary<T>, rng: Rng): T {
  return arb.generate(rng.fcRandom(), undefined).value;
}
