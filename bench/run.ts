/**
 * `npm run bench [-- --json] [-- --quick]`: the speed figures of the core engine,
 * every alternative measured in the same run, interleaved round by round.
 *
 * 1. A 300-exec fuzz run of the demo server gives the seen set (coverage.json).
 * 2. Throughput of the demo server under a fixed keep-alive load of GET / and
 *    GET /files/, started through the tool's own TargetInstance with TraceMode
 *    `none` (untraced), `coverage` excluding nothing (`strace -f`, everything traced),
 *    `coverage` excluding the seen set (`--seccomp-bpf -e trace=!seen`), the tool's
 *    default exclusion (multiplexers kept traced), and the seen set minus the
 *    per-thread start-up calls (rseq, set_robust_list).
 * 3. `fuzz --max-execs N` with --jobs 1 and --jobs 2 (execs/s from summary.json,
 *    peak RSS of the seccomplete process), and `fuzz --until-stable`.
 * 4. Command mode: ms per run of `gzip -c` on a small file through the tool's command
 *    runner, without strace and under the filter (and a bare spawn, the runner without its
 *    read-only mount namespace, and full strace);
 *    `fuzz --strategies args,files,stdin,env --max-execs N -- gzip` with --jobs 1 and 2.
 * 5. nginx (examples/nginx, HTTP on {port} and HTTPS/HTTP/2 on {port2}): the same
 *    throughput comparison, untraced and under the tool's own filter after an nginx fuzz
 *    run until stable; `fuzz --time 40s` (20 s with --quick) with --jobs 1 and 2 resuming
 *    that saturated run (the steady state, where inputs overlap: execs_per_sec_jobs*), and
 *    `fuzz --max-execs N` from nothing (execs_per_sec_cold_jobs*); the peak RSS of
 *    seccomplete during one `fuzz --time 5m` (60 s with --quick).
 *
 * Progress goes to stderr; stdout gets the table, or with --json one JSON object.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CoverageMap } from '../src/coverage/map.js';
import { parseCoverageFile } from '../src/engine/campaign.js';
import { THREAD_PROBES, traceAlwaysSet } from '../src/coverage/trace-always.js';
import { TargetInstance } from '../src/target/instance.js';
import { parseEndpointOption, type ServerTargetSpec, type TemplateSpec } from '../src/target/spec.js';
import { checkStrace, type TraceMode } from '../src/trace/strace.js';
import { sleep } from '../src/util/duration.js';
import type { LoadOptions, LoadResult } from './load.js';
import { cleanupAll, cpuTicks, descendants, onCleanup, parentPid, run, voluntarySwitches } from './procs.js';
import {
  buildReport,
  CLI_VARIANTS,
  formatTable,
  NGINX_RPS_VARIANTS,
  record,
  RPS_VARIANTS,
  schedule,
  type CliVariant,
  type Machine,
  type NginxRpsVariant,
  type NginxSetup,
  type RpsVariant,
  type Samples,
} from './stats.js';
import { CommandTarget } from '../src/command/runner.js';
import type { Invocation } from '../src/command/invocation.js';
import { execa } from 'execa';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(REPO, 'bin', 'seccomplete.js');
const SERVER = path.join(REPO, 'examples', 'demo-server', 'server.mjs');
const LOAD_SCRIPT = fileURLToPath(new URL('./load.js', import.meta.url));
const RSS_PROBE = pathToFileURL(fileURLToPath(new URL('./rss-probe.js', import.meta.url))).href;
const SERVER_COMMAND = [process.execPath, SERVER, '--port', '{port}', '--root', '{workdir}'];
const STRACE = process.env.SECCOMPLETE_STRACE ?? 'strace';
/** Syscalls every new glibc thread makes first: one of them traced gives each thread a seccomp stop. */
const THREAD_START_SYSCALLS: ReadonlySet<string> = new Set(THREAD_PROBES);

