/**
 * Pure helpers of the bench: medians, the interleaved schedule, paired ratios, the
 * JSON report and its table. No I/O here, so that test/unit/bench-stats.test.ts can
 * check them without starting anything.
 */

export function median(values: readonly number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
  /** (max - min) / median: how much the rounds disagree */
  relativeRange: number;
}

export function spread(values: readonly number[]): Spread {
  const xs = values.filter((v) => Number.isFinite(v));
  const m = median(xs);
  const min = xs.length ? Math.min(...xs) : Number.NaN;
  const max = xs.length ? Math.max(...xs) : Number.NaN;
  return { median: m, min, max, n: xs.length, relativeRange: m ? (max - min) / m : Number.NaN };
}

/** Rounds to `digits` significant digits (NaN and infinities pass through). */
export function sig(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

export interface ScheduleItem<T> {
  round: number;
  item: T;
}

/**
 * Interleaves alternatives: A B C, B C A, C A B, ... for `rounds` rounds. Every
 * alternative runs once per round, next to the others, so slow drifts of a shared
 * machine hit all of them alike; rotating the order keeps any one of them from
 * always running first (cold) or right after the heaviest one.
 */
export function interleave<T>(alternatives: readonly T[], rounds: number): ScheduleItem<T>[] {
  const out: ScheduleItem<T>[] = [];
  const n = alternatives.length;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < n; i++) out.push({ round, item: alternatives[(round + i) % n] as T });
  }
  return out;
}

/**
 * Several groups of alternatives, each interleaved with itself, merged round by
 * round: round r runs every group's round r (a group with fewer rounds drops out).
 */
export function schedule<T>(groups: readonly { alternatives: readonly T[]; rounds: number }[]): ScheduleItem<T>[] {
  const maxRounds = Math.max(0, ...groups.map((g) => g.rounds));
  const perGroup = groups.map((g) => interleave(g.alternatives, g.rounds));
  const out: ScheduleItem<T>[] = [];
  for (let round = 0; round < maxRounds; round++) {
    for (const items of perGroup) out.push(...items.filter((s) => s.round === round));
  }
  return out;
}

/**
 * The ratio of two alternatives measured in the same rounds: the median of the
 * per-round ratios numerator[r] / denominator[r]. Pairing by round cancels what a
 * round shares (another tenant's load), which a ratio of two medians would not.
 * Rounds where either side is missing are skipped.
 */
export function pairedRatio(numerator: readonly (number | undefined)[], denominator: readonly (number | undefined)[]): { ratio: number; perRound: number[] } {
  const perRound: number[] = [];
  const n = Math.min(numerator.length, denominator.length);
  for (let i = 0; i < n; i++) {
    const a = numerator[i];
    const b = denominator[i];
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) continue;
    perRound.push(a / b);
  }
  return { ratio: median(perRound), perRound };
}

/** The median of per-round differences a - b (same rounds): for costs that add, like ms per run. */
export function pairedDifference(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): number {
  const perRound: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) perRound.push(x - y);
  }
  return median(perRound);
}

/** Per-round samples of one metric, indexed by round (undefined where a round did not run it). */
export type Samples = Record<string, (number | undefined)[]>;

export function record(samples: Samples, key: string, round: number, value: number): void {
  const row = (samples[key] ??= []);
  while (row.length <= round) row.push(undefined);
  row[round] = value;
}

export function defined(values: readonly (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined && Number.isFinite(v));
}

export interface Machine {
  cpu_model: string;
  cores: number;
  kernel: string;
  node: string;
  strace: string;
}

/** Throughput variants of the demo server, in the order the table shows them. */
export const RPS_VARIANTS = ['untraced', 'full_strace', 'filtered', 'filtered_tool_default', 'filtered_thread_probe'] as const;
export type RpsVariant = (typeof RPS_VARIANTS)[number];

/**
 * Throughput variants of nginx (examples/nginx): `traced` is the tool's own filter after
 * a short fuzz run, the steady state of a campaign. Their samples carry the `nginx_` prefix.
 */
export const NGINX_RPS_VARIANTS = ['untraced', 'traced'] as const;
export type NginxRpsVariant = (typeof NGINX_RPS_VARIANTS)[number];

/**
 * One run of a command-line target (gzip -c on a 1000-byte text), as the command runner
 * does it: `bare` is a plain spawn of the program (no runner), `unsandboxed` the runner
 * without strace and without its mount namespace, `untraced` the runner without strace, `filtered` under strace excluding what a short fuzz run saw (the steady
 * state), `full` under strace tracing everything (the first executions of a run).
 */
