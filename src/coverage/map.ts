import type { Feature } from './features.js';
import { isSecondaryFeature, isSyscallFeature, neededSyscall } from './features.js';
import { saturation, type Saturation } from './saturation.js';

/** What the map knows of one feature. */
export interface FeatureRecord {
  /** ordinary executions in which the feature was observed (exact while < EXCLUDE_AT; see below) */
  count: number;
  /** executions under injected faults in which it was observed; a feature with count 0 is needed only on an error path */
  faultCount?: number;
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
  faultExecutions = 0;

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

  /**
   * Records an execution that ran with injected faults. It samples another
   * distribution than ordinary executions, so it adds nothing to their incidence
   * counts (the saturation estimate) and never makes a syscall excludable.
   */
  observeUnderFault(features: Iterable<Feature>, exec: { index: number; atMs: number; strategy: string }, newExecution = true): Feature[] {
    if (newExecution) this.faultExecutions += 1;
    const fresh: Feature[] = [];
    for (const f of features) {
      const rec = this.features.get(f);
      if (rec) rec.faultCount = (rec.faultCount ?? 0) + 1;
      else {
        this.features.set(f, { count: 0, faultCount: 1, firstExec: exec.index, firstAtMs: exec.atMs, strategy: exec.strategy });
        fresh.push(f);
      }
    }
    return fresh;
  }

  /** Syscalls seen only in executions with injected faults: allowed because an error path needs them. */
  errorPathOnlySyscalls(): string[] {
    const normal = new Set<string>();
    const faulty = new Set<string>();
    for (const [f, rec] of this.features) {
      const name = neededSyscall(f); // cause and secondary features name no need
      if (name !== undefined) (rec.count > 0 ? normal : faulty).add(name);
    }
    return [...faulty].filter((s) => !normal.has(s)).sort();
  }

  /** Cause features (`clone3!ENOSYS->clone`) seen so far. */
  causes(): { syscall: string; errno: string; found: string }[] {
    const out: { syscall: string; errno: string; found: string }[] = [];
    for (const f of this.features.keys()) {
      const m = /^([^!:]+)!([A-Z0-9]+)->(.+)$/.exec(f);
      if (m) out.push({ syscall: m[1] as string, errno: m[2] as string, found: m[3] as string });
    }
    return out.sort((a, b) => `${a.syscall}${a.found}`.localeCompare(`${b.syscall}${b.found}`));
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

  /** In how many ordinary (fault-free) executions the feature was seen; 0 when never. */
  ordinaryCount(feature: Feature): number {
    return this.features.get(feature)?.count ?? 0;
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

  /** Syscall names seen (from plain and argument features alike; cause and secondary features add nothing). */
  syscalls(): string[] {
    const names = new Set<string>();
    for (const f of this.features.keys()) {
      const name = neededSyscall(f);
      if (name !== undefined) names.add(name);
    }
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

  /**
   * The estimate of what is still missing, over the features that say what the profile
   * needs (syscalls and argument classes). Secondary features steer the search but are
   * not what saturates: a program's error messages can outnumber its syscalls tenfold.
   */
  saturation(): Saturation {
    const counts: number[] = [];
    for (const [f, r] of this.features) if (!isSecondaryFeature(f)) counts.push(r.count);
    return saturation(this.executions, counts);
  }

  toJSON(): { executions: number; faultExecutions: number; features: Record<Feature, FeatureRecord> } {
    const features: Record<Feature, FeatureRecord> = {};
    for (const f of [...this.features.keys()].sort()) features[f] = this.features.get(f) as FeatureRecord;
    return { executions: this.executions, faultExecutions: this.faultExecutions, features };
  }

  static fromJSON(
    data: { executions: number; faultExecutions?: number; features: Record<Feature, FeatureRecord> },
    traceAlways: ReadonlySet<string>,
  ): CoverageMap {
    const map = new CoverageMap(traceAlways);
    map.executions = data.executions;
    map.faultExecutions = data.faultExecutions ?? 0;
    for (const [f, rec] of Object.entries(data.features)) map.features.set(f, { ...rec });
    return map;
  }
}