const NGINX = '/usr/sbin/nginx';
const NGINX_EXAMPLE = path.join(REPO, 'examples', 'nginx');
const NGINX_COMMAND = [NGINX, '-p', '{workdir}', '-c', 'nginx.conf'];
/** examples/nginx rendered into each instance's workdir, as its README runs it */
const NGINX_TEMPLATES: TemplateSpec[] = ['nginx.conf', 'logs', 'www', 'tls'].map((f) => ({ source: path.join(NGINX_EXAMPLE, f), destination: f }));
const NGINX_ENDPOINTS = ['http://127.0.0.1:{port}', 'https://127.0.0.1:{port2}'];
const NGINX_FUZZ_OPTIONS = [
  '--strategies',
  'http',
  ...NGINX_TEMPLATES.flatMap((t) => ['--template', `${t.source}=${t.destination}`]),
  ...NGINX_ENDPOINTS.flatMap((e) => ['--endpoint', e]),
];
/** static files and a proxied answer (through the upstream on {port3}); each has a Content-Length, as the load generator needs */
/** the nginx run whose seen set the traced variant uses, and which the steady-state fuzz runs resume */
const NGINX_SEEN_STOP = ['--until-stable', '10s', '--time', '150s'];
const round1 = (x: number) => Math.round(x * 10) / 10;
let nginxSaturatedOut: string | undefined;
const NGINX_LOAD_PATHS = ['/', '/files/readme.txt', '/api/hello'];
const DEMO_LOAD_PATHS = ['/', '/files/'];

/** A server the throughput comparison loads: how the tool starts it, and what the load asks for. */
interface RpsTarget {
  name: string;
  spec: ServerTargetSpec;
  paths: string[];
  /**
   * Multiplies the load's request counts: nginx answers about twenty times faster than the
   * demo server, and a load that lasts a fraction of a second is a few clock ticks of CPU
   * (at 5x, 0.3 s per sample, per-round ratios ran from 0.6 to 1.4).
   */
  loadScale: number;
}

const serverSpec = (command: string[], templates: TemplateSpec[], endpoints: string[]): ServerTargetSpec => ({
  kind: 'server',
  command,
  port: 'auto',
  ready: { kind: 'port' },
  readyTimeoutMs: 30_000,
  templates,
  env: {},
  endpoints: endpoints.map(parseEndpointOption),
});

const DEMO_TARGET: RpsTarget = { name: 'the demo server', spec: serverSpec(SERVER_COMMAND, [], []), paths: DEMO_LOAD_PATHS, loadScale: 1 };
const NGINX_TARGET: RpsTarget = { name: 'nginx', spec: serverSpec(NGINX_COMMAND, NGINX_TEMPLATES, NGINX_ENDPOINTS), paths: NGINX_LOAD_PATHS, loadScale: 30 };

/** The load `target` gets: the settings' counts times its scale, its own paths. */
function loadFor(target: RpsTarget, s: Settings): Omit<LoadOptions, 'host' | 'port'> {
  return { ...s.load, warmup: s.load.warmup * target.loadScale, requests: s.load.requests * target.loadScale, paths: target.paths };
}

interface Settings {
  json: boolean;
  quick: boolean;
  rpsRounds: number;
  fuzzRounds: number;
  stableRuns: number;
  seenExecs: number;
  fuzzExecs: number;
  cliRounds: number;
  cliRunsPerSample: number;
  cliFuzzExecs: number;
  /** length of each resumed nginx fuzz run whose executions per second are reported */
  nginxFuzzSeconds: number;
  /** length of the nginx fuzz run whose peak RSS is reported */
  rssRunSeconds: number;
  load: Omit<LoadOptions, 'host' | 'port' | 'paths'>;
}

