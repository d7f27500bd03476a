import type { AnyStrategy, Strategy, TargetKind } from '../src/strategy.js';
import { usageError } from '../src/errors.js';
import { COMMAND_CHANNELS, commandVocabulary, createCommandStrategy, loadInvocationSeeds, type CommandOptions } from './command/index.js';
import { findBuiltinCorpusDir } from './http/seeds.js';
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
  /** command targets: the program, for the grammar and the samples */
  command?: CommandOptions;
}

/** Every input channel seccomplete knows, by the name `--strategies` uses. */
const FACTORIES: Record<string, (o: StrategyOptions) => Strategy> = {
  http: (o) => createHttpStrategy({ seedDirs: o.seedDirs }) as unknown as Strategy,
  signals: (o) => createSignalsStrategy({ signals: o.signals, knowledge: o.knowledge }) as unknown as Strategy,
  faults: (o) => createFaultsStrategy({ knowledge: o.knowledge }) as unknown as Strategy,
};

export const STRATEGY_NAMES = [...Object.keys(FACTORIES), ...COMMAND_CHANNELS];

/** Sample files shipped with the tool (corpus/files): contents the files and stdin channels use. */
export const SAMPLE_DIR = findBuiltinCorpusDir(undefined, 'files');

const isCommandChannel = (name: string): boolean => (COMMAND_CHANNELS as readonly string[]).includes(name);

/** args, stdin, files and env run a command once per input; the others talk to a server. */
export function targetKindOfStrategies(names: readonly string[]): TargetKind {
  const command = names.filter(isCommandChannel);
  if (command.length === 0) return 'server';
  if (command.length < names.length) {
    const server = names.filter((n) => !isCommandChannel(n));
    throw usageError(
      `--strategies mixes command channels (${command.join(', ')}) with server channels (${server.join(', ')})`,
      'a command (one run per input) takes args, stdin, files, env; a server takes http, signals, faults',
    );
  }
  return 'command';
}

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

export async function createStrategies(names: readonly string[], options: StrategyOptions & { knowledge: MutableKnowledge }): Promise<AnyStrategy[]> {
  if (names.length === 0) throw usageError('--strategies needs at least one strategy', `available: ${STRATEGY_NAMES.join(', ')}`);
  for (const name of names) if (!(name in FACTORIES) && !isCommandChannel(name)) throw usageError(`unknown strategy '${name}'`, `available: ${STRATEGY_NAMES.join(', ')}`);
  if (targetKindOfStrategies(names) === 'command') {
    if (!options.command) throw usageError('command channels need a command target');
    const vocabulary = await commandVocabulary(options.command, options.seedDirs);
    const userSeeds = loadInvocationSeeds(options.seedDirs);
    // the user's invocations are run once, by the first channel
    return names.map((name, i) => createCommandStrategy(name as (typeof COMMAND_CHANNELS)[number], vocabulary, i === 0 ? userSeeds : []));
  }
  return createServerStrategies(names, options);
}

/** The channels into a server (http, signals, faults): nothing to learn from the program first. */
export function createServerStrategies(names: readonly string[], options: StrategyOptions & { knowledge: MutableKnowledge }): Strategy[] {
  const strategies = names.map((name) => {
    const factory = FACTORIES[name];
    if (!factory) throw usageError(`unknown strategy '${name}'`, `available: ${STRATEGY_NAMES.join(', ')}`);
    return factory(options);
  });
  options.knowledge.setPeers(strategies);
  return strategies;
}
