import type { Summary } from '../cli/campaign-command.js';
import type { CorpusEntry } from '../corpus/entry.js';
import { isSecondaryFeature, neededSyscall, syscallOfFeature } from '../coverage/features.js';
import { saturation, type Saturation } from '../coverage/saturation.js';
import type { CoverageFile } from '../engine/campaign.js';
import { STABLE_DISCOVERY_PROBABILITY, STABLE_MIN_EXECS, STABLE_MISSING } from '../engine/stop-rule.js';
import type { DockerSeccompProfile } from '../profile/docker.js';
import { canonicalSyscallName, type Arch } from '../syscalls/table.js';
import { formatDuration } from '../util/duration.js';
import { allowListProfile, compareWithDockerDefault, describeStance, isAllowedStance, type DockerComparison } from './docker-compare.js';
import { clip, esc } from './escape.js';
import { lineChart, type Marker, type Point } from './svg-chart.js';

/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no network)
 * for whoever reviews a profile. Pure: a run's data in, HTML out. Every string that
 * comes from the run's files goes through `esc`.
 */

export interface StatsLine {
  elapsedMs: number;
  executions: number;
  features: number;
  syscalls: number;
  execsPerSec: number;
  corpus: number;
  epochs: number;
  crashes: number;
  hangs: number;
  q1: number;
  q2: number;
  estimatedMissing: number;
}

export interface ProfileView {
  /** every name the profile allows, with or without argument conditions */
  allowed: string[];
  /** of those, allowed only under argument conditions (`--arg-rules`) */
  conditional: string[];
  /** the profile as written, for the comparison with Docker's default */
  source: DockerSeccompProfile;
  /** allowed only for the container runtime */
  runtimeOnly: string[];
  /** e.g. `runc 1.1.5` */
  runtime?: string;
  errno: { name: string; errno: number; reason: string }[];
  defaultErrno: number;
}

export interface CrashView {
  file: string;
  kind: 'crash' | 'hang';
  strategy: string;
  describe: string;
  exit: string;
  time: string;
  outputTail: string;
}

export interface ReportData {
  outDir: string;
  generatedAt: string;
  coverage: CoverageFile;
  summary?: Partial<Summary>;
  profile?: ProfileView;
  /** Docker's default profile, the baseline */
  docker?: DockerSeccompProfile;
  /** stats.jsonl of the last run in the directory */
  stats: StatsLine[];
  /** lines of earlier runs in stats.jsonl that are not shown */
  statsEarlierLines: number;
  entries: CorpusEntry[];
  crashes: CrashView[];
  /** what could not be read, shown at the top */
  problems: string[];
}

const COLOR = {
  features: '#2563eb',
  syscalls: '#ea580c',
  missing: '#9333ea',
  q1: '#64748b',
  lifecycle: '#059669',
  epochs: '#94a3b8',
};
const STRATEGY_COLORS = ['#2563eb', '#ea580c', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4d7c0f'];
const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  22: 'EINVAL',
  24: 'EMFILE',
  28: 'ENOSPC',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
};
const errnoName = (n: number) => (ERRNO_NAMES[n] ? `${ERRNO_NAMES[n]} (${n})` : `errno ${n}`);
const num = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?');
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '?');
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(n < 0.1 ? 2 : 1)}%` : '?');
const idPrefix = (id: unknown) => (typeof id === 'string' ? id.slice(0, 12) : '');
const finite = (v: unknown, fallback = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

interface FeatureInfo {
  name: string;
  count: number;
  faultCount: number;
  firstExec: number;
  firstAtMs: number;
  strategy: string;
  firstEntry: string | undefined;
}

/** The coverage file's features, with every field checked (the file is data, not code). */
function featureInfos(coverage: CoverageFile): FeatureInfo[] {
  const out: FeatureInfo[] = [];
  for (const [name, raw] of Object.entries(coverage.features ?? {})) {
    const rec = (raw ?? {}) as unknown as Record<string, unknown>;
    out.push({
      name,
      count: finite(rec.count),
      faultCount: finite(rec.faultCount),
      firstExec: finite(rec.firstExec, Number.MAX_SAFE_INTEGER),
      firstAtMs: finite(rec.firstAtMs),
      strategy: str(rec.strategy) || '?',
      firstEntry: typeof rec.firstEntry === 'string' ? rec.firstEntry : undefined,
    });
  }
  // the same order as provenance.json (src/profile/provenance.ts): first execution, then time, then name
  return out.sort((a, b) => a.firstExec - b.firstExec || a.firstAtMs - b.firstAtMs || a.name.localeCompare(b.name));
}

/** fault causes and secondary features (`@exit:1`) name no syscall the target needs */
const isCause = (feature: string) => neededSyscall(feature) === undefined;

export function renderReport(d: ReportData): string {
  const arch: Arch = d.coverage.arch ?? 'x86_64';
  const features = featureInfos(d.coverage);
  const entriesById = new Map(d.entries.map((e) => [e.id, e]));
  const sat = saturation(
    finite(d.coverage.executions),
    features.filter((f) => !isSecondaryFeature(f.name)).map((f) => f.count),
  );
  const observed = [...new Set(features.filter((f) => !isCause(f.name)).map((f) => canonicalSyscallName(syscallOfFeature(f.name), arch)))].sort();
  const allowed = d.profile ? d.profile.allowed : observed;
  const comparison = d.docker ? compareWithDockerDefault(d.profile?.source ?? allowListProfile(observed), d.docker) : undefined;
  const strategies = strategyNames(d, features);
  const ctx: Ctx = { d, arch, features, entriesById, sat, observed, allowed, comparison, strategies };

  const body = [
    header(ctx),
    problems(ctx),
    discovery(ctx),
    saturationSection(ctx),
    strategiesSection(ctx),
    dockerSection(ctx),
    provenanceSection(ctx),
    errorPathsSection(ctx),
    corpusSection(ctx),
    crashesSection(ctx),
    footer(ctx),
  ].join('\n');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="seccomplete">
<title>seccomplete report: ${esc(clip(d.coverage.command.map(str).join(' '), 80))}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

interface Ctx {
  d: ReportData;
  arch: Arch;
  features: FeatureInfo[];
  entriesById: Map<string, CorpusEntry>;
  sat: Saturation;
  observed: string[];
  allowed: string[];
  comparison: DockerComparison | undefined;
  strategies: string[];
}

function strategyNames(d: ReportData, features: FeatureInfo[]): string[] {
  const names = new Set<string>();
  for (const s of d.coverage.strategies ?? []) names.add(str(s?.name));
  for (const f of features) names.add(f.strategy);
  for (const e of d.entries) names.add(str(e.strategy));
  names.delete('');
  return [...names];
}

function strategyColor(ctx: Ctx, name: string): string {
  if (name === 'lifecycle') return COLOR.lifecycle;
  const i = ctx.strategies.filter((s) => s !== 'lifecycle').indexOf(name);
  return STRATEGY_COLORS[(i < 0 ? 0 : i) % STRATEGY_COLORS.length] as string;
}

// ---------------------------------------------------------------------------------------------

function header(ctx: Ctx): string {
  const { d, sat } = ctx;
  const s = d.summary ?? {};
  const c = d.coverage;
  const faultExecs = finite(c.faultExecutions);
  const executions = finite(s.executions, finite(c.executions) + faultExecs);
  const elapsed = finite(s.elapsedMs, finite(c.elapsedMs));
  const reason = str(s.reason) || 'unknown';
  const crashes = finite(s.crashes, d.crashes.filter((x) => x.kind === 'crash').length);
  const hangs = finite(s.hangs, d.crashes.filter((x) => x.kind === 'hang').length);
  const cards: [string, string, string?][] = [
    ['executions', num(executions), faultExecs > 0 ? `${num(faultExecs)} under injected faults` : undefined],
    ['run time', formatDuration(elapsed), `${fixed(executions / Math.max(elapsed / 1000, 0.001))} execs/s`],
    ['epochs', num(finite(c.epochs)), 'target starts'],
    ['syscalls', num(ctx.observed.length), `${num(ctx.features.filter((f) => !isCause(f.name)).length)} features`],
    ['corpus', num(d.entries.length || finite(s.corpus)), 'inputs that found something first'],
    ['est. missing', fixed(sat.estimatedMissing), `Chao2, Q1/n ${pct(sat.discoveryProbability)}`],
    ['profile allows', num(ctx.allowed.length), d.profile?.runtimeOnly.length ? `${d.profile.runtimeOnly.length} for ${d.profile.runtime ?? 'the runtime'}` : d.profile ? 'syscalls' : 'observed (no profile.json)'],
    ['crashes / hangs', `${num(crashes)} / ${num(hangs)}`, crashes + hangs > 0 ? 'see below' : undefined],
  ];
  const verdict = verdictLine(reason, sat);
  return `<header>
