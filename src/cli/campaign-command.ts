import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Campaign, type CampaignOptions, type CampaignResult, type CoverageFile } from '../engine/campaign.js';
import type { StopRuleOptions } from '../engine/stop-rule.js';
import { CorpusDir, loadCorpus } from '../corpus/corpus.js';
import { greedyCover } from '../corpus/minimize.js';
import { canonicalJson, inputId, LIFECYCLE, type CorpusEntry, type Input } from '../corpus/entry.js';
import { ExitCode, usageError } from '../errors.js';
import { emitDockerProfile, resolveRuntimeNeeds, type EmittedProfile } from '../profile/emit.js';
import { writeProvenanceSidecar } from '../profile/provenance.js';
import { createProgressReporter } from '../report/progress.js';
import { writeRunReport } from '../report/write-report.js';
import { writeJsonAtomically } from '../util/atomic.js';
import { formatDuration } from '../util/duration.js';
import { strategiesFrom, straceFrom, targetSpecFrom, timingFrom, warner, type TargetCliOptions } from './common.js';
import { formatOptionsFrom, otherFilesLine, writeProfileFormats, type FormatCliOptions } from './format-options.js';

export interface CampaignCliOptions extends TargetCliOptions, FormatCliOptions {
  out: string;
  corpus?: string;
  jobs: number;
  seed: number;
  /** --inflight: overlapped inputs per job once discovery is quiet (1 = never overlap) */
  inflight: number;
  time?: number;
  maxExecs?: number;
  untilStable?: number;
  /** --stable-execs: executions without a find before stable (default by target kind) */
  stableExecs?: number;
  argFeatures: boolean;
  runtime: string;
  logInputs?: string;
  resume: boolean;
  preferEnosys?: boolean;
  /** `--arg-rules`: condition socket/ioctl/clone/personality on the argument classes seen */
  argRules?: boolean;
  /** `--no-provenance` sets this to false: no provenance.json next to the profile */
  provenance?: boolean;
}

export interface Summary {
  command: string[];
  reason: string;
  elapsedMs: number;
  executions: number;
  execsPerSec: number;
  epochs: number;
  syscalls: number;
  features: number;
  corpus: number;
  crashes: number;
  hangs: number;
  estimatedMissing: number;
  discoveryProbability: number;
  profile: string;
  allowed: number;
  allowedForRuntime: number;
  runtime: string | null;
  corpusDir: string;
  outDir: string;
  unexpressible: string[];
  /** syscalls allowed only because an error path (seen under injected faults) needs them */
  errorPathOnly: string[];
  /** syscalls answered with an errno of their own, and why */
  errnoRules: { name: string; errno: number; why: string }[];
  faultExecutions: number;
  minimized?: { before: number; after: number };
  /** `--arch`: the architectures the profile is for */
  architectures?: string[];
  /** `--arch`: allowed calls with no counterpart on one of them (one line each) */
  archWarnings?: string[];
  /** `--format`: every file written, by format (docker: profile.json) */
  files?: Record<string, string[]>;
  /** report.html, when it could be written */
  report?: string;
}

