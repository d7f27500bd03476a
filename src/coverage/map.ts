import type { Feature } from './features.js';
import { isSyscallFeature, syscallOfFeature } from './features.js';
import { saturation, type Saturation } from './saturation.js';

/** What the map knows of one feature. */
export interface FeatureRecord {
  /** executions in which the feature was observed (exact while < EXCLUDE_AT; see below) */
  count: number;
  /** the corpus entry that found it first (set once the entry is saved) */
  firstEntry?: string;
  /** index of the execution that found it first */
  firstExec: number;
  /** milliseconds since the start of the run (summed over resumed runs) */
  firstAtMs: number;
  strategy: string;
}

/**
 * Stop tracing a syscall once it was seen in this many executions. The saturation
 * estimate needs exact counts only for features seen once or twice (Q1, Q2): a
 * feature counted 3 times can be excluded from tracing at the next epoch without
 * losing anything the estimator uses. Rare syscalls stay traced, and being rare they
 * cost little; frequent ones are excluded after three executions.
 */
export const EXCLUDE_AT = 3;

/** The global coverage map: every feature seen in the run, with incidence counts. */
export class CoverageMap {
  private readonly features = new Map<Feature, FeatureRecord>();
  executions = 0;

  constructor(private readonly traceAlways: ReadonlySet<string>) {}

  /**
   * Records one execution's features; returns those seen for the first time.
   * `features` must hold each feature once.
   */
  observe(features: Iterable<Feature>, exec: { index: number; atMs: number; strategy: string }): Feature[] {
    this.executions += 1;
    const fresh: Feature[] = [];
    for (const f of features) {
      const rec = this.features.get(f);
      if (rec) rec.count += 1;
      else {
        this.features.set(f, { count: 1, firstExec: exec.index, firstAtMs: exec.atMs, strategy: exec.strategy });
        fresh.push(f);
      }
    }
    return fresh;
  }

  /** Features that arrived after their execution had been closed (late stragglers). */
  observeLate(features: Iterable<Feature>, exec: { index: number; atMs: number; strategy: string }): Feature[] {
    const fresh: Feature[] = [];
    for (const f of features) {
      if (this.features.has(f)) continue;
      this.features.set(f, { count: 1, firstExec: exec.index, firstAtMs: exec.atMs, strategy: exec.strategy });
      fresh.push(f);
    }
    return fresh;
  }

  setFirstEntry(features: Iterable<Feature>, entryId: string): void {
    for (const f of features) {
      const rec = this.features.get(f);
      if (rec && rec.firstEntry === undefined) rec.firstEntry = entryId;
    }
  }

  has(feature: Feature): boolean {
    return this.features.has(feature);
  }

  get size(): number {
    return this.features.size;
  }

  entries(): IterableIterator<[Feature, FeatureRecord]> {
    return this.features.entries();
  }

  /** Syscall names seen (from plain and argument features alike). */
  syscalls(): string[] {
    const names = new Set<string>();
    for (const f of this.features.keys()) names.add(syscallOfFeature(f));
    return [...names].sort();
  }

  /** Syscalls the tracer may skip from the next epoch on. */
  excludable(): string[] {
    return [...this.features.keys()].filter((f) => this.isExcludable(f)).sort();
  }

  isExcludable(feature: Feature): boolean {
    const rec = this.features.get(feature);
    return rec !== undefined && rec.count >= EXCLUDE_AT && isSyscallFeature(feature) && !this.traceAlways.has(feature);
  }

  saturation(): Saturation {
    return saturation(
      this.executions,
      [...this.features.values()].map((r) => r.count),
    );
  }

  toJSON(): { executions: number; features: Record<Feature, FeatureRecord> } {
    const features: Record<Feature, FeatureRecord> = {};
    for (const f of [...this.features.keys()].sort()) features[f] = this.features.get(f) as FeatureRecord;
    return { executions: this.executions, features };
  }

  static fromJSON(
    data: { executions: number; features: Record<Feature, FeatureRecord> },
    traceAlways: ReadonlySet<string>,
  ): CoverageMap {
    const map = new CoverageMap(traceAlways);
    map.executions = data.executions;
    for (const [f, rec] of Object.entries(data.features)) map.features.set(f, { ...rec });
    return map;
  }
}
