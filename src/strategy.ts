import type fc from 'fast-check';
import type { Rng } from './util/rng.js';

/** Where a live target instance can be reached. */
export interface Endpoint {
  host: string;
  port: number;
}

export interface DeliveryContext {
  /** the instance's primary endpoint (its {port}) */
  endpoint: Endpoint;
  /** give up on a delivery after this long; the executor treats it as a hang */
  timeoutMs: number;
  /** aborted when the run is stopping or the delivery timed out */
  signal: AbortSignal;
}

export interface DeliveryResult {
  /**
   * A short, stable description of how the target answered (e.g. `200 200` for two
   * responses, `400 close`, `reset`). `verify` compares it between the unconfined and
   * the confined replay, so it must not contain timestamps or other run-specific data.
   */
  signature: string;
  /** the local side failed to talk to the target at all (refused, reset on connect) */
  transportError?: string;
}

/**
 * One input channel (LibAFL would split this into generator, mutator and executor
 * hooks). Inputs are plain JSON values so that the corpus can store them as they are.
 */
export interface Strategy<I = unknown> {
  readonly name: string;
  /** a fast-check arbitrary of fresh inputs; may use what the strategy learned so far */
  arbitrary(): fc.Arbitrary<I>;
  /** a variation of a corpus entry; `other` is a second entry for splicing */
  mutate(input: I, rng: Rng, other?: I): I;
  /** send the input to a live target and wait for its answer */
  deliver(input: I, ctx: DeliveryContext): Promise<DeliveryResult>;
  /** check a value read back from a corpus file; throws an Error saying what is wrong */
  validate(raw: unknown): I;
  /** one line for humans (progress view, verify reports) */
  describe(input: I): string;
  /** the seed inputs this strategy starts from */
  seeds(): I[];
}