/** fuzz and replay: run a campaign, then write coverage, profile and summary. */
export async function runCampaignCommand(
  command: string[],
  o: CampaignCliOptions,
  mode: { kind: 'fuzz' } | { kind: 'replay'; corpus: string; only: string[]; minimize: boolean },
): Promise<number> {
  const target = targetSpecFrom(command, o);
  const { formats, architectures } = formatOptionsFrom(o);
  if (o.argRules && !o.argFeatures) throw usageError('--arg-rules needs the argument classes that --no-arg-features turns off');
  if (target.kind === 'server' && target.port !== 'auto' && o.jobs > 1) throw usageError('a fixed --port allows only --jobs 1', "use --port auto so that every instance gets its own port");
  const { strategies, knowledge } = await strategiesFrom(o, target);
  const stracePath = await straceFrom(o);
  const outDir = path.resolve(o.out);
  const reporter = createProgressReporter({ stream: process.stderr, quiet: o.quiet === true, title: `${mode.kind} · ${command.join(' ')}` });
  const warn = warner(o.quiet, () => reporter.clear());

  const stop: StopRuleOptions = {};
  if (o.maxExecs !== undefined) stop.maxExecs = o.maxExecs;
  if (o.time !== undefined) stop.timeMs = o.time;
  // Commands run many cheap executions and reach their rare paths by chains of mutations:
  // they need more executions without a find than a server does.
  const patienceExecs = o.stableExecs ?? (target.kind === 'command' ? 3000 : 300);
  if (o.untilStable !== undefined) stop.untilStable = { patienceMs: o.untilStable, patienceExecs };

  let replayInputs: Input[] | undefined;
  let replayEntries: CorpusEntry[] = [];
  let corpusDir = path.resolve(o.corpus ?? path.join(outDir, 'corpus'));
  if (mode.kind === 'replay') {
    const { entries, problems } = await loadCorpus(path.resolve(mode.corpus));
    for (const p of problems) warn(`skipping corpus file ${p.file}: ${p.reason} (left in place)`);
    replayEntries = entries.filter((e) => e.strategy !== LIFECYCLE);
    if (mode.only.length > 0) {
      replayEntries = replayEntries.filter((e) => mode.only.some((id) => e.id.startsWith(id)));
      if (replayEntries.length === 0) throw usageError(`--only ${mode.only.join(',')} matches no entry of ${mode.corpus}`);
    }
    replayInputs = replayEntries.map((e) => ({ strategy: e.strategy, data: e.input, parent: e.parent }));
    // the replay's own findings go to a fresh corpus in --out
    corpusDir = path.join(outDir, mode.minimize ? 'corpus.replay' : 'corpus');
    if (path.resolve(mode.corpus) === corpusDir) throw usageError('replay --out must differ from the corpus it replays');
  }

  const options: CampaignOptions = {
    target,
    strategies,
    jobs: mode.kind === 'replay' ? 1 : o.jobs,
    inflight: mode.kind === 'replay' ? 1 : o.inflight,
    seed: o.seed,
    outDir,
    corpusDir,
    stop: mode.kind === 'replay' ? {} : stop,
    arch: 'x86_64',
    argFeatures: o.argFeatures,
    stracePath,
    ...timingFrom(o),
    resume: mode.kind === 'fuzz' && o.resume,
    warn,
    onProgress: (p) => reporter.update(p),
    knowledge,
  };
  if (replayInputs) options.replay = replayInputs;
  if (mode.kind === 'replay' && mode.minimize) options.fullTrace = true;
  if (o.logInputs) options.logInputs = path.resolve(o.logInputs);

  const campaign = new Campaign(options);
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts === 1) {
      reporter.clear();
      process.stderr.write('seccomplete: stopping: finishing the executions in flight, then saving (Ctrl-C again to kill the targets now)\n');
      campaign.interrupt();
    } else void campaign.kill();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: CampaignResult;
  try {
    result = await campaign.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.clear();
  }

  let minimized: Summary['minimized'];
  if (mode.kind === 'replay' && mode.minimize && result.perExecution) {
    minimized = await writeMinimizedCorpus(replayEntries, result.perExecution, path.join(outDir, 'corpus'));
    await rm(corpusDir, { recursive: true, force: true });
    corpusDir = path.join(outDir, 'corpus');
  }

  const runtime = await resolveRuntimeNeeds(o.runtime, warn);
  const profile = await emitDockerProfile(result.coverage.syscalls, 'x86_64', runtime, path.join(outDir, 'profile.json'), {
    causes: result.coverage.causes ?? [],
    preferEnosys: o.preferEnosys === true,
  }, o.argRules ? Object.keys(result.coverage.features) : undefined, architectures);
  for (const line of profile.plan.archWarnings) warn(`--arch: ${line}`);
  const files = await writeProfileFormats(profile.plan, formats, result.coverage.command, outDir, profile.file);
  for (const note of profile.plan.argRuleNotes ?? []) warn(`--arg-rules: ${note}`);
  if (o.provenance !== false) await writeProvenanceSidecar(profile.file, profile.plan, result.coverage, corpusDir);
  for (const name of profile.unexpressible) warn(`syscall '${name}' has no number on x86_64 and cannot be put in the profile`);
  const summary = summarize(result, result.coverage, profile, runtime ? `${runtime.runtime} ${runtime.version}` : null, corpusDir, outDir);
  if (minimized) summary.minimized = minimized;
  summary.architectures = [...profile.plan.architectures];
  summary.archWarnings = [...profile.plan.archWarnings];
  summary.files = files;
  // the report reads summary.json; the summary names the report only once it exists
  await writeJsonAtomically(path.join(outDir, 'summary.json'), summary);
  const reported = await writeRunReport(outDir, { summary }).then(
    () => true,
    (err: Error) => {
      warn(`report.html not written: ${err.message}`);
      return false;
    },
  );
  if (reported) {
    summary.report = path.join(outDir, 'report.html');
    await writeJsonAtomically(path.join(outDir, 'summary.json'), summary);
  }

  if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else if (!o.quiet) process.stdout.write(`${summaryLine(summary)}\n`);
  if (result.reason === 'interrupted') return ExitCode.interrupted;
  return ExitCode.ok;
}

