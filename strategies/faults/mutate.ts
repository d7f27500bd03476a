import type { Fault, Strategy } from '../../src/strategy.js';
import { sample, type Rng } from '../../src/util/rng.js';
import { faultArbitrary, GENERATED_MAX_FAULTS, thenPeers, type FaultPool } from './arbitraries.js';
import { isMeaningful, meaningfulErrnos } from './errnos.js';
import type { FaultsInput } from './input.js';

/**
 * Variations of a faults entry: another errno, call number or syscall for one fault,
 * a fault more or less, and a different or varied input of the carried channel (its
 * own mutator). Every choice goes through `rng`: the same seed gives the same mutation.
 */

export interface MutationContext {
  pool: FaultPool;
  peers: readonly Strategy[];
}

/** returns false when it does not apply to this input (nothing changed) */
type Mutation = (input: FaultsInput, rng: Rng, ctx: MutationContext, other?: FaultsInput) => boolean;

export function mutateFaultsInput(input: FaultsInput, rng: Rng, ctx: MutationContext, other?: FaultsInput): FaultsInput {
  const out: FaultsInput = structuredClone(input);
  // a few tries: an inapplicable mutation (drop the only fault...) must not waste an execution
  for (let attempt = 0; attempt < 8; attempt++) {
    const group = rng.int(10);
    const mutations = group < 5 ? FAULT_MUTATIONS : group < 9 ? THEN_MUTATIONS : SPLICES;
    if (rng.pick(mutations)(out, rng, ctx, other)) break;
  }
  return out;
}

const pickFault = (input: FaultsInput, rng: Rng): Fault => rng.pick(input.faults);
const used = (input: FaultsInput, except?: Fault) => new Set(input.faults.filter((f) => f !== except).map((f) => f.syscall));

const FAULT_MUTATIONS: readonly Mutation[] = [
  function changeErrno(input, rng) {
    const fault = pickFault(input, rng);
    const others = meaningfulErrnos(fault.syscall).filter((e) => e !== fault.errno);
    if (others.length === 0) return false;
    fault.errno = rng.pick(others);
    return true;
  },
  function changeWhen(input, rng) {
    const fault = pickFault(input, rng);
    const before = `${fault.when}${fault.andLater}`;
    switch (rng.int(4)) {
      case 0:
        fault.when = 1;
        break;
      case 1:
        fault.when = 2 + rng.int(4);
        break;
      case 2:
        fault.when = Math.max(1, fault.when + (rng.chance(0.5) ? 1 : -1));
        break;
      default:
        fault.andLater = !fault.andLater;
    }
    return `${fault.when}${fault.andLater}` !== before;
  },
  // another syscall; the errno stays when it is meaningful there too
  function changeSyscall(input, rng, ctx) {
    const fault = pickFault(input, rng);
    const taken = used(input, fault);
    const candidates = ctx.pool.syscalls.filter((s) => s !== fault.syscall && !taken.has(s));
    if (candidates.length === 0) return false;
    fault.syscall = rng.pick(candidates);
    if (!isMeaningful(fault.syscall, fault.errno)) fault.errno = rng.pick(meaningfulErrnos(fault.syscall));
    return true;
  },
  function addFault(input, rng, ctx) {
    if (input.faults.length >= GENERATED_MAX_FAULTS) return false;
    const taken = used(input);
    const pool = { syscalls: ctx.pool.syscalls.filter((s) => !taken.has(s)), fallbacks: ctx.pool.fallbacks.filter((s) => !taken.has(s)) };
    if (pool.syscalls.length === 0) return false;
    input.faults.splice(rng.int(input.faults.length + 1), 0, sample(faultArbitrary(pool), rng));
    return true;
  },
  function dropFault(input, rng) {
    if (input.faults.length < 2) return false;
    input.faults.splice(rng.int(input.faults.length), 1);
    return true;
  },
];

const THEN_MUTATIONS: readonly Mutation[] = [
  // the carried input varied by its own channel's mutator (spliced with the other entry's, same channel)
  function mutateThen(input, rng, ctx, other) {
    const then = input.then;
    const peer = then && thenPeers(ctx.peers).find((p) => p.name === then.strategy);
    if (!then || !peer) return false;
    const partner = other?.then?.strategy === then.strategy ? other.then.input : undefined;
    then.input = peer.mutate(then.input, rng, partner);
    return true;
  },
  function replaceThen(input, rng, ctx) {
    const peers = thenPeers(ctx.peers);
    if (peers.length === 0) return false;
    const peer = rng.pick(peers);
    input.then = { strategy: peer.name, input: sample(peer.arbitrary(), rng) };
    return true;
  },
  function dropThen(input) {
    if (!input.then) return false;
    delete input.then;
    return true;
  },
];

const SPLICES: readonly Mutation[] = [
  // one of the other entry's faults, instead of one of ours or next to them
  function takeOtherFault(input, rng, _ctx, other) {
    if (!other || other.faults.length === 0) return false;
    const theirs = structuredClone(rng.pick(other.faults));
    const same = input.faults.findIndex((f) => f.syscall === theirs.syscall);
    if (same >= 0) input.faults[same] = theirs;
    else if (input.faults.length < GENERATED_MAX_FAULTS && rng.chance(0.5)) input.faults.push(theirs);
    else input.faults[rng.int(input.faults.length)] = theirs;
    return true;
  },
  function takeOtherThen(input, _rng, _ctx, other) {
    if (!other?.then) return false;
    input.then = structuredClone(other.then);
    return true;
  },
];
