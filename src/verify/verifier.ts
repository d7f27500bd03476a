import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Observation } from '../coverage/observation.js';
import { loadCorpus } from '../corpus/corpus.js';
import { ENTRY_FORMAT, inputId, LIFECYCLE, type CorpusEntry, type Input } from '../corpus/entry.js';
import type { Execution } from '../engine/executor.js';
import { createExecutor } from '../engine/create-executor.js';
import { dataError, UserError } from '../errors.js';
import { allowedNames, conditionalAllows, errnoRules, parseDockerProfile, type DockerSyscallArg } from '../profile/docker.js';
import { argumentsAllowed, argValuesOfFeature } from '../profile/arg-rules.js';
import { syscallOfFeature } from '../coverage/features.js';
import type { AnyStrategy } from '../strategy.js';
import { allSyscalls, type Arch } from '../syscalls/table.js';
import type { TargetSpec } from '../target/spec.js';
import type { TraceMode } from '../trace/strace.js';

export interface VerifyOptions {
  target: TargetSpec;
  strategies: AnyStrategy[];
  profilePath: string;
  corpusDir: string;
  stracePath: string;
  arch: Arch;
  settleMs: number;
  maxSettleMs: number;
  execTimeoutMs: number;
  warn: (message: string) => void;
  /** inputs besides the corpus (verify --seeds): written by hand, never seen by the fuzzer */
  extraInputs?: Input[];
  onProgress?: (done: number, total: number, phase: 'unconfined' | 'confined') => void;
}

/** Where a denial happened: an input of the corpus, or the target's own start-up/shutdown. */
export interface DenialSite {
  entry: string | null;
  phase: 'startup' | 'input' | 'shutdown';
  describe: string;
}

export interface DenialReport {
  syscall: string;
  errno: string;
  count: number;
  first: DenialSite;
}

export interface BehaviourDifference {
  entry: string;
  describe: string;
  unconfined: string;
  confined: string;
}

export interface VerifyReport {
  profile: string;
  corpus: string;
  inputs: number;
  allowed: number;
  /** syscalls denied by the default action: each one is a hole in the profile */
  denials: DenialReport[];
  /** syscalls answered by an errno rule of the profile (e.g. clone3 -> ENOSYS), as intended */
  answeredByRule: DenialReport[];
  differences: BehaviourDifference[];
  /** answers that changed only for inputs that inject faults themselves (informational) */
  differencesUnderFaults: BehaviourDifference[];
  /**
   * inputs whose answer is not reproducible even unconfined (an archive that records its
   * own creation time, a FIFO race): their change under the profile proves nothing
   */
  unstableAnswers: BehaviourDifference[];
  /** true when no syscall was denied and every input got the same answer */
  passed: boolean;
}

/**
 * Replays a corpus twice: unconfined, then with the profile enforced by strace
 * (every syscall outside the allow-list fails with the profile's errno, allowed
 * calls run untraced thanks to --seccomp-bpf). Reports each denied syscall with the
 * input that hit it first, and each input whose answer changed.
 */
