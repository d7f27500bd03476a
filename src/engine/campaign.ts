import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PQueue from 'p-queue';
import { CoverageMap, type FeatureRecord } from '../coverage/map.js';
import type { Observation } from '../coverage/observation.js';
import type { Saturation } from '../coverage/saturation.js';
import { CorpusDir } from '../corpus/corpus.js';
import { ENTRY_FORMAT, CRASH_FORMAT, LIFECYCLE, inputId, type CorpusEntry, type Input } from '../corpus/entry.js';
import { dataError, UserError } from '../errors.js';
import type { AnyStrategy } from '../strategy.js';
import { traceAlwaysSet } from '../coverage/trace-always.js';
import { isSecondaryFeature, neededSyscall, syscallOfFeature } from '../coverage/features.js';
import { KNOWN_FALLBACKS } from '../profile/fallbacks.js';
import type { Arch } from '../syscalls/table.js';
import type { TargetSpec } from '../target/spec.js';
import type { TraceMode } from '../trace/strace.js';
import { writeJsonAtomically } from '../util/atomic.js';
import { createRng } from '../util/rng.js';
import type { Execution, JobExecutor, Segment } from './executor.js';
import { createExecutor } from './create-executor.js';
import { findValue, Scheduler } from './scheduler.js';
import { stopReason, type StopReason, type StopRuleOptions } from './stop-rule.js';

export const COVERAGE_FORMAT = 'seccomplete-coverage/1';

/** What `coverage.json` holds: enough to re-emit profiles and to resume. */
export interface CoverageFile {
  format: typeof COVERAGE_FORMAT;
  arch: Arch;
  argFeatures: boolean;
  command: string[];
  executions: number;
  /** executions that ran with injected faults (not part of the saturation estimate) */
  faultExecutions?: number;
  epochs: number;
  elapsedMs: number;
  syscalls: string[];
  /** syscalls seen only under injected faults: allowed because an error path needs them */
  errorPathOnly?: string[];
  /** what appeared because of which fault: `clone3!ENOSYS->clone` */
  causes?: { syscall: string; errno: string; found: string }[];
  features: Record<string, FeatureRecord>;
  strategies: { name: string; runs: number; finds: number }[];
}

export interface CampaignOptions {
  target: TargetSpec;
  strategies: AnyStrategy[];
  jobs: number;
  seed: number;
  outDir: string;
  corpusDir: string;
  stop: StopRuleOptions;
  arch: Arch;
  argFeatures: boolean;
  stracePath: string;
  settleMs: number;
  maxSettleMs: number;
  execTimeoutMs: number;
  /**
   * How many inputs of overlapping channels (http, tcp...) one job may keep in flight
   * once discovery has slowed down; 1 runs every input alone (and keeps --seed runs
   * reproducible to the end).
   */
  inflight: number;
  /** executions in a row without a new syscall before inputs overlap (OVERLAP_AFTER_QUIET_EXECS) */
  overlapAfter?: number;
  /** how each job's executor is made (tests put a scripted target behind the real executor) */
  createExecutor?: typeof createExecutor;
  /** replay: run these inputs and nothing else */
  replay?: Input[];
  /** trace every syscall in every execution (minimisation needs full feature sets) */
  fullTrace?: boolean;
  /** resume from coverage.json in outDir when present */
  resume: boolean;
  /** write every input's id to this file (determinism checks, debugging) */
  logInputs?: string;
  /** called about every 250 ms with the current state */
  onProgress?: (p: Progress) => void;
  /** warnings (corrupt corpus entries...) */
  warn: (message: string) => void;
  /** shared with the strategies: the campaign tells them which syscalls it has seen */
  knowledge?: { setSyscalls(source: () => readonly string[]): void };
}

export interface Progress {
  elapsedMs: number;
  executions: number;
  execsPerSec: number;
  features: number;
  syscalls: number;
  corpus: number;
  crashes: number;
  hangs: number;
  epochs: number;
  msSinceLastFind: number;
  lastFind: string | undefined;
  saturation: Saturation;
  /** per strategy: inputs the scheduler made for it and features they found first (the live panel) */
  strategies?: { name: string; runs: number; finds: number }[];
}