function settingsFrom(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'fuzz-rounds': { type: 'string' },
      'stable-runs': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run -s bench -- [--json] [--quick] [--rounds N] [--fuzz-rounds N] [--stable-runs N]\n' +
        '  --json           one JSON object on stdout (progress on stderr)\n' +
        '  --quick          fewer rounds, a smaller load, a 60 s nginx RSS run instead of 5 min\n' +
        '  --rounds N       rounds of the throughput comparison (default 7, quick 3)\n' +
        '  --fuzz-rounds N  rounds of the --jobs 1 / --jobs 2 comparison (default 3, quick 2)\n' +
        '  --stable-runs N  runs of fuzz --until-stable (default 2, quick 1)\n',
    );
    process.exit(0);
  }
  const quick = values.quick === true;
  const int = (text: string | undefined, fallback: number, name: string) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects a positive whole number`);
    return n;
  };
  return {
    json: values.json === true,
    quick,
    rpsRounds: int(values.rounds, quick ? 3 : 7, 'rounds'),
    fuzzRounds: int(values['fuzz-rounds'], quick ? 2 : 3, 'fuzz-rounds'),
    stableRuns: int(values['stable-runs'], quick ? 1 : 2, 'stable-runs'),
    seenExecs: 300,
    fuzzExecs: quick ? 300 : 400,
    cliRounds: quick ? 3 : 5,
    cliRunsPerSample: quick ? 40 : 100,
    cliFuzzExecs: quick ? 300 : 600,
    nginxFuzzSeconds: quick ? 20 : 40,
    rssRunSeconds: quick ? 60 : 300,
    load: {
      connections: 8,
      warmup: 500,
      requests: quick ? 1500 : 2000,
      responseTimeoutMs: 30_000,
    },
  };
}

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function machineInfo(): Promise<Machine> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // keep os.cpus()
  }
  let strace = 'unknown';
  try {
    const { stdout } = await promisify(execFile)(STRACE, ['-V'], { timeout: 10_000 });
    strace = /version\s+(\S+)/.exec(stdout)?.[1] ?? stdout.split('\n')[0] ?? strace;
  } catch {
    // reported as unknown; checkStrace fails the bench anyway
  }
  return { cpu_model: cpu, cores: os.availableParallelism(), kernel: os.release(), node: process.version, strace };
}

// ---------------------------------------------------------------- fuzz runs

interface FuzzOutcome {
  executions: number;
  elapsedMs: number;
  rssMb: number | undefined;
  reason: string;
}

let runCounter = 0;

/**
 * One `seccomplete fuzz` run (of the demo server unless `target` says otherwise) in a fresh
 * --out; reads summary.json. `resumeFrom`: the --out of an earlier run, copied first, so the
 * run resumes it; executions and time are then this run's own.
 */
async function fuzz(
  tmp: string,
  label: string,
  flags: string[],
  timeoutMs: number,
  target: string[] = SERVER_COMMAND,
  resumeFrom?: string,
): Promise<FuzzOutcome & { coverageFile: string }> {
  const id = `${label}-${++runCounter}`;
  const out = path.join(tmp, id);
  let before = { executions: 0, elapsedMs: 0 };
  if (resumeFrom) {
    await cp(resumeFrom, out, { recursive: true });
    before = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as typeof before;
  }
  const rssFile = path.join(tmp, `${id}.rss.json`);
  const args = ['--import', RSS_PROBE, BIN, 'fuzz', ...flags, '--out', out, '-q', '--', ...target];
  const result = await run(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, SECCOMPLETE_BENCH_RSS_FILE: rssFile },
    timeoutMs,
    stop: 'interrupt',
  });
  if (result.code !== 0) {
    const tail = result.stderr.trim().split('\n').slice(-5).join('\n  ');
    throw new Error(`seccomplete fuzz ${flags.join(' ')} exited with ${result.code ?? result.signal}:\n  ${tail}`);
  }
  const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as { executions: number; elapsedMs: number; reason: string };
  let rssMb: number | undefined;
  try {
    rssMb = (JSON.parse(await readFile(rssFile, 'utf8')) as { maxRssKb: number }).maxRssKb / 1024;
  } catch {
    progress(`warning: no peak RSS from ${label} (the probe wrote nothing)`);
  }
  return {
    executions: summary.executions - before.executions,
    elapsedMs: summary.elapsedMs - before.elapsedMs,
    rssMb,
    reason: summary.reason,
    coverageFile: path.join(out, 'coverage.json'),
  };
}

// ---------------------------------------------------------------- throughput

interface RpsOutcome {
  rps: number;
  eventsPerRequest: number;
  wakeupsPerRequest: number;
  /** CPU time of the server and of strace per request: less sensitive to other tenants than req/s */
  cpuMsPerRequest: number;
}

/** USER_HZ: the unit of /proc/<pid>/stat times (100 on every Linux we run on; asked once). */
let clockTicksPerSecond = 100;
async function readClockTicks(): Promise<void> {
  try {
    const { stdout } = await promisify(execFile)('getconf', ['CLK_TCK'], { timeout: 5000 });
    const n = Number(stdout.trim());
    if (Number.isInteger(n) && n > 0) clockTicksPerSecond = n;
  } catch {
    // keep 100
  }
}

let instanceSlot = 0;

function runLoad(options: LoadOptions): Promise<LoadResult> {
  return run(process.execPath, [LOAD_SCRIPT, JSON.stringify(options)], { timeoutMs: 300_000, stop: 'kill' }).then((r) => {
    if (r.code !== 0) throw new Error(`load generator exited with ${r.code ?? r.signal}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as LoadResult;
  });
}

