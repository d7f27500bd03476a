import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CRASHY_SERVER,
  DEMO_COMMAND,
  DEMO_SERVER,
  makeTempDir,
  markedProcesses,
  markEnv,
  readJson,
  requestTexts,
  runCli,
  sleep,
  startCli,
  statsLines,
  waitForNoMarkedProcesses,
  useMarks,
} from '../helpers/cli.js';

/**
 * A run's life from the outside: interrupted by a signal, surviving a crashing or
 * hanging target, resuming, and leaving no process or temporary directory behind.
 */

const mark = useMarks({ beforeAll, afterEach, afterAll });

interface Summary {
  reason: string;
  executions: number;
  corpus: number;
  crashes: number;
  hangs: number;
}
interface Coverage {
  format: string;
  executions: number;
  epochs: number;
  syscalls: string[];
}
interface CrashRecord {
  format: string;
  kind: string;
  input: unknown;
  exit: { code?: number; signal?: string } | null;
}

/** A zombie waiting for its parent to reap it no longer runs. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

const crashRecords = (out: string, kind: 'crash' | 'hang') => {
  const dir = join(out, 'corpus', 'crashes');
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${kind}-`) && f.endsWith('.json'))
    .map((f) => ({ file: f, record: readJson<CrashRecord>(join(dir, f)) }));
};

/** The outputs an ended run must leave, parsed (a parse error fails the test). */
function outputsOf(out: string) {
  const profile = readJson<{ defaultAction: string; syscalls: { names: string[] }[] }>(join(out, 'profile.json'));
  const coverage = readJson<Coverage>(join(out, 'coverage.json'));
  const summary = readJson<Summary>(join(out, 'summary.json'));
  return { profile, coverage, summary };
}

/**
 * Starts `fuzz --time 60s` on the demo server, waits until it has done more than 20
 * executions, sends `signal` to the CLI (only to it, as kill(1) would) and returns what happened.
 */
async function fuzzThenSignal(out: string, m: string, signal: 'SIGINT' | 'SIGTERM') {
  const cli = startCli(['fuzz', '--time', '60s', '--out', out, ...markEnv(m), '--', ...DEMO_COMMAND], { mark: m, timeoutMs: 90_000 });
  let exited = false;
  void cli.then(() => (exited = true));
  const deadline = performance.now() + 40_000;
  while (!statsLines(out).some((l) => l.executions > 20)) {
    if (exited) throw new Error(`the run ended before it was signalled:\n${(await cli).stderr}`);
    if (performance.now() > deadline) throw new Error('no stats line with more than 20 executions after 40 s');
    await sleep(50);
  }
  // The marker scan must see the run's processes, or "none left" afterwards would prove nothing.
  const running = markedProcesses(m).map((p) => p.cmdline);
  expect(running.some((c) => c.startsWith('strace '))).toBe(true);
  expect(running.some((c) => c.startsWith(`node ${DEMO_SERVER} --port `))).toBe(true);

  const t0 = performance.now();
  cli.kill(signal);
  const result = await cli;
  return { result, stopMs: performance.now() - t0, stderr: String(result.stderr) };
}

function expectCleanInterrupt(run: Awaited<ReturnType<typeof fuzzThenSignal>>) {
  expect(run.result.exitCode, run.stderr).toBe(130);
  expect(run.result.timedOut).toBe(false);
  expect(run.stopMs).toBeLessThan(10_000);
  expect(run.stderr).toContain('seccomplete: stopping: finishing the executions in flight, then saving');
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stderr).not.toMatch(/seccomplete: (internal )?error/);
}

describe('a signal to the CLI', () => {
  it('SIGINT (Ctrl-C) exits 130 with the outputs saved and nothing left running; the next run resumes', async () => {
    const out = join(makeTempDir('sigint'), 'out');
    const m = mark();
    const run = await fuzzThenSignal(out, m, 'SIGINT');
    expectCleanInterrupt(run);

    const first = outputsOf(out);
    expect(first.summary.reason).toBe('interrupted');
    expect(first.coverage.format).toBe('seccomplete-coverage/1');
    expect(first.coverage.executions).toBeGreaterThan(20);
    expect(first.summary.executions).toBe(first.coverage.executions);
    expect(first.profile.defaultAction).toMatch(/^SCMP_ACT_(ERRNO|KILL)/);
    expect(first.profile.syscalls.flatMap((r) => r.names)).toEqual(expect.arrayContaining(first.coverage.syscalls));
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);

    // Resume on the same --out. --max-execs counts the resumed executions too, so ask for more than there are.
    const statsBefore = statsLines(out).length;
    const m2 = mark();
    const target = first.coverage.executions + 60;
    const second = await runCli(['fuzz', '--max-execs', String(target), '--out', out, ...markEnv(m2), '--', ...DEMO_COMMAND], {
      mark: m2,
    });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).not.toMatch(/seccomplete: (internal )?error|\n\s+at /);
    const resumed = outputsOf(out);
    expect(resumed.summary.reason).toBe('max-execs');
    expect(resumed.coverage.executions).toBeGreaterThanOrEqual(target);
    expect(resumed.summary.corpus).toBeGreaterThanOrEqual(first.summary.corpus);
    // It went on from where the first run stopped instead of replaying the corpus from execution 0:
    // a fresh run's first stats line (after 250 ms) would count a handful of executions.
    const secondStats = statsLines(out).slice(statsBefore);
    expect(secondStats.length).toBeGreaterThan(0);
    expect(secondStats[0]!.executions).toBeGreaterThanOrEqual(first.coverage.executions);
    expect(resumed.coverage.epochs).toBeGreaterThan(first.coverage.epochs);
    expect(await waitForNoMarkedProcesses(m2)).toEqual([]);
  });

  it('SIGTERM behaves like Ctrl-C: exit 130, outputs saved, nothing left running', async () => {
    const out = join(makeTempDir('sigterm'), 'out');
    const m = mark();
    const run = await fuzzThenSignal(out, m, 'SIGTERM');
    expectCleanInterrupt(run);
    const { coverage, summary } = outputsOf(out);
    expect(summary.reason).toBe('interrupted');
    expect(coverage.executions).toBeGreaterThan(20);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });
});

