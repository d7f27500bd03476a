import { Observation } from '../coverage/observation.js';
import type { Input } from '../corpus/entry.js';
import type { CommandTarget } from '../command/runner.js';
import type { ProcessResult } from '../command/invocation.js';
import type { AnyStrategy } from '../strategy.js';
import type { TraceMode } from '../trace/strace.js';
import type { ExecutorOptions, Execution, JobExecutor } from './executor.js';

/** Signals that mean the program failed on its own, not because it was told to stop. */
const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT', 'SIGSYS', 'SIGTRAP']);

/**
 * Runs a command-line target once per input. There is no live instance between inputs:
 * an "epoch" is just the trace filter in force, so a narrower filter costs nothing and
 * every syscall of a run belongs to its input (attribution is exact by construction).
 */
export class CommandExecutor implements JobExecutor {
  readonly cheapEpochs = true;
  lastObservation: Observation | undefined;
  private epochOpen = false;

  constructor(
    readonly job: number,
    readonly target: CommandTarget,
    private readonly strategies: ReadonlyMap<string, AnyStrategy>,
    private readonly options: ExecutorOptions,
  ) {}

  get alive(): boolean {
    return this.epochOpen;
  }

  async startEpoch(mode: TraceMode): Promise<undefined> {
    this.target.mode = mode;
    this.epochOpen = true;
    return undefined;
  }

  async stopEpoch(): Promise<undefined> {
    this.epochOpen = false;
    return undefined;
  }

  async run(input: Input, index: number): Promise<Execution> {
    const strategy = this.strategies.get(input.strategy);
    if (!strategy || strategy.target !== 'command') throw new Error(`no command strategy '${input.strategy}'`);
    const observation = new Observation(this.options.features, this.options.isRedundant);
    this.lastObservation = observation;
    this.target.onEvent = (ev) => observation.add(ev);
    this.target.last = undefined;
    const t0 = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.options.execTimeoutMs);
    let signature: string;
    try {
      const result = await strategy.deliver(input.data, { command: this.target, timeoutMs: this.options.execTimeoutMs, signal: abort.signal });
      signature = result.signature;
      observation.addSecondary(result.features ?? []);
    } catch (err) {
      signature = `error:${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
      this.target.onEvent = () => {};
    }
    const last = this.target.last as ProcessResult | undefined;
    const ex: Execution = {
      input,
      index,
      job: this.job,
      epoch: 0,
      observation,
      signature,
      outcome: 'ok',
      durationMs: performance.now() - t0,
    };
    if (last?.timedOut) ex.outcome = 'hang';
    else if (last?.signal && CRASH_SIGNALS.has(last.signal)) {
      ex.outcome = 'crash';
      ex.exit = { signal: last.signal };
      ex.outputTail = last.stderrTail;
    }
    return ex;
  }

  takeLate(): Observation {
    return new Observation(this.options.features);
  }

  async kill(): Promise<void> {
    this.target.close();
  }

  outputTail(): string {
    return this.target.last?.stderrTail ?? '';
  }
}