export interface CampaignResult {
  reason: StopReason;
  coverage: CoverageFile;
  progress: Progress;
  /** features of every execution, in order (only with fullTrace) */
  perExecution?: { input: Input; features: string[] }[];
  crashFiles: string[];
}

/** Epoch policy: restart into a narrower filter once this much tracing is wasted... */
const RESTART_AFTER_REDUNDANT_EVENTS = 200;
/** ...or this many executions ran with a stale filter... */
const RESTART_AFTER_STALE_EXECS = 100;
/** ...and in any case now and then, so that once-per-process paths are counted again. */
const MAX_EPOCH_EXECS = 2000;
/** ...but not more often than this: overlapped inputs run 2000 executions in a few seconds, and a restart costs one or two. */
const MIN_EPOCH_MS = 30_000;
/** What one restart inside an execution costs, in executions' worth, for the scheduler's energy. */
const RESTART_COST = 4;
/** A target that fails to start this many times in a row ends the run. */
const MAX_START_FAILURES = 3;
/**
 * Inputs overlap only after this many executions in a row found no new syscall: while
 * discovery is brisk, every find would cost re-running its candidates alone anyway.
 */
export const OVERLAP_AFTER_QUIET_EXECS = 150;

/**
 * What an overlapped stream showed that needs an exact owner: syscalls nobody had seen,
 * or a crash or hang. The candidates are re-run alone, oldest first, until each is
 * reproduced; what none reproduces goes to `fallback`, the execution it was charged to.
 */
interface Reattribution {
  features: Set<string>;
  failure: Execution | undefined;
  queue: Input[];
  fallback: Execution;
}

interface JobState {
  executor: JobExecutor;
  excluded: Set<string>;
  epochExecs: number;
  epochStartedAt: number;
  epochRedundant: number;
  lastExecution: Execution | undefined;
  startFailures: number;
  /** executions and start-ups running on this job now (several only when overlapped) */
  busy: number;
  /** whether the executions in flight are overlapped ones */
  overlapping: boolean;
  /** an input that must run alone, waiting for the overlapped ones to finish */
  held: Input | undefined;
  reattribution: Reattribution | undefined;
}

/** One unit of work for the loop: run it, then look for more. */
type Work = () => Promise<void>;

/**
 * One fuzzing (or replay) campaign: the stage that ties executors, observers,
 * feedback, corpus, scheduler and stop rule together.
 */
export class Campaign {
  private coverage: CoverageMap;
  private readonly corpus: CorpusDir;
  private readonly scheduler: Scheduler;
  private readonly strategyByName: Map<string, AnyStrategy>;
  private readonly entries = new Map<string, CorpusEntry>();
  private readonly crashFiles: string[] = [];
  private excludableNow = new Set<string>();
  private jobs: JobState[] = [];
  private execIndex = 0;
  private epochs = 0;
  private crashes = 0;
  private hangs = 0;
  private startedAt = 0;
  private priorElapsedMs = 0;
  private lastFindAt = 0;
  /** executions (ordinary and under faults) when the last find came */
  private lastFindExecs = 0;
  /** executions (ordinary and fault) when the last new syscall or argument class was found */
  private lastSyscallFindExecs = 0;
  private lastFind: string | undefined;
  private stopping: StopReason | undefined;
  private fatal: unknown;
  private perExecution: { input: Input; features: string[] }[] = [];
  private runDir = '';
  private lastStatsAt = 0;
  private lastStatsExecs = 0;
  private speed = 0;

  constructor(private readonly options: CampaignOptions) {
    this.coverage = new CoverageMap(traceAlwaysSet(options.argFeatures));
    this.corpus = new CorpusDir(options.corpusDir);
    this.scheduler = new Scheduler(createRng(options.seed), options.strategies);
    this.strategyByName = new Map(options.strategies.map((s) => [s.name, s]));
    options.knowledge?.setSyscalls(() => this.coverage.syscalls());
  }

  /** Asks the campaign to stop after the executions in flight (Ctrl-C). */
  interrupt(): void {
    this.stopping ??= 'interrupted';
  }

