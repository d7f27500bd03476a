import type { AnyStrategy, Strategy, TargetKind } from '../src/strategy.js';
import { usageError } from '../src/errors.js';
import { COMMAND_CHANNELS, commandVocabulary, createCommandStrategy, loadInvocationSeeds, type CommandOptions } from './command/index.js';
import { findBuiltinCorpusDir } from './http/seeds.js';
import { createFaultsStrategy } from './faults/index.js';
import { createHttpStrategy } from './http/index.js';
import { createSignalsStrategy } from './signals/index.js';
import { createTcpStrategy, createUdpStrategy } from './tcp/index.js';
import { isUnixEndpoint, type EndpointSpec, type NetEndpointSpec } from '../src/target/spec.js';

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
  /** `--dict FILE` (repeatable): AFL dictionaries for the tcp and udp strategies */
  dictFiles?: string[];
  /** false with `--no-dict`: the tcp and udp strategies mutate without any dictionary */
  dictionary?: boolean;
  /** server targets: the argv (placeholders unrendered), whose program the tcp and udp strategies mine for words */
  serverCommand?: string[];
  /** how a strategy reports what it skipped (an unreadable seed, a malformed --dict line, a binary it could not mine) */
  warn?: (message: string) => void;
}

/** Every input channel seccomplete knows, by the name `--strategies` uses. */
const FACTORIES: Record<string, (o: StrategyOptions) => Strategy> = {
  http: (o) => createHttpStrategy({ seedDirs: o.seedDirs }) as unknown as Strategy,
  signals: (o) => createSignalsStrategy({ signals: o.signals, knowledge: o.knowledge }) as unknown as Strategy,
  faults: (o) => createFaultsStrategy({ knowledge: o.knowledge }) as unknown as Strategy,
  tcp: (o) => createTcpStrategy(sessionOptions(o)) as unknown as Strategy,
  udp: (o) => createUdpStrategy(sessionOptions(o)) as unknown as Strategy,
};

function sessionOptions(o: StrategyOptions) {
  return { seedDirs: o.seedDirs, dictionary: o.dictionary !== false, dictFiles: o.dictFiles ?? [], ...(o.serverCommand ? { command: o.serverCommand } : {}), ...(o.warn ? { warn: o.warn } : {}) };
}

/** The server channels and the command-line hint that lists them. */
const SERVER_CHANNELS_HINT = 'a server takes http, tcp, udp, signals, faults';

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
      `a command (one run per input) takes args, stdin, files, env; ${SERVER_CHANNELS_HINT}`,
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

/**
 * Do the endpoints suit the channels? udp needs a udp:// endpoint, tcp a TCP or Unix one
 * (the default HTTP endpoint on {port} is TCP), and http sends to every endpoint, so it
 * cannot share a campaign with udp:// or unix: ones.
 */
export function checkStrategyEndpoints(names: readonly string[], endpoints: readonly EndpointSpec[]): void {
  const udp = endpoints.filter((e) => e.transport === 'udp');
  const unix = endpoints.filter(isUnixEndpoint);
  const tcp = endpoints.filter((e): e is NetEndpointSpec => !isUnixEndpoint(e) && e.transport !== 'udp');
  if (names.includes('udp') && udp.length === 0) {
    throw usageError('the udp strategy needs a udp endpoint', 'e.g. --endpoint udp://127.0.0.1:{port}');
  }
  if (names.includes('tcp') && endpoints.length > 0 && unix.length === 0 && !tcp.some((e) => !e.tls)) {
    throw usageError('the tcp strategy needs a tcp:// (or plain http://) or a unix: endpoint', 'e.g. --endpoint tcp://127.0.0.1:{port} or --endpoint unix:{workdir}/app.sock');
  }
  if (names.includes('http') && udp.length + unix.length > 0) {
    throw usageError('the http strategy sends to every --endpoint, and speaks only TCP: udp:// and unix: endpoints need a campaign without it', 'e.g. --strategies tcp,udp');
  }
}

/** The channels into a server (http, tcp, udp, signals, faults): nothing to learn from the program first (tcp and udp mine it on their own). */
export function createServerStrategies(names: readonly string[], options: StrategyOptions & { knowledge: MutableKnowledge }): Strategy[] {
  const strategies = names.map((name) => {
    const factory = FACTORIES[name];
    if (!factory) throw usageError(`unknown strategy '${name}'`, `available: ${STRATEGY_NAMES.join(', ')}`);
    return factory(options);
  });
  options.knowledge.setPeers(strategies);
  return strategies;
}
