import fc from 'fast-check';
import type { Rng } from '../../src/util/rng.js';
import { readAflDicts } from './afl-dict.js';
import { mineCommand } from './mine.js';
import type { SessionInput } from './session.js';

/**
 * The tokens the mutators insert and the generator builds messages from, in tiers by
 * where they come from. Every token is a byte string (latin1): a --dict entry may hold
 * any byte.
 */

export type Tier = 'user' | 'program' | 'seeds' | 'libraries';
/** the sweep's order: the user's words first, then the program's, the seeds', the libraries' */
export const TIERS: readonly Tier[] = ['user', 'program', 'seeds', 'libraries'];
/** how often a random pick comes from each tier (when it has tokens) */
const TIER_WEIGHTS: Record<Tier, number> = { user: 4, program: 4, seeds: 3, libraries: 1 };

/** seed words longer than this are data, not keywords */
const MAX_SEED_TOKEN = 32;

export class Dictionary {
  private readonly byTier = new Map<Tier, readonly string[]>();
  private readonly ordered: readonly string[];

  constructor(tokens: Partial<Record<Tier, readonly string[]>> = {}) {
    const seen = new Set<string>();
    for (const tier of TIERS) {
      const fresh = (tokens[tier] ?? []).filter((t) => t !== '' && !seen.has(t) && seen.add(t));
      if (fresh.length > 0) this.byTier.set(tier, fresh);
    }
    this.ordered = TIERS.flatMap((t) => this.byTier.get(t) ?? []);
  }

  get size(): number {
    return this.ordered.length;
  }

  tier(tier: Tier): readonly string[] {
    return this.byTier.get(tier) ?? [];
  }

  /** Every token, best first: the order the sweep tries them in. */
  all(): readonly string[] {
    return this.ordered;
  }

  /** A token drawn by tier weight, then uniformly within the tier; undefined when empty. */
  pick(rng: Rng): string | undefined {
    const tiers = [...this.byTier.entries()];
    if (tiers.length === 0) return undefined;
    const total = tiers.reduce((sum, [t]) => sum + TIER_WEIGHTS[t], 0);
    let r = rng.float() * total;
    for (const [tier, list] of tiers) {
      r -= TIER_WEIGHTS[tier];
      if (r < 0) return rng.pick(list);
    }
    return rng.pick(tiers.at(-1)![1]);
  }

  /** The same distribution as `pick`, as a fast-check arbitrary; undefined when empty. */
  arbitrary(): fc.Arbitrary<string> | undefined {
    const tiers = [...this.byTier.entries()];
    if (tiers.length === 0) return undefined;
    return fc.oneof(...tiers.map(([tier, list]) => ({ arbitrary: fc.constantFrom(...list), weight: TIER_WEIGHTS[tier] })));
  }
}

/** at most this many command words of the seeds get a second-word sweep */
export const MAX_SEED_COMMANDS = 16;

/** The words of the seed sessions: the first word of every line (a text protocol's command), and the others. */
function seedWords(sessions: readonly SessionInput[]): { commands: string[]; others: string[] } {
  const commands: string[] = [];
  const others: string[] = [];
  for (const session of sessions) {
    for (const message of session.messages) {
      for (const line of message.data.split('\n')) {
        line
          .split(/[\s\x00]+/)
          .filter((w) => w.length >= 2 && w.length <= MAX_SEED_TOKEN && /^[\x21-\x7e]+$/.test(w) && !/^-?\d+$/.test(w))
          .forEach((w, i) => (i === 0 && /^\S/.test(line) ? commands : others).push(w));
      }
    }
  }
  return { commands: [...new Set(commands)], others: [...new Set(others)] };
}

/** Words of the seed sessions, the commands first; numbers are left to the numeric mutations. */
export function seedTokens(sessions: readonly SessionInput[]): string[] {
  const { commands, others } = seedWords(sessions);
  return [...new Set([...commands, ...others])];
}

/** The first words of the seeds' lines: the commands a second word is tried after. */
export function seedCommands(sessions: readonly SessionInput[]): string[] {
  return seedWords(sessions).commands.slice(0, MAX_SEED_COMMANDS);
}

/**
 * The line ending the seeds use (`\r\n`, `\n`), `` when their messages do not end in one
 * (a binary protocol); `\r\n` without seeds, which most text protocols accept.
 */
export function lineEndingOf(sessions: readonly SessionInput[]): string {
  let crlf = 0;
  let lf = 0;
  let none = 0;
  for (const m of sessions.flatMap((s) => s.messages)) {
    if (m.data.endsWith('\r\n')) crlf += 1;
    else if (m.data.endsWith('\n')) lf += 1;
    else none += 1;
  }
  if (crlf + lf + none === 0) return '\r\n';
  if (none > crlf + lf) return '';
  return crlf >= lf ? '\r\n' : '\n';
}

/**
 * The binary header every seed message starts with, when they all have one of the same
 * length (memcached's 8-byte UDP frame header): messages the sweep and the generator
 * build from words get it too, or the server would drop them unread. Empty otherwise.
 */
export function framePrefixOf(sessions: readonly SessionInput[]): string {
  const messages = sessions.flatMap((s) => s.messages.map((m) => m.data));
  const prefixes = messages.map((data) => /^[^\x20-\x7e]*/.exec(data)![0]);
  const length = prefixes[0]?.length ?? 0;
  if (length === 0 || length === messages[0]!.length || prefixes.some((p) => p.length !== length)) return '';
  return prefixes[0]!;
}

export interface DictionaryOptions {
  /** false (`--no-dict`): no tokens at all, not even the seeds' */
  enabled: boolean;
  /** the target's argv (placeholders unrendered): the program to mine */
  command?: readonly string[];
  /** `--dict FILE`: AFL dictionaries */
  dictFiles: readonly string[];
  seeds: readonly SessionInput[];
  warn: (message: string) => void;
}

export function buildDictionary(o: DictionaryOptions): Dictionary {
  if (!o.enabled) return new Dictionary();
  // the user's files first: one that cannot be read stops the run before the slow part
  const user = readAflDicts(o.dictFiles, o.warn);
  const mined = o.command && o.command.length > 0 ? mineCommand(o.command, o.warn) : { program: [], libraries: [] };
  return new Dictionary({
    user,
    program: mined.program,
    seeds: seedTokens(o.seeds),
    libraries: mined.libraries,
  });
}