export async function verifyProfile(o: VerifyOptions): Promise<VerifyReport> {
  let text: string;
  try {
    text = await readFile(o.profilePath, 'utf8');
  } catch (err) {
    throw dataError(`cannot read profile '${o.profilePath}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const profile = parseDockerProfile(text, o.profilePath);
  if (profile.defaultAction === 'SCMP_ACT_ALLOW' || profile.defaultAction === 'SCMP_ACT_LOG') {
    throw dataError(`${o.profilePath}: default action ${profile.defaultAction} is an allow-by-default profile; verify checks deny-by-default profiles`);
  }
  // Argument rules (--arg-rules) cannot be emulated by strace: such calls run, traced,
  // and each one's argument class is checked against the rule afterwards.
  const conditional = conditionalAllows(profile);
  const allow = [...new Set([...allowedNames(profile), ...conditional.keys()])].sort();
  const errno = errnoRules(profile).map((r) => ({ name: r.name, errno: r.errnoRet }));
  const defaultErrno = profile.defaultErrnoRet ?? 1;

  const { entries, problems } = await loadCorpus(o.corpusDir);
  for (const p of problems) o.warn(`skipping corpus file ${p.file}: ${p.reason} (left in place)`);
  const strategies = new Map(o.strategies.map((s) => [s.name, s]));
  const inputs = [...entries.filter((e) => e.strategy !== LIFECYCLE), ...(o.extraInputs ?? []).map((input) => pseudoEntry(input, strategies))];
  for (const e of inputs) {
    if (!strategies.has(e.strategy)) throw dataError(`corpus entry ${e.id.slice(0, 12)} uses strategy '${e.strategy}', which is not enabled`);
  }

  const runDir = await mkdtemp(path.join(os.tmpdir(), 'seccomplete-verify-'));
  try {
    // "Unconfined" still runs under strace, tracing nothing, so that a corpus entry's own
    // injected faults (fault-injection inputs) happen in both runs alike.
    const traceNothing: TraceMode = { kind: 'coverage', exclude: allSyscalls(o.arch) };
    const unconfined = await replay(o, strategies, inputs, traceNothing, runDir, 'unconfined');
    const confined = await replay(
      o,
      strategies,
      inputs,
      { kind: 'enforce', allow, errno, defaultErrno, conditional: [...conditional.keys()] },
      runDir,
      'confined',
    );

    // Calls the profile answers on purpose (clone3 -> ENOSYS so glibc falls back) are
    // not denials; if the target could not cope, its answers change and that is reported.
    const answeredOnPurpose = new Set(errno.map((r) => r.name));
    const denials = new Map<string, DenialReport>();
    const answered = new Map<string, DenialReport>();
    for (const run of confined.executions) {
      // a fault-injection input's own failures are the input, not the profile
      const ownFaults = new Set((run.execution?.faults ?? []).map((f) => f.syscall));
      const denied = [...run.observation.denied, ...argumentDenials(run.observation.features, conditional)];
      for (const d of denied) {
        if (ownFaults.has(d.syscall)) continue;
        const into = answeredOnPurpose.has(d.syscall) ? answered : denials;
        const existing = into.get(d.syscall);
        if (existing) existing.count += 1;
        else into.set(d.syscall, { syscall: d.syscall, errno: d.errno, count: 1, first: siteOf(run.execution, run.entry) });
      }
    }
    let differences: BehaviourDifference[] = [];
    const underFaults: BehaviourDifference[] = [];
    inputs.forEach((entry, i) => {
      const a = unconfined.signatures[i];
      const b = confined.signatures[i];
      if (a === undefined || b === undefined || !sameAnswer(a, b)) {
        const difference = { entry: entry.id, describe: entry.describe, unconfined: a ?? 'not run', confined: b ?? 'not run' };
        // Under injected faults the profile may route a call into the faulted fallback
        // (clone3 -> ENOSYS -> clone, which the input makes fail): worth showing, but it
        // is the input's artificial failure, not a hole in the profile.
        if (confined.faulted[i]) underFaults.push(difference);
        else differences.push(difference);
      }
    });
    // An input the profile did not touch (no call denied, none answered by a rule) ran the
    // same code as unconfined: a changed answer there is timing (tar archiving its own
    // output while it grows), not the profile.
    const touched = new Set<string>();
    for (const run of confined.executions) {
      if (!run.entry) continue;
      if (run.observation.denied.length > 0 || argumentDenials(run.observation.features, conditional).length > 0) touched.add(run.entry.id);
    }
    const untouched = differences.filter((d) => !touched.has(d.entry));
    const unstable = [...untouched, ...(await unstableAnswers(o, strategies, inputs, differences.filter((d) => touched.has(d.entry)), traceNothing, runDir))];
    differences = differences.filter((d) => !unstable.includes(d));
    const list = [...denials.values()].sort((x, y) => x.syscall.localeCompare(y.syscall));
    return {
      profile: o.profilePath,
      corpus: o.corpusDir,
      inputs: inputs.length,
      allowed: allow.length,
      denials: list,
      answeredByRule: [...answered.values()].sort((x, y) => x.syscall.localeCompare(y.syscall)),
      differences,
      differencesUnderFaults: underFaults,
      unstableAnswers: unstable,
      passed: list.length === 0 && differences.length === 0,
    };
  } finally {
    await rm(runDir, { recursive: true, force: true }).catch(() => {});
  }
}

const TEARDOWN = new Set(['close', 'reset']);

/**
 * Two signatures mean the same answer when they are equal, or when both connections
 * were torn down and one saw fewer responses: a server that closes with unread request
 * bytes makes the kernel send a reset, which may discard a response already sent
 * (`200 close` one time, `reset` the next). A changed status is never the same answer.
 */
export function sameAnswer(a: string, b: string): boolean {
  if (a === b) return true;
  const parse = (sig: string) => {
    const tokens = sig.split(' ').filter(Boolean);
    let tornDown = false;
    while (tokens.length > 0 && TEARDOWN.has(tokens[tokens.length - 1] as string)) {
      tokens.pop();
      tornDown = true;
    }
    return { tokens, tornDown };
  };
  const x = parse(a);
  const y = parse(b);
  if (!x.tornDown || !y.tornDown) return false;
  const [short, long] = x.tokens.length <= y.tokens.length ? [x.tokens, y.tokens] : [y.tokens, x.tokens];
  return short.every((t, i) => t === long[i]);
}

/**
 * Calls whose argument class the profile's argument rules would refuse: under the real
 * filter they would fail with the default errno. Named by their feature
 * (`socket:AF_INET6:SOCK_STREAM`) so the report says which argument was the problem.
 */
function argumentDenials(features: Iterable<string>, conditional: Map<string, DockerSyscallArg[][]>): { syscall: string; errno: string; pid: number }[] {
  const out: { syscall: string; errno: string; pid: number }[] = [];
  for (const feature of features) {
    const rule = conditional.get(syscallOfFeature(feature));
    if (!rule || !feature.includes(':')) continue;
    const values = argValuesOfFeature(feature);
    if (values && argumentsAllowed(rule, values) === false) out.push({ syscall: feature, errno: 'EPERM', pid: 0 });
  }
  return out;
}

function siteOf(ex: Execution | undefined, entry: CorpusEntry | undefined): DenialSite {
  if (!ex || ex.input.strategy === LIFECYCLE) {
    const event = (ex?.input.data as { event?: string } | undefined)?.event === 'shutdown' ? 'shutdown' : 'startup';
    return { entry: null, phase: event, describe: `target ${event}` };
  }
  return { entry: entry?.id ?? null, phase: 'input', describe: entry?.describe ?? '' };
}

interface ReplayRun {
  executions: { execution: Execution | undefined; entry: CorpusEntry | undefined; observation: Observation }[];
  signatures: string[];
  /** per input: it ran with faults injected (its answer is not what production sees) */
  faulted: boolean[];
}

/** Runs every input once on one instance, restarting the target when it dies. */
async function replay(
  o: VerifyOptions,
  strategies: Map<string, AnyStrategy>,
  inputs: CorpusEntry[],
  mode: TraceMode,
  runDir: string,
  phase: 'unconfined' | 'confined',
): Promise<ReplayRun> {
  // A command runs in the same directory in both phases: what it prints about its paths must compare equal.
  const slot = phase === 'unconfined' || o.target.kind === 'command' ? 0 : 1;
  const executor = createExecutor(o.target, { runDir, slot, stracePath: o.stracePath, arch: o.arch }, strategies, {
    features: { argFeatures: true, arch: o.arch },
    settleMs: o.settleMs,
    maxSettleMs: o.maxSettleMs,
    execTimeoutMs: o.execTimeoutMs,
    isRedundant: () => false,
  });
  const run: ReplayRun = { executions: [], signatures: [], faulted: [] };
  let index = 0;
  let previous: ReplayRun['executions'][number] | undefined;
  const start = async () => {
    try {
      const ex = await executor.startEpoch(mode, index++);
      if (ex) run.executions.push({ execution: ex, entry: undefined, observation: ex.observation });
    } catch (err) {
      // Under the profile the target may not even start: that is a finding, not an error.
      const obs = executor.takeLate();
      const startObs = executor.lastObservation ?? obs;
      if (phase === 'confined' && startObs.denied.length > 0) {
        run.executions.push({ execution: undefined, entry: undefined, observation: startObs });
        return false;
      }
      throw err instanceof UserError ? err : new UserError(String(err), 3);
    }
    return true;
  };
  try {
    if (!(await start())) {
      run.signatures = inputs.map(() => 'target did not start');
      return run;
    }
    for (const [i, entry] of inputs.entries()) {
      if (!executor.alive && !(await start())) {
        run.signatures.push('target did not start');
        run.faulted.push(false);
        continue;
      }
      const late = executor.takeLate();
      if (previous && late.denied.length > 0) previous.observation.denied.push(...late.denied);
      const input: Input = { strategy: entry.strategy, data: entry.input, parent: entry.parent };
      const ex = await executor.run(input, index++);
      previous = { execution: ex, entry, observation: ex.observation };
      run.executions.push(previous);
      run.signatures.push(ex.outcome === 'ok' ? ex.signature : `${ex.signature} (${ex.outcome})`);
      run.faulted.push((ex.faults ?? []).length > 0);
      if (ex.outcome === 'hang') await executor.kill(500);
      o.onProgress?.(i + 1, inputs.length, phase);
    }
    if (executor.alive) {
      const ex = await executor.stopEpoch(index++);
      if (ex) run.executions.push({ execution: ex, entry: undefined, observation: ex.observation });
    }
    return run;
  } finally {
    await executor.kill(0).catch(() => {});
  }
}


/** A --seeds input dressed as a corpus entry, so the report can name it like any other. */
function pseudoEntry(input: Input, strategies: Map<string, AnyStrategy>): CorpusEntry {
  const strategy = strategies.get(input.strategy);
  return {
    format: ENTRY_FORMAT,
    id: inputId(input.strategy, input.data),
    strategy: input.strategy,
    input: input.data,
    parent: null,
    found: [],
    origin: { exec: -1, epoch: 0, job: 0, time: new Date(0).toISOString(), elapsedMs: 0 },
    signature: '',
    describe: `seed: ${strategy ? strategy.describe(input.data) : input.strategy}`,
  };
}

/** Unconfined replays of a changed input before its change counts against the profile. */
const RECHECKS = 2;

/**
 * The differences whose unconfined answer does not reproduce: each changed input runs
 * unconfined RECHECKS more times; if any of those answers differs from the first, or
 * matches the confined one, the answer depends on the run and not on the profile.
 */
async function unstableAnswers(
  o: VerifyOptions,
  strategies: Map<string, AnyStrategy>,
  inputs: CorpusEntry[],
  differences: BehaviourDifference[],
  traceNothing: TraceMode,
  runDir: string,
): Promise<BehaviourDifference[]> {
  if (differences.length === 0) return [];
  const suspects = differences.map((d) => inputs.find((e) => e.id === d.entry)).filter((e): e is CorpusEntry => e !== undefined);
  const reruns: string[][] = [];
  for (let i = 0; i < RECHECKS; i++) reruns.push((await replay(o, strategies, suspects, traceNothing, runDir, 'unconfined')).signatures);
  return differences.filter((d) => {
    const j = suspects.findIndex((e) => e.id === d.entry);
    if (j < 0) return false;
    return reruns.some((sigs) => {
      const again = sigs[j];
      return again === undefined || !sameAnswer(again, d.unconfined) || sameAnswer(again, d.confined);
    });
  });
}
