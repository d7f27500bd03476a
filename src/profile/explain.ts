import { isSecondaryFeature, neededSyscall } from '../coverage/features.js';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { corpusEntryProblem, loadCorpus } from '../corpus/corpus.js';
import { LIFECYCLE, type CorpusEntry } from '../corpus/entry.js';
import { parseCoverageFile, type CoverageFile } from '../engine/campaign.js';
import { dataError, ExitCode, usageError, UserError } from '../errors.js';
import { canonicalSyscallName, isKnownSyscall } from '../syscalls/table.js';
import { effectiveProfile, type SyscallStatus } from './diff.js';
import { parseDockerProfile, type DockerSyscallRule } from './docker.js';
import { syscallOrigins, type SyscallOrigin } from './provenance.js';

/**
 * `seccomplete explain OUT SYSCALL`: why a profile allows a syscall. The answer comes from
 * the run itself: coverage.json names the corpus entry that first made each feature, the
 * corpus keeps that input, and `replay --only` runs it again.
 */

export type Verdict = 'target' | 'runtime' | 'errno';

export interface Explanation {
  syscall: string;
  outDir: string;
  profile: { file: string; status: string; rules: DockerSyscallRule[] };
  verdict: Verdict;
  /** target: the first execution that needed it; errno: set when the target was seen making it anyway */
  origin: SyscallOrigin | null;
  /** runtime: the rule's comment naming the runtime */
  runtime: string | null;
  corpusDir: string;
  entry: {
    id: string;
    file: string | null;
    strategy: string;
    describe: string | null;
    epoch: number | null;
    exec: number;
    elapsedMs: number;
    input: unknown;
    /** what this entry found first, split up */
    found: { syscalls: string[]; argumentClasses: string[]; faultCauses: string[]; states: string[] };
  } | null;
  reproduce: { argv: string[]; shell: string; note: string | null } | null;
  warnings: string[];
}

export interface ExplainOptions {
  corpus?: string;
  /** how paths are shown in the reproduce command (default: relative to the current directory) */
  cwd?: string;
}

