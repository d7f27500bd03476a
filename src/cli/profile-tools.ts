import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { dataError, ExitCode, usageError } from '../errors.js';
import { parseDockerProfile, type DockerSeccompProfile } from '../profile/docker.js';
import {
  allowedWithCapabilities,
  diffProfiles,
  defaultContext,
  DOCKER_DEFAULT,
  DOCKER_DEFAULT_CAPS,
  loadDockerDefaultProfile,
  type DangerousFinding,
  type ProfileDiff,
} from '../profile/diff.js';
import { DANGEROUS_SYSCALLS } from '../profile/dangerous.js';
import { compactJson, displayPath, explainSyscall, truncateForDisplay, type Explanation } from '../profile/explain.js';
import { mergeProfiles, renderMergedProfile } from '../profile/merge.js';
import { writeFileAtomically } from '../util/atomic.js';
import { effectiveProfile } from '../profile/diff.js';
import { warner } from './common.js';

/** `merge`, `diff` and `explain`: tools that read profiles and runs rather than run targets. */
export function registerProfileTools(program: Command): void {
  const setExit = (code: number) => program.setOptionValue('exitCode', code);

  program
    .command('merge')
    .description('union of Docker seccomp profiles (replicas, runs): allowed if any input allows it; argument rules merged')
    .argument('<profiles...>', 'Docker/Podman seccomp profiles (two or more)')
    .option('-o, --output <file>', 'where to write the merged profile (default: stdout)')
    .option('--json', 'print a summary of the merge as JSON (needs -o)')
    .option('-q, --quiet', 'no notes on stderr')
    .addHelpText(
      'after',
      `
A syscall allowed unconditionally by one input is unconditional in the union; one allowed
only under argument conditions keeps the alternatives of every input. Errno answers are
kept while no input allows the call (ENOSYS wins over other errnos). The order of the
inputs does not matter.

Exit codes: 0 merged, 2 usage, 5 unreadable or malformed profile, or profiles that cannot be merged (different default actions).`,
    )
    .action(async (files: string[], opts: { output?: string; json?: boolean; quiet?: boolean }) => {
      if (files.length < 2) throw usageError('merge needs at least two profiles');
      if (opts.json && !opts.output) throw usageError('--json prints a summary; give -o FILE for the profile itself');
      const inputs = await Promise.all(files.map(async (file) => ({ label: file, profile: await readProfile(file) })));
      const { profile, notes } = mergeProfiles(inputs);
      const warn = warner(opts.quiet);
      for (const note of notes) warn(`merge: ${note}`);
      const text = renderMergedProfile(profile);
      if (!opts.output) {
        process.stdout.write(text);
        return;
      }
      await writeFileAtomically(path.resolve(opts.output), text);
      const effective = effectiveProfile(profile);
      const statuses = [...effective.syscalls.values()];
      const summary = {
        output: path.resolve(opts.output),
        inputs: files.map((f) => path.resolve(f)),
        allowed: statuses.filter((s) => s.allowed !== 'never').length,
        conditional: statuses.filter((s) => s.allowed === 'conditionally').length,
        otherRules: statuses.filter((s) => s.allowed === 'never').length,
        notes,
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        process.stdout.write(
          `merged ${files.length} profiles: allows ${summary.allowed} syscalls (${summary.conditional} under argument rules), ${summary.otherRules} with errno rules -> ${summary.output}\n`,
        );
      }
    });

  program
    .command('diff')
    .description("compare two Docker seccomp profiles, or one with Docker's default (B = docker-default)")
    .argument('<a>', 'profile A (e.g. the old one)')
    .argument('[b]', `profile B (e.g. the new one), or '${DOCKER_DEFAULT}'`)
    .option('--against <profile>', `compare A with this instead of B: '${DOCKER_DEFAULT}' (data/docker-default-seccomp.json)`)
    .option('--json', 'print the comparison as JSON')
    .addHelpText(
      'after',
      `
Both profiles are read as runc would apply them to a container on x86_64 with Docker's
default capabilities: rules whose includes/excludes do not match are left out, names that
are not x86_64 syscalls are ignored. "added" are allowed by B and not by A, "removed" the
other way round, "changed" are allowed (or denied) by both but under other conditions or
with another errno. Against Docker's default, the dangerous syscalls (ptrace, mount, bpf,
keyctl, io_uring, unshare, clone with namespaces...) that Docker's default allows and this
profile keeps out are listed, and the other way round.

Exit codes: 0 identical, 1 different (like diff(1)), 2 usage, 5 unreadable or malformed profile.`,
    )
    .action(async (a: string, b: string | undefined, opts: { against?: string; json?: boolean }) => {
      if (b !== undefined && opts.against !== undefined) throw usageError('give profile B or --against, not both');
      const other = b ?? opts.against;
      if (other === undefined) throw usageError(`diff needs profile B, or --against ${DOCKER_DEFAULT}`);
      if (opts.against !== undefined && opts.against !== DOCKER_DEFAULT) throw usageError(`--against knows only '${DOCKER_DEFAULT}'; to compare with a file, give it as B`);
      const profileA = await readProfile(a);
      const againstDocker = other === DOCKER_DEFAULT;
      const dockerDefault = againstDocker ? loadDockerDefaultProfile() : undefined;
      const profileB = dockerDefault ? dockerDefault.profile : await readProfile(other);
      const labelB = dockerDefault ? `Docker's default (${displayPath(dockerDefault.file)})` : other;
      const ctx = defaultContext();
      const diff = diffProfiles({ label: a, profile: profileA }, { label: labelB, profile: profileB }, ctx);
      const extra = dockerDefault
        ? {
            dockerDefault: {
              file: dockerDefault.file,
              context: { arch: ctx.arch, kernel: ctx.kernel, caps: DOCKER_DEFAULT_CAPS },
              keptOut: diff.dangerous.onlyB,
              letIn: diff.dangerous.onlyA,
              onlyWithCapabilities: allowedWithCapabilities(
                profileB,
                DANGEROUS_SYSCALLS.map((d) => d.name).filter((n) => ![...diff.dangerous.onlyB, ...diff.dangerous.both].some((f) => f.name === n)),
                ctx,
              ),
            },
          }
        : {};
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...diff, ...extra }, null, 2)}\n`);
      else process.stdout.write(renderDiff(diff, extra.dockerDefault));
      setExit(diff.identical ? ExitCode.ok : ExitCode.findings);
    });

  program
    .command('explain')
    .description('why a profile allows a syscall: the corpus entry that first needed it, its input, and how to replay it')
    .argument('<out>', 'the --out directory of a fuzz or replay run (coverage.json, profile.json, corpus/)')
    .argument('<syscall>', 'the syscall, e.g. fsync')
    .option('--corpus <dir>', 'the corpus, when it is not where the run left it')
    .option('--json', 'print the explanation as JSON')
    .addHelpText(
      'after',
      `