/** Starts a server the way the tool does (TargetInstance + TraceMode), loads it, stops it. */
async function measureRps(runDir: string, target: RpsTarget, mode: TraceMode, s: Settings): Promise<RpsOutcome> {
  const instance = new TargetInstance(target.spec, { runDir, slot: instanceSlot++, stracePath: STRACE, arch: 'x86_64' });
  let events = 0;
  instance.onEvent = () => {
    events += 1;
  };
  const unregister = onCleanup(async () => {
    await instance.stop(0);
  });
  try {
    await instance.start(mode);
    const tracer = mode.kind === 'none' || instance.targetPid === undefined ? undefined : parentPid(instance.targetPid);
    await sleep(100); // start-up trace lines still in flight are not the load's
    // a multi-process server (nginx: master and workers) is charged for all its processes
    const pids = [instance.targetPid, ...(instance.targetPid === undefined ? [] : descendants(instance.targetPid)), tracer].filter((p): p is number => p !== undefined);
    const cpu = () => pids.reduce((sum, p) => sum + (cpuTicks(p) ?? Number.NaN), 0);
    const events0 = events;
    const wakeups0 = tracer === undefined ? 0 : (voluntarySwitches(tracer) ?? 0);
    const cpu0 = cpu();
    const load = loadFor(target, s);
    const result = await runLoad({ host: '127.0.0.1', port: instance.port, ...load });
    const cpu1 = cpu();
    const wakeups1 = tracer === undefined ? 0 : (voluntarySwitches(tracer) ?? 0);
    // the parser may lag behind strace: wait until the stream is quiet
    for (let last = -1, i = 0; i < 100 && events !== last; i++) {
      last = events;
      await sleep(50);
    }
    const bad = Object.entries(result.statuses).filter(([status]) => status !== '200');
    if (bad.length > 0) throw new Error(`${target.name} answered ${bad.map(([st, n]) => `${n}x ${st}`).join(', ')}`);
    const total = load.warmup + load.requests;
    return {
      rps: result.rps,
      eventsPerRequest: (events - events0) / total,
      wakeupsPerRequest: (wakeups1 - wakeups0) / total,
      cpuMsPerRequest: (((cpu1 - cpu0) / clockTicksPerSecond) * 1000) / total,
    };
  } finally {
    await instance.stop();
    unregister();
  }
}

// ---------------------------------------------------------------- command mode

const CLI_PROGRAM = ['gzip'];
const CLI_CHANNELS = ['--strategies', 'args,files,stdin,env'];
const CLI_INPUT: Invocation = { args: ['-c', 'f1.txt'], stdin: { from: 'null' }, env: {}, files: [{ type: 'file', name: 'f1.txt', content: { kind: 'text', seed: 1, size: 1000 } }] };