describe('a misbehaving target', () => {
  const crashy = (mode: 'crash' | 'hang' | 'ok', ...extra: string[]) => ['node', CRASHY_SERVER, '--mode', mode, '--port', '{port}', ...extra];

  it('a crash is recorded with its input and exit signal, and the run goes on', async () => {
    const out = join(makeTempDir('crash'), 'out');
    const m = mark();
    const run = await runCli(['fuzz', '--max-execs', '150', '--out', out, ...markEnv(m), '--', ...crashy('crash')], { mark: m });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/seccomplete: (internal )?error|\n\s+at /);

    const crashes = crashRecords(out, 'crash');
    expect(crashes.length).toBeGreaterThan(0);
    for (const { file, record } of crashes) {
      expect(record.format).toBe('seccomplete-crash/1');
      expect(record.kind).toBe('crash');
      expect(record.exit?.signal, file).toBe('SIGABRT');
      // the crash is charged to the input that asked for /boom, not to the one after it
      expect(requestTexts(record.input).some((t) => t.includes('/boom')), `${file}: ${JSON.stringify(record.input)}`).toBe(true);
      expect(run.stderr).toContain(`crash recorded in ${join(out, 'corpus', 'crashes', file)}`);
    }
    const summary = readJson<Summary>(join(out, 'summary.json'));
    expect(summary.reason).toBe('max-execs');
    expect(summary.executions).toBeGreaterThanOrEqual(150);
    expect(summary.crashes).toBeGreaterThanOrEqual(crashes.length);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });

  it('a hang is recorded after --exec-timeout and the run finishes', async () => {
    const out = join(makeTempDir('hang'), 'out');
    const m = mark();
    const run = await runCli(['fuzz', '--max-execs', '120', '--exec-timeout', '500ms', '--out', out, ...markEnv(m), '--', ...crashy('hang')], { mark: m });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.timedOut).toBe(false);
    expect(run.stderr).not.toMatch(/seccomplete: (internal )?error|\n\s+at /);

    const hangs = crashRecords(out, 'hang');
    expect(hangs.length).toBeGreaterThan(0);
    for (const { record } of hangs) expect(record.kind).toBe('hang');
    const slow = (input: unknown) => requestTexts(input).some((t) => t.includes('/slow'));
    expect(hangs.some(({ record }) => slow(record.input))).toBe(true);
    // A request delivered plainly hangs only on /slow; a slow reader, a slow sender or an idle
    // connection may also outlast a 500 ms timeout on requests the server leaves unanswered.
    for (const { file, record } of hangs.filter(({ record }) => (record.input as { mode?: string }).mode === undefined)) {
      expect(slow(record.input), `${file}: ${JSON.stringify(record.input)}`).toBe(true);
    }
    expect(crashRecords(out, 'crash')).toEqual([]);
    const summary = readJson<Summary>(join(out, 'summary.json'));
    expect(summary.reason).toBe('max-execs');
    expect(summary.executions).toBeGreaterThanOrEqual(120);
    expect(summary.hangs).toBeGreaterThanOrEqual(hangs.length);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });

  it('a normal run leaves no process and no temporary directory behind', async () => {
    const scratch = makeTempDir('cleanup');
    const out = join(scratch, 'out');
    const record = join(scratch, 'started.jsonl');
    const m = mark();
    const run = await runCli(
      ['fuzz', '--max-execs', '100', '--out', out, ...markEnv(m), '--', ...crashy('ok', '--record', record, '--root', '{workdir}')],
      { mark: m },
    );
    expect(run.exitCode, run.stderr).toBe(0);

    // Every epoch's target wrote down the workdir it was given.
    const started = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { pid: number; root: string });
    expect(started.length).toBeGreaterThan(0);
    const runDirs = [...new Set(started.map((s) => dirname(s.root)))];
    expect(runDirs).toHaveLength(1);
    const runDir = runDirs[0]!;
    expect(basename(runDir)).toMatch(/^seccomplete-/);
    expect(realpathSync(dirname(runDir))).toBe(realpathSync(tmpdir()));
    expect(existsSync(runDir)).toBe(false);
    for (const s of started) expect(existsSync(s.root)).toBe(false);

    for (const s of started) expect(isRunning(s.pid), `target pid ${s.pid}`).toBe(false);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });
});
