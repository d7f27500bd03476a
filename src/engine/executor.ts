import { Observation, type FeatureOptions } from '../coverage/observation.js';
import type { Input } from '../corpus/entry.js';
import { LIFECYCLE } from '../corpus/entry.js';
import type { AnyStrategy, Fault, Strategy, TargetHandle } from '../strategy.js';
import { createTargetHandle } from './target-handle.js';
import { sleep } from '../util/duration.js';
import type { ExitInfo, TargetInstance } from '../target/instance.js';
import type { TraceMode } from '../trace/strace.js';

export type Outcome = 'ok' | 'crash' | 'hang';

export interface Execution {
  input: Input;
  /** index of this execution in the run */
  index: number;
  job: number;
  epoch: number;
  observation: Observation;
  signature: string;
  outcome: Outcome;
  exit?: ExitInfo;
  outputTail?: string;
  durationMs: number;
  /** faults injected during this execution (fault epochs only) */
  faults?: Fault[];
  /** how often the input restarted the target (fault epochs, port-taken restarts) */
  restarts?: number;
  /**
   * Set when the input ran overlapped with others: its observation holds the syscalls
   * traced between the previous completion and its own (the segment), whoever made them.
   */
  overlap?: Segment;
}

/** A stretch of an overlapped stream, in performance.now() milliseconds. */
export interface Segment {
  from: number;
  to: number;
}

/** An input that ran overlapped, and when: a candidate for what a segment's events came from. */
export interface Interval {
  input: Input;
  start: number;
  end?: number;
}

/**
 * What the campaign and the verifier drive, one per job: the server executor keeps one
 * live instance per epoch; the command executor runs the program once per input.
 */
export interface JobExecutor {
  readonly job: number;
  /** ready for run(); false before the first epoch and after the target died */
  readonly alive: boolean;
  /**
   * true when a new epoch costs nothing (commands start afresh for every input anyway):
   * the campaign then narrows the trace filter as soon as it can.
   */
  readonly cheapEpochs: boolean;
  /** the observation of the last execution opened (also when its start failed) */
  readonly lastObservation: Observation | undefined;
  /** starts an epoch under `mode`; a server's start-up is an execution of its own (a command's is not) */
  startEpoch(mode: TraceMode, index: number): Promise<Execution | undefined>;
  /** ends the epoch; a server's shutdown is an execution too */
  stopEpoch(index: number): Promise<Execution | undefined>;
  run(input: Input, index: number): Promise<Execution>;
  /** features that arrived between executions (servers only) */
  takeLate(): Observation;
  /** ends whatever runs now: SIGTERM then, after `graceMs`, SIGKILL to the whole group */
  kill(graceMs: number): Promise<void>;
  /** the target's last lines of output, for crash records */
  outputTail(): string;
  /**
   * Delivers an input of an `overlapping` channel while others may still be in flight
   * on the same instance (servers only). Quiescence is not awaited: the execution's
   * observation is its segment (see Execution.overlap).
   */
  runOverlapped?(input: Input, index: number): Promise<Execution>;
  /** the inputs whose delivery (plus the settle time after it) touched the segment, oldest first */
  candidates?(segment: Segment): Input[];
}

export interface ExecutorOptions {
  features: FeatureOptions;
  /** no trace event for this long (and every thread asleep) ends an execution */
  settleMs: number;
  /** an execution's quiet period is not awaited longer than this */
  maxSettleMs: number;
  /** a delivery that takes longer is a hang */
  execTimeoutMs: number;
  /** does a syscall no longer need tracing (it will be excluded at the next epoch)? */
  isRedundant: (syscall: string) => boolean;
}

/** Overlapping channels promise never to touch the target; this handle makes a slip loud. */
const NO_TARGET_HANDLE = new Proxy({} as TargetHandle, {
  get(_, key) {
    throw new Error(`an overlapped delivery used the target handle (${String(key)})`);
  },
});

