import { usageError } from '../../src/errors.js';
import type { Strategy } from '../../src/strategy.js';
import type { Knowledge } from '../index.js';
import { signalsInputArbitrary, type Vocabulary } from './arbitraries.js';
import { deliverSignals } from './deliver.js';
import {
  describeSignalsInput,
  KEEP_ALIVE_PEER,
  parseSignalList,
  peersFrom,
  SIGNALS,
  validateSignalsInput,
  type Action,
  type Peers,
  type SignalName,
  type SignalsInput,
  type SimpleAction,
} from './input.js';
import { mutateSignalsInput } from './mutate.js';

export type { Action, SimpleAction, SignalsInput, SignalName, SignalTo, Peers } from './input.js';
export { SIGNALS, TERMINATING, validateSignalsInput, describeSignalsInput, parseSignalList, peersFrom } from './input.js';
export { signalsInputArbitrary, type Vocabulary } from './arbitraries.js';
export { mutateSignalsInput, sanitize } from './mutate.js';
export { deliverSignals, endsByDefault, exitText } from './deliver.js';
export { isContent, listFiles, replaceFiles, rotateLogs } from './workdir.js';
export { KeepAliveConnection } from './keep-alive.js';

export interface SignalsStrategyOptions {
  /** `--signals LIST`: the signals this channel may send (all of SIGNALS, and KILL for kill-worker, when absent) */
  signals?: string[];
  /** the other enabled channels, whose inputs a signals input may carry */
  knowledge: Knowledge;
}

/**
 * The lifecycle channel: signals (SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGTERM, SIGQUIT,
 * SIGINT, SIGCHLD) to the target's main process or a child, alone or with the events
 * that come with them in production (configuration re-rendered before a reload, logs
 * moved away before a reopen, served files replaced, a worker killed, a restart while
 * the port is taken), interleaved with inputs of the other enabled channels.
 */
export function createSignalsStrategy(opts: SignalsStrategyOptions): Strategy<SignalsInput> {
  let allowed: { signals: SignalName[]; killWorker: boolean };
  try {
    allowed = opts.signals === undefined ? { signals: [...SIGNALS], killWorker: true } : parseSignalList(opts.signals);
  } catch (err) {
    throw usageError(`--signals: ${(err as Error).message}`, 'e.g. --signals HUP,USR1,QUIT or --signals SIGHUP,SIGTERM,KILL');
  }
  const peers = peersFrom(() => opts.knowledge.peers());
  const vocabulary: Vocabulary = { ...allowed, peers };

  return {
    name: 'signals',
    arbitrary: () => signalsInputArbitrary(vocabulary),
    mutate: (input, rng, other) => mutateSignalsInput(input, rng, vocabulary, other),
    // a corpus file may carry anything: check it before acting on a live target
    deliver: async (input, ctx) => deliverSignals(validateSignalsInput(input, peers), ctx, peers),
    validate: (raw) => validateSignalsInput(raw, peers),
    describe: (input) => describeSignalsInput(input, peers),
    seeds: () => seedInputs(vocabulary),
  };
}

/** A request that shows whether the target still serves: `GET /` for HTTP, else the peer's first seed. */
function probeOf(peers: Peers): Action | undefined {
  if (peers.get(KEEP_ALIVE_PEER)) {
    return { kind: 'peer', strategy: KEEP_ALIVE_PEER, input: getRoot() };
  }
  for (const name of peers.names()) {
    const seed = peers.get(name)?.seeds()[0];
    if (seed !== undefined) return { kind: 'peer', strategy: name, input: seed };
  }
  return undefined;
}

const getRoot = () => ({ requests: [{ method: 'GET', path: '/', version: 'HTTP/1.1', headers: [['Host', 'localhost']], body: '' }] });

/**
 * The lifecycle paths that break profiles in production, each once: a reload with a
 * changed configuration, a log rotation, a reload in the middle of a keep-alive
 * connection, graceful and fast shutdown, a killed worker, a start with the port taken,
 * then every other allowed signal alone.
 */
export function seedInputs(v: Vocabulary): SignalsInput[] {
  const probe = probeOf(v.peers);
  const withProbe = (...actions: Action[]): Action[] => (probe ? [...actions, structuredClone(probe)] : actions);
  const sig = (signal: SignalName, to: 'main' | 'child' = 'main'): SimpleAction => ({ kind: 'signal', signal, to });
  const has = (signal: SignalName) => v.signals.includes(signal);
  const seeds: Action[][] = [];
  if (has('SIGHUP')) seeds.push(withProbe({ kind: 'rerender' }, sig('SIGHUP')));
  if (has('SIGUSR1')) seeds.push(withProbe({ kind: 'rotate-logs' }, sig('SIGUSR1')));
  if (has('SIGHUP') && v.peers.get(KEEP_ALIVE_PEER)) {
    const twoRequests = { requests: [...getRoot().requests, ...getRoot().requests] };
    seeds.push([{ kind: 'during', strategy: KEEP_ALIVE_PEER, input: twoRequests, actions: [{ kind: 'rerender' }, sig('SIGHUP')] }]);
  }
  if (has('SIGHUP')) seeds.push([sig('SIGHUP')]);
  if (has('SIGHUP')) seeds.push(withProbe({ kind: 'replace-files' }, sig('SIGHUP')));
  if (v.killWorker) seeds.push(withProbe({ kind: 'kill-worker' }));
  seeds.push(withProbe({ kind: 'port-taken-restart' }));
  if (has('SIGTERM')) seeds.push(withProbe(sig('SIGTERM', 'child')));
  for (const signal of v.signals) {
    if (signal !== 'SIGHUP') seeds.push([sig(signal)]);
  }
  return seeds.map((actions) => ({ actions }));
}