  /** Ends every target at once (second Ctrl-C). */
  async kill(): Promise<void> {
    await Promise.all(this.jobs.map((j) => j.executor.kill(0)));
  }

  async run(): Promise<CampaignResult> {
    const o = this.options;
    await mkdir(o.outDir, { recursive: true });
    await this.corpus.open();
    this.runDir = await mkdtemp(path.join(os.tmpdir(), 'seccomplete-'));
    try {
      await this.prepare();
      this.startedAt = performance.now();
      this.lastFindAt = this.startedAt;
      this.jobs = Array.from({ length: o.jobs }, (_, slot) => this.newJob(slot));
      await this.loop();
      // Shutting every target down is the last execution of each epoch.
      for (const job of this.jobs) await this.shutdown(job);
      // No time left to find owners: what overlapped inputs showed is kept all the same.
      for (const job of this.jobs) await this.settleReattribution(job);
      if (this.fatal) throw this.fatal;
      const coverage = this.coverageFile();
      await writeJsonAtomically(path.join(o.outDir, 'coverage.json'), coverage);
      const result: CampaignResult = {
        reason: this.stopping ?? 'replayed',
        coverage,
        progress: this.progress(),
        crashFiles: this.crashFiles,
      };
      if (o.fullTrace) result.perExecution = this.perExecution;
      return result;
    } finally {
      await Promise.all(this.jobs.map((j) => j.executor.kill(0).catch(() => {})));
      await this.corpus.close();
      await rm(this.runDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Loads what earlier runs left: coverage to resume from, corpus entries to build on. */
  private async prepare(): Promise<void> {
    const o = this.options;
    if (o.replay) {
      this.scheduler.enqueue(...o.replay);
      return;
    }
    const { entries, problems } = await this.corpus.load();
    for (const p of problems) o.warn(`skipping corpus file ${p.file}: ${p.reason} (left in place)`);
    const resumed = o.resume ? await this.loadCoverage() : false;
    for (const e of entries) {
      this.entries.set(e.id, e);
      if (resumed) this.scheduler.addEntry(e, 0);
    }
    if (!resumed) {
      // A corpus without its coverage (a new --out, or an upgraded target): run every
      // entry again, in the order they were found, before anything new.
      this.scheduler.enqueue(
        ...entries.filter((e) => e.strategy !== LIFECYCLE && this.strategyByName.has(e.strategy)).map((e) => ({ strategy: e.strategy, data: e.input, parent: e.parent })),
      );
    }
    for (const s of o.strategies) this.scheduler.enqueue(...s.seeds().map((data) => ({ strategy: s.name, data, parent: null })));
  }

  private async loadCoverage(): Promise<boolean> {
    const file = path.join(this.options.outDir, 'coverage.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return false;
    }
    let data: CoverageFile;
    try {
      data = parseCoverageFile(text);
    } catch (err) {
      throw dataError(`cannot resume from ${file}: ${(err as Error).message}`, 'move it away to start afresh');
    }
    if (data.command.join(' ') !== this.options.target.command.join(' ')) {
      this.options.warn(`resuming ${file}, which was made for a different command: ${data.command.join(' ')}`);
    }
    this.coverage = CoverageMap.fromJSON(data, traceAlwaysSet(this.options.argFeatures));
    this.priorElapsedMs = data.elapsedMs;
    this.epochs = data.epochs;
    this.execIndex = data.executions;
    // the quiet streak survives a resume: a saturated campaign goes on overlapping at once
    this.lastSyscallFindExecs = Math.max(0, ...Object.entries(data.features).filter(([f]) => !isSecondaryFeature(f)).map(([, r]) => r.firstExec));
    this.excludableNow = new Set(this.coverage.excludable());
    return true;
  }

  private newJob(slot: number): JobState {
    const o = this.options;
    const state: JobState = {
      executor: undefined as unknown as JobExecutor,
      excluded: new Set(),
      epochExecs: 0,
      epochStartedAt: 0,
      epochRedundant: 0,
      lastExecution: undefined,
      startFailures: 0,
      busy: 0,
      overlapping: false,
      held: undefined,
      reattribution: undefined,
    };
    const place = { runDir: this.runDir, slot, stracePath: o.stracePath, arch: o.arch };
    state.executor = (o.createExecutor ?? createExecutor)(o.target, place, this.strategyByName, {
      features: { argFeatures: o.argFeatures, arch: o.arch },
      settleMs: o.settleMs,
      maxSettleMs: o.maxSettleMs,
      execTimeoutMs: o.execTimeoutMs,
      isRedundant: (name) => this.excludableNow.has(name) && !state.excluded.has(name),
    });
    return state;
  }

  private async loop(): Promise<void> {
    const queue = new PQueue({ concurrency: this.options.jobs * Math.max(1, this.options.inflight) });
    let wake: (() => void) | undefined;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const progressTimer = setInterval(() => this.tick(), 250);
    let nextJob = 0;
    try {
      for (;;) {
        this.stopping ??= this.checkStop();
        if (this.stopping) break;
        let work: Work | 'replayed' | undefined;
        // round robin, so that one job's stream of overlapped inputs does not starve another
        for (let k = 0; k < this.jobs.length && !work; k++) {
          const job = this.jobs[(nextJob + k) % this.jobs.length] as JobState;
          work = this.nextWork(job);
          if (work) nextJob = (nextJob + k + 1) % this.jobs.length;
        }
        if (work === 'replayed') {
          // replay: wait for the executions in flight, then we are done
          await queue.onIdle();
          if (this.scheduler.queued === 0) {
            this.stopping ??= 'replayed';
            break;
          }
          continue;
        }
        if (!work) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const run = work;
        queue.add(async () => {
          try {
            await run();
          } catch (err) {
            this.fail(err);
          } finally {
            poke();
          }
        });
      }
      await queue.onIdle();
    } finally {
      clearInterval(progressTimer);
      this.tick(true);
    }
  }

  /**
   * What `job` should do next, with its busy count already taken; undefined when it must
   * wait (for overlapped inputs to finish, or for a free slot).
   */
  private nextWork(job: JobState): Work | 'replayed' | undefined {
    if (job.busy === 0) {
      job.overlapping = false;
      if (!job.executor.alive) return this.busy(job, () => this.startEpoch(job));
      const held = job.held;
      if (held) {
        job.held = undefined;
        return this.exactStep(job, held);
      }
      if (job.reattribution) return this.busy(job, () => this.reattribute(job));
      const input = this.scheduler.next(this.execIndex, !this.options.replay);
      if (!input) return 'replayed';
      if (this.mayOverlap(job, input) && !this.epochIsStale(job)) {
        job.overlapping = true;
        return this.overlappedStep(job, input, true);
      }
      return this.exactStep(job, input);
    }
    if (!job.overlapping || job.busy >= this.options.inflight || job.held || job.reattribution) return undefined;
    if (!job.executor.alive || this.epochIsStale(job)) return undefined; // drain first
    const input = this.scheduler.next(this.execIndex, true);
    if (!input) return undefined;
    if (!this.mayOverlap(job, input)) {
      job.held = input;
      return undefined;
    }
    return this.overlappedStep(job, input, false);
  }

  /** Runs `fn` with the job's busy count held. */
  private busy(job: JobState, fn: () => Promise<void>): Work {
    job.busy += 1;
    return async () => {
      try {
        await fn();
      } finally {
        job.busy -= 1;
      }
    };
  }

  private exactStep(job: JobState, input: Input): Work {
    const index = this.execIndex++;
    this.logInput(input);
    return this.busy(job, async () => {
      await this.step(job, input, index);
    });
  }

  private overlappedStep(job: JobState, input: Input, first: boolean): Work {
    const index = this.execIndex++;
    this.logInput(input);
    return this.busy(job, async () => {
      if (first) await this.creditLate(job);
      const ex = await (job.executor.runOverlapped as NonNullable<JobExecutor['runOverlapped']>)(input, index);
      job.epochExecs += 1;
      job.epochRedundant += ex.observation.redundant;
      await this.recordOverlapped(job, ex);
    });
  }

  private logInput(input: Input): void {
    if (this.options.logInputs) appendFileSync(this.options.logInputs, `${inputId(input.strategy, input.data)}\n`);
  }

  /** Overlap only when it pays and cannot blur anything: quiet discovery, an overlapping channel, no replay. */
  private mayOverlap(job: JobState, input: Input): boolean {
    const o = this.options;
    if (o.inflight <= 1 || o.replay || o.fullTrace || !job.executor.runOverlapped) return false;
    if (this.strategyByName.get(input.strategy)?.target === 'command') return false;
    if (!(this.strategyByName.get(input.strategy) as { overlapping?: boolean } | undefined)?.overlapping) return false;
    return this.totalExecutions() - this.lastSyscallFindExecs >= (o.overlapAfter ?? OVERLAP_AFTER_QUIET_EXECS);
  }

  private totalExecutions(): number {
    return this.coverage.executions + this.coverage.faultExecutions;
  }

  private fail(err: unknown): void {
    this.fatal ??= err;
    this.stopping ??= 'error';
  }

  private checkStop(): StopReason | undefined {
    return stopReason(this.options.stop, {
      executions: this.coverage.executions + this.coverage.faultExecutions,
      elapsedMs: performance.now() - this.startedAt,
      msSinceLastFind: performance.now() - this.lastFindAt,
      execsSinceLastFind: this.coverage.executions + this.coverage.faultExecutions - this.lastFindExecs,
      saturation: this.coverage.saturation(),
    });
  }

  private traceMode(): TraceMode {
    if (this.options.fullTrace) return { kind: 'coverage', exclude: [] };
    return { kind: 'coverage', exclude: [...this.excludableNow] };
  }

  private async startEpoch(job: JobState): Promise<void> {
    const mode = this.traceMode();
    job.excluded = new Set(mode.kind === 'coverage' ? mode.exclude : []);
    job.epochExecs = 0;
    job.epochStartedAt = performance.now();
    job.epochRedundant = 0;
    let ex: Execution | undefined;
    try {
      ex = await job.executor.startEpoch(mode, this.execIndex);
      if (ex) this.execIndex += 1;
    } catch (err) {
      job.startFailures += 1;
      // The very first start failing is the user's problem (wrong command, port...);
      // later ones, after the target crashed, get a few retries.
      if (this.epochs === 0 || job.startFailures >= MAX_START_FAILURES || !(err instanceof UserError)) throw err;
      this.options.warn(`restart failed (${job.startFailures}/${MAX_START_FAILURES}): ${(err as Error).message}`);
      return;
    }
    job.startFailures = 0;
    this.epochs += 1;
    if (ex) await this.record(job, ex);
  }

  private async shutdown(job: JobState): Promise<void> {
    if (!job.executor.alive) return;
    await this.creditLate(job);
    const ex = await job.executor.stopEpoch(this.execIndex);
    if (!ex) return;
    this.execIndex += 1;
    await this.record(job, ex);
  }

  private async step(job: JobState, input: Input, index: number): Promise<Execution | undefined> {
    await this.creditLate(job);
    if (this.epochIsStale(job)) {
      await this.shutdown(job);
      await this.startEpoch(job);
      if (!job.executor.alive) {
        this.scheduler.enqueue(input);
        return undefined;
      }
    }
    const ex = await job.executor.run(input, index);
    job.epochExecs += 1;
    job.epochRedundant += ex.observation.redundant;
    await this.record(job, ex);
    if (ex.outcome !== 'ok') await this.recordFailure(job, ex);
    return ex;
  }

  /**
   * An overlapped execution is counted with its segment, minus what nobody had seen:
   * that, and a crash or a hang, wait for an exact owner (see reattribute).
   */
  private async recordOverlapped(job: JobState, ex: Execution): Promise<void> {
    const novel = [...ex.observation.features].filter((f) => !isSecondaryFeature(f) && !this.coverage.has(f));
    for (const f of novel) ex.observation.features.delete(f);
    const failed = ex.outcome !== 'ok';
    if (novel.length > 0 || failed) this.needOwner(job, ex, novel, ex.overlap as Segment, failed);
    ex.outcome = 'ok';
    await this.record(job, ex);
  }

  private needOwner(job: JobState, charged: Execution, features: string[], segment: Segment, failed: boolean): void {
    const candidates = job.executor.candidates?.(segment) ?? [];
    if (!candidates.includes(charged.input)) candidates.push(charged.input);
    const r = (job.reattribution ??= { features: new Set(), failure: undefined, queue: [], fallback: charged });
    for (const f of features) r.features.add(f);
    // one crash takes every delivery in flight down with it: one owner search for them all
    if (failed) r.failure ??= { ...charged, observation: charged.observation };
    for (const input of candidates) if (!r.queue.includes(input)) r.queue.push(input);
  }

  /** Re-runs the next candidate alone; settles the search once everything has an owner. */
  private async reattribute(job: JobState): Promise<void> {
    const r = job.reattribution as Reattribution;
    for (const f of r.features) if (this.coverage.has(f)) r.features.delete(f);
    const input = r.features.size > 0 || r.failure ? r.queue.shift() : undefined;
    if (input) {
      const index = this.execIndex++;
      this.logInput(input);
      const ex = await this.step(job, input, index);
      if (ex && r.failure && ex.outcome === r.failure.outcome) r.failure = undefined;
      return;
    }
    await this.settleReattribution(job);
  }

  /** Credits what no candidate reproduced to the execution it was charged to. */
  private async settleReattribution(job: JobState): Promise<void> {
    const r = job.reattribution;
    if (!r) return;
    job.reattribution = undefined;
    if (r.features.size > 0) {
      // seen under load but by no input alone: still real, so still in the profile
      const fresh = this.coverage.observeLate(r.features, this.execMeta(r.fallback));
      if (fresh.length > 0) await this.saveFinding(r.fallback, fresh);
    }
    // A crash is real whoever caused it; a hang that no input repeats alone was the load's.
    if (r.failure?.outcome === 'crash') {
      this.options.warn('the target crashed under overlapped inputs, and no single one of them was seen crashing it alone');
      await this.recordFailure(job, r.failure);
    }
  }

  private epochIsStale(job: JobState): boolean {
    if (this.options.fullTrace) return false;
    if (job.epochExecs >= MAX_EPOCH_EXECS && !job.executor.cheapEpochs && performance.now() - job.epochStartedAt >= MIN_EPOCH_MS) return true;
    let narrower = false;
    for (const name of this.excludableNow) {
      if (!job.excluded.has(name)) {
        narrower = true;
        break;
      }
    }
    if (!narrower) return false;
    if (job.executor.cheapEpochs) return true;
    return job.epochRedundant >= RESTART_AFTER_REDUNDANT_EVENTS || job.epochExecs >= RESTART_AFTER_STALE_EXECS;
  }

  /** Features that trickled in after an execution had closed belong to that execution. */
  private async creditLate(job: JobState): Promise<void> {
    const late = job.executor.takeLate();
    const last = job.lastExecution;
    if (late.isEmpty || !last) return;
    if (last.overlap) {
      // after an overlapped stream, any of its last inputs may have caused them
      const novel = [...late.features].filter((f) => !isSecondaryFeature(f) && !this.coverage.has(f));
      if (novel.length > 0) this.needOwner(job, last, novel, { from: last.overlap.to, to: performance.now() }, false);
      return;
    }
    const fresh = this.coverage.observeLate(late.features, this.execMeta(last));
    if (fresh.length > 0) await this.saveFinding(last, fresh);
  }

  private execMeta(ex: Execution) {
    return { index: ex.index, atMs: this.elapsedMs(), strategy: ex.input.strategy };
  }

  private async record(job: JobState, ex: Execution): Promise<void> {
    job.lastExecution = ex;
    const fresh = ex.faults ? this.observeUnderFault(ex) : this.coverage.observe(ex.observation.features, this.execMeta(ex));
    if (this.options.fullTrace) this.perExecution.push({ input: ex.input, features: [...ex.observation.features].sort() });
    // a restart (fault epochs, port-taken, an expected exit) costs about a start-up and a shutdown
    this.scheduler.reward(ex.input, findValue(fresh), ex.index, 1 + RESTART_COST * (ex.restarts ?? 0));
    if (fresh.length > 0) await this.saveFinding(ex, fresh);
    this.refreshExcludable(ex.observation);
  }

  /**
   * What appears only because of an injected failure gets a cause feature
   * (`clone3!ENOSYS->clone`): it keeps the entry that found a fallback or an error
   * path in the corpus, and lets the profile tell such syscalls apart.
   */
  private observeUnderFault(ex: Execution): string[] {
    const meta = this.execMeta(ex);
    // Causes are judged before this execution is counted: a feature no ordinary execution
    // has shown is an error path, and a known fallback of the failed call is a fallback
    // even if ordinary executions make it too (faccessat2 -> faccessat).
    const causes: string[] = [];
    for (const fault of ex.faults ?? []) {
      const fallbacks = KNOWN_FALLBACKS[fault.syscall] ?? [];
      for (const f of ex.observation.features) {
        if (neededSyscall(f) === undefined) continue;
        const isFallback = fault.errno === 'ENOSYS' && fallbacks.includes(syscallOfFeature(f)) && f !== fault.syscall;
        if (this.coverage.ordinaryCount(f) === 0 || isFallback) causes.push(`${fault.syscall}!${fault.errno}->${f}`);
      }
    }
    const fresh = this.coverage.observeUnderFault(ex.observation.features, meta);
    return [...fresh, ...this.coverage.observeUnderFault(causes, meta, false)];
  }

  private refreshExcludable(obs: Observation): void {
    // Only features of this execution can have crossed the threshold.
    for (const f of obs.features) {
      if (this.excludableNow.has(f)) continue;
      if (this.coverage.isExcludable(f)) this.excludableNow.add(f);
    }
  }

  private async saveFinding(ex: Execution, fresh: string[]): Promise<void> {
    // Every secondary feature keeps its input in the corpus, but only syscalls and the
    // coarse end states (exit status, signal, output) hold off stability: a program's
    // message catalogue (`@stderr:`) can be ten times larger than its syscalls.
    if (fresh.some(holdsOffStability)) {
      this.lastFindAt = performance.now();
      this.lastFindExecs = this.totalExecutions();
    }
    if (fresh.some((f) => !isSecondaryFeature(f))) this.lastSyscallFindExecs = this.totalExecutions();
    this.lastFind = `${fresh.slice(0, 3).join(' ')}${fresh.length > 3 ? ` +${fresh.length - 3}` : ''}`;
    const id = inputId(ex.input.strategy, ex.input.data);
    const existing = this.entries.get(id);
    const strategy = this.strategyByName.get(ex.input.strategy);
    const entry: CorpusEntry = existing
      ? { ...existing, found: [...new Set([...existing.found, ...fresh])].sort() }
      : {
          format: ENTRY_FORMAT,
          id,
          strategy: ex.input.strategy,
          input: ex.input.data,
          parent: ex.input.parent,
          found: [...fresh].sort(),
          origin: { exec: ex.index, epoch: ex.epoch, job: ex.job, time: new Date().toISOString(), elapsedMs: this.elapsedMs() },
          signature: ex.signature,
          describe: strategy ? strategy.describe(ex.input.data) : describeLifecycle(ex.input.data),
        };
    this.entries.set(id, entry);
    this.coverage.setFirstEntry(fresh, id);
    await this.corpus.save(entry);
    this.scheduler.addEntry(entry, ex.index);
  }

  private async recordFailure(job: JobState, ex: Execution): Promise<void> {
    if (ex.outcome === 'crash') this.crashes += 1;
    else this.hangs += 1;
    const strategy = this.strategyByName.get(ex.input.strategy);
    const file = await this.corpus.saveCrash({
      format: CRASH_FORMAT,
      id: inputId(ex.input.strategy, ex.input.data),
      kind: ex.outcome === 'crash' ? 'crash' : 'hang',
      strategy: ex.input.strategy,
      input: ex.input.data,
      parent: ex.input.parent,
      exit: ex.exit,
      outputTail: ex.outputTail ?? job.executor.outputTail(),
      time: new Date().toISOString(),
      describe: strategy ? strategy.describe(ex.input.data) : '',
    });
    this.crashFiles.push(file);
    this.options.warn(`${ex.outcome} recorded in ${file}`);
    // A hung target is ended; a crashed one is gone. Either way the next step restarts it.
    if (ex.outcome === 'hang') await job.executor.kill(500);
  }

  private elapsedMs(): number {
    return this.priorElapsedMs + (this.startedAt ? performance.now() - this.startedAt : 0);
  }

  private progress(): Progress {
    return {
      elapsedMs: this.elapsedMs(),
      executions: this.coverage.executions + this.coverage.faultExecutions,
      execsPerSec: this.speed,
      features: this.coverage.size,
      syscalls: this.coverage.syscalls().length,
      corpus: this.entries.size,
      crashes: this.crashes,
      hangs: this.hangs,
      epochs: this.epochs,
      msSinceLastFind: performance.now() - this.lastFindAt,
      lastFind: this.lastFind,
      saturation: this.coverage.saturation(),
      strategies: this.scheduler.strategyStats(),
    };
  }

  private tick(final = false): void {
    const now = performance.now();
    if (now - this.lastStatsAt >= 1000 || final) {
      const dt = (now - this.lastStatsAt) / 1000;
      const total = this.coverage.executions + this.coverage.faultExecutions;
      if (this.lastStatsAt > 0 && dt > 0) this.speed = (total - this.lastStatsExecs) / dt;
      this.lastStatsAt = now;
      this.lastStatsExecs = total;
      const p = this.progress();
      const line = {
        time: new Date().toISOString(),
        elapsedMs: Math.round(p.elapsedMs),
        executions: p.executions,
        execsPerSec: Math.round(p.execsPerSec * 10) / 10,
        features: p.features,
        syscalls: p.syscalls,
        corpus: p.corpus,
        epochs: p.epochs,
        crashes: p.crashes,
        hangs: p.hangs,
        q1: p.saturation.q1,
        q2: p.saturation.q2,
        estimatedMissing: Math.round(p.saturation.estimatedMissing * 100) / 100,
        msSinceLastFind: Math.round(p.msSinceLastFind),
      };
      try {
        appendFileSync(path.join(this.options.outDir, 'stats.jsonl'), `${JSON.stringify(line)}\n`);
      } catch {
        // stats are best effort; the corpus and coverage are not
      }
    }
    this.options.onProgress?.(this.progress());
  }

  private coverageFile(): CoverageFile {
    const json = this.coverage.toJSON();
    return {
      format: COVERAGE_FORMAT,
      arch: this.options.arch,
      argFeatures: this.options.argFeatures,
      command: this.options.target.command,
      executions: json.executions,
      faultExecutions: json.faultExecutions,
      epochs: this.epochs,
      elapsedMs: Math.round(this.elapsedMs()),
      syscalls: this.coverage.syscalls(),
      errorPathOnly: this.coverage.errorPathOnlySyscalls(),
      causes: this.coverage.causes(),
      features: json.features,
      strategies: this.scheduler.strategyStats(),
    };
  }
}

const holdsOffStability = (feature: string): boolean => !isSecondaryFeature(feature) || !feature.startsWith('@stderr:');

function describeLifecycle(data: unknown): string {
  const event = (data as { event?: string } | null)?.event;
  return `target ${event ?? 'lifecycle'}`;
}

export function parseCoverageFile(text: string): CoverageFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid JSON: ${(err as Error).message}`);
  }
  const c = value as Partial<CoverageFile>;
  if (!c || typeof c !== 'object' || c.format !== COVERAGE_FORMAT) throw new Error(`not a ${COVERAGE_FORMAT} file`);
  if (typeof c.executions !== 'number' || !c.features || typeof c.features !== 'object') throw new Error('executions or features missing');
  if (!Array.isArray(c.syscalls) || !Array.isArray(c.command)) throw new Error('syscalls or command missing');
  return c as CoverageFile;
}