/**
 * Delivers inputs to ONE live target instance and attributes to each input the
 * syscalls made from the start of its delivery until the target is quiet again.
 * One instance per job keeps the attribution exact. Once discovery has slowed down,
 * inputs of overlapping channels may run several at a time (runOverlapped): the
 * stream is then cut at each completion, and anything new in a cut is attributed
 * exactly by re-running its candidates alone.
 */
export class Executor implements JobExecutor {
  readonly cheapEpochs = false;
  private current: Observation;
  /** how the current epoch is traced (restarts within an execution reuse it) */
  private mode: TraceMode = { kind: 'none' };
  /** the observation of the last execution opened (also when its start failed) */
  lastObservation: Observation | undefined;
  /** events that came while no execution was open: late work of the previous one */
  private late: Observation;
  /** overlapped deliveries in flight, and the recent ones (to find a segment's candidates) */
  private intervals: Interval[] = [];
  private inflight = 0;
  /** where the current segment of the overlapped stream began */
  private segmentStart = 0;

  constructor(
    readonly job: number,
    readonly instance: TargetInstance,
    private readonly strategies: ReadonlyMap<string, AnyStrategy>,
    private readonly options: ExecutorOptions,
  ) {
    this.current = this.newObservation();
    this.late = this.newObservation();
    this.instance.onEvent = (ev) => this.current.add(ev);
    this.close();
  }

  get alive(): boolean {
    return this.instance.state === 'ready';
  }

  /** Starting the target is an execution of its own: its syscalls are coverage too. */
  async startEpoch(mode: TraceMode, index: number): Promise<Execution> {
    this.mode = mode;
    const obs = this.open();
    const t0 = performance.now();
    try {
      await this.instance.start(mode);
      await this.instance.waitQuiescent(this.options.settleMs, this.options.maxSettleMs);
    } finally {
      this.close();
    }
    return this.finish({ strategy: LIFECYCLE, data: { event: 'startup' }, parent: null }, index, obs, 'ready', t0);
  }

  /** Stopping the target (SIGTERM, then SIGKILL) is an execution too: shutdown paths need syscalls. */
  async stopEpoch(index: number): Promise<Execution> {
    const obs = this.open();
    const t0 = performance.now();
    try {
      await this.instance.stop();
    } finally {
      this.close();
    }
    const ex = this.finish({ strategy: LIFECYCLE, data: { event: 'shutdown' }, parent: null }, index, obs, 'stopped', t0);
    ex.outcome = 'ok';
    return ex;
  }

  async run(input: Input, index: number): Promise<Execution> {
    const strategy = this.strategies.get(input.strategy);
    if (!strategy || strategy.target === 'command') throw new Error(`no server strategy '${input.strategy}'`);
    const obs = this.open();
    const t0 = performance.now();
    const instance = this.instance;
    const { handle, log } = createTargetHandle(
      instance,
      () => this.mode,
      (mode) => (this.mode = mode),
    );
    const { signature, secondary, timedOut } = await this.deliver(strategy, input, handle);
    obs.addSecondary(secondary);
    if (!timedOut) await instance.waitQuiescent(this.options.settleMs, this.options.maxSettleMs);
    // A target that exited (a terminating signal, a crash) left its last lines in the
    // pipe: they belong to this input, not to the next start-up.
    if (instance.state === 'exited') await Promise.race([instance.traceDrained(), sleep(2000)]);
    // A fault epoch ends with its execution: its shutdown is part of what the fault caused,
    // and the next input must meet a target without injected failures.
    if (log.faults.length > 0 && instance.state !== 'exited') await instance.stop();
    this.close();
    const ex = this.finish(input, index, obs, signature, t0);
    if (log.faults.length > 0) ex.faults = log.faults;
    if (log.restarts > 0 || log.exitExpected) ex.restarts = log.restarts + (log.exitExpected ? 1 : 0);
    if (timedOut && ex.outcome === 'ok') ex.outcome = 'hang';
    return ex;
  }

