import fc from 'fast-check';
import type { Fault, Strategy } from '../../src/strategy.js';
import { fallbackSyscalls, isInjectable, KNOWN_FALLBACKS, meaningfulErrnos } from './errnos.js';
import { STRATEGY_NAME, type FaultsInput } from './input.js';

/**
 * Fresh faults inputs. Syscalls come from what the campaign has seen (a failure of a
 * call the target never makes changes nothing); errnos only from the table of
 * meaningful ones. Both the pool and the peers' arbitraries change while the campaign
 * learns, so these are rebuilt on every call.
 */

/** inputs the arbitrary and the mutator make hold at most this many faults */
export const GENERATED_MAX_FAULTS = 2;

export interface FaultPool {
  /** seen syscalls with a meaningful errno, sorted (the known-fallback list when none is seen yet) */
  syscalls: readonly string[];
  /** those of them with a known ENOSYS fallback: the likeliest to open new paths */
  fallbacks: readonly string[];
}

/** Sorted, so that the same seen set in any order gives the same draws. */
export function faultPool(seen: readonly string[]): FaultPool {
  const faultable = [...new Set(seen)].filter((s) => isInjectable(s) && meaningfulErrnos(s).length > 0).sort();
  const syscalls = faultable.length > 0 ? faultable : [...fallbackSyscalls()].sort();
  return { syscalls, fallbacks: syscalls.filter((s) => s in KNOWN_FALLBACKS) };
}

/** The other enabled channels a faults input may carry an input of. */
export const thenPeers = (peers: readonly Strategy[]): Strategy[] => peers.filter((p) => p.name !== STRATEGY_NAME);

const weighted = <T>(...choices: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> =>
  fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** Mostly the first call; sometimes a later one (the first may be a probe, the second the real use). */
export const whenArbitrary: fc.Arbitrary<number> = weighted([8, fc.constant(1)], [2, fc.integer({ min: 2, max: 5 })]);
export const andLaterArbitrary: fc.Arbitrary<boolean> = weighted([2, fc.constant(false)], [1, fc.constant(true)]);

export function syscallArbitrary(pool: FaultPool): fc.Arbitrary<string> {
  const any = fc.constantFrom(...pool.syscalls);
  return pool.fallbacks.length > 0 ? weighted([2, any], [1, fc.constantFrom(...pool.fallbacks)]) : any;
}

export function faultArbitrary(pool: FaultPool): fc.Arbitrary<Fault> {
  return syscallArbitrary(pool).chain((syscall) =>
    fc
      .tuple(fc.constantFrom(...meaningfulErrnos(syscall)), whenArbitrary, andLaterArbitrary)
      .map(([errno, when, andLater]): Fault => ({ syscall, errno, when, andLater })),
  );
}

export function faultListArbitrary(pool: FaultPool): fc.Arbitrary<Fault[]> {
  const fault = faultArbitrary(pool);
  return weighted(
    [9, fault.map((f) => [f])],
    [1, fc.uniqueArray(fault, { minLength: 1, maxLength: GENERATED_MAX_FAULTS, selector: (f) => f.syscall })],
  );
}

export function thenArbitrary(peers: readonly Strategy[]): fc.Arbitrary<{ strategy: string; input: unknown }> | undefined {
  const usable = thenPeers(peers);
  if (usable.length === 0) return undefined;
  return fc.constantFrom(...usable).chain((peer) => peer.arbitrary().map((input) => ({ strategy: peer.name, input })));
}

export function faultsInputArbitrary(pool: FaultPool, peers: readonly Strategy[]): fc.Arbitrary<FaultsInput> {
  const faults = faultListArbitrary(pool);
  const then = thenArbitrary(peers);
  if (!then) return faults.map((list) => ({ faults: list }));
  // a restart alone shows the start-up under the fault; a request after it, the serving paths
  return fc
    .tuple(faults, weighted<{ strategy: string; input: unknown } | undefined>([2, fc.constant(undefined)], [3, then]))
    .map(([list, next]) => (next ? { faults: list, then: next } : { faults: list }));
}
