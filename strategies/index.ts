import type { Strategy } from '../src/strategy.js';
import { usageError } from '../src/errors.js';
import { createFaultsStrategy } from './faults/index.js';
import { createHttpStrategy } from './http/index.js';
import { createSignalsStrategy } from './signals/index.js';

/**
 * What the campaign knows and shares with the strategies while it runs: the syscalls
 * seen so far (the faults channel injects failures into those) and the other enabled
 * strategies (lifecycle and fault inputs carry an input of another channel to deliver
 * in the middle or after).
 */
export interface Knowledge {
  syscalls(): readonly string[];
  peers(): readonly Strategy[];
}

export interface StrategyOptions {
  /** extra seed directories (`--seeds DIR`) */
  seedDirs: string[];
  /** `--signals LIST`: the signals the signals channel may send (all it knows when absent) */
  signals?: string[];
  knowledge: Knowledge;
}

/** Every input channel seccomplete knows, by the name `--strategies` uses. */
const FACTORIES: Record<string, (o: StrategyOptions) => Strategy> = {
  http: (o) => createHttpStrategy({ seedDirs: o.seedDirs }) as unknown as Strategy,
  signals: (o) => createSignalsStrategy({ signals: o.signals, knowledge: o.knowledge }) as unknown as Strategy,
  faults: (o) => createFaultsStrategy({ knowledge: o.knowledge }) as unknown as Strategy,
};

export const STRATEGY_NAMES = Object.keys(FACTORIES);

/** A Knowledge to fill in later: the campaign sets the syscall source once it exists. */
export function mutableKnowledge(): Knowledge & { setSyscalls(source: () => readonly string[]): void; setPeers(list: readonly Strategy[]): void } {
  let syscalls: () => readonly string[] = () => [];
  let peers: readonly Strategy[] = [];
  return {
    syscalls: () => syscalls(),
    peers: () => peers,
    setSyscalls(source) {
      syscalls = source;
    },
    setPeers(list) {
      peers = list;
    },
  };
}

export type MutableKnowledge = ReturnType<typeof mutableKnowledge>;

export function createStrategies(names: readonly string[], options: StrategyOptions & { knowledge: MutableKnowledge }): Strategy[] {
  if (names.length === 0) throw usageError('--strategies needs at least one strategy', `available: ${STRATEGY_NAMES.join(', ')}`);
  const strategies = names.map((name) => {
    const factory = FACTORIES[name];
    if (!factory) throw usageError(`unknown strategy '${name}'`, `available: ${STRATEGY_NAMES.join(', ')}`);
    return factory(options);
  });
  options.knowledge.setPeers(strategies);
  return strategies;
}
