/**
 * Corpus minimisation as set cover: keep the fewest entries whose features together
 * cover every feature any entry covers. Exact set cover is NP-hard; the greedy
 * choice (most uncovered features first, the smaller input on ties) is within a
 * ln(n) factor of the optimum and is what afl-cmin does.
 */
export interface CoverItem<T> {
  item: T;
  features: readonly string[];
  /** tie-breaker: smaller is better (e.g. serialized input size) */
  size: number;
}

export function greedyCover<T>(items: readonly CoverItem<T>[]): CoverItem<T>[] {
  const uncovered = new Set<string>();
  for (const it of items) for (const f of it.features) uncovered.add(f);
  const chosen: CoverItem<T>[] = [];
  const remaining = items.map((it, index) => ({ it, index }));
  while (uncovered.size > 0) {
    let best: { it: CoverItem<T>; index: number } | undefined;
    let bestGain = 0;
    for (const cand of remaining) {
      let gain = 0;
      for (const f of new Set(cand.it.features)) if (uncovered.has(f)) gain += 1;
      if (gain > bestGain || (gain === bestGain && gain > 0 && best && cand.it.size < best.it.size)) {
        best = cand;
        bestGain = gain;
      }
    }
    if (!best) break;
    chosen.push(best.it);
    for (const f of best.it.features) uncovered.delete(f);
    remaining.splice(remaining.indexOf(best), 1);
  }
  // Keep the original order: state built by an earlier input may matter to a later one.
  return chosen.sort((a, b) => items.indexOf(a) - items.indexOf(b));
}