export const CLI_VARIANTS = ['bare', 'unsandboxed', 'untraced', 'filtered', 'full'] as const;
export type CliVariant = (typeof CLI_VARIANTS)[number];

export interface BenchReport {
  example_rps_untraced: number;
  example_rps_full_strace: number;
  example_rps_filtered: number;
  /** untraced / full, median of per-round ratios */
  full_strace_overhead_ratio: number;
  /** untraced / filtered, median of per-round ratios */
  filtered_overhead_ratio: number;
  /** the tool's default filter: seen set minus the multiplexers kept traced for argument features */
  example_rps_filtered_tool_default: number;
  filtered_tool_default_overhead_ratio: number;
  /** the seen set minus rseq and set_robust_list, so that every new thread makes one traced call */
  example_rps_filtered_thread_probe: number;
  filtered_thread_probe_overhead_ratio: number;
  /** times strace woke up (its voluntary context switches) per request: ptrace stops, printed or not */
  tracer_wakeups_per_request: Record<RpsVariant, number>;
  /** trace lines the tool parsed per request */
  trace_events_per_request: Record<RpsVariant, number>;
  /** CPU time of the server (all threads) plus strace per request, in ms */
  cpu_ms_per_request: Record<RpsVariant, number>;
  /** cpu_ms_per_request of each variant / untraced, median of per-round ratios: steadier than req/s on a shared machine */
  cpu_overhead_ratio: Record<Exclude<RpsVariant, 'untraced'>, number>;
  /** nginx under one fixed keep-alive load (nginx.load), untraced and under the tool's filter (seen set of a short nginx fuzz run) */
  nginx_rps_untraced: number;
  nginx_rps_traced: number;
  /** nginx: untraced / traced req/s, median of per-round ratios */
  overhead_ratio: number;
  /** nginx: CPU ms per request (master, workers and strace) traced / untraced, median of per-round ratios */
  nginx_cpu_overhead_ratio: number;
  nginx_cpu_ms_per_request: Record<NginxRpsVariant, number>;
  nginx_trace_events_per_request: number;
  /** nginx: `fuzz --time T` with --jobs 1 and --jobs 2, resuming the saturated seen-set run (the steady state of a long run) */
  execs_per_sec_jobs1: number;
  execs_per_sec_jobs2: number;
  /** nginx: `fuzz --max-execs N` from nothing, with --jobs 1 and --jobs 2 (discovery phase: inputs run alone) */
  execs_per_sec_cold_jobs1: number;
  execs_per_sec_cold_jobs2: number;
  /** nginx: jobs2 / jobs1, median of per-round ratios */
  jobs2_speedup_ratio: number;
  /** peak RSS of the seccomplete process during one nginx fuzz run of peak_rss_run.seconds */
  peak_rss_mb: number;
  peak_rss_run: { target: string; seconds: number; executions: number; note: string };
  /** the demo server: `fuzz --max-execs N` with --jobs 1 and --jobs 2 */
  example_execs_per_sec_jobs1: number;
  example_execs_per_sec_jobs2: number;
  example_jobs2_speedup_ratio: number;
  example_seconds_to_stable: number;
  example_execs_to_stable: number;
  example_peak_rss_mb_jobs1: number;
  example_peak_rss_mb_jobs2: number;
  example_peak_rss_mb_until_stable: number;
  /** command mode: `fuzz --strategies args,files,stdin,env --max-execs N` on gzip */
  cli_execs_per_sec_jobs1: number;
  cli_execs_per_sec_jobs2: number;
  /** ms per run under the tool's filter minus ms per run without strace (same runner, same input), median of per-round differences */
  cli_overhead_ms_per_exec: number;
  /** ms per run in the read-only mount namespace (nsenter) minus ms per run without it, both untraced */
  cli_sandbox_ms_per_exec: number;
  /** ms per run of gzip -c on a small file, by variant */
  cli_ms_per_exec: Record<CliVariant, number>;
  seen_syscalls: number;
  /** --max-execs of the fuzz run whose coverage.json gave the seen set */
  seen_set_execs: number;
  load: { requests: number; warmup: number; connections: number; paths: string[] };
  /** how nginx was run: the fuzz options, its seen set, the syscalls the traced variant excluded, what its load asked for */
  nginx: NginxSetup;
  fuzz_max_execs: number;
  rounds: { rps: number; nginx_rps: number; fuzz: number; stable: number; cli: number; rss: number };
  quick: boolean;
  ratio_method: string;
  machine: Machine;
  date: string;
  bench_seconds: number;
  /** every measurement, per round: rps_*, nginx_*, events_*, wakeups_*, execs_per_sec_*, rss_mb_*, stable_* */
  samples: Samples;
}

