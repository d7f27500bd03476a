import type { Strategy } from '../src/strategy.js';
import { usageError } from '../src/errors.js';
import { createHttpStrategy } from './http/index.js';

export interface StrategyOptions {
  /** extra seed directories (`--seeds DIR`) */
  seedDirs: string[];
}

/** Every input channel seccomplete knows, by the name `--strategies` uses. */
const FACTORIES: Record<string, (o: StrategyOptions) => Strategy> = {
  http: (o) => createHttpStrategy({ seedDirs: o.seedDirs }) as unknown as Strategy,
};

export const STRATEGY_NAMES = Object.keys(FACTORIES);

export function createStrategies(names: readonly string[], options: StrategyOptions): Strategy[] {
  if (names.length === 0) throw usageError('--strategies needs at least one strategy', `available: ${STRATEGY_NAMES.join(', ')}`);
  return names.map((name) => {
    const factory = FACTORIES[name];
    if (!factory) throw usageError(`unknown strategy '${name}'`, `available: ${STRATEGY_NAMES.join(', ')}`);
    return factory(options);
  });
}
