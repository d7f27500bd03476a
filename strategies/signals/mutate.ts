import { sample, type Rng } from '../../src/util/rng.js';
import { actionArbitrary, peerActionArbitrary, simpleActionArbitrary, truncateAfterExit, WAIT_CHOICES, type Vocabulary } from './arbitraries.js';
import { KEEP_ALIVE_PEER, MAX_ACTIONS, MAX_DURING_ACTIONS, type Action, type SignalsInput, type SimpleAction } from './input.js';

/**
 * Variations of a signals input: another signal, another recipient, an action more or
 * less, a different order, an embedded input mutated by its own channel. Every choice
 * goes through `rng`, so the same seed gives the same mutation.
 */

type Mutation = (actions: Action[], rng: Rng, v: Vocabulary, other?: SignalsInput) => Action[];

export function mutateSignalsInput(input: SignalsInput, rng: Rng, v: Vocabulary, other?: SignalsInput): SignalsInput {
  let actions: Action[] = structuredClone(input.actions);
  const rounds = 1 + rng.int(2);
  for (let round = 0; round < rounds; round++) actions = rng.pick(MUTATIONS)(actions, rng, v, other);
  actions = sanitize(actions, rng, v);
  if (actions.length === 0) actions = [sample(simpleActionArbitrary(v), rng)];
  return { actions };
}

/** Index of a random action of the wanted kinds, or -1. */
function pickIndex(actions: readonly Action[], rng: Rng, kinds: readonly Action['kind'][]): number {
  const indexes = actions.flatMap((a, i) => (kinds.includes(a.kind) ? [i] : []));
  return indexes.length === 0 ? -1 : rng.pick(indexes);
}

