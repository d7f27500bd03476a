import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { OVERLAP_AFTER_QUIET_EXECS, parseCoverageFile } from '../engine/campaign.js';
import { dataError, ExitCode, UserError } from '../errors.js';
import { emitDockerProfile, resolveRuntimeNeeds } from '../profile/emit.js';
import { calibrateRuntime } from '../profile/runtime-calibration.js';
import { storeRuntimeNeeds } from '../profile/runtime-needs.js';
import { parseDuration } from '../util/duration.js';
import { verifyProfile } from '../verify/verifier.js';
import { runCampaignCommand, type CampaignCliOptions } from './campaign-command.js';
import { addTargetOptions, durationOption, strategiesFrom, straceFrom, targetSpecFrom, timingFrom, warner, type TargetCliOptions } from './common.js';
import { printVerifyReport } from './verify-output.js';
import { corpusStrategies, userSeedInputs } from './verify-inputs.js';
import { ARCH_OPTION_HELP, FORMAT_OPTION_HELP, formatOptionsFrom, otherFilesLine, writeProfileFormats, type FormatCliOptions } from './format-options.js';
import { registerReportCommand } from './report-command.js';
import { registerProfileTools } from './profile-tools.js';
import { writeProvenanceSidecar } from '../profile/provenance.js';

const intArg = (name: string) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} expects a whole number`);
  return n;
};
const durationArg = (text: string) => {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError('expects a duration like 30s, 5m or 2h');
  return ms;
};

const EXAMPLES_FUZZ = `
Examples:
  $ seccomplete fuzz --until-stable --out out/ -- node examples/demo-server/server.mjs --port {port} --root {workdir}
  $ seccomplete fuzz --jobs 2 --time 1h --out out/ --template examples/nginx=. \
      --endpoint http://127.0.0.1:{port} --endpoint https://127.0.0.1:{port2} -- nginx -p {workdir} -c nginx.conf
  $ seccomplete fuzz --until-stable 2m --json --out out/ -- ./my-server --listen 127.0.0.1:{port}
  $ seccomplete fuzz --strategies args,files,stdin,env --until-stable --jobs 2 --out out/gzip -- gzip

Placeholders in the command, in --template files and in --endpoint URLs:
  {port}     a free port private to each instance (--port auto); also {port1}
  {port2}…   more free ports of the same instance (an HTTPS listener, an upstream)
  {workdir}  a fresh, writable directory private to each instance and epoch

Outputs in --out: profile.json (Docker/Podman seccomp profile; more with --format),
provenance.json, report.html, coverage.json, summary.json, stats.jsonl, corpus/
(one JSON file per input that found something first; crashes/ inside it).
Running again with the same --out resumes.