export async function explainSyscall(outDir: string, syscallArg: string, options: ExplainOptions = {}): Promise<Explanation> {
  const out = path.resolve(outDir);
  if (!existsSync(out) || !statSync(out).isDirectory()) throw dataError(`'${outDir}' is not a directory: give the --out directory of a fuzz or replay run`);
  const coverage = await readCoverage(path.join(out, 'coverage.json'));
  const name = canonicalSyscallName(syscallArg.trim(), coverage.arch);
  if (!isKnownSyscall(name, coverage.arch)) throw usageError(`'${syscallArg}' is not an ${coverage.arch} syscall`);

  const profileFile = path.join(out, 'profile.json');
  const profile = parseDockerProfile(await readText(profileFile), profileFile);
  const status: SyscallStatus | undefined = effectiveProfile(profile).syscalls.get(name);
  const rules = (profile.syscalls ?? []).filter((r) => r.names.includes(name));

  const corpusDir = await corpusDirOf(out, options.corpus);
  const entries = new Map<string, CorpusEntry>();
  const origin = syscallOrigins(coverage, entries).get(name) ?? null;

  let verdict: Verdict;
  if (status?.allowed === 'always' || status?.allowed === 'conditionally') verdict = origin ? 'target' : 'runtime';
  else if (status) verdict = 'errno';
  else {
    const seen = origin ? ` although the target was seen making it (first by entry ${origin.entry?.slice(0, 12) ?? '?'}): was the profile written from another run?` : ': the target was never seen making it';
    throw new UserError(`${name} is not in ${displayPath(profileFile, options.cwd)}${seen}`, ExitCode.findings);
  }

  const warnings: string[] = [];
  let entry: Explanation['entry'] = null;
  let reproduce: Explanation['reproduce'] = null;
  if (origin?.entry) {
    const loaded = await readEntry(corpusDir, origin.entry);
    if (!loaded.entry) warnings.push(`corpus entry ${origin.entry.slice(0, 12)} is not in ${displayPath(corpusDir, options.cwd)} (${loaded.problem}); coverage.json still names it`);
    const e = loaded.entry;
    entry = {
      id: origin.entry,
      file: e ? loaded.file : null,
      strategy: e?.strategy ?? origin.strategy,
      describe: e?.describe ?? null,
      epoch: e?.origin.epoch ?? null,
      exec: e?.origin.exec ?? origin.exec,
      elapsedMs: e?.origin.elapsedMs ?? origin.atMs,
      input: e?.input ?? null,
      found: splitFound(e?.found ?? []),
    };
    if (e) {
      origin.describe = e.describe;
      origin.epoch = e.origin.epoch;
      origin.strategy = e.strategy;
      if (e.strategy === LIFECYCLE) {
        const event = (e.input as { event?: unknown } | null)?.event;
        origin.kind = event === 'startup' || event === 'shutdown' ? event : 'lifecycle';
      }
    }
    reproduce = await reproduceCommand(origin, coverage, out, corpusDir, name, options.cwd);
  }

  const runtime = verdict === 'runtime' ? (rules.find((r) => r.action === 'SCMP_ACT_ALLOW')?.comment ?? null) : null;
  return {
    syscall: name,
    outDir: out,
    profile: { file: profileFile, status: status!.text, rules },
    verdict,
    origin,
    runtime,
    corpusDir,
    entry,
    reproduce,
    warnings,
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw dataError(`cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'explain needs the --out directory of a fuzz or replay run');
  }
}

async function readCoverage(file: string): Promise<CoverageFile> {
  const text = await readText(file);
  try {
    return parseCoverageFile(text);
  } catch (err) {
    throw dataError(`${file}: ${(err as Error).message}`);
  }
}

/** `--corpus`, else the corpus summary.json names (fuzz --corpus elsewhere), else OUT/corpus. */
async function corpusDirOf(out: string, given: string | undefined): Promise<string> {
  if (given) return path.resolve(given);
  try {
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as { corpusDir?: unknown };
    if (typeof summary.corpusDir === 'string' && existsSync(summary.corpusDir)) return summary.corpusDir;
  } catch {
    // no summary (interrupted run): the default place
  }
  return path.join(out, 'corpus');
}

async function readEntry(corpusDir: string, id: string): Promise<{ entry: CorpusEntry | null; file: string; problem: string }> {
  const file = path.join(corpusDir, `${id}.json`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { entry: null, file, problem: code === 'ENOENT' ? 'no such file' : `unreadable: ${(err as Error).message.replace(/\s+/g, ' ')}` };
  }
  const problem = corpusEntryProblem(value, `${id}.json`);
  return problem ? { entry: null, file, problem } : { entry: value as CorpusEntry, file, problem: '' };
}

function splitFound(found: readonly string[]): { syscalls: string[]; argumentClasses: string[]; faultCauses: string[]; states: string[] } {
  const needs = found.filter((f) => neededSyscall(f) !== undefined);
  return {
    syscalls: needs.filter((f) => !f.includes(':')),
    argumentClasses: needs.filter((f) => f.includes(':')),
    faultCauses: found.filter((f) => f.includes('!')),
    states: found.filter(isSecondaryFeature),
  };
}

async function reproduceCommand(
  origin: SyscallOrigin,
  coverage: CoverageFile,
  out: string,
  corpusDir: string,
  name: string,
  cwd: string | undefined,
): Promise<Explanation['reproduce']> {
  let id = origin.entry;
  let strategy = origin.strategy;
  let note: string | null = null;
  if (origin.kind !== 'input') {
    // start-up and shutdown are not inputs: every replay starts and stops the target
    const { entries } = await loadCorpus(corpusDir).catch(() => ({ entries: [] as CorpusEntry[] }));
    const any = entries.find((e) => e.strategy !== LIFECYCLE);
    if (!any) return null;
    id = any.id;
    strategy = any.strategy;
    note = `${origin.kind === 'shutdown' ? 'the shutdown' : 'the start-up'} of the target made it: replaying any entry reproduces it`;
  }
  if (!id) return null;
  const replayOut = `${out.replace(/[\\/]+$/, '')}-explain-${name}`;
  const argv = [
    'seccomplete',
    'replay',
    displayPath(corpusDir, cwd),
    '--only',
    id.slice(0, 12),
    ...(strategy !== 'http' ? ['--strategies', strategy] : []),
    '--out',
    displayPath(replayOut, cwd),
    '--',
    ...coverage.command,
  ];
  return { argv, shell: argv.map(shellQuote).join(' '), note };
}

export function displayPath(file: string, cwd = process.cwd()): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** POSIX shell quoting: bare when safe, else single quotes. `{port}` stays bare (no shell expands it). */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./{}-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The input for people: strings past `maxString` characters, arrays past `maxItems`
 * elements and nesting past `maxDepth` are cut, saying how much was left out.
 */
export function truncateForDisplay(value: unknown, limits = { maxString: 200, maxItems: 12, maxDepth: 6 }, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.length > limits.maxString ? `${value.slice(0, limits.maxString)}… (${value.length - limits.maxString} more characters)` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= limits.maxDepth) return Array.isArray(value) ? `[… ${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    const shown = value.slice(0, limits.maxItems).map((v) => truncateForDisplay(v, limits, depth + 1));
    if (value.length > limits.maxItems) shown.push(`… ${value.length - limits.maxItems} more items`);
    return shown;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = truncateForDisplay(v, limits, depth + 1);
  return out;
}

/** JSON pretty-printed, but an array or object that fits in `width` columns stays on one line. */
export function compactJson(value: unknown, width = 96, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat === undefined) return 'null';
  if (value === null || typeof value !== 'object' || indent.length + flat.length <= width) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + compactJson(v, width, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, width, inner)}`).join(',\n')}\n${indent}}`;
}
