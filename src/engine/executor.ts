import { Observation, type FeatureOptions } from '../coverage/observation.js';
import type { Input } from '../corpus/entry.js';
import { LIFECYCLE } from '../corpus/entry.js';
import type { AnyStrategy, Fault } from '../strategy.js';
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

/**
 * Delivers inputs to ONE live target instance and attributes to each input the
 * syscalls made from the start of its delivery until the target is quiet again.
 * One instance per job keeps the attribution exact.
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
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.options.execTimeoutMs);
    const instance = this.instance;
    const { handle, log } = createTargetHandle(
      instance,
      () => this.mode,
      (mode) => (this.mode = mode),
    );
    let signature: string;
    try {
      const result = await strategy.deliver(input.data, {
        get endpoint() {
          return instance.endpoint; // a restart moves the target to a new port
        },
        get endpoints() {
          return instance.endpoints;
        },
        target: handle,
        timeoutMs: this.options.execTimeoutMs,
        signal: abort.signal,
      });
      signature = result.transportError ? `error:${result.transportError}` : result.signature;
      obs.addSecondary(result.features ?? []);
    } catch (err) {
      signature = `error:${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
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