<p class="kicker">seccomplete report</p>
<h1><code>${esc(c.command.map(str).join(' '))}</code></h1>
<p class="meta">${esc(reasonText(reason))} · ${esc(c.arch ?? 'x86_64')} · generated ${esc(d.generatedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} · <span class="path">${esc(d.outDir)}</span></p>
<p class="verdict ${verdict.cls}">${verdict.html}</p>
<div class="cards">${cards
    .map(([label, value, sub]) => `<div class="card"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div>${sub ? `<div class="sub">${esc(sub)}</div>` : ''}</div>`)
    .join('')}</div>
<nav><a href="#discovery">discovery</a><a href="#saturation">saturation</a><a href="#strategies">strategies</a><a href="#docker">vs Docker's default</a><a href="#provenance">provenance</a><a href="#error-paths">errno rules &amp; error paths</a><a href="#corpus">corpus</a>${d.crashes.length ? '<a href="#crashes">crashes</a>' : ''}</nav>
</header>`;
}

function reasonText(reason: string): string {
  switch (reason) {
    case 'stable':
      return 'stopped: stable (--until-stable)';
    case 'replayed':
      return 'replay of a corpus';
    case 'max-execs':
      return 'stopped: --max-execs reached';
    case 'time':
      return 'stopped: --time reached';
    case 'interrupted':
      return 'stopped: interrupted';
    default:
      return `stopped: ${reason}`;
  }
}

function verdictLine(reason: string, sat: Saturation): { cls: string; html: string } {
  const saturated = sat.executions >= STABLE_MIN_EXECS && sat.estimatedMissing < STABLE_MISSING && sat.discoveryProbability < STABLE_DISCOVERY_PROBABILITY;
  if (saturated) {
    return {
      cls: 'good',
      html: `Discovery saturated: an estimated <b>${fixed(sat.estimatedMissing, 2)}</b> features are still missing, and the chance that the next execution finds a new one is <b>${pct(sat.discoveryProbability)}</b>.`,
    };
  }
  if (sat.executions < STABLE_MIN_EXECS) {
    return {
      cls: 'warn',
      html: `Only <b>${num(sat.executions)}</b> ordinary executions: too few for the saturation estimate to say anything (it needs ${STABLE_MIN_EXECS}). Treat the profile as a first draft.`,
    };
  }
  const advice = reason === 'replayed' ? 'A replay only re-runs a corpus: fuzz with --until-stable to explore further' : 'Run longer, e.g. with --until-stable';
  return {
    cls: 'warn',
    html: `Not saturated: an estimated <b>${fixed(sat.estimatedMissing)}</b> features are still missing (Q1/n = <b>${pct(sat.discoveryProbability)}</b>); paths the target rarely takes may be absent from the profile. ${esc(advice)}.`,
  };
}

function problems(ctx: Ctx): string {
  const list = [...ctx.d.problems];
  if (ctx.d.statsEarlierLines > 0) list.push(`stats.jsonl holds ${ctx.d.statsEarlierLines} lines of earlier runs in this directory; the curves show the last run`);
  if (list.length === 0) return '';
  return `<aside class="notes"><b>Notes</b><ul>${list.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></aside>`;
}

// ---------------------------------------------------------------------------------------------
// Discovery curves

function discovery(ctx: Ctx): string {
  const { d } = ctx;
  let stats = d.stats;
  let source = 'stats.jsonl (one line a second)';
  if (stats.length < 2) {
    // too short for stats: rebuild the curve from when each feature was first seen
    stats = curveFromFeatures(ctx);
    source = 'coverage.json (first sighting of each feature): stats.jsonl had too few lines';
  }
  const execPts = (key: 'features' | 'syscalls' | 'estimatedMissing' | 'q1'): Point[] => stats.map((l) => [l.executions, l[key]] as const);
  const timePts = (key: 'features' | 'syscalls'): Point[] => stats.map((l) => [l.elapsedMs, l[key]] as const);

  const epochExec: number[] = [];
  const epochTime: number[] = [];
  for (let i = 1; i < stats.length; i++) {
    const prev = stats[i - 1] as StatsLine;
    const cur = stats[i] as StatsLine;
    if (cur.epochs > prev.epochs) {
      epochExec.push(cur.executions);
      epochTime.push(cur.elapsedMs);
    }
  }

  // finds of start-ups and shutdowns (the lifecycle "strategy"), grouped by execution
  const lifecycle = new Map<number, FeatureInfo[]>();
  for (const f of ctx.features) {
    if (f.strategy !== 'lifecycle' || isCause(f.name)) continue;
    const list = lifecycle.get(f.firstExec) ?? [];
    list.push(f);
    lifecycle.set(f.firstExec, list);
  }
  const featuresAt = (x: number, key: 'executions' | 'elapsedMs') => {
    const line = stats.find((l) => l[key] >= x) ?? stats[stats.length - 1];
    return line ? line.features : 0;
  };
  const execMarkers: Marker[] = [];
  const timeMarkers: Marker[] = [];
  for (const [exec, list] of lifecycle) {
    const label = `target start-up or shutdown at execution ${exec}: +${list.length} (${clip(list.map((f) => f.name).join(' '), 120)})`;
    const first = list[0] as FeatureInfo;
    // execution `exec` (0-based) is counted in the first line with more than `exec` executions
    execMarkers.push({ x: exec, y: featuresAt(exec + 1, 'executions'), label });
    timeMarkers.push({ x: first.firstAtMs, y: featuresAt(first.firstAtMs, 'elapsedMs'), label });
  }

  const common = (markers: Marker[], rug: number[]) => ({
    markers: { label: 'start-up/shutdown finds', color: COLOR.lifecycle, points: markers },
    rug: { label: 'epoch starts', color: COLOR.epochs, values: rug },
  });
  const discovery = (over: 'executions' | 'time', points: (key: 'features' | 'syscalls') => Point[], markers: Marker[], rug: number[]) =>
    lineChart({
      title: `Features and syscalls over ${over}`,
      xLabel: over === 'time' ? 'run time' : 'executions',
      yLabel: 'distinct',
      ...(over === 'time' ? { xKind: 'duration' as const } : {}),
      series: [
        { name: 'features', points: points('features'), color: COLOR.features },
        { name: 'syscalls', points: points('syscalls'), color: COLOR.syscalls },
      ],
      ...common(markers, rug),
      width: 540,
      height: 300,
    });
  const byExec = discovery('executions', execPts, execMarkers, epochExec);
  const byTime = discovery('time', timePts, timeMarkers, epochTime);
  const missing = lineChart({
    title: 'Estimated missing features (Chao2) and singletons over executions',
    xLabel: 'executions',
    yLabel: 'features',
    series: [
      { name: 'estimated missing (Chao2)', points: execPts('estimatedMissing'), color: COLOR.missing },
      { name: 'Q1: seen in one execution', points: execPts('q1'), color: COLOR.q1, dashed: true },
    ],
    width: 1092,
    height: 230,
  });
  return `<section id="discovery">
<h2>Discovery</h2>
<p class="lede">How fast new behaviour turned up. A curve that flattened long before the end is what a complete profile looks like; a curve still climbing at the right edge means the run stopped too early.</p>
<div class="charts">
<figure>${byExec}<figcaption>Distinct features (syscalls and their argument classes) and syscalls over executions. Grey ticks: epochs, where the target was restarted (into a narrower trace filter, after a crash, or for a fault); green diamonds: features the target's own start-up or shutdown showed first.</figcaption></figure>
<figure>${byTime}<figcaption>The same over wall-clock time.</figcaption></figure>
</div>
<figure class="wide">${missing}<figcaption>Chao2's estimate of the features not seen yet, from the features seen in exactly one (Q1) and exactly two (Q2) ordinary executions. It should fall towards 0 as the run goes on.</figcaption></figure>
<p class="source">Source: ${esc(source)}.</p>
</section>`;
}

/** A curve from coverage.json alone: cumulative features and syscalls by first execution. */
function curveFromFeatures(ctx: Ctx): StatsLine[] {
  const lines: StatsLine[] = [];
  const seenSyscalls = new Set<string>();
  let count = 0;
  const base = { execsPerSec: 0, corpus: 0, epochs: 0, crashes: 0, hangs: 0, q1: 0, q2: 0, estimatedMissing: 0 };
  lines.push({ ...base, elapsedMs: 0, executions: 0, features: 0, syscalls: 0 });
  for (const f of ctx.features) {
    if (isCause(f.name) || f.firstExec === Number.MAX_SAFE_INTEGER) continue;
    count += 1;
    seenSyscalls.add(syscallOfFeature(f.name));
    lines.push({ ...base, elapsedMs: f.firstAtMs, executions: f.firstExec, features: count, syscalls: seenSyscalls.size });
  }
  const c = ctx.d.coverage;
  lines.push({
    ...base,
    elapsedMs: Math.max(finite(c.elapsedMs), lines[lines.length - 1]?.elapsedMs ?? 0),
    executions: Math.max(finite(c.executions) + finite(c.faultExecutions), lines[lines.length - 1]?.executions ?? 0),
    features: count,
    syscalls: seenSyscalls.size,
    estimatedMissing: ctx.sat.estimatedMissing,
    q1: ctx.sat.q1,
    q2: ctx.sat.q2,
  });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Saturation

function saturationSection(ctx: Ctx): string {
  const { sat } = ctx;
  const faultOnly = ctx.features.filter((f) => f.count === 0 && !isCause(f.name)).length;
  const rows: [string, string, string][] = [
    ['n', num(sat.executions), 'ordinary executions (fault-injected ones sample another distribution and are not counted)'],
    ['S_obs', num(sat.observed), 'features seen in at least one ordinary execution'],
    ['Q1', num(sat.q1), 'features seen in exactly one execution'],
    ['Q2', num(sat.q2), 'features seen in exactly two executions'],
    ['S_est', fixed(sat.estimatedTotal, 2), sat.q2 > 0 ? 'S_obs + ((n−1)/n)·Q1²/(2·Q2)' : 'S_obs + ((n−1)/n)·Q1(Q1−1)/2 (no doubletons)'],
    ['missing', fixed(sat.estimatedMissing, 2), 'S_est − S_obs: features expected to exist but not seen; --until-stable wants < 0.5'],
    ['Q1/n', pct(sat.discoveryProbability), 'Good–Turing: the chance that the next execution finds something new; --until-stable wants < 1%'],
  ];
  return `<section id="saturation">
<h2>Saturation at the end</h2>
<p class="lede">Every execution is a sample and every feature a species: features seen only once or twice say how many were never seen at all (Chao2), and the share of singletons says how likely the next execution is to find something new (Good–Turing).</p>
<table class="kv">${rows.map(([k, v, why]) => `<tr><th><code>${esc(k)}</code></th><td class="num">${esc(v)}</td><td class="why">${esc(why)}</td></tr>`).join('')}</table>
${faultOnly > 0 ? `<p class="source">${num(faultOnly)} features seen only under injected faults are outside the estimate.</p>` : ''}
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Strategies

function strategiesSection(ctx: Ctx): string {
  const { d } = ctx;
  const stats = new Map((d.coverage.strategies ?? []).map((s) => [str(s?.name), s]));
  const firstOfSyscall = firstFeatureBySyscall(ctx);
  const rows = ctx.strategies.map((name) => {
    const own = ctx.features.filter((f) => f.strategy === name);
    return {
      name,
      runs: stats.has(name) ? finite(stats.get(name)?.runs) : undefined,
      finds: stats.has(name) ? finite(stats.get(name)?.finds) : undefined,
      features: own.filter((f) => !isCause(f.name)).length,
      causes: own.filter((f) => isCause(f.name)).length,
      syscalls: [...firstOfSyscall.values()].filter((f) => f.strategy === name).length,
      entries: d.entries.filter((e) => e.strategy === name).length,
    };
  });
  const maxFeatures = Math.max(1, ...rows.map((r) => r.features));
  const body = rows
    .map((r) => {
      const w = (r.features / maxFeatures) * 100;
      const what = r.name === 'lifecycle' ? 'the target starting and stopping (every epoch)' : '';
      return `<tr><th><span class="swatch" style="background:${esc(strategyColor(ctx, r.name))}"></span>${esc(r.name)}${what ? `<div class="sub">${esc(what)}</div>` : ''}</th>
<td class="num">${r.runs === undefined ? '–' : num(r.runs)}</td><td class="num">${r.finds === undefined ? '–' : num(r.finds)}</td>
<td class="num">${num(r.syscalls)}</td><td class="num">${num(r.features)}</td><td class="num">${num(r.causes)}</td><td class="num">${num(r.entries)}</td>
<td class="barcell"><div class="bar" style="width:${w.toFixed(1)}%;background:${esc(strategyColor(ctx, r.name))}"></div></td></tr>`;
    })
    .join('');
  return `<section id="strategies">
<h2>What each strategy contributed</h2>
<p class="lede">Runs are the inputs the scheduler generated or mutated for a strategy (replayed and queued inputs not included); finds are the features its inputs saw first. The first-found columns credit each feature and each syscall to the strategy whose input showed it first.</p>
<table class="data"><thead><tr><th>strategy</th><th class="num">runs</th><th class="num">finds</th><th class="num">syscalls first</th><th class="num">features first</th><th class="num">fault causes</th><th class="num">corpus entries</th><th>share of features first</th></tr></thead><tbody>${body}</tbody></table>
</section>`;
}

/** For each (canonical) syscall, the feature that showed it first. */
function firstFeatureBySyscall(ctx: Ctx): Map<string, FeatureInfo> {
  const first = new Map<string, FeatureInfo>();
  for (const f of ctx.features) {
    if (isCause(f.name)) continue;
    const s = canonicalSyscallName(syscallOfFeature(f.name), ctx.arch);
    if (!first.has(s)) first.set(s, f); // features are sorted by first execution
  }
  return first;
}

// ---------------------------------------------------------------------------------------------
// Docker's default

function dockerSection(ctx: Ctx): string {
  const c = ctx.comparison;
  if (!c) return `<section id="docker"><h2>Compared with Docker's default profile</h2><p class="lede">Docker's default profile was not available.</p></section>`;
  const p = ctx.d.profile;
  const target = p ? c.ours.length - p.runtimeOnly.filter((n) => c.ours.includes(n)).length : c.ours.length;
  const total = c.both.length + c.keptOut.length + c.onlyOurs.length || 1;
  const seg = (n: number, cls: string, label: string) =>
    n > 0 ? `<div class="seg ${cls}" style="flex:${n}" title="${esc(`${label}: ${n}`)}">${n / total > 0.06 ? esc(`${label} ${n}`) : ''}</div>` : '';
  const order = (x: (typeof c.dangerous)[number]) => (x.ours ? 0 : isAllowedStance(x.docker) ? 1 : x.docker.kind === 'needs-caps' ? 2 : 3);
  const dangerous = [...c.dangerous].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  const keptOutDangerous = dangerous.filter((x) => !x.ours && isAllowedStance(x.docker));
  const allowedDangerous = dangerous.filter((x) => x.ours);
  const cloneClasses = ctx.features.filter((f) => /^clone3?:/.test(f.name)).map((f) => f.name);
  const noteFor = (x: (typeof c.dangerous)[number]) =>
    x.ours && x.name === 'clone' && cloneClasses.length > 0 && cloneClasses.every((f) => f.endsWith(':no-namespace'))
      ? '. The target was only seen calling clone without namespace flags: --arg-rules allows it for that alone.'
      : '';
  const row = (x: (typeof c.dangerous)[number]) =>
    `<tr class="${x.ours ? 'bad' : ''}"><th><code>${esc(x.label)}</code></th><td>${x.ours ? '<span class="badge bad">allowed</span>' : '<span class="badge ok">kept out</span>'}</td><td>${esc(describeStance(x.docker))}</td><td class="why">${esc(x.why + noteFor(x))}</td></tr>`;
  // first what differs from Docker's default (allowed here, or kept out here though Docker allows it)
  const headline = dangerous.filter((x) => x.ours || isAllowedStance(x.docker));
  const rest = dangerous.filter((x) => !(x.ours || isAllowedStance(x.docker)));
  const head = '<thead><tr><th>syscall</th><th>this profile</th><th>Docker\'s default</th><th>why it matters</th></tr></thead>';
  const chips = (names: readonly string[]) => `<div class="chips">${names.map((n) => `<code class="chip">${esc(n)}</code>`).join('')}</div>`;
  return `<section id="docker">
<h2>Compared with Docker's default profile</h2>
<p class="lede">This profile allows <b>${num(c.ours.length)}</b> syscalls${p && p.runtimeOnly.length ? ` (${num(target)} made by the target, ${num(p.runtimeOnly.length)} only by ${esc(p.runtime ?? 'the container runtime')})` : ''}. Docker's default allows <b>${num(c.dockerAllowed.length)}</b> x86_64 syscalls to a container with the default capabilities (${num(c.dockerAllowedWithArgs.length)} of them for some arguments only). This profile keeps out <b>${num(c.keptOut.length)}</b> of Docker's (${pct(c.keptOut.length / Math.max(1, c.dockerAllowed.length))})${keptOutDangerous.length ? `, among them <b>${keptOutDangerous.map((x) => esc(x.label)).join(', ')}</b>` : ''}.</p>
<div class="stack" role="img" aria-label="${esc(`in both ${c.both.length}, kept out ${c.keptOut.length}, only ours ${c.onlyOurs.length}`)}">${seg(c.both.length, 'both', 'in both')}${seg(c.onlyOurs.length, 'ours', 'only ours')}${seg(c.keptOut.length, 'out', 'kept out')}</div>
<div class="legend-row"><span><i class="seg both"></i>allowed by both (${num(c.both.length)})</span><span><i class="seg ours"></i>only in this profile (${num(c.onlyOurs.length)})</span><span><i class="seg out"></i>Docker allows, this profile keeps out (${num(c.keptOut.length)})</span></div>
${
  c.onlyOurs.length
    ? `<h3>Only in this profile</h3><p>Docker's default does not allow these to a default container; each is needed by the target (see the provenance below) or by the runtime.</p><table class="data"><thead><tr><th>syscall</th><th>Docker's default</th></tr></thead><tbody>${c.onlyOurs
        .map((o) => `<tr><th><code>${esc(o.name)}</code></th><td>${esc(describeStance(o.docker))}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p>Every syscall this profile allows is also allowed by Docker\'s default: this profile is a strict subset.</p>'
}
<h3>Notable dangerous syscalls</h3>
${allowedDangerous.length ? `<p class="verdict warn">This profile allows ${allowedDangerous.map((x) => `<code>${esc(x.label)}</code>`).join(', ')}: check the provenance of each below.</p>` : '<p>None of them is allowed by this profile.</p>'}
${headline.length ? `<table class="data dangerous">${head}<tbody>${headline.map(row).join('')}</tbody></table>` : ''}
${rest.length ? `<details><summary>${num(rest.length)} more that Docker's default keeps from a default container too (needing a capability, or denied)</summary><table class="data dangerous">${head}<tbody>${rest.map(row).join('')}</tbody></table></details>` : ''}
<details><summary>All ${num(c.keptOut.length)} syscalls of Docker's default kept out</summary>${chips(c.keptOut)}</details>
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Provenance

function provenanceSection(ctx: Ctx): string {
  const { d } = ctx;
  const first = firstFeatureBySyscall(ctx);
  const argsBySyscall = new Map<string, string[]>();
  for (const f of ctx.features) {
    if (isCause(f.name) || !f.name.includes(':')) continue;
    const s = canonicalSyscallName(syscallOfFeature(f.name), ctx.arch);
    argsBySyscall.set(s, [...(argsBySyscall.get(s) ?? []), f.name.slice(f.name.indexOf(':') + 1)]);
  }
  const errorPathOnly = new Set((d.coverage.errorPathOnly ?? []).map(str));
  const causesOf = causesBySyscall(ctx);
  const runtimeOnly = new Set(d.profile?.runtimeOnly ?? []);
  const conditional = new Set(d.profile?.conditional ?? []);
  const dangerous = new Map((ctx.comparison?.dangerous ?? []).filter((x) => x.ours).map((x) => [x.name, x]));
  const notInDocker = new Set((ctx.comparison?.onlyOurs ?? []).map((x) => x.name));

  const rows = ctx.allowed.map((name) => {
    const f = first.get(name);
    const badges: string[] = [];
    if (runtimeOnly.has(name) && !f) badges.push('<span class="badge rt">runtime</span>');
    if (conditional.has(name)) badges.push('<span class="badge rt" title="allowed only for the argument classes seen (--arg-rules)">argument rule</span>');
    if (errorPathOnly.has(name)) badges.push('<span class="badge err">error path only</span>');
    if (f && f.count === 1) badges.push('<span class="badge rare">seen once</span>');
    if (f && f.count === 2) badges.push('<span class="badge rare">seen twice</span>');
    if (notInDocker.has(name)) badges.push('<span class="badge warn">not in Docker\'s default</span>');
    if (dangerous.has(name)) badges.push(`<span class="badge bad" title="${esc(dangerous.get(name)?.why)}">dangerous</span>`);
    const args = argsBySyscall.get(name) ?? [];
    const argCell = args.length
      ? `<div class="chips">${args.slice(0, 8).map((a) => `<code class="chip">${esc(a)}</code>`).join('')}${args.length > 8 ? `<span class="more">+${args.length - 8}</span>` : ''}</div>`
      : '';
    if (!f) {
      const what = runtimeOnly.has(name)
        ? `not made by the target: ${d.profile?.runtime ?? 'the container runtime'} makes it between loading the filter and exec'ing the command`
        : 'not observed in this run';
      return `<tr id="sc-${esc(name)}"><th><code>${esc(name)}</code>${badges.join('')}</th><td colspan="5" class="muted">${esc(what)}</td><td></td></tr>`;
    }
    const entry = f.firstEntry ? ctx.entriesById.get(f.firstEntry) : undefined;
    const describe = entry ? str(entry.describe) : f.strategy === 'lifecycle' ? 'target start-up or shutdown' : '';
    const via = errorPathOnly.has(name) && causesOf.has(name) ? `<div class="sub">revealed by ${causesOf
      .get(name)!
      .slice(0, 4)
      .map((c) => `<code>${esc(c)}</code>`)
      .join(', ')}${causesOf.get(name)!.length > 4 ? ` +${causesOf.get(name)!.length - 4}` : ''}</div>` : '';
    const epoch = entry ? finite(entry.origin?.epoch, NaN) : NaN;
    const exec = entry ? finite(entry.origin?.exec, f.firstExec) : f.firstExec;
    const routine = f.strategy === 'lifecycle' && !errorPathOnly.has(name);
    return `<tr id="sc-${esc(name)}"${routine ? ' class="routine"' : ''}><th><code>${esc(name)}</code>${badges.join('')}</th>
<td><span class="describe" title="${esc(clip(describe, 2000))}">${esc(clip(describe, 90)) || '<span class="muted">–</span>'}</span>${via}</td>
<td>${esc(f.strategy)}</td>
<td><code title="${esc(f.firstEntry ?? '')}">${esc(idPrefix(f.firstEntry)) || '<span class="muted">–</span>'}</code></td>
<td class="num">${Number.isFinite(epoch) ? `${num(epoch)} / ` : ''}${exec === Number.MAX_SAFE_INTEGER ? '?' : num(exec)}</td>
<td class="num">${esc(formatDuration(f.firstAtMs))}</td>
<td>${argCell}</td></tr>`;
  });
  return `<section id="provenance">
<h2>Provenance: why each syscall is allowed</h2>
<p class="lede">Every syscall the profile allows, with the corpus entry that needed it first (greyed: the target's own start-up or shutdown). Replay an entry (<code>seccomplete replay corpus --only ID --out DIR -- COMMAND</code>) to see the call happen. Entries are in <code>corpus/&lt;id&gt;.json</code>.</p>
<table class="data provenance"><thead><tr><th>syscall</th><th>first needed by</th><th>strategy</th><th>entry</th><th class="num">epoch / exec</th><th class="num">found after</th><th>argument classes seen</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>
</section>`;
}

/** `syscall -> ["accept4 EAGAIN", ...]`: the injected faults under which each syscall appeared. */
function causesBySyscall(ctx: Ctx): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of ctx.d.coverage.causes ?? []) {
    const s = canonicalSyscallName(syscallOfFeature(str(c?.found)), ctx.arch);
    const label = `${str(c?.syscall)} ${str(c?.errno)}`;
    const list = out.get(s) ?? [];
    if (!list.includes(label)) list.push(label);
    out.set(s, list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Errno rules and error paths

function errorPathsSection(ctx: Ctx): string {
  const { d } = ctx;
  const p = d.profile;
  const grouped = new Map<string, { errno: number; reason: string; names: string[] }>();
  for (const r of p?.errno ?? []) {
    const key = `${r.errno}\0${r.reason}`;
    const g = grouped.get(key) ?? { errno: r.errno, reason: r.reason, names: [] };
    g.names.push(r.name);
    grouped.set(key, g);
  }
  const errnoRows = [...grouped.values()]
    .map((g) => `<tr><th><div class="chips">${g.names.map((n) => `<code class="chip">${esc(n)}</code>`).join('')}</div></th><td>${esc(errnoName(g.errno))}</td><td class="why">${esc(g.reason)}</td></tr>`)
    .join('');
  const errorPathOnly = (d.coverage.errorPathOnly ?? []).map(str);
  const causesOf = causesBySyscall(ctx);
  const first = firstFeatureBySyscall(ctx);
  const epRows = errorPathOnly
    .map((name) => {
      const f = first.get(canonicalSyscallName(name, ctx.arch));
      const entry = f?.firstEntry ? ctx.entriesById.get(f.firstEntry) : undefined;
      const causes = causesOf.get(canonicalSyscallName(name, ctx.arch)) ?? [];
      return `<tr><th><code>${esc(name)}</code></th><td><div class="chips">${causes.map((c) => `<code class="chip">${esc(c)}</code>`).join('')}</div></td><td>${entry ? `<code>${esc(idPrefix(entry.id))}</code> ${esc(clip(str(entry.describe), 70))}` : ''}</td></tr>`;
    })
    .join('');
  // every cause, grouped by the fault that was injected
  const byFault = new Map<string, string[]>();
  for (const c of d.coverage.causes ?? []) {
    const key = `${str(c?.syscall)} → ${str(c?.errno)}`;
    byFault.set(key, [...(byFault.get(key) ?? []), str(c?.found)]);
  }
  const causeRows = [...byFault]
    .map(([fault, found]) => `<tr><th><code>${esc(fault)}</code></th><td><div class="chips">${found.map((f) => `<code class="chip">${esc(f)}</code>`).join('')}</div></td></tr>`)
    .join('');
  return `<section id="error-paths">
<h2>Errno rules and error paths</h2>
<p class="lede">Everything not allowed is answered with ${esc(errnoName(p?.defaultErrno ?? 1))}. These syscalls get an answer of their own:</p>
${errnoRows ? `<table class="data"><thead><tr><th>syscalls</th><th>answer</th><th>why</th></tr></thead><tbody>${errnoRows}</tbody></table>` : '<p class="muted">No errno rules.</p>'}
<h3>Allowed only for error paths</h3>
${
  errorPathOnly.length
    ? `<p>These syscalls appeared only while a fault was injected (strace's <code>inject=SYSCALL:error=ERRNO</code>): the target makes them when the injected call fails, e.g. to report or recover. They are allowed so that the error path works in production too.</p><table class="data"><thead><tr><th>syscall</th><th>appeared when this failed</th><th>first entry</th></tr></thead><tbody>${epRows}</tbody></table>`
    : '<p class="muted">None: every allowed syscall was seen in ordinary executions.</p>'
}
${
  byFault.size
    ? `<details><summary>All ${num((d.coverage.causes ?? []).length)} fault causes, by injected fault</summary><table class="data"><thead><tr><th>injected fault</th><th>what appeared</th></tr></thead><tbody>${causeRows}</tbody></table></details>`
    : ''
}
</section>`;
}

// ---------------------------------------------------------------------------------------------
// Corpus and crashes

function corpusSection(ctx: Ctx): string {
  const entries = [...ctx.d.entries].sort((a, b) => finite(a.origin?.exec) - finite(b.origin?.exec));
  if (entries.length === 0) return `<section id="corpus"><h2>Corpus</h2><p class="muted">No corpus entries were found.</p></section>`;
  const rows = entries
    .map((e) => {
      const found = Array.isArray(e.found) ? e.found.map(str) : [];
      let input: string;
      try {
        input = JSON.stringify(e.input, null, 2) ?? String(e.input);
      } catch {
        input = String(e.input);
      }
      return `<tr><td><code title="${esc(e.id)}">${esc(idPrefix(e.id))}</code></td><td>${esc(str(e.strategy))}</td>
<td><details><summary>${esc(clip(str(e.describe), 90)) || '(no description)'}</summary><pre>${esc(clip(input, 4000))}</pre>${e.parent ? `<div class="sub">mutated from <code>${esc(idPrefix(e.parent))}</code></div>` : ''}</details></td>
<td><div class="chips">${found.slice(0, 6).map((f) => `<code class="chip">${esc(f)}</code>`).join('')}${found.length > 6 ? `<span class="more">+${found.length - 6}</span>` : ''}</div></td>
<td class="num">${num(finite(e.origin?.epoch))} / ${num(finite(e.origin?.exec))}</td></tr>`;
    })
    .join('\n');
  return `<section id="corpus">
<h2>Corpus</h2>
<p class="lede">${num(entries.length)} inputs, each kept because it found something first. Open a row to see the input (as stored, escaped).</p>
<table class="data"><thead><tr><th>entry</th><th>strategy</th><th>input</th><th>found first</th><th class="num">epoch / exec</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function crashesSection(ctx: Ctx): string {
  const list = ctx.d.crashes;
  if (list.length === 0) return '';
  const rows = list
    .map(
      (c) => `<tr><td><span class="badge ${c.kind === 'crash' ? 'bad' : 'warn'}">${esc(c.kind)}</span></td><td>${esc(c.strategy)}</td>
<td><details><summary>${esc(clip(c.describe, 90)) || esc(c.file)}</summary><pre>${esc(clip(c.outputTail, 3000))}</pre><div class="sub">${esc(c.file)}</div></details></td><td>${esc(c.exit)}</td><td>${esc(c.time.replace('T', ' ').replace(/\.\d+Z$/, ''))}</td></tr>`,
    )
    .join('');
  return `<section id="crashes">
<h2>Crashes and hangs</h2>
<p class="lede">Inputs after which the target died or stopped answering (in <code>corpus/crashes/</code>). A crash under an injected fault is expected behaviour more often than not; one without is a bug in the target.</p>
<table class="data"><thead><tr><th>kind</th><th>strategy</th><th>input · last output</th><th>exit</th><th>time</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function footer(ctx: Ctx): string {
  return `<footer>Generated by seccomplete from <span class="path">${esc(ctx.d.outDir)}</span> (coverage.json, stats.jsonl, summary.json, profile.json, corpus/). Regenerate with <code>seccomplete report ${esc(ctx.d.outDir)}</code>. This page is self-contained: no scripts, no network.</footer>`;
}

const CSS = `
:root{--fg:#0f172a;--muted:#64748b;--bg:#f8fafc;--panel:#fff;--line:#e2e8f0;--grid:#eef2f7;--accent:#2563eb;--good:#047857;--goodbg:#ecfdf5;--warn:#b45309;--warnbg:#fffbeb;--bad:#b91c1c;--badbg:#fef2f2;--chip:#f1f5f9}
@media (prefers-color-scheme:dark){:root{--fg:#e2e8f0;--muted:#94a3b8;--bg:#0b1120;--panel:#111827;--line:#1f2937;--grid:#1e293b;--chip:#1e293b;--goodbg:#052e22;--warnbg:#2d1f05;--badbg:#2d0b0b;--good:#34d399;--warn:#fbbf24;--bad:#f87171}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
code,pre,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-all;background:var(--chip);padding:8px 10px;border-radius:6px;max-height:320px;overflow:auto}
h1{font-size:18px;margin:2px 0 6px;word-break:break-all;font-weight:600}
h1 code{font-size:17px}
h2{font-size:19px;margin:0 0 6px}
h3{font-size:15px;margin:20px 0 6px}
.kicker{margin:0;color:var(--accent);font-weight:600;letter-spacing:.06em;text-transform:uppercase;font-size:12px}
.meta{color:var(--muted);margin:0 0 10px}
.verdict{padding:10px 14px;border-radius:8px;border:1px solid var(--line);margin:10px 0 16px}
.verdict.good{background:var(--goodbg);border-color:var(--good)}
.verdict.warn{background:var(--warnbg);border-color:var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(122px,1fr));gap:10px;margin-bottom:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.card .label{color:var(--muted);font-size:12px}
.card .value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.sub{color:var(--muted);font-size:12px}
nav{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:13px}
nav a,footer a{color:var(--accent);text-decoration:none}
section{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:18px 20px;margin:18px 0}
.lede{color:var(--muted);margin:0 0 12px;max-width:880px}
.notes{background:var(--warnbg);border:1px solid var(--warn);border-radius:8px;padding:8px 14px;margin:14px 0}
.notes ul{margin:4px 0;padding-left:18px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px}
figure{margin:0}
figure.wide{margin-top:10px}
figcaption{color:var(--muted);font-size:12.5px;margin-top:2px}
svg.chart{max-width:100%;height:auto;display:block;font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg.chart .grid line{stroke:var(--grid);stroke-width:1}
svg.chart .axis{stroke:var(--muted);fill:none;stroke-width:1}
svg.chart .tick{stroke:var(--muted)}
svg.chart text{fill:var(--muted)}
svg.chart .legend text{fill:var(--fg)}
svg.chart .axis-label{fill:var(--fg);font-weight:500}
svg.chart .rug{stroke-width:1;opacity:.7}
.source{color:var(--muted);font-size:12px;margin:8px 0 0}
table{border-collapse:collapse;width:100%}
table.data th,table.data td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);position:sticky;top:0;background:var(--panel)}
table.data tbody th{font-weight:500;white-space:nowrap}
table.data tbody tr:hover{background:var(--chip)}
table.kv{width:auto}
table.kv th,table.kv td{padding:5px 12px 5px 0;border-bottom:1px solid var(--line);text-align:left}
.num{text-align:right!important;font-variant-numeric:tabular-nums;white-space:nowrap}
.why{color:var(--muted)}
.muted{color:var(--muted)}
.chips{display:flex;flex-wrap:wrap;gap:4px}
.chip{background:var(--chip);border-radius:4px;padding:1px 6px;font-size:12px}
.more{color:var(--muted);font-size:12px}
.badge{display:inline-block;white-space:nowrap;margin-left:6px;padding:0 6px;border-radius:999px;font-size:11px;font-weight:600;border:1px solid currentColor;vertical-align:1px;font-family:system-ui,sans-serif}
.badge.ok{color:var(--good)}.badge.bad{color:var(--bad)}.badge.warn{color:var(--warn)}.badge.err{color:#7c3aed}.badge.rt{color:#0891b2}.badge.rare{color:var(--muted)}
tr.bad{background:var(--badbg)}
tr.routine td{color:var(--muted)}
table.dangerous th:first-child{width:22%}table.dangerous td:nth-child(2){width:10%}table.dangerous td:nth-child(3){width:24%}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px}
.barcell{width:28%}
.bar{height:10px;border-radius:3px;min-width:2px;margin-top:5px}
.stack{display:flex;height:26px;border-radius:6px;overflow:hidden;margin:6px 0;font-size:12px;color:#fff;font-weight:600}
.seg{display:flex;align-items:center;padding:0 8px;white-space:nowrap;overflow:hidden}
.seg.both,i.seg.both{background:#2563eb}.seg.ours,i.seg.ours{background:#ea580c}.seg.out,i.seg.out{background:#94a3b8}
.legend-row{display:flex;flex-wrap:wrap;gap:16px;color:var(--muted);font-size:12.5px}
.legend-row i.seg{display:inline-block;width:12px;height:12px;border-radius:2px;padding:0;margin-right:6px;vertical-align:-1px}
details summary{cursor:pointer;color:var(--fg)}
details>summary{margin:4px 0}
.describe{word-break:break-word}
table.provenance td:nth-child(2){max-width:380px}
footer{color:var(--muted);font-size:12px;margin-top:24px}
@media print{section{break-inside:avoid-page}nav{display:none}}
`;
