import { UserError } from '../../src/errors.js';
import type { DeliveryContext, DeliveryResult, Fault, Strategy } from '../../src/strategy.js';
import type { Knowledge } from '../index.js';
import { faultPool, faultsInputArbitrary, thenPeers } from './arbitraries.js';
import { isInjectable } from './errnos.js';
import { describeFaultsInput, STRATEGY_NAME, validateFaultsInput, type FaultsInput } from './input.js';
import { mutateFaultsInput } from './mutate.js';

export type { FaultsInput } from './input.js';
export { MAX_FAULTS, describeFault, validateFaultsInput } from './input.js';
export {
  FAULT_ERRNOS,
  KNOWN_FALLBACKS,
  errnoReason,
  fallbackSyscalls,
  faultableSyscalls,
  isFaultErrno,
  isInjectable,
  isMeaningful,
  meaningfulErrnos,
  type FaultErrno,
} from './errnos.js';
export { faultPool, type FaultPool } from './arbitraries.js';

export interface FaultsStrategyOptions {
  /** the syscalls seen so far (faults go there) and the other channels (`then` inputs) */
  knowledge: Knowledge;
}

/**
 * Known-fallback syscalls a program may make while it starts: the seeds make each of
 * them fail with ENOSYS, as an older kernel or a container profile would.
 */
export const STARTUP_FALLBACK_SEEDS = ['clone3', 'faccessat2', 'statx', 'getrandom', 'close_range', 'rseq', 'openat2', 'epoll_pwait2'] as const;

/**
 * The faults channel: restart the target into an epoch where the tracer makes a few
 * syscalls fail (strace -e inject=NR:error=ERRNO:when=N[+]), so that its start-up runs
 * under them, then optionally deliver an input of another channel to it. What appears
 * only then are fallbacks (clone3 -> clone) and error paths; the campaign marks the
 * execution with its faults and ends the epoch after it.
 */
export function createFaultsStrategy(opts: FaultsStrategyOptions): Strategy<FaultsInput> {
  const { knowledge } = opts;
  const ctx = () => ({ pool: faultPool(knowledge.syscalls()), peers: knowledge.peers() });

  return {
    name: STRATEGY_NAME,
    arbitrary: () => {
      const { pool, peers } = ctx();
      return faultsInputArbitrary(pool, peers);
    },
    mutate: (input, rng, other) => mutateFaultsInput(input, rng, ctx(), other),
    deliver: (input, delivery) => deliverFaults(input, delivery, knowledge.peers()),
    validate: (raw) => validateFaultsInput(raw, knowledge.peers()),
    describe: (input) => describeFaultsInput(input, knowledge.peers()),
    seeds() {
      // Run with ENOSYS from the first call on, as under a profile that answers ENOSYS,
      // and with the first seed of another channel so the serving paths run under it too.
      const peer = thenPeers(knowledge.peers())[0];
      const then = peer?.seeds()[0];
      return STARTUP_FALLBACK_SEEDS.filter(isInjectable).map((syscall): FaultsInput => {
        const fault: Fault = { syscall, errno: 'ENOSYS', when: 1, andLater: true };
        return peer && then !== undefined ? { faults: [fault], then: { strategy: peer.name, input: structuredClone(then) } } : { faults: [fault] };
      });
    },
  };
}

/**
 * Restarts the target under the faults, then hands the carried input to its channel.
 * Signatures: `started` (+ the carried input's signature), `start failed` when the
 * target could not start under the fault (a real outcome, e.g. EMFILE on its listening
 * socket; with the signal when it was killed by one), `timeout` when the delivery was
 * cut short while the target was still starting.
 */
export async function deliverFaults(input: FaultsInput, ctx: DeliveryContext, peers: readonly Strategy[]): Promise<DeliveryResult> {
  if (ctx.signal.aborted) return { signature: 'aborted' };
  const restart = ctx.target.restart({ faults: input.faults.map((f) => ({ ...f })) });
  // if we give up waiting, the executor ends the epoch and the restart fails: not an error
  restart.catch(() => {});
  let aborted = false;
  let onAbort = () => {};
  const abort = new Promise<void>((resolve) => {
    onAbort = () => {
      aborted = true;
      resolve();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([restart, abort]);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    // It exited (or never became ready) under the fault: that is what the fault did,
    // not a crash of the target (even the dynamic loader dies of SIGSEGV when its first
    // mmap fails). The signature keeps the signal, the corpus keeps the input.
    const exit = await ctx.target.waitExit(0);
    ctx.target.expectExit();
    return { signature: exit?.signal ? `start failed ${exit.signal}` : 'start failed' };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  if (aborted) return { signature: 'timeout' };
  const then = input.then;
  const peer = then && peers.find((p) => p.name === then.strategy && p.name !== STRATEGY_NAME);
  if (!then || !peer) return { signature: 'started' };
  // ctx, not a copy: its endpoint follows the restart to the new port
  const result = await peer.deliver(then.input, ctx);
  // The carried channel's transportError is not passed on: it names the epoch's port,
  // so every replay's signature would differ. Its signature says what happened.
  const inner = result.signature || (result.transportError !== undefined ? 'refused' : '');
  return { signature: inner ? `started ${inner}` : 'started' };
}
