import { canonicalSyscallName, type Arch } from '../syscalls/table.js';
import type { TraceEvent } from '../trace/events.js';
import { featuresOf, isSecondaryFeature, type Feature } from './features.js';

export interface FeatureOptions {
  argFeatures: boolean;
  arch: Arch;
}

/** A syscall the tracer failed on purpose: the emulated profile denied it. */
export interface DeniedCall {
  syscall: string;
  errno: string;
  pid: number;
}

/**
 * The observer of one execution: turns the trace events that arrived while it was
 * open into a set of features, and notes injected failures (denials under `verify`).
 */
export class Observation {
  readonly features = new Set<Feature>();
  readonly denied: DeniedCall[] = [];
  events = 0;
  /** events on syscalls that were already excluded-worthy: what a new epoch would save */
  redundant = 0;

  constructor(
    private readonly options: FeatureOptions,
    private readonly isRedundant: (syscall: string) => boolean = () => false,
  ) {}

  add(event: TraceEvent): void {
    if (event.kind !== 'syscall' && event.kind !== 'resumed') return;
    this.events += 1;
    const name = canonicalSyscallName(event.name, this.options.arch);
    if (event.injected) this.denied.push({ syscall: name, errno: event.errno ?? '?', pid: event.pid });
    if (event.kind === 'syscall' && this.isRedundant(name)) this.redundant += 1;
    for (const f of featuresOf(event, this.options)) this.features.add(f);
  }

  /** States the strategy saw (`@exit:1`): features too, but never syscalls. */
  addSecondary(features: readonly Feature[]): void {
    for (const f of features) {
      if (!isSecondaryFeature(f)) throw new Error(`secondary feature '${f}' must start with '@'`);
      this.features.add(f);
    }
  }

  get isEmpty(): boolean {
    return this.events === 0;
  }
}