const MUTATIONS: readonly Mutation[] = [
  function changeSignal(actions, rng, v) {
    if (v.signals.length === 0) return actions;
    // signals inside a `during` count as well
    const slots: SimpleAction[] = actions.flatMap((a) => (a.kind === 'signal' ? [a] : a.kind === 'during' ? a.actions.filter((x) => x.kind === 'signal') : []));
    const slot = slots.length > 0 ? rng.pick(slots) : undefined;
    if (slot?.kind === 'signal') slot.signal = rng.pick(v.signals);
    else if (actions.length < MAX_ACTIONS) actions.splice(rng.int(actions.length + 1), 0, { kind: 'signal', signal: rng.pick(v.signals), to: 'main' });
    return actions;
  },
  function changeRecipient(actions, rng) {
    const i = pickIndex(actions, rng, ['signal']);
    const action = actions[i];
    if (action?.kind === 'signal') action.to = action.to === 'main' ? 'child' : 'main';
    return actions;
  },
  function insertAction(actions, rng, v) {
    if (actions.length >= MAX_ACTIONS) return actions;
    const action = sample(actionArbitrary(v), rng);
    actions.splice(rng.int(actions.length + 1), 0, action);
    return actions;
  },
  function deleteAction(actions, rng) {
    if (actions.length > 1) actions.splice(rng.int(actions.length), 1);
    return actions;
  },
  function swapActions(actions, rng) {
    if (actions.length < 2) return actions;
    const i = rng.int(actions.length - 1);
    [actions[i], actions[i + 1]] = [actions[i + 1]!, actions[i]!];
    return actions;
  },
  function replaceAction(actions, rng, v) {
    actions[rng.int(actions.length)] = sample(actionArbitrary(v), rng);
    return actions;
  },
  function changeWait(actions, rng) {
    const i = pickIndex(actions, rng, ['wait']);
    const action = actions[i];
    if (action?.kind === 'wait') action.ms = rng.chance(0.5) ? rng.pick(WAIT_CHOICES) : rng.int(1001);
    return actions;
  },
  // the embedded input of another channel, varied by that channel's own mutator
  function mutatePeerInput(actions, rng, v, other) {
    const i = pickIndex(actions, rng, ['peer', 'during']);
    const action = actions[i];
    if (action?.kind !== 'peer' && action?.kind !== 'during') return actions;
    const peer = v.peers.get(action.strategy);
    if (!peer) return actions;
    const donor = other?.actions.find((a) => (a.kind === 'peer' || a.kind === 'during') && a.strategy === action.strategy) as { input: unknown } | undefined;
    action.input = peer.mutate(action.input, rng, donor?.input);
    return actions;
  },
  // a fresh input of a peer channel, or the one `other` carries
  function replacePeerInput(actions, rng, v, other) {
    const donors = (other?.actions ?? []).filter((a) => a.kind === 'peer');
    const i = pickIndex(actions, rng, ['peer']);
    if (donors.length > 0 && rng.chance(0.5)) {
      const donor = structuredClone(rng.pick(donors));
      if (i >= 0) actions[i] = donor;
      else if (actions.length < MAX_ACTIONS) actions.push(donor);
      return actions;
    }
    const fresh = peerActionArbitrary(v);
    if (!fresh) return actions;
    if (i >= 0) actions[i] = sample(fresh, rng);
    else if (actions.length < MAX_ACTIONS) actions.push(sample(fresh, rng));
    return actions;
  },
  // keep the connection of an HTTP input open while something happens, or close it again
  function toggleDuring(actions, rng, v) {
    const i = pickIndex(actions, rng, ['peer', 'during']);
    const action = actions[i];
    if (action?.kind === 'during') {
      actions.splice(i, 1, { kind: 'peer', strategy: action.strategy, input: action.input }, ...action.actions.slice(0, MAX_ACTIONS - actions.length));
    } else if (action?.kind === 'peer' && action.strategy === KEEP_ALIVE_PEER) {
      actions[i] = { kind: 'during', strategy: KEEP_ALIVE_PEER, input: action.input, actions: [sample(simpleActionArbitrary(v, true), rng)] };
    }
    return actions;
  },
  function mutateDuringActions(actions, rng, v) {
    const i = pickIndex(actions, rng, ['during']);
    const action = actions[i];
    if (action?.kind !== 'during') return actions;
    const inner = action.actions;
    const choice = rng.int(3);
    if (choice === 0 && inner.length < MAX_DURING_ACTIONS) inner.splice(rng.int(inner.length + 1), 0, sample(simpleActionArbitrary(v, true), rng));
    else if (choice === 1 && inner.length > 1) inner.splice(rng.int(inner.length), 1);
    else inner[rng.int(inner.length)] = sample(simpleActionArbitrary(v, true), rng);
    return actions;
  },
  // the first actions of this input, then the last ones of another
  function splice(actions, rng, _v, other) {
    if (!other || other.actions.length === 0) return actions;
    const head = actions.slice(0, 1 + rng.int(actions.length));
    const tail = structuredClone(other.actions.slice(rng.int(other.actions.length)));
    return [...head, ...tail].slice(0, MAX_ACTIONS);
  },
];

/**
 * Keeps a mutant inside what the channel may send: signals `--signals` leaves out are
 * swapped for allowed ones (or dropped), `kill-worker` only when KILL is allowed,
 * nothing after the action that ends the target, at most MAX_ACTIONS.
 */
export function sanitize(actions: Action[], rng: Rng, v: Vocabulary): Action[] {
  const allowedSimple = (a: SimpleAction): SimpleAction | undefined => {
    if (a.kind === 'kill-worker' && !v.killWorker) return undefined;
    if (a.kind === 'signal' && !v.signals.includes(a.signal)) return v.signals.length > 0 ? { ...a, signal: rng.pick(v.signals) } : undefined;
    return a;
  };
  const out: Action[] = [];
  for (const a of actions) {
    if (a.kind === 'during') {
      const inner = a.actions
        .map(allowedSimple)
        .filter((x): x is SimpleAction => x !== undefined)
        .map((x) => (x.kind === 'signal' ? { ...x, to: 'main' as const } : x))
        .filter((x) => x.kind !== 'kill-worker')
        .slice(0, MAX_DURING_ACTIONS);
      out.push(inner.length > 0 ? { ...a, actions: truncateAfterExit(inner) } : { kind: 'peer', strategy: a.strategy, input: a.input });
    } else if (a.kind === 'peer' || a.kind === 'port-taken-restart') {
      out.push(a);
    } else {
      const kept = allowedSimple(a);
      if (kept) out.push(kept);
    }
  }
  return truncateAfterExit(out).slice(0, MAX_ACTIONS);
}
