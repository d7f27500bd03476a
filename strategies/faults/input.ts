import type { Fault, Strategy } from '../../src/strategy.js';
import { isKnownSyscall } from '../../src/syscalls/table.js';
import { FAULT_ERRNOS, isFaultErrno } from './errnos.js';

/**
 * The input model of the faults channel: restart the target with a few syscall
 * failures injected (its start-up then runs under them), then, optionally, deliver
 * an input of another channel to the restarted target.
 */
export interface FaultsInput {
  /** 1, rarely 2; at most one fault per syscall (strace keeps one injection per syscall) */
  faults: Fault[];
  /** an input of another enabled channel, delivered once the target is up again */
  then?: { strategy: string; input: unknown };
}

export const STRATEGY_NAME = 'faults';
export const MAX_FAULTS = 3;
/** strace's `when=` counter is 16 bits */
export const MAX_WHEN = 65535;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

export function validateFault(raw: unknown, where: string): Fault {
  if (!isRecord(raw)) throw new Error(`${where}: a fault is an object {syscall, errno, when, andLater}`);
  onlyKeys(raw, ['syscall', 'errno', 'when', 'andLater'], where);
  const { syscall, errno, when, andLater } = raw;
  if (typeof syscall !== 'string' || !isKnownSyscall(syscall, 'x86_64')) {
    throw new Error(`${where}: syscall ${JSON.stringify(syscall)} is not an x86_64 syscall`);
  }
  if (!isFaultErrno(errno)) throw new Error(`${where}: errno ${JSON.stringify(errno)} is not one of ${FAULT_ERRNOS.join(', ')}`);
  if (typeof when !== 'number' || !Number.isInteger(when) || when < 1 || when > MAX_WHEN) {
    throw new Error(`${where}: when must be an integer from 1 to ${MAX_WHEN}, not ${JSON.stringify(when)}`);
  }
  if (typeof andLater !== 'boolean') throw new Error(`${where}: andLater must be true or false`);
  return { syscall, errno, when, andLater };
}

/**
 * Checks a value read back from a corpus file; returns a clean copy or throws saying
 * what is wrong. A `then` of an enabled channel is checked by that channel's own
 * validate; one of a channel not enabled now is kept as it is (deliver skips it).
 */
export function validateFaultsInput(raw: unknown, peers: readonly Strategy[]): FaultsInput {
  if (!isRecord(raw) || !Array.isArray(raw.faults)) throw new Error('a faults input is an object with a "faults" array');
  onlyKeys(raw, ['faults', 'then'], 'faults input');
  const list = raw.faults;
  if (list.length === 0 || list.length > MAX_FAULTS) throw new Error(`a faults input has 1 to ${MAX_FAULTS} faults, not ${list.length}`);
  const faults = list.map((f, i) => validateFault(f, `faults[${i}]`));
  const names = new Set(faults.map((f) => f.syscall));
  if (names.size !== faults.length) throw new Error('faults: at most one fault per syscall (strace keeps one injection per syscall)');
  const input: FaultsInput = { faults };
  if (raw.then === undefined) return input;
  const then = raw.then;
  if (!isRecord(then)) throw new Error('then: an object {strategy, input}');
  onlyKeys(then, ['strategy', 'input'], 'then');
  if (typeof then.strategy !== 'string' || then.strategy === '') throw new Error('then.strategy: the name of another channel');
  if (then.strategy === STRATEGY_NAME) throw new Error('then.strategy: a faults input cannot carry another faults input');
  if (!('input' in then) || then.input === undefined) throw new Error('then.input is missing');
  const peer = peers.find((p) => p.name === then.strategy);
  let inner: unknown;
  try {
    inner = peer ? peer.validate(then.input) : structuredClone(then.input);
  } catch (err) {
    throw new Error(`then.input (${then.strategy}): ${(err as Error).message}`);
  }
  input.then = { strategy: then.strategy, input: inner };
  return input;
}

const ordinal = (n: number): string => {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
};

/** `clone3 ENOSYS`, `read EINTR 3rd+` (the 3rd call and every later one). */
export function describeFault(f: Fault): string {
  const when = f.when === 1 && f.andLater ? ' always' : f.when === 1 ? '' : ` ${ordinal(f.when)}`;
  return `${f.syscall} ${f.errno}${when}${f.andLater && f.when > 1 ? '+' : ''}`;
}

/** One line for humans: `clone3 ENOSYS always, then http: GET /spawn, 1 hdrs`. */
export function describeFaultsInput(input: FaultsInput, peers: readonly Strategy[]): string {
  const faults = input.faults.map(describeFault).join(' + ');
  if (!input.then) return faults;
  const peer = peers.find((p) => p.name === input.then?.strategy);
  let inner = '?';
  try {
    inner = peer ? peer.describe(input.then.input) : '(not enabled)';
  } catch {
    // a peer that cannot describe it still should not break the progress line
  }
  return `${faults}, then ${input.then.strategy}: ${inner}`;
}
