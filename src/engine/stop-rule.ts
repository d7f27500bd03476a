import type { Saturation } from '../coverage/saturation.js';

export interface StopRuleOptions {
  maxExecs?: number;
  timeMs?: number;
  /**
   * stop at saturation: nothing new for the patience window, in time AND in executions
   * (a loaded machine runs fewer executions in the same time), and Chao2 says < 0.5 missing
   */
  untilStable?: { patienceMs: number; patienceExecs: number };
}

export interface RunState {
  executions: number;
  elapsedMs: number;
  msSinceLastFind: number;
  execsSinceLastFind: number;
  saturation: Saturation;
}

export type StopReason = 'stable' | 'max-execs' | 'time' | 'interrupted' | 'replayed' | 'error';

/** Missing-feature estimate under which the run counts as saturated. */
export const STABLE_MISSING = 0.5;
/** Good–Turing chance of a new feature in the next execution that counts as tiny. */
export const STABLE_DISCOVERY_PROBABILITY = 0.01;
/** Below this many executions the estimators say nothing useful. */
export const STABLE_MIN_EXECS = 100;

export function isStable(state: RunState, patienceMs: number, patienceExecs = 0): boolean {
  return (
    state.executions >= STABLE_MIN_EXECS &&
    state.msSinceLastFind >= patienceMs &&
    state.execsSinceLastFind >= patienceExecs &&
    state.saturation.estimatedMissing < STABLE_MISSING &&
    state.saturation.discoveryProbability < STABLE_DISCOVERY_PROBABILITY
  );
}

export function stopReason(options: StopRuleOptions, state: RunState): StopReason | undefined {
  if (options.maxExecs !== undefined && state.executions >= options.maxExecs) return 'max-execs';
  if (options.timeMs !== undefined && state.elapsedMs >= options.timeMs) return 'time';
  if (options.untilStable && isStable(state, options.untilStable.patienceMs, options.untilStable.patienceExecs)) return 'stable';
  return undefined;
}