Example:
  $ seccomplete explain out/ fsync

Exit codes: 0 explained, 1 the profile does not allow the syscall, 2 not a syscall name, 5 missing or malformed run files.`,
    )
    .action(async (out: string, syscall: string, opts: { corpus?: string; json?: boolean }) => {
      const explanation = await explainSyscall(out, syscall, opts.corpus ? { corpus: opts.corpus } : {});
      const warn = warner(false);
      for (const w of explanation.warnings) warn(w);
      if (opts.json) process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
      else process.stdout.write(renderExplanation(explanation));
    });
}

async function readProfile(file: string): Promise<DockerSeccompProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw dataError(`cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseDockerProfile(text, file);
}

/** Names wrapped to `width` columns, indented. */
function wrapNames(names: readonly string[], indent = '  ', width = 100): string {
  const lines: string[] = [];
  let line = indent;
  for (const name of names) {
    if (line.length > indent.length && line.length + name.length + 1 > width) {
      lines.push(line);
      line = indent;
    }
    line += (line.length > indent.length ? ' ' : '') + name;
  }
  if (line.length > indent.length) lines.push(line);
  return lines.map((l) => `${l}\n`).join('');
}

function findings(title: string, list: readonly DangerousFinding[]): string {
  if (list.length === 0) return `${title}: none\n`;
  return `${title} (${list.length}):\n${list.map((f) => `  ${f.label}: ${f.why}\n`).join('')}`;
}