export interface NginxSetup {
  /** why the nginx figures are missing (no nginx binary), else undefined */
  skipped?: string;
  /** the options before `--` of every nginx fuzz run, and the command after it */
  fuzz_options: string[];
  command: string[];
  seen_syscalls: number;
  /** syscalls the traced variant's filter excluded (the seen set minus what the tool keeps traced) */
  excluded_syscalls: number;
  /** the nginx run that gave the seen set (until stable): the steady-state runs resume it */
  seen_run?: { executions: number; seconds: number; reason: string };
  load: BenchReport['load'];
}

export interface ReportInput {
  samples: Samples;
  seenSyscalls: number;
  seenSetExecs: number;
  load: BenchReport['load'];
  nginx?: NginxSetup;
  /** the planned length of the nginx run that gives peak_rss_mb */
  rssRunSeconds?: number;
  fuzzMaxExecs: number;
  rounds: BenchReport['rounds'];
  quick: boolean;
  machine: Machine;
  date: string;
  benchSeconds: number;
}

const m = (samples: Samples, key: string): number => median(defined(samples[key] ?? []));
const overhead = (samples: Samples, variant: RpsVariant): number =>
  pairedRatio(samples.rps_untraced ?? [], samples[`rps_${variant}`] ?? []).ratio;
const NO_NGINX: NginxSetup = {
  skipped: 'not measured',
  fuzz_options: [],
  command: [],
  seen_syscalls: Number.NaN,
  excluded_syscalls: Number.NaN,
  load: { requests: 0, warmup: 0, connections: 0, paths: [] },
};

/** What the peak RSS figure comes from, said in words, so a --quick figure is not read as the 5-minute one. */
function rssRunNote(seconds: number, quick: boolean): string {
  if (!Number.isFinite(seconds)) return 'not measured';
  const length = seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
  return quick ? `fuzz --time ${length} on nginx (--quick; the full bench runs 5m)` : `fuzz --time ${length} on nginx`;
}

