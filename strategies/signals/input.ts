import type { Strategy } from '../../src/strategy.js';

/**
 * The input model of the signals strategy: a short sequence of things that happen to a
 * live target besides its requests — signals, changed configuration, rotated logs,
 * replaced files, a killed worker, a restart with the port taken — optionally
 * interleaved with an input of another channel (a `peer`, e.g. an HTTP request) or
 * done while a keep-alive connection is open between two requests (`during`).
 */

/** The signals this channel sends, in the order `--signals` lists them. */
export const SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGTERM', 'SIGQUIT', 'SIGINT', 'SIGCHLD'] as const;
export type SignalName = (typeof SIGNALS)[number];

/** Signals meant to end the target: it is expected to exit after them. */
export const TERMINATING: ReadonlySet<SignalName> = new Set(['SIGTERM', 'SIGQUIT', 'SIGINT']);

/** The longest `wait` action, in ms. */
export const MAX_WAIT_MS = 2000;
/** top-level actions of one input */
export const MAX_ACTIONS = 4;
/** actions done while a keep-alive connection is open */
export const MAX_DURING_ACTIONS = 3;
/** how long the port stays taken in a `port-taken-restart` (nginx retries bind() every 500 ms, 5 times) */
export const HOLD_PORT_MS = 1200;

/** The channel a `during` action opens its connection with. */
export const KEEP_ALIVE_PEER = 'http';

export type SignalTo = 'main' | 'child';

/** What can happen while a keep-alive connection is open (and what a sequence is made of). */
export type SimpleAction =
  | { kind: 'signal'; signal: SignalName; to: SignalTo }
  | { kind: 'rerender' }
  | { kind: 'rotate-logs' }
  | { kind: 'replace-files' }
  | { kind: 'kill-worker' }
  | { kind: 'wait'; ms: number };

export type Action =
  | SimpleAction
  | { kind: 'port-taken-restart' }
  /** deliver an input of another enabled channel here */
  | { kind: 'peer'; strategy: string; input: unknown }
  /** send the first request of an HTTP input, do `actions` with the connection still open, then send the rest */
  | { kind: 'during'; strategy: typeof KEEP_ALIVE_PEER; input: unknown; actions: SimpleAction[] };

export interface SignalsInput {
  actions: Action[];
}

/** The other channels a signals input may carry, by name. */
export interface Peers {
  get(name: string): Strategy | undefined;
  names(): string[];
}

/** Lifecycle and fault channels are not interleaved: only request channels are. */
const NOT_EMBEDDABLE = new Set(['signals', 'faults']);

export function peersFrom(list: () => readonly Strategy[]): Peers {
  const usable = () => list().filter((s) => !NOT_EMBEDDABLE.has(s.name));
  return {
    get: (name) => usable().find((s) => s.name === name),
    names: () => usable().map((s) => s.name),
  };
}

/** The kinds allowed inside `during` (no nesting, no restart, only signals to the main process). */
export const DURING_KINDS: ReadonlySet<SimpleAction['kind']> = new Set(['signal', 'rerender', 'rotate-logs', 'replace-files', 'wait']);