function renderDiff(diff: ProfileDiff, docker?: { keptOut: DangerousFinding[]; letIn: DangerousFinding[]; onlyWithCapabilities: { name: string; caps: string[] }[] }): string {
  const sideLine = (tag: string, s: ProfileDiff['a']) =>
    `${tag}: ${s.label}: allows ${s.allowed} syscalls (${s.conditional} under argument rules), ${s.otherRules} with rules of their own, default ${s.default}` +
    (s.ignored.length > 0 ? `; ${s.ignored.length} names that are not x86_64 syscalls ignored` : '') +
    '\n';
  let text = sideLine('A', diff.a) + sideLine('B', diff.b);
  if (diff.identical) return `${text}identical\n`;
  if (diff.defaultChanged) text += `default action: A ${diff.a.default}, B ${diff.b.default}\n`;
  if (diff.architecturesChanged) text += `architectures: A ${diff.a.architectures.join(', ') || 'native'}; B ${diff.b.architectures.join(', ') || 'native'}\n`;
  text += `added, allowed by B only (${diff.added.length}):\n${wrapNames(diff.added)}`;
  text += `removed, allowed by A only (${diff.removed.length}):\n${wrapNames(diff.removed)}`;
  if (diff.changed.length > 0) text += `changed (${diff.changed.length}):\n${diff.changed.map((c) => `  ${c.name}: A ${c.a}; B ${c.b}\n`).join('')}`;
  if (docker) {
    text += findings("dangerous syscalls this profile keeps out that Docker's default allows", docker.keptOut);
    text += findings("dangerous syscalls this profile allows that Docker's default keeps out", docker.letIn);
    if (docker.onlyWithCapabilities.length > 0) {
      text += `Docker's default allows these dangerous syscalls only with an added capability: ${docker.onlyWithCapabilities.map((c) => `${c.name} (${c.caps.join(' or ')})`).join(', ')}\n`;
    }
  } else {
    text += findings('dangerous syscalls B allows and A keeps out', diff.dangerous.onlyB);
    text += findings('dangerous syscalls A allows and B keeps out', diff.dangerous.onlyA);
  }
  return text;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function renderExplanation(x: Explanation): string {
  const lines: string[] = [];
  const profile = displayPath(x.profile.file);
  if (x.verdict === 'runtime') {
    lines.push(`${x.syscall}: ${x.profile.status} (${profile}) for the container runtime: the target was never seen making it`);
    if (x.runtime) lines.push(`  rule: ${x.runtime}`);
    return `${lines.join('\n')}\n`;
  }
  const errnoRule = x.profile.rules.find((r) => r.action === 'SCMP_ACT_ERRNO');
  if (x.verdict === 'errno') {
    lines.push(`${x.syscall}: ${x.profile.status} (${profile})${errnoRule?.comment ? `: ${errnoRule.comment}` : ''}`);
    if (!x.origin) return `${lines.join('\n')}\n`;
    lines.push('the target was seen making it anyway:');
  } else {
    lines.push(`${x.syscall}: ${x.profile.status} (${profile})`);
  }
  const o = x.origin!;
  const e = x.entry;
  const when = `execution ${e?.exec ?? o.exec}${e?.epoch !== null && e?.epoch !== undefined ? ` in epoch ${e.epoch}` : ''}, ${seconds(e?.elapsedMs ?? o.atMs)} into the run`;
  if (o.kind === 'startup' || o.kind === 'shutdown' || o.kind === 'lifecycle') {
    const what = o.kind === 'shutdown' ? 'shutdown' : o.kind === 'startup' ? 'start-up' : 'start-up or shutdown';
    lines.push(`first made during the target's ${what} (${when}), not by an input`);
  } else {
    lines.push(`first needed by corpus entry ${o.entry?.slice(0, 12) ?? '(none recorded)'} (strategy ${e?.strategy ?? o.strategy}), ${when}`);
    if (e?.describe) lines.push(`  ${e.describe}`);
  }
  if (o.errorPathOnly) lines.push('  seen only with an injected fault: an error path needs it');
  const classes = Object.keys(o.classes);
  if (classes.length > 0) {
    lines.push(`  argument classes of ${x.syscall}: ${classes.map((c) => `${c} (entry ${o.classes[c]!.entry?.slice(0, 12) ?? '?'})`).join(', ')}`);
  }
  if (e) {
    const MAX_NAMES = 24;
    const some = (list: string[]) => (list.length > MAX_NAMES ? `${list.slice(0, MAX_NAMES).join(' ')} … ${list.length - MAX_NAMES} more` : list.join(' '));
    lines.push(`  found first by this entry: ${some(e.found.syscalls) || '-'}`);
    lines.push(`  of which argument classes: ${some(e.found.argumentClasses) || 'none'}`);
    if (e.found.faultCauses.length > 0) lines.push(`  fault causes: ${e.found.faultCauses.join(' ')}`);
    if (e.found.states.length > 0) lines.push(`  target states: ${e.found.states.join(' ')}`);
    if (e.input !== null && o.kind === 'input') {
      lines.push('input:');
      const json = compactJson(truncateForDisplay(e.input)).split('\n');
      const MAX_LINES = 40;
      for (const line of json.slice(0, MAX_LINES)) lines.push(`  ${line}`);
      if (json.length > MAX_LINES) lines.push(`  … ${json.length - MAX_LINES} more lines in ${e.file ? displayPath(e.file) : 'the corpus entry'}`);
    } else if (e.file) {
      lines.push(`  entry file: ${displayPath(e.file)}`);
    }
  }
  if (x.reproduce) {
    lines.push(`reproduce${x.reproduce.note ? ` (${x.reproduce.note})` : ''}:`);
    lines.push(`  ${x.reproduce.shell}`);
    lines.push('  (add the --template, --env and --ready options of the original run, if it had any)');
  }
  return `${lines.join('\n')}\n`;
}