/** The one JSON object `npm run bench -- --json` prints. */
export function buildReport(input: ReportInput): BenchReport {
  const s = input.samples;
  const perVariant = (prefix: string) =>
    Object.fromEntries(RPS_VARIANTS.map((v) => [v, sig(m(s, `${prefix}_${v}`), 3)])) as Record<RpsVariant, number>;
  return {
    example_rps_untraced: sig(m(s, 'rps_untraced'), 4),
    example_rps_full_strace: sig(m(s, 'rps_full_strace'), 4),
    example_rps_filtered: sig(m(s, 'rps_filtered'), 4),
    full_strace_overhead_ratio: sig(overhead(s, 'full_strace')),
    filtered_overhead_ratio: sig(overhead(s, 'filtered')),
    example_rps_filtered_tool_default: sig(m(s, 'rps_filtered_tool_default'), 4),
    filtered_tool_default_overhead_ratio: sig(overhead(s, 'filtered_tool_default')),
    example_rps_filtered_thread_probe: sig(m(s, 'rps_filtered_thread_probe'), 4),
    filtered_thread_probe_overhead_ratio: sig(overhead(s, 'filtered_thread_probe')),
    tracer_wakeups_per_request: perVariant('wakeups'),
    trace_events_per_request: perVariant('events'),
    cpu_ms_per_request: perVariant('cpu_ms'),
    cpu_overhead_ratio: Object.fromEntries(
      RPS_VARIANTS.filter((v) => v !== 'untraced').map((v) => [v, sig(pairedRatio(s[`cpu_ms_${v}`] ?? [], s.cpu_ms_untraced ?? []).ratio)]),
    ) as BenchReport['cpu_overhead_ratio'],
    nginx_rps_untraced: sig(m(s, 'nginx_rps_untraced'), 4),
    nginx_rps_traced: sig(m(s, 'nginx_rps_traced'), 4),
    overhead_ratio: sig(pairedRatio(s.nginx_rps_untraced ?? [], s.nginx_rps_traced ?? []).ratio),
    nginx_cpu_overhead_ratio: sig(pairedRatio(s.nginx_cpu_ms_traced ?? [], s.nginx_cpu_ms_untraced ?? []).ratio),
    nginx_cpu_ms_per_request: Object.fromEntries(NGINX_RPS_VARIANTS.map((v) => [v, sig(m(s, `nginx_cpu_ms_${v}`), 3)])) as Record<NginxRpsVariant, number>,
    nginx_trace_events_per_request: sig(m(s, 'nginx_events_traced'), 3),
    execs_per_sec_jobs1: sig(m(s, 'execs_per_sec_jobs1')),
    execs_per_sec_jobs2: sig(m(s, 'execs_per_sec_jobs2')),
    jobs2_speedup_ratio: sig(pairedRatio(s.execs_per_sec_jobs2 ?? [], s.execs_per_sec_jobs1 ?? []).ratio),
    execs_per_sec_cold_jobs1: sig(m(s, 'execs_per_sec_cold_jobs1')),
    execs_per_sec_cold_jobs2: sig(m(s, 'execs_per_sec_cold_jobs2')),
    peak_rss_mb: sig(m(s, 'peak_rss_mb')),
    peak_rss_run: {
      target: 'nginx',
      seconds: input.rssRunSeconds ?? Number.NaN,
      executions: Math.round(m(s, 'peak_rss_run_execs')),
      note: rssRunNote(input.rssRunSeconds ?? Number.NaN, input.quick),
    },
    example_execs_per_sec_jobs1: sig(m(s, 'example_execs_per_sec_jobs1')),
    example_execs_per_sec_jobs2: sig(m(s, 'example_execs_per_sec_jobs2')),
    example_jobs2_speedup_ratio: sig(pairedRatio(s.example_execs_per_sec_jobs2 ?? [], s.example_execs_per_sec_jobs1 ?? []).ratio),
    example_seconds_to_stable: sig(m(s, 'stable_seconds')),
    example_execs_to_stable: Math.round(m(s, 'stable_execs')),
    example_peak_rss_mb_jobs1: sig(m(s, 'example_rss_mb_jobs1')),
    example_peak_rss_mb_jobs2: sig(m(s, 'example_rss_mb_jobs2')),
    example_peak_rss_mb_until_stable: sig(m(s, 'rss_mb_until_stable')),
    cli_execs_per_sec_jobs1: sig(m(s, 'cli_execs_per_sec_jobs1')),
    cli_execs_per_sec_jobs2: sig(m(s, 'cli_execs_per_sec_jobs2')),
    cli_overhead_ms_per_exec: sig(pairedDifference(s.cli_ms_filtered ?? [], s.cli_ms_untraced ?? [])),
    cli_sandbox_ms_per_exec: sig(pairedDifference(s.cli_ms_untraced ?? [], s.cli_ms_unsandboxed ?? [])),
    cli_ms_per_exec: Object.fromEntries(CLI_VARIANTS.map((v) => [v, sig(m(s, `cli_ms_${v}`), 3)])) as Record<CliVariant, number>,
    seen_syscalls: input.seenSyscalls,
    seen_set_execs: input.seenSetExecs,
    load: input.load,
    nginx: input.nginx ?? NO_NGINX,
    fuzz_max_execs: input.fuzzMaxExecs,
    rounds: input.rounds,
    quick: input.quick,
    ratio_method: 'median over rounds of the per-round ratio (alternatives interleaved, order rotated each round)',
    machine: input.machine,
    date: input.date,
    bench_seconds: sig(input.benchSeconds),
    samples: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.map((x) => (x === undefined ? undefined : sig(x, 4)))])),
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 1 || value === 0) return value.toFixed(2);
  return value.toFixed(3);
}

