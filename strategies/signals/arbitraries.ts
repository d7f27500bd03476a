import fc from 'fast-check';
import {
  KEEP_ALIVE_PEER,
  MAX_ACTIONS,
  MAX_DURING_ACTIONS,
  TERMINATING,
  type Action,
  type Peers,
  type SignalName,
  type SignalsInput,
  type SimpleAction,
} from './input.js';

/** What inputs may be made of: the signals `--signals` allows, and the enabled peer channels. */
export interface Vocabulary {
  signals: readonly SignalName[];
  /** `kill-worker` sends SIGKILL to a child: on unless `--signals` leaves KILL out */
  killWorker: boolean;
  peers: Peers;
}

const weighted = <T>(choices: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> =>
  fc.oneof(...choices.filter(([w]) => w > 0).map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** Waits long enough for timers (nginx's 100 ms between new and old workers, a keep-alive timeout) to fire. */
export const WAIT_CHOICES = [20, 100, 300, 1000] as const;

/** A signal, rerender, rotation, replacement, killed worker or wait; `during`: only what fits an open connection. */
export function simpleActionArbitrary(v: Vocabulary, during = false): fc.Arbitrary<SimpleAction> {
  const choices: [number, fc.Arbitrary<SimpleAction>][] = [
    [2, fc.constant<SimpleAction>({ kind: 'rerender' })],
    [2, fc.constant<SimpleAction>({ kind: 'rotate-logs' })],
    [1, fc.constant<SimpleAction>({ kind: 'replace-files' })],
    [1, fc.constantFrom(...WAIT_CHOICES).map((ms): SimpleAction => ({ kind: 'wait', ms }))],
  ];
  if (v.signals.length > 0) {
    const to: fc.Arbitrary<'main' | 'child'> = during ? fc.constant('main') : weighted([[4, fc.constant('main' as const)], [1, fc.constant('child' as const)]]);
    choices.push([7, fc.record({ kind: fc.constant('signal' as const), signal: fc.constantFrom(...v.signals), to })]);
  }
  if (v.killWorker && !during) choices.push([1, fc.constant<SimpleAction>({ kind: 'kill-worker' })]);
  return weighted(choices);
}

/** An input of one of the enabled request channels, from that channel's own arbitrary. */
export function peerActionArbitrary(v: Vocabulary): fc.Arbitrary<Action> | undefined {
  const names = v.peers.names();
  if (names.length === 0) return undefined;
  return fc.constantFrom(...names).chain((name) =>
    v.peers.get(name)!.arbitrary().map((input): Action => ({ kind: 'peer', strategy: name, input })),
  );
}

export function duringActionArbitrary(v: Vocabulary): fc.Arbitrary<Action> | undefined {
  const http = v.peers.get(KEEP_ALIVE_PEER);
  if (!http) return undefined;
  return fc
    .tuple(http.arbitrary(), fc.array(simpleActionArbitrary(v, true), { minLength: 1, maxLength: MAX_DURING_ACTIONS }))
    .map(([input, actions]): Action => ({ kind: 'during', strategy: KEEP_ALIVE_PEER, input, actions: truncateAfterExit(actions) }));
}

export function actionArbitrary(v: Vocabulary): fc.Arbitrary<Action> {
  const peer = peerActionArbitrary(v);
  const during = duringActionArbitrary(v);
  const choices: [number, fc.Arbitrary<Action>][] = [
    [12, simpleActionArbitrary(v)],
    [1, fc.constant<Action>({ kind: 'port-taken-restart' })],
  ];
  if (peer) choices.push([5, peer]);
  if (during) choices.push([2, during]);
  return weighted(choices);
}

/**
 * The lifecycle moves that matter in production, each followed by a request that shows
 * whether the target still serves: a reload with a changed configuration, a log rotation.
 */
function recipeArbitrary(v: Vocabulary): fc.Arbitrary<Action[]> | undefined {
  const peer = peerActionArbitrary(v);
  const recipes: [SimpleAction, SignalName][] = [
    [{ kind: 'rerender' }, 'SIGHUP'],
    [{ kind: 'rotate-logs' }, 'SIGUSR1'],
    [{ kind: 'replace-files' }, 'SIGHUP'],
  ];
  const usable = recipes.filter(([, signal]) => v.signals.includes(signal));
  if (usable.length === 0) return undefined;
  const recipe = fc.constantFrom(...usable).map(([before, signal]): Action[] => [before, { kind: 'signal', signal, to: 'main' }]);
  if (!peer) return recipe;
  return fc.tuple(recipe, fc.option(peer, { nil: undefined })).map(([steps, probe]) => (probe ? [...steps, probe] : steps));
}

/** Fresh inputs: 1 to 4 actions, nothing after a signal that ends the target. */
export function signalsInputArbitrary(v: Vocabulary): fc.Arbitrary<SignalsInput> {
  const sequence = fc.array(actionArbitrary(v), { minLength: 1, maxLength: MAX_ACTIONS });
  const recipe = recipeArbitrary(v);
  const actions = recipe ? weighted([[4, sequence], [1, recipe]]) : sequence;
  return actions.map((list) => ({ actions: truncateAfterExit(list) }));
}

/** Does this action end the target (a terminating signal to its main process)? */
export function endsTarget(action: Action): boolean {
  if (action.kind === 'signal') return action.to === 'main' && TERMINATING.has(action.signal);
  if (action.kind === 'during') return action.actions.some(endsTarget);
  return false;
}

/** Actions after the one that ends the target would meet no target: drop them. */
export function truncateAfterExit<A extends Action>(actions: A[]): A[] {
  const end = actions.findIndex(endsTarget);
  return end < 0 ? actions : actions.slice(0, end + 1);
}