const SIMPLE_KINDS = new Set(['signal', 'rerender', 'rotate-logs', 'replace-files', 'kill-worker', 'wait']);
const ALL_KINDS = [...SIMPLE_KINDS, 'port-taken-restart', 'peer', 'during'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a value read back from a corpus file; returns a clean copy or throws saying
 * what is wrong. Embedded inputs are checked by their own channel's `validate`, so that
 * channel must be enabled.
 */
export function validateSignalsInput(raw: unknown, peers: Peers): SignalsInput {
  if (!isRecord(raw) || !Array.isArray(raw.actions)) throw new Error('a signals input is an object with an "actions" array');
  const extra = Object.keys(raw).filter((k) => k !== 'actions');
  if (extra.length > 0) throw new Error(`a signals input has only "actions", not ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  const { actions } = raw;
  if (actions.length === 0 || actions.length > MAX_ACTIONS) {
    throw new Error(`a signals input has 1 to ${MAX_ACTIONS} actions, not ${actions.length}`);
  }
  return { actions: actions.map((a, i) => validateAction(a, `actions[${i}]`, peers)) };
}

function validateAction(raw: unknown, where: string, peers: Peers): Action {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (!isRecord(raw)) return fail('an action is an object with a "kind"');
  const { kind } = raw;
  const only = (...keys: string[]) => {
    const extra = Object.keys(raw).filter((k) => k !== 'kind' && !keys.includes(k));
    if (extra.length > 0) fail(`a '${String(kind)}' action has no ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
  };
  switch (kind) {
    case 'signal': {
      only('signal', 'to');
      const { signal, to } = raw;
      if (!SIGNALS.includes(signal as SignalName)) return fail(`signal ${JSON.stringify(signal)} is not one of ${SIGNALS.join(', ')}`);
      if (to !== 'main' && to !== 'child') return fail(`"to" must be "main" or "child", not ${JSON.stringify(to)}`);
      return { kind, signal: signal as SignalName, to };
    }
    case 'rerender':
    case 'rotate-logs':
    case 'replace-files':
    case 'kill-worker':
    case 'port-taken-restart':
      only();
      return { kind };
    case 'wait': {
      only('ms');
      const { ms } = raw;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_WAIT_MS) {
        return fail(`"ms" must be a whole number from 0 to ${MAX_WAIT_MS}, not ${JSON.stringify(ms)}`);
      }
      return { kind, ms };
    }
    case 'peer': {
      only('strategy', 'input');
      const peer = peerOf(raw.strategy, fail, peers);
      return { kind, strategy: peer.name, input: validatePeerInput(peer, raw.input, fail) };
    }
    case 'during': {
      only('strategy', 'input', 'actions');
      if (raw.strategy !== KEEP_ALIVE_PEER) return fail(`a 'during' action keeps an ${KEEP_ALIVE_PEER} connection open: "strategy" must be "${KEEP_ALIVE_PEER}"`);
      const peer = peerOf(raw.strategy, fail, peers);
      const input = validatePeerInput(peer, raw.input, fail);
      const inner = raw.actions;
      if (!Array.isArray(inner) || inner.length === 0 || inner.length > MAX_DURING_ACTIONS) {
        return fail(`"actions" must be an array of 1 to ${MAX_DURING_ACTIONS} actions`);
      }
      const actions = inner.map((a, i) => {
        const action = validateAction(a, `${where}.actions[${i}]`, peers);
        if (!DURING_KINDS.has(action.kind as SimpleAction['kind'])) {
          throw new Error(`${where}.actions[${i}]: '${action.kind}' cannot happen during a connection (only ${[...DURING_KINDS].join(', ')})`);
        }
        if (action.kind === 'signal' && action.to !== 'main') {
          throw new Error(`${where}.actions[${i}]: during a connection, signals go to the main process (which worker holds the connection is chance)`);
        }
        return action as SimpleAction;
      });
      return { kind, strategy: KEEP_ALIVE_PEER, input, actions };
    }
    default:
      return fail(`unknown kind ${JSON.stringify(kind)} (one of ${ALL_KINDS.join(', ')})`);
  }
}

/** The peer's own validation of the input it carries, its error prefixed with the peer's name. */
function validatePeerInput(peer: Strategy, raw: unknown, fail: (what: string) => never): unknown {
  try {
    return peer.validate(raw);
  } catch (err) {
    return fail(`${peer.name} input: ${(err as Error).message}`);
  }
}

function peerOf(name: unknown, fail: (what: string) => never, peers: Peers): Strategy {
  if (typeof name !== 'string' || name === '') return fail('"strategy" must name another input channel');
  const peer = peers.get(name);
  if (!peer) {
    const enabled = peers.names();
    return fail(`it carries a '${name}' input, but '${name}' is not enabled${enabled.length > 0 ? ` (enabled: ${enabled.join(', ')})` : ''}: add it to --strategies`);
  }
  return peer;
}

/** One line for humans: `rerender, SIGHUP -> main, GET /`. */
export function describeSignalsInput(input: SignalsInput, peers: Peers): string {
  return input.actions.map((a) => describeAction(a, peers)).join(', ');
}

export function describeAction(action: Action, peers: Peers): string {
  switch (action.kind) {
    case 'signal':
      return `${action.signal} -> ${action.to}`;
    case 'wait':
      return `wait ${action.ms}ms`;
    case 'peer':
      return shortPeer(action.strategy, action.input, peers);
    case 'during':
      return `during ${shortPeer(action.strategy, action.input, peers)} (${action.actions.map((a) => describeAction(a, peers)).join(', ')})`;
    default:
      return action.kind;
  }
}

/** The peer's own description up to its first comma: `GET /files/ +1 req`. */
export function shortPeer(strategy: string, input: unknown, peers: Peers): string {
  const peer = peers.get(strategy);
  let text: string;
  try {
    text = peer ? peer.describe(input) : strategy;
  } catch {
    text = strategy;
  }
  const short = text.split(', ')[0] ?? text;
  return short.length > 48 ? `${short.slice(0, 45)}...` : short;
}

/** Parses `--signals`: names with or without `SIG`, any case; `KILL` enables `kill-worker`. */
export function parseSignalList(list: readonly string[]): { signals: SignalName[]; killWorker: boolean } {
  const signals: SignalName[] = [];
  let killWorker = false;
  for (const item of list) {
    const name = item.trim().toUpperCase();
    if (name === '') continue;
    const full = name.startsWith('SIG') ? name : `SIG${name}`;
    if (full === 'SIGKILL') killWorker = true;
    else if (SIGNALS.includes(full as SignalName)) {
      if (!signals.includes(full as SignalName)) signals.push(full as SignalName);
    } else {
      throw new Error(`unknown signal '${item.trim()}' (known: ${SIGNALS.map((s) => s.slice(3)).join(', ')}, and KILL for killing a worker)`);
    }
  }
  if (signals.length === 0 && !killWorker) throw new Error('--signals needs at least one signal');
  return { signals, killWorker };
}