  async runOverlapped(input: Input, index: number): Promise<Execution> {
    const strategy = this.strategies.get(input.strategy);
    if (!strategy || strategy.target === 'command' || !strategy.overlapping) throw new Error(`'${input.strategy}' cannot run overlapped`);
    if (this.inflight === 0) {
      this.open();
      this.segmentStart = performance.now();
    }
    this.inflight += 1;
    const t0 = performance.now();
    const interval: Interval = { input, start: t0 };
    this.intervals.push(interval);
    const instance = this.instance;
    const { signature, secondary, timedOut } = await this.deliver(strategy, input, NO_TARGET_HANDLE);
    interval.end = performance.now();
    this.inflight -= 1;
    // The segment since the previous completion is charged to this one; the campaign
    // re-runs the candidates alone when it holds anything new.
    const obs = this.current;
    obs.addSecondary(secondary);
    const from = this.segmentStart;
    if (this.inflight === 0) {
      // The stream ran dry: what its inputs still cause belongs to it, not to whatever
      // runs next (a restart, an input that must run alone).
      if (!timedOut) await instance.waitQuiescent(this.options.settleMs, this.options.maxSettleMs);
      if (this.current === obs) this.close();
    } else {
      this.open();
      this.segmentStart = performance.now();
    }
    const now = performance.now();
    const overlap = { from, to: now };
    this.forgetOldIntervals(now);
    const ex = this.finish(input, index, obs, signature, t0);
    ex.overlap = overlap;
    if (timedOut && ex.outcome === 'ok') ex.outcome = 'hang';
    return ex;
  }

  /** One delivery under --exec-timeout: how the target answered, and whether it ran out of time. */
  private async deliver(strategy: Strategy, input: Input, target: TargetHandle): Promise<{ signature: string; secondary: readonly string[]; timedOut: boolean }> {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.options.execTimeoutMs);
    const instance = this.instance;
    try {
      const result = await strategy.deliver(input.data, {
        get endpoint() {
          return instance.endpoint; // a restart moves the target to a new port
        },
        get endpoints() {
          return instance.endpoints;
        },
        target,
        timeoutMs: this.options.execTimeoutMs,
        signal: abort.signal,
      });
      const signature = result.transportError ? `error:${result.transportError}` : result.signature;
      return { signature, secondary: result.features ?? [], timedOut };
    } catch (err) {
      return { signature: `error:${(err as Error).message}`, secondary: [], timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  candidates(segment: Segment): Input[] {
    const lag = this.lagMs();
    return this.intervals.filter((i) => i.start <= segment.to && (i.end === undefined || i.end + lag >= segment.from)).map((i) => i.input);
  }

  /** events trail an answer by up to about the settle time (an access log written after the response) */
  private lagMs(): number {
    return Math.max(50, this.options.settleMs * 5);
  }

  private forgetOldIntervals(now: number): void {
    if (this.intervals.length <= 64) return;
    // segments start at the previous completion, so older finished inputs are never candidates
    const horizon = now - this.lagMs() - 1000;
    this.intervals = this.intervals.filter((i) => i.end === undefined || i.end >= horizon);
  }

  async kill(graceMs: number): Promise<void> {
    await this.instance.stop(graceMs);
  }

  outputTail(): string {
    return this.instance.outputTail();
  }

  /** Features that arrived between executions; the caller credits them to the previous one. */
  takeLate(): Observation {
    const late = this.late;
    this.late = this.newObservation();
    this.close();
    return late;
  }

  private open(): Observation {
    const obs = this.newObservation();
    this.current = obs;
    this.lastObservation = obs;
    return obs;
  }

  private close(): void {
    this.current = this.late;
  }

  private newObservation(): Observation {
    return new Observation(this.options.features, this.options.isRedundant);
  }

  private finish(input: Input, index: number, observation: Observation, signature: string, t0: number): Execution {
    const crashed = this.instance.crashed;
    const ex: Execution = {
      input,
      index,
      job: this.job,
      epoch: this.instance.epoch,
      observation,
      signature,
      outcome: crashed ? 'crash' : 'ok',
      durationMs: performance.now() - t0,
    };
    if (crashed) {
      ex.exit = this.instance.exit;
      ex.outputTail = this.instance.outputTail();
    }
    return ex;
  }
}