function summarize(
  result: CampaignResult,
  coverage: CoverageFile,
  profile: EmittedProfile,
  runtime: string | null,
  corpusDir: string,
  outDir: string,
): Summary {
  const p = result.progress;
  return {
    command: coverage.command,
    reason: result.reason,
    elapsedMs: Math.round(p.elapsedMs),
    executions: p.executions,
    execsPerSec: Math.round((p.executions / Math.max(p.elapsedMs, 1)) * 1000 * 10) / 10,
    epochs: p.epochs,
    syscalls: coverage.syscalls.length,
    features: p.features,
    corpus: p.corpus,
    crashes: p.crashes,
    hangs: p.hangs,
    estimatedMissing: Math.round(p.saturation.estimatedMissing * 100) / 100,
    discoveryProbability: p.saturation.discoveryProbability,
    profile: profile.file,
    allowed: profile.plan.allow.length,
    allowedForRuntime: profile.runtimeSyscalls.length,
    runtime,
    corpusDir,
    outDir,
    unexpressible: profile.unexpressible,
    errorPathOnly: coverage.errorPathOnly ?? [],
    errnoRules: profile.plan.errno.filter((r) => r.why !== 'denied-with-fallback').map((r) => ({ name: r.name, errno: r.errno, why: r.why })),
    faultExecutions: coverage.faultExecutions ?? 0,
  };
}

export function summaryLine(s: Summary): string {
  const why = s.reason === 'stable' ? 'stable' : s.reason === 'replayed' ? 'replayed' : `stopped (${s.reason})`;
  const errorPath = s.errorPathOnly.length > 0 ? `\nallowed only for error paths seen under injected faults: ${s.errorPathOnly.join(', ')}` : '';
  const enosys = s.errnoRules.length > 0 ? `\nanswered with ENOSYS so callers fall back: ${s.errnoRules.map((r) => r.name).join(', ')}` : '';
  return (
    `${why} after ${formatDuration(s.elapsedMs)}: ${s.executions} execs, ${s.syscalls} syscalls, ${s.features} features, ` +
    `corpus ${s.corpus}, ${s.crashes} crashes, ${s.hangs} hangs, est. missing ${s.estimatedMissing}; ` +
    `profile allows ${s.allowed} (${s.allowedForRuntime} for ${s.runtime ?? 'no runtime'}) -> ${s.profile}` +
    errorPath +
    enosys +
    (s.files && otherFilesLine(s.files) ? `\n${otherFilesLine(s.files)}` : '')
  );
}

/** Replays with full tracing gave every entry its whole feature set: keep a greedy cover. */
async function writeMinimizedCorpus(
  entries: CorpusEntry[],
  perExecution: { input: Input; features: string[] }[],
  dir: string,
): Promise<{ before: number; after: number }> {
  const featuresById = new Map<string, string[]>();
  for (const ex of perExecution) {
    if (ex.input.strategy === LIFECYCLE) continue;
    featuresById.set(inputId(ex.input.strategy, ex.input.data), ex.features);
  }
  const items = entries.map((entry) => ({
    item: entry,
    features: featuresById.get(entry.id) ?? [],
    size: canonicalJson(entry.input).length,
  }));
  const kept = greedyCover(items);
  await mkdir(dir, { recursive: true });
  const out = new CorpusDir(dir);
  for (const k of kept) await out.save(k.item);
  return { before: entries.length, after: kept.length };
}
