import type { CorpusEntry, Input } from '../corpus/entry.js';
import type { InputChannel } from '../strategy.js';
import { isSecondaryFeature } from '../coverage/features.js';
import { sample, type Rng } from '../util/rng.js';

interface EntryState {
  entry: CorpusEntry;
  picked: number;
  /** features found by this entry and by inputs mutated from it */
  finds: number;
  lastFindExec: number;
}

interface StrategyState {
  strategy: InputChannel;
  runs: number;
  finds: number;
  /** exponentially decayed recent finds: energy follows what works now */
  recent: number;
}

/** A new state (`@stderr:...`) counts a quarter of a new syscall in an entry's energy. */
export function findValue(features: readonly string[]): number {
  return features.reduce((sum, f) => sum + (isSecondaryFeature(f) ? 0.25 : 1), 0);
}

/** Share of strategy choices made uniformly, whatever the energies. */
const EXPLORE_SHARE = 0.3;

export interface SchedulerOptions {
  /** share of fresh inputs from the strategy's arbitrary (the rest mutate corpus entries) */
  generateRatio: number;
  /** at most this many stacked mutations per input */
  maxStack: number;
}

/**
 * Picks the next input: queued inputs first (seeds, entries to re-run), then fresh
 * or mutated inputs. Energy goes to strategies and entries that found features
 * recently. Every choice is drawn from one Rng, so with one job the same seed gives
 * the same sequence of inputs.
 */
export class Scheduler {
  private readonly queue: Input[] = [];
  private readonly entries: EntryState[] = [];
  private readonly byId = new Map<string, EntryState>();
  private readonly strategies: StrategyState[];
  private readonly familyOf = new Map<string, string>();

  constructor(
    private readonly rng: Rng,
    strategies: readonly InputChannel[],
    private readonly options: SchedulerOptions = { generateRatio: 0.3, maxStack: 4 },
  ) {
    this.strategies = strategies.map((strategy) => ({ strategy, runs: 0, finds: 0, recent: 0 }));
    for (const st of strategies) if (st.family !== undefined) this.familyOf.set(st.name, st.family);
  }

  enqueue(...inputs: Input[]): void {
    this.queue.push(...inputs);
  }

  get queued(): number {
    return this.queue.length;
  }

  addEntry(entry: CorpusEntry, exec: number): void {
    if (this.byId.has(entry.id)) return;
    if (!this.strategies.some((s) => s.strategy.name === entry.strategy)) return;
    const state: EntryState = { entry, picked: 0, finds: findValue(entry.found), lastFindExec: exec };
    this.entries.push(state);
    this.byId.set(entry.id, state);
  }

  get corpusSize(): number {
    return this.entries.length;
  }

  /** The next input to run; `generate: false` (replay) only drains the queue. */
  next(exec: number, generate = true): Input | undefined {
    const queued = this.queue.shift();
    if (queued || !generate) return queued;
    const s = this.pickStrategy();
    s.runs += 1;
    // a channel mutates its own entries and those of its family (same input type)
    const family = s.strategy.family;
    const own = this.entries.filter((e) => e.entry.strategy === s.strategy.name || (family !== undefined && this.familyOf.get(e.entry.strategy) === family));
    if (own.length === 0 || this.rng.chance(this.options.generateRatio)) {
      return { strategy: s.strategy.name, data: sample(s.strategy.arbitrary(), this.rng), parent: null };
    }
    const parent = this.pickEntry(own, exec);
    parent.picked += 1;
    let data = parent.entry.input;
    const stack = 1 + this.rng.int(this.options.maxStack);
    for (let i = 0; i < stack; i++) {
      const other = own.length > 1 && this.rng.chance(0.2) ? this.rng.pick(own).entry.input : undefined;
      data = s.strategy.mutate(data, this.rng, other);
    }
    return { strategy: s.strategy.name, data, parent: parent.entry.id };
  }

  /**
   * Feedback: `found` new features came from `input`, at a cost in executions' worth
   * (`cost`). Energy is finds per unit of cost: a fault input restarts the target and
   * costs many requests' worth, and must not crowd out the cheap channels. The cost is
   * counted (restarts), not timed, so that the same seed still gives the same inputs.
   */
  reward(input: Input, found: number, exec: number, cost = 1): void {
    for (const s of this.strategies) s.recent *= 0.999;
    const s = this.strategies.find((x) => x.strategy.name === input.strategy);
    if (s && found > 0) {
      s.finds += found;
      s.recent += found / Math.max(1, cost);
    }
    if (found > 0 && input.parent) {
      const parent = this.byId.get(input.parent);
      if (parent) {
        parent.finds += found;
        parent.lastFindExec = exec;
      }
    }
  }

  strategyStats(): { name: string; runs: number; finds: number }[] {
    return this.strategies.map((s) => ({ name: s.strategy.name, runs: s.runs, finds: s.finds }));
  }

  private pickStrategy(): StrategyState {
    if (this.strategies.length === 1) return this.strategies[0] as StrategyState;
    // Every channel keeps a floor of turns: one that found nothing lately may be the
    // only way to a path the others cannot reach.
    if (this.rng.chance(EXPLORE_SHARE)) return this.rng.pick(this.strategies);
    const weights = this.strategies.map((s) => 1 + s.recent);
    return this.strategies[this.weighted(weights)] as StrategyState;
  }

  private pickEntry(own: EntryState[], exec: number): EntryState {
    const weights = own.map((e) => {
      const recency = 1 + 4 * Math.exp(-(exec - e.lastFindExec) / 500);
      return ((1 + e.finds) * recency) / Math.sqrt(1 + e.picked);
    });
    return own[this.weighted(weights)] as EntryState;
  }

  private weighted(weights: number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.rng.float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}