Exit codes: 0 done, 2 usage, 3 target failed, 4 environment (strace, ptrace),
5 bad data file, 130 interrupted (corpus and profile saved).`;

function campaignOptions(cmd: Command): Command {
  return addTargetOptions(cmd)
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--corpus <dir>', 'corpus directory (default: <out>/corpus)')
    .option('--runtime <name>', "container runtime whose start-up syscalls the profile includes: auto, none, runc, runc@1.1.5", 'auto')
    .option('--no-arg-features', 'count only syscall names, not argument classes (socket family, ioctl request...)')
    .option('--prefer-enosys', 'answer a syscall with ENOSYS instead of allowing it when fault injection showed the target falls back (e.g. faccessat2 -> faccessat)')
    .option('--format <list>', `${FORMAT_OPTION_HELP}, into --out`, 'docker')
    .option('--arch <list>', ARCH_OPTION_HELP, 'x86_64')
    .option('--arg-rules', 'allow socket, ioctl, clone and personality only for the argument classes seen (address families, ioctl requests, no namespaces, personas)')
    .option('--no-provenance', 'do not write provenance.json (which corpus entry needed each syscall) next to the profile')
    .option('--log-inputs <file>', 'append the id of every input run to FILE (to compare runs)');
}

export function buildProgram(): Command {
  const program = new Command('seccomplete')
    .description(
      'Coverage-guided syscall explorer: fuzzes a program under strace until the set of\n' +
        'syscalls it makes stops growing, then writes a deny-by-default seccomp profile\n' +
        'and verifies it by replaying the corpus under enforcement.',
    )
    .version('0.1.0')
    .enablePositionalOptions()
    // commander's own usage errors get the same one-line form as ours
    .configureOutput({
      outputError: (text, write) => write(`seccomplete: error: ${text.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim()}\n`),
    })
    .showHelpAfterError('seccomplete: hint: run with --help for usage')
    .exitOverride();

  campaignOptions(
    program
      .command('fuzz')
      .description('explore a server target with generated and mutated inputs; write corpus, coverage and profile')
      .argument('<command...>', 'the target command, after --; use {port} and {workdir}'),
  )
    .option('-j, --jobs <n>', 'target instances run in parallel, each with its own port and workdir', intArg('--jobs'), 1)
    .option('--seed <n>', 'random seed: with --jobs 1 the same seed gives the same inputs (until inputs overlap: see --inflight)', intArg('--seed'), 1)
    .option(
      '--inflight <n>',
      `servers: once ${OVERLAP_AFTER_QUIET_EXECS} executions in a row found no new syscall, keep up to N inputs of http (and other connection channels) in flight per job; whatever new they show is re-run alone to find its owner. 1: every input alone, reproducible with --seed`,
      intArg('--inflight'),
      32,
    )
    .option('--time <duration>', 'stop after this run took this long (e.g. 10m, 2h)', durationArg)
    .option('--max-execs <n>', 'stop when the campaign (resumed runs included) reached this many executions', intArg('--max-execs'))
    .option(
      '--until-stable [patience]',
      'stop when nothing new came for PATIENCE (default 20s) and --stable-execs executions, and the Chao2 estimate of missed features is below 0.5',
    )
    .option('--stable-execs <n>', '--until-stable also waits for this many executions without a find (default 300 for servers, 3000 for commands)', intArg('--stable-execs'))
    .option('--no-resume', 'ignore coverage.json in --out and start afresh (the corpus is still replayed)')
    .addHelpText('after', EXAMPLES_FUZZ)
    .action(async (command: string[], opts: CampaignCliOptions & { untilStable?: string | true }) => {
      // Parsed here, after commander: an InvalidArgumentError thrown now would exit 2 without a word.
      const untilStable =
        opts.untilStable === undefined ? undefined : opts.untilStable === true ? 20_000 : durationOption('--until-stable', opts.untilStable);
      if (opts.jobs < 1) throw new UserError('--jobs must be at least 1', ExitCode.usage);
      if (opts.inflight < 1) throw new UserError('--inflight must be at least 1 (1: every input alone)', ExitCode.usage);
      if (untilStable === undefined && opts.time === undefined && opts.maxExecs === undefined) {
        throw new UserError('say when to stop: --until-stable, --time or --max-execs', ExitCode.usage);
      }
      program.setOptionValue('exitCode', await runCampaignCommand(command, { ...opts, untilStable }, { kind: 'fuzz' }));
    });

  campaignOptions(
    program
      .command('replay')
      .description('run a saved corpus against the (possibly upgraded) target; write its coverage and profile')
      .argument('<corpus>', 'corpus directory')
      .argument('<command...>', 'the target command, after --'),
  )
    .option('--only <ids>', 'replay only entries whose id starts with one of these (comma-separated)')
    .option('--minimize', 'trace every syscall of every entry and keep the smallest set of entries that covers all features (greedy set cover) in <out>/corpus')
    .addHelpText('after', '\nExit codes: 0 done, 2 usage, 3 target failed, 4 environment (strace, ptrace), 5 bad corpus, 130 interrupted (outputs saved).')
    .action(async (corpus: string, command: string[], opts: CampaignCliOptions & { only?: string; minimize?: boolean }) => {
      const only = opts.only ? opts.only.split(',').map((s) => s.trim()).filter(Boolean) : [];
      const code = await runCampaignCommand(
        command,
        { ...opts, jobs: 1, seed: 1, inflight: 1, resume: false },
        { kind: 'replay', corpus, only, minimize: opts.minimize === true },
      );
      program.setOptionValue('exitCode', code);
    });

  addTargetOptions(
    program
      .command('verify')
      .description(
        'replay the corpus (and --seeds inputs) unconfined and under the profile (enforced by strace); report denials and changed answers. ' +
          'Without --strategies, the channels the corpus was made with.',
      )
      .argument('<command...>', 'the target command, after --'),
  )
    .requiredOption('--profile <file>', 'Docker/Podman seccomp profile to check')
    .requiredOption('--corpus <dir>', 'corpus to replay')
    .addHelpText('after', '\nExit codes: 0 the profile holds, 1 denials or changed answers, 2 usage, 3 target, 4 environment, 5 bad profile or corpus.')
    .action(async (command: string[], opts: TargetCliOptions & { profile: string; corpus: string }, cmd: Command) => {
      // without --strategies, the channels the corpus was made with
      if (cmd.getOptionValueSource('strategies') === 'default') opts.strategies = (await corpusStrategies(path.resolve(opts.corpus))) ?? opts.strategies;
      const target = targetSpecFrom(command, opts);
      const warn = warner(opts.quiet);
      const strategies = (await strategiesFrom(opts, target)).strategies;
      const report = await verifyProfile({
        target,
        strategies,
        extraInputs: userSeedInputs(strategies, opts.seeds.map((d) => path.resolve(d))),
        profilePath: path.resolve(opts.profile),
        corpusDir: path.resolve(opts.corpus),
        stracePath: await straceFrom(opts),
        arch: 'x86_64',
        ...timingFrom(opts),
        warn,
      });
      printVerifyReport(report, opts.json === true);
      program.setOptionValue('exitCode', report.passed ? ExitCode.ok : ExitCode.findings);
    });

  program
    .command('profile')
    .description('write the seccomp profile again from a saved coverage.json (e.g. for another runtime)')
    .argument('<coverage>', 'coverage.json written by fuzz or replay')
    .option('-o, --output <file>', 'where to write the profile', 'profile.json')
    .option('--runtime <name>', 'container runtime whose start-up syscalls to include: auto, none, runc, runc@1.1.5', 'auto')
    .option('--prefer-enosys', 'answer a syscall with ENOSYS instead of allowing it when fault injection showed the target falls back')
    .option('--arg-rules', 'allow socket, ioctl, clone and personality only for the argument classes seen')
    .option('--no-provenance', 'do not write the provenance sidecar (which corpus entry needed each syscall) next to the profile')
    .option('--format <list>', FORMAT_OPTION_HELP, 'docker')
    .option('--arch <list>', ARCH_OPTION_HELP, 'x86_64')
    .option('--out <dir>', 'where the --format files go (default: the folder of --output)')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExit codes: 0 written, 2 usage, 5 bad coverage file or runtime data.')
    .action(async (coverageFile: string, opts: FormatCliOptions & { out?: string; output: string; runtime: string; json?: boolean; preferEnosys?: boolean; argRules?: boolean; provenance: boolean }) => {
      const { formats, architectures } = formatOptionsFrom(opts);
      let text: string;
      try {
        text = await readFile(coverageFile, 'utf8');
      } catch (err) {
        throw dataError(`cannot read '${coverageFile}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      let coverage;
      try {
        coverage = parseCoverageFile(text);
      } catch (err) {
        throw dataError(`${coverageFile}: ${(err as Error).message}`);
      }
      if (opts.argRules && coverage.argFeatures === false) throw dataError(`${coverageFile} was made with --no-arg-features: it has no argument classes for --arg-rules`);
      const runtime = await resolveRuntimeNeeds(opts.runtime, warner(false));
      const emitted = await emitDockerProfile(coverage.syscalls, coverage.arch, runtime, opts.output, {
        causes: coverage.causes ?? [],
        preferEnosys: opts.preferEnosys === true,
      }, opts.argRules ? Object.keys(coverage.features) : undefined, architectures);
      for (const line of emitted.plan.archWarnings) warner(false)(`--arch: ${line}`);
      const files = await writeProfileFormats(emitted.plan, formats, coverage.command, opts.out ?? path.dirname(path.resolve(opts.output)), opts.output);
      for (const note of emitted.plan.argRuleNotes ?? []) warner(false)(`--arg-rules: ${note}`);
      if (opts.provenance) await writeProvenanceSidecar(opts.output, emitted.plan, coverage, path.join(path.dirname(path.resolve(coverageFile)), 'corpus'));
      const result = {
        profile: path.resolve(opts.output),
        allowed: emitted.plan.allow.length,
        target: emitted.targetSyscalls.length,
        runtime: runtime ? `${runtime.runtime} ${runtime.version}` : null,
        runtimeOnly: emitted.runtimeSyscalls,
        errno: emitted.plan.errno.map((r) => ({ name: r.name, errno: r.errno })),
        architectures: emitted.plan.architectures,
        archWarnings: emitted.plan.archWarnings,
        files,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`profile allows ${result.allowed} syscalls (${result.target} seen, ${result.runtimeOnly.length} for ${result.runtime ?? 'no runtime'}) -> ${result.profile}\n`);
      if (!opts.json && otherFilesLine(files)) process.stdout.write(`${otherFilesLine(files)}\n`);
    });

  program
    .command('calibrate-runtime')
    .description("measure with the real dockerd which syscalls the container runtime makes under the filter, and store them as data")
    .requiredOption('--image <image>', 'a local image that has /bin/true or busybox (no registry needed)')
    .option('--docker-runtime <name>', 'docker runtime to measure (default: dockerd\'s default)')
    .option('--runs <n>', 'containers to start; the union is kept (Go\'s runtime varies)', intArg('--runs'), 10)
    .option('--json', 'print the measurement as JSON')
    .addHelpText('after', '\nExit codes: 0 measured and stored, 2 usage, 4 environment (docker, kernel log, root).')
    .action(async (opts: { image: string; dockerRuntime?: string; runs: number; json?: boolean }) => {
      const calibration: Parameters<typeof calibrateRuntime>[0] = { image: opts.image, runs: opts.runs };
      if (opts.dockerRuntime) calibration.runtime = opts.dockerRuntime;
      const needs = await calibrateRuntime(calibration);
      const file = await storeRuntimeNeeds(needs);
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...needs }, null, 2)}\n`);
      else process.stdout.write(`${needs.runtime} ${needs.version} needs ${needs.syscalls.length} syscalls under the filter -> ${file}\n`);
    });

  registerProfileTools(program);
  registerReportCommand(program);
  return program;
}

/** Runs the CLI; returns the process exit code. Errors become one line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return (program.getOptionValue('exitCode') as number | undefined) ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; commander already printed its message
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof UserError) {
      process.stderr.write(`seccomplete: error: ${err.message}\n`);
      if (err.hint) process.stderr.write(`seccomplete: hint: ${err.hint}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`seccomplete: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.SECCOMPLETE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 70;
  }
}