/** The human-readable form: one line per metric with median, min, max over the rounds. */
export function formatTable(report: BenchReport): string {
  const s = report.samples;
  const rows: [string, string, string, string, string][] = [['metric', 'median', 'min', 'max', 'n']];
  const row = (label: string, key: string) => {
    const sp = spread(defined(s[key] ?? []));
    rows.push([label, fmt(sp.median), fmt(sp.min), fmt(sp.max), String(sp.n)]);
  };
  for (const v of RPS_VARIANTS) row(`demo server req/s, ${v.replaceAll('_', ' ')}`, `rps_${v}`);
  for (const v of RPS_VARIANTS) row(`  tracer wake-ups per request, ${v.replaceAll('_', ' ')}`, `wakeups_${v}`);
  for (const v of RPS_VARIANTS) row(`  trace events per request, ${v.replaceAll('_', ' ')}`, `events_${v}`);
  for (const v of RPS_VARIANTS) row(`  CPU ms per request (server + strace), ${v.replaceAll('_', ' ')}`, `cpu_ms_${v}`);
  row('demo server: fuzz execs/s, --jobs 1', 'example_execs_per_sec_jobs1');
  row('demo server: fuzz execs/s, --jobs 2', 'example_execs_per_sec_jobs2');
  row('demo server: --until-stable: seconds', 'stable_seconds');
  row('demo server: --until-stable: executions', 'stable_execs');
  row('demo server: peak RSS of seccomplete (MB), --jobs 1', 'example_rss_mb_jobs1');
  row('demo server: peak RSS of seccomplete (MB), --jobs 2', 'example_rss_mb_jobs2');
  row('demo server: peak RSS of seccomplete (MB), --until-stable', 'rss_mb_until_stable');
  for (const v of NGINX_RPS_VARIANTS) row(`nginx req/s, ${v}`, `nginx_rps_${v}`);
  for (const v of NGINX_RPS_VARIANTS) row(`  CPU ms per request (nginx + strace), ${v}`, `nginx_cpu_ms_${v}`);
  row('  trace events per request, traced', 'nginx_events_traced');
  row('nginx: fuzz execs/s, --jobs 1', 'execs_per_sec_jobs1');
  row('nginx: fuzz execs/s, --jobs 2', 'execs_per_sec_jobs2');
  row(`nginx: peak RSS of seccomplete (MB), ${report.peak_rss_run.note}`, 'peak_rss_mb');
  for (const v of CLI_VARIANTS) row(`command mode: ms per run of gzip -c, ${v}`, `cli_ms_${v}`);
  row('command mode: fuzz execs/s, --jobs 1', 'cli_execs_per_sec_jobs1');
  row('command mode: fuzz execs/s, --jobs 2', 'cli_execs_per_sec_jobs2');
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i as 0]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => pad(cell, widths[i] as number, i > 0)).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const ratios = [
    `full strace overhead       untraced/full      ${fmt(report.full_strace_overhead_ratio)}x`,
    `filtered overhead          untraced/filtered  ${fmt(report.filtered_overhead_ratio)}x`,
    `tool default filter        untraced/filtered  ${fmt(report.filtered_tool_default_overhead_ratio)}x  (multiplexers kept traced)`,
    `filter + thread probe      untraced/filtered  ${fmt(report.filtered_thread_probe_overhead_ratio)}x  (rseq, set_robust_list kept traced)`,
    `nginx overhead             untraced/traced    ${fmt(report.overhead_ratio)}x  (the tool's filter after a short nginx fuzz run)`,
    `nginx CPU per request      traced/untraced    ${fmt(report.nginx_cpu_overhead_ratio)}x`,
    `--jobs 2 speed-up          jobs2/jobs1        ${fmt(report.jobs2_speedup_ratio)}x  (nginx)`,
    `demo --jobs 2 speed-up     jobs2/jobs1        ${fmt(report.example_jobs2_speedup_ratio)}x`,
    `command mode overhead      filtered-untraced  ${fmt(report.cli_overhead_ms_per_exec)} ms per run`,
    `command sandbox            untraced-unsandboxed  ${fmt(report.cli_sandbox_ms_per_exec)} ms per run`,
    `CPU per request vs untraced: ${Object.entries(report.cpu_overhead_ratio)
      .map(([v, r]) => `${v.replaceAll('_', ' ')} ${fmt(r)}x`)
      .join(', ')}`,
  ];
  const m = report.machine;
  const n = report.nginx;
  return [
    `seccomplete bench, ${report.date}: ${m.cpu_model}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}, strace ${m.strace}`,
    `load: ${report.load.requests} timed requests (after ${report.load.warmup} warm-up) of ${report.load.paths.join(' and ')} over ${report.load.connections} keep-alive connections; ` +
      `filter = ${report.seen_syscalls} syscalls seen by a ${report.seen_set_execs}-exec fuzz run; fuzz runs: --max-execs ${report.fuzz_max_execs}`,
    n.skipped
      ? `nginx: ${n.skipped}`
      : `nginx: ${n.load.requests} timed requests (after ${n.load.warmup}) of ${n.load.paths.join(', ')} over ${n.load.connections} connections; traced = the tool's filter excluding ${n.excluded_syscalls} of the ${n.seen_syscalls} syscalls a ${report.seen_set_execs}-exec nginx fuzz run saw; ` +
        `fuzz ${n.fuzz_options.join(' ')} -- ${n.command.join(' ')}`,
    '',
    ...lines,
    '',
    'ratios (median of per-round ratios):',
    ...ratios.map((r) => `  ${r}`),
    '',
    `bench took ${fmt(report.bench_seconds)} s (rounds: rps ${report.rounds.rps}, fuzz ${report.rounds.fuzz}, until-stable ${report.rounds.stable}, command mode ${report.rounds.cli}, nginx RSS run ${report.rounds.rss})`,
  ].join('\n');
}