/** ms per run of the same small gzip invocation, `runs` times in a row. */
async function measureCliRun(runDir: string, variant: CliVariant, seen: readonly string[], runs: number): Promise<number> {
  const signal = new AbortController().signal;
  if (variant === 'bare') {
    // the program alone: its file made once, spawned as a user's script would
    const dir = await mkdtemp(path.join(runDir, 'bare-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'f1.txt'), 'x'.repeat(1000));
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await execa(CLI_PROGRAM[0] as string, CLI_INPUT.args, { cwd: dir, stdin: 'ignore', encoding: 'buffer' });
    return (performance.now() - t0) / runs;
  }
  const target = new CommandTarget({ kind: 'command', command: CLI_PROGRAM, env: {}, sampleDirs: [], sandbox: variant !== 'unsandboxed' }, { runDir, slot: instanceSlot++, stracePath: STRACE, arch: 'x86_64' });
  target.mode = variant === 'untraced' || variant === 'unsandboxed' ? { kind: 'none' } : { kind: 'coverage', exclude: variant === 'full' ? [] : seen };
  await target.run(CLI_INPUT, signal); // warm: content cache, page cache
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await target.run(CLI_INPUT, signal);
  const ms = (performance.now() - t0) / runs;
  target.close();
  return ms;
}

// ---------------------------------------------------------------- main

type Job =
  | { kind: 'rps'; variant: RpsVariant }
  | { kind: 'fuzz'; jobs: 1 | 2 }
  | { kind: 'stable' }
  | { kind: 'cli_run'; variant: CliVariant }
  | { kind: 'cli_fuzz'; jobs: 1 | 2 }
  | { kind: 'nginx_rps'; variant: NginxRpsVariant }
  | { kind: 'nginx_fuzz'; jobs: 1 | 2 }
  | { kind: 'nginx_fuzz_cold'; jobs: 1 | 2 }
  | { kind: 'nginx_rss' };

/** The syscalls a fuzz run saw, and what the tool would exclude from the filter at its next epoch (multiplexers stay traced). */
async function seenSet(coverageFile: string): Promise<{ seen: string[]; toolExclude: string[] }> {
  const coverage = parseCoverageFile(await readFile(coverageFile, 'utf8'));
  return { seen: coverage.syscalls, toolExclude: CoverageMap.fromJSON(coverage, traceAlwaysSet(true)).excludable() };
}

/** Why nginx cannot be measured here, or undefined when it can. */
function nginxMissing(): string | undefined {
  return existsSync(NGINX) ? undefined : `skipped: ${NGINX} not found (apt-get install nginx-light)`;
}

/** Throughput samples of one variant: `prefix` keeps nginx's apart from the demo server's. */
function recordRps(samples: Samples, prefix: string, variant: string, round: number, r: RpsOutcome): void {
  record(samples, `${prefix}rps_${variant}`, round, r.rps);
  record(samples, `${prefix}events_${variant}`, round, r.eventsPerRequest);
  record(samples, `${prefix}wakeups_${variant}`, round, r.wakeupsPerRequest);
  record(samples, `${prefix}cpu_ms_${variant}`, round, r.cpuMsPerRequest);
}

const describeRps = (r: RpsOutcome): string =>
  `${r.rps.toFixed(0)} req/s; per request ${r.cpuMsPerRequest.toFixed(3)} ms CPU, ${r.eventsPerRequest.toFixed(2)} trace events, ${r.wakeupsPerRequest.toFixed(2)} tracer wake-ups`;

const execsPerSecond = (r: FuzzOutcome): number => (r.executions / r.elapsedMs) * 1000;

async function main(): Promise<void> {
  const started = performance.now();
  const s = settingsFrom(process.argv.slice(2));
  if (!existsSync(path.join(REPO, 'dist', 'src', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
  await checkStrace(STRACE);
  await readClockTicks();
  const machine = await machineInfo();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'seccomplete-bench-'));
  onCleanup(() => rm(tmp, { recursive: true, force: true }));
  const runDir = path.join(tmp, 'instances');
  await mkdir(runDir, { recursive: true });

  progress(`${machine.cpu_model}, ${machine.cores} cores, Linux ${machine.kernel}, Node ${machine.node}, strace ${machine.strace}`);
  progress(`seen set: fuzz --max-execs ${s.seenExecs} on the demo server`);
  const seenRun = await fuzz(tmp, 'seen', ['--max-execs', String(s.seenExecs)], 180_000);
  const { seen, toolExclude } = await seenSet(seenRun.coverageFile);
  progress(`seen ${seen.length} syscalls in ${seenRun.executions} executions; the tool's next epoch would exclude ${toolExclude.length}`);

  const nginxSkipped = nginxMissing();
  const nginxLoad = loadFor(NGINX_TARGET, s);
  const nginx: NginxSetup = {
    skipped: nginxSkipped,
    fuzz_options: NGINX_FUZZ_OPTIONS,
    command: NGINX_COMMAND,
    seen_syscalls: Number.NaN,
    excluded_syscalls: Number.NaN,
    load: { requests: nginxLoad.requests, warmup: nginxLoad.warmup, connections: nginxLoad.connections, paths: nginxLoad.paths },
  };
  // `traced` gets its filter from nginx's seen set below; without nginx neither variant runs
  const nginxModes: Record<NginxRpsVariant, TraceMode> = { untraced: { kind: 'none' }, traced: { kind: 'none' } };
  if (nginxSkipped) {
    progress(`nginx ${nginxSkipped}`);
  } else {
    progress(`nginx seen set: fuzz ${NGINX_SEEN_STOP.join(' ')} ${NGINX_FUZZ_OPTIONS.join(' ')} -- ${NGINX_COMMAND.join(' ')}`);
    const nginxSeenRun = await fuzz(tmp, 'nginx-seen', [...NGINX_FUZZ_OPTIONS, ...NGINX_SEEN_STOP], 300_000, NGINX_COMMAND);
    nginxSaturatedOut = path.dirname(nginxSeenRun.coverageFile);
    nginx.seen_run = { executions: nginxSeenRun.executions, seconds: round1(nginxSeenRun.elapsedMs / 1000), reason: nginxSeenRun.reason };
    const nginxSeen = await seenSet(nginxSeenRun.coverageFile);
    nginx.seen_syscalls = nginxSeen.seen.length;
    nginx.excluded_syscalls = nginxSeen.toolExclude.length;
    // traced = the steady state of a campaign: the tool's own filter after the short run
    nginxModes.traced = { kind: 'coverage', exclude: nginxSeen.toolExclude };
    progress(`nginx: seen ${nginxSeen.seen.length} syscalls in ${nginxSeenRun.executions} executions; the tool's filter excludes ${nginxSeen.toolExclude.length}`);
  }

  const modes: Record<RpsVariant, TraceMode> = {
    untraced: { kind: 'none' },
    full_strace: { kind: 'coverage', exclude: [] },
    filtered: { kind: 'coverage', exclude: seen },
    filtered_tool_default: { kind: 'coverage', exclude: toolExclude },
    filtered_thread_probe: { kind: 'coverage', exclude: seen.filter((n) => !THREAD_START_SYSCALLS.has(n)) },
  };

  progress(`command mode seen set: fuzz ${CLI_CHANNELS.join(' ')} --max-execs 300 -- ${CLI_PROGRAM.join(' ')}`);
  const cliSeenRun = await fuzz(tmp, 'cli-seen', [...CLI_CHANNELS, '--max-execs', '300'], 180_000, CLI_PROGRAM);
  const cliSeen = CoverageMap.fromJSON(parseCoverageFile(await readFile(cliSeenRun.coverageFile, 'utf8')), traceAlwaysSet(true)).excludable();

  const plan = schedule<Job>([
    { alternatives: RPS_VARIANTS.map((variant) => ({ kind: 'rps', variant })), rounds: s.rpsRounds },
    { alternatives: [{ kind: 'fuzz', jobs: 1 }, { kind: 'fuzz', jobs: 2 }], rounds: s.fuzzRounds },
    { alternatives: [{ kind: 'stable' }], rounds: s.stableRuns },
    { alternatives: CLI_VARIANTS.map((variant) => ({ kind: 'cli_run', variant })), rounds: s.cliRounds },
    { alternatives: [{ kind: 'cli_fuzz', jobs: 1 }, { kind: 'cli_fuzz', jobs: 2 }], rounds: s.fuzzRounds },
    ...(nginxSkipped
      ? []
      : [
          { alternatives: NGINX_RPS_VARIANTS.map((variant): Job => ({ kind: 'nginx_rps', variant })), rounds: s.rpsRounds + 2 },
          { alternatives: [{ kind: 'nginx_fuzz', jobs: 1 } as const, { kind: 'nginx_fuzz', jobs: 2 } as const], rounds: s.fuzzRounds },
          { alternatives: [{ kind: 'nginx_fuzz_cold', jobs: 1 } as const, { kind: 'nginx_fuzz_cold', jobs: 2 } as const], rounds: 1 },
          { alternatives: [{ kind: 'nginx_rss' } as const], rounds: 1 },
        ]),
  ]);
  const samples: Samples = {};
  let step = 0;
  for (const { round, item } of plan) {
    step += 1;
    const where = `[${step}/${plan.length}, round ${round + 1}]`;
    if (item.kind === 'rps') {
      const r = await measureRps(runDir, DEMO_TARGET, modes[item.variant], s);
      recordRps(samples, '', item.variant, round, r);
      progress(`${where} ${item.variant}: ${describeRps(r)}`);
    } else if (item.kind === 'nginx_rps') {
      const r = await measureRps(runDir, NGINX_TARGET, nginxModes[item.variant], s);
      recordRps(samples, 'nginx_', item.variant, round, r);
      progress(`${where} nginx ${item.variant}: ${describeRps(r)}`);
    } else if (item.kind === 'fuzz') {
      const r = await fuzz(tmp, `jobs${item.jobs}`, ['--max-execs', String(s.fuzzExecs), '--jobs', String(item.jobs)], 300_000);
      const eps = execsPerSecond(r);
      record(samples, `example_execs_per_sec_jobs${item.jobs}`, round, eps);
      if (r.rssMb !== undefined) record(samples, `example_rss_mb_jobs${item.jobs}`, round, r.rssMb);
      progress(`${where} fuzz --jobs ${item.jobs}: ${r.executions} execs in ${(r.elapsedMs / 1000).toFixed(1)} s = ${eps.toFixed(1)} execs/s, peak RSS ${r.rssMb?.toFixed(0) ?? '?'} MB`);
    } else if (item.kind === 'nginx_fuzz') {
      // the steady state: resuming the saturated campaign, as a long run spends its hours
      const flags = [...NGINX_FUZZ_OPTIONS, '--time', `${s.nginxFuzzSeconds}s`, '--jobs', String(item.jobs)];
      const r = await fuzz(tmp, `nginx-jobs${item.jobs}`, flags, (s.nginxFuzzSeconds + 120) * 1000, NGINX_COMMAND, nginxSaturatedOut);
      const eps = execsPerSecond(r);
      record(samples, `execs_per_sec_jobs${item.jobs}`, round, eps);
      if (r.rssMb !== undefined) record(samples, `nginx_rss_mb_jobs${item.jobs}`, round, r.rssMb);
      progress(`${where} nginx fuzz --jobs ${item.jobs}, resumed after saturation: ${r.executions} execs in ${(r.elapsedMs / 1000).toFixed(1)} s = ${eps.toFixed(1)} execs/s, peak RSS ${r.rssMb?.toFixed(0) ?? '?'} MB`);
    } else if (item.kind === 'nginx_fuzz_cold') {
      const r = await fuzz(tmp, `nginx-cold-jobs${item.jobs}`, [...NGINX_FUZZ_OPTIONS, '--max-execs', String(s.fuzzExecs), '--jobs', String(item.jobs)], 300_000, NGINX_COMMAND);
      const eps = execsPerSecond(r);
      record(samples, `execs_per_sec_cold_jobs${item.jobs}`, round, eps);
      progress(`${where} nginx fuzz --jobs ${item.jobs} from nothing: ${r.executions} execs in ${(r.elapsedMs / 1000).toFixed(1)} s = ${eps.toFixed(1)} execs/s`);
    } else if (item.kind === 'nginx_rss') {
      const r = await fuzz(tmp, 'nginx-rss', [...NGINX_FUZZ_OPTIONS, '--time', `${s.rssRunSeconds}s`], (s.rssRunSeconds + 120) * 1000, NGINX_COMMAND);
      if (r.rssMb !== undefined) record(samples, 'peak_rss_mb', round, r.rssMb);
      record(samples, 'peak_rss_run_execs', round, r.executions);
      progress(`${where} nginx fuzz --time ${s.rssRunSeconds}s${s.quick ? ' (--quick; 5 min without it)' : ''}: ${r.executions} execs, peak RSS ${r.rssMb?.toFixed(0) ?? '?'} MB`);
    } else if (item.kind === 'cli_run') {
      const ms = await measureCliRun(runDir, item.variant, cliSeen, s.cliRunsPerSample);
      record(samples, `cli_ms_${item.variant}`, round, ms);
      progress(`${where} command mode, ${item.variant}: ${ms.toFixed(2)} ms per run of ${CLI_PROGRAM.join(' ')} ${CLI_INPUT.args.join(' ')}`);
    } else if (item.kind === 'cli_fuzz') {
      const r = await fuzz(tmp, `cli-jobs${item.jobs}`, [...CLI_CHANNELS, '--max-execs', String(s.cliFuzzExecs), '--jobs', String(item.jobs)], 300_000, CLI_PROGRAM);
      const eps = (r.executions / r.elapsedMs) * 1000;
      record(samples, `cli_execs_per_sec_jobs${item.jobs}`, round, eps);
      progress(`${where} command mode fuzz --jobs ${item.jobs}: ${r.executions} execs in ${(r.elapsedMs / 1000).toFixed(1)} s = ${eps.toFixed(1)} execs/s`);
    } else {
      const r = await fuzz(tmp, 'stable', ['--until-stable'], 600_000);
      if (r.reason !== 'stable') throw new Error(`fuzz --until-stable stopped for '${r.reason}', not 'stable'`);
      record(samples, 'stable_seconds', round, r.elapsedMs / 1000);
      record(samples, 'stable_execs', round, r.executions);
      if (r.rssMb !== undefined) record(samples, 'rss_mb_until_stable', round, r.rssMb);
      progress(`${where} fuzz --until-stable: stable after ${(r.elapsedMs / 1000).toFixed(1)} s and ${r.executions} execs`);
    }
  }

  const report = buildReport({
    samples,
    seenSyscalls: seen.length,
    seenSetExecs: s.seenExecs,
    load: { requests: s.load.requests, warmup: s.load.warmup, connections: s.load.connections, paths: DEMO_LOAD_PATHS },
    nginx,
    rssRunSeconds: nginxSkipped ? undefined : s.rssRunSeconds,
    fuzzMaxExecs: s.fuzzExecs,
    rounds: { rps: s.rpsRounds, nginx_rps: nginxSkipped ? 0 : s.rpsRounds + 2, fuzz: s.fuzzRounds, stable: s.stableRuns, cli: s.cliRounds, rss: nginxSkipped ? 0 : 1 },
    quick: s.quick,
    machine,
    date: new Date().toISOString(),
    benchSeconds: (performance.now() - started) / 1000,
  });
  process.stdout.write(s.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    progress(`${signal}: ending every process the bench started`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main()
  .catch((err: unknown) => {
    if (interrupted) return; // the failure is the interruption's doing
    process.stderr.write(`bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
  });
