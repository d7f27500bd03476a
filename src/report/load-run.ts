import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Summary } from '../cli/campaign-command.js';
import { loadCorpus } from '../corpus/corpus.js';
import { CRASH_FORMAT, type CorpusEntry } from '../corpus/entry.js';
import { parseCoverageFile } from '../engine/campaign.js';
import { dataError } from '../errors.js';
import { effectiveProfile, loadDockerDefaultProfile } from '../profile/diff.js';
import { allowedNames, parseDockerProfile, type DockerSeccompProfile } from '../profile/docker.js';
import { REPORT_CONTEXT } from './docker-compare.js';
import type { CrashView, ProfileView, ReportData, StatsLine } from './html.js';

/** Everything the report shows, read from a fuzz or replay `--out` directory. */
export async function loadRun(outDir: string, o: { summary?: Summary; now?: Date } = {}): Promise<ReportData> {
  const dir = path.resolve(outDir);
  const problems: string[] = [];

  const coverageFile = path.join(dir, 'coverage.json');
  let coverageText: string;
  try {
    coverageText = await readFile(coverageFile, 'utf8');
  } catch (err) {
    throw dataError(`cannot read ${coverageFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the --out directory of a fuzz or replay run');
  }
  let coverage;
  try {
    coverage = parseCoverageFile(coverageText);
  } catch (err) {
    throw dataError(`${coverageFile}: ${(err as Error).message}`);
  }

  let summary: Partial<Summary> | undefined = o.summary;
  if (!summary) {
    const text = await readOptional(path.join(dir, 'summary.json'));
    if (text !== undefined) {
      try {
        const value = JSON.parse(text) as unknown;
        if (value && typeof value === 'object' && !Array.isArray(value)) summary = value as Partial<Summary>;
        else problems.push('summary.json is not an object; left out');
      } catch {
        problems.push('summary.json is not valid JSON; left out');
      }
    }
  }

  let profile: ProfileView | undefined;
  const profileFile = path.join(dir, 'profile.json');
  const profileText = await readOptional(profileFile);
  if (profileText !== undefined) {
    try {
      profile = profileView(parseDockerProfile(profileText, 'profile.json'));
    } catch (err) {
      problems.push(`${(err as Error).message}; the profile is left out`);
    }
  } else problems.push('no profile.json in the directory: the comparison uses the observed syscalls');

  const { lines: stats, earlier } = parseStats((await readOptional(path.join(dir, 'stats.jsonl'))) ?? '');

  // The corpus next to the outputs; a run made with --corpus elsewhere names it in its summary.
  let entries: CorpusEntry[] = [];
  let corpusDir = path.join(dir, 'corpus');
  if (!existsSync(corpusDir) && typeof summary?.corpusDir === 'string' && existsSync(summary.corpusDir)) corpusDir = summary.corpusDir;
  try {
    const loaded = await loadCorpus(corpusDir);
    entries = loaded.entries;
    for (const p of loaded.problems) problems.push(`skipped corpus file ${path.basename(p.file)}: ${p.reason}`);
  } catch {
    problems.push(`no corpus at ${corpusDir}: the provenance shows entry ids only`);
  }
  const crashes = await loadCrashes(path.join(corpusDir, 'crashes'));

  let docker: DockerSeccompProfile | undefined;
  try {
    docker = loadDockerDefaultProfile().profile;
  } catch (err) {
    problems.push(`Docker's default profile is unavailable (${(err as Error).message}): no comparison`);
  }

  const data: ReportData = {
    outDir: dir,
    generatedAt: (o.now ?? new Date()).toISOString(),
    coverage,
    stats,
    statsEarlierLines: earlier,
    entries,
    crashes,
    problems,
  };
  if (summary) data.summary = summary;
  if (profile) data.profile = profile;
  if (docker) data.docker = docker;
  return data;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What the report needs of a written profile: allowed names and the errno rules with their reasons. */
export function profileView(profile: DockerSeccompProfile): ProfileView {
  const errno: ProfileView['errno'] = [];
  const runtimeOnly = new Set<string>();
  let runtimeLabel: string | undefined;
  for (const rule of profile.syscalls ?? []) {
    if ((rule.args ?? []).length > 0 || rule.includes || rule.excludes) continue;
    if (rule.action === 'SCMP_ACT_ERRNO') {
      for (const name of rule.names) errno.push({ name, errno: rule.errnoRet ?? 1, reason: rule.comment ?? '' });
    } else if (rule.action === 'SCMP_ACT_ALLOW' && rule.comment?.startsWith('not made by the target')) {
      for (const name of rule.names) runtimeOnly.add(name);
      runtimeLabel = /needed by (.+?) between/.exec(rule.comment)?.[1] ?? runtimeLabel;
    }
  }
  // with or without argument conditions (--arg-rules), as `seccomplete diff` reads it
  const effective = effectiveProfile(profile, REPORT_CONTEXT);
  const conditional = [...effective.syscalls].filter(([, s]) => s.allowed === 'conditionally').map(([n]) => n);
  const view: ProfileView = {
    allowed: [...new Set([...allowedNames(profile), ...conditional])].sort(),
    conditional: conditional.sort(),
    source: profile,
    runtimeOnly: [...runtimeOnly].sort(),
    errno: errno.sort((a, b) => a.name.localeCompare(b.name)),
    defaultErrno: profile.defaultErrnoRet ?? 1,
  };
  if (runtimeLabel) view.runtime = runtimeLabel;
  return view;
}

/**
 * stats.jsonl, one object per line. A run that started afresh in the same directory
 * (replay, --no-resume) appends from zero again: only the last run is kept.
 */
export function parseStats(text: string): { lines: StatsLine[]; earlier: number } {
  const all: StatsLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      continue; // a line cut short by a kill
    }
    const v = value as Record<string, unknown>;
    if (!v || typeof v !== 'object') continue;
    const num = (k: string) => (typeof v[k] === 'number' && Number.isFinite(v[k]) ? (v[k] as number) : undefined);
    const executions = num('executions');
    const elapsedMs = num('elapsedMs');
    const features = num('features');
    if (executions === undefined || elapsedMs === undefined || features === undefined) continue;
    all.push({
      elapsedMs,
      executions,
      features,
      syscalls: num('syscalls') ?? 0,
      execsPerSec: num('execsPerSec') ?? 0,
      corpus: num('corpus') ?? 0,
      epochs: num('epochs') ?? 0,
      crashes: num('crashes') ?? 0,
      hangs: num('hangs') ?? 0,
      q1: num('q1') ?? 0,
      q2: num('q2') ?? 0,
      estimatedMissing: num('estimatedMissing') ?? 0,
    });
  }
  let start = 0;
  for (let i = 1; i < all.length; i++) {
    const prev = all[i - 1] as StatsLine;
    const cur = all[i] as StatsLine;
    if (cur.executions < prev.executions || cur.elapsedMs < prev.elapsedMs) start = i;
  }
  return { lines: all.slice(start), earlier: start };
}

async function loadCrashes(dir: string): Promise<CrashView[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: CrashView[] = [];
  for (const name of names) {
    try {
      const v = JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Record<string, unknown>;
      if (!v || v.format !== CRASH_FORMAT) continue;
      const exit = (v.exit ?? {}) as { code?: unknown; signal?: unknown };
      out.push({
        file: name,
        kind: v.kind === 'hang' ? 'hang' : 'crash',
        strategy: String(v.strategy ?? ''),
        describe: String(v.describe ?? ''),
        exit: exit.signal !== undefined ? `signal ${String(exit.signal)}` : exit.code !== undefined ? `exit ${String(exit.code)}` : '',
        time: String(v.time ?? ''),
        outputTail: String(v.outputTail ?? ''),
      });
    } catch {
      // an unreadable crash record is not worth failing the report for
    }
  }
  return out;
}
