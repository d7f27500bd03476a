import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';

/**
 * Helpers for integration tests that run the BUILT CLI (dist/) as a real process,
 * with real targets under a real strace.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'bin', 'seccomplete.js');
export const BUILT_MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const DEMO_SERVER = join(ROOT, 'examples', 'demo-server', 'server.mjs');
export const CRASHY_SERVER = join(ROOT, 'test', 'fixtures', 'crashy-server.mjs');
/** The demo server as a target command, placeholders unrendered. */
export const DEMO_COMMAND = ['node', DEMO_SERVER, '--port', '{port}', '--root', '{workdir}'];

/** The environment variable that tags every process a test run starts. */
export const MARK_VAR = 'SECCOMPLETE_TEST_MARK';

/** Fails the suite with a clear message when the CLI was not compiled. */
export function assertBuilt(): void {
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run npm run build first`);
}

export interface CliRun {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export interface CliOptions {
  /** tags the CLI and, through its environment, everything it starts (see markedProcesses) */
  mark?: string;
  /** kill the CLI after this long (then its targets are killed by marker too) */
  timeoutMs?: number;
  /** run the CLI under this command, e.g. a strace that injects EPERM */
  wrapper?: string[];
  env?: Record<string, string>;
}

/** A fresh marker; pass it to runCli/startCli and to `--env` via markEnv. */
export const newMark = (): string => randomUUID();

/** `--env MARK=...`: the target gets the marker even if the CLI stopped passing its own environment on. */
export const markEnv = (mark: string): string[] => ['--env', `${MARK_VAR}=${mark}`];

/** Starts the CLI without waiting for it (for signals). */
export function startCli(args: string[], o: CliOptions = {}): ResultPromise<{ reject: false }> {
  const wrapper = o.wrapper ?? [];
  const [file, ...rest] = [...wrapper, process.execPath, CLI, ...args] as [string, ...string[]];
  return execa(file, rest, {
    cwd: ROOT,
    env: { ...o.env, ...(o.mark ? { [MARK_VAR]: o.mark } : {}) },
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: o.timeoutMs ?? 60_000,
    forceKillAfterDelay: 5_000,
    encoding: 'utf8',
  }) as ResultPromise<{ reject: false }>;
}

/** Runs the CLI to the end; never throws on a non-zero exit. */
export async function runCli(args: string[], o: CliOptions = {}): Promise<CliRun> {
  const t0 = performance.now();
  const result = await startCli(args, o);
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    durationMs: performance.now() - t0,
    timedOut: result.timedOut === true,
  };
}

export interface MarkedProcess {
  pid: number;
  cmdline: string;
}

/** Every live process whose environment carries the marker (never found by name). */
export function markedProcesses(mark: string): MarkedProcess[] {
  const needle = `${MARK_VAR}=${mark}`;
  const found: MarkedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      // a zombie's environ reads empty: it is dead, only not yet reaped
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!environ.includes(needle)) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid: Number(name), cmdline });
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return found;
}

/** Waits up to `ms` for every marked process to go; returns those still there. */
export async function waitForNoMarkedProcesses(mark: string, ms = 3_000): Promise<MarkedProcess[]> {
  const deadline = performance.now() + ms;
  for (;;) {
    const left = markedProcesses(mark);
    if (left.length === 0 || performance.now() > deadline) return left;
    await sleep(50);
  }
}

/** Safety net after a failed test: SIGKILL what a run left, by pid, found by its marker. */
export function killMarked(mark: string): void {
  for (const p of markedProcesses(mark)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined, or fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, ms: number, everyMs = 50): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const tempDirs: string[] = [];

/** A scratch directory, removed by removeTempDirs(). Not named seccomplete-*: those are the CLI's. */
export function makeTempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sctest-${label}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The lines of `<out>/stats.jsonl`, parsed; [] while it does not exist yet. */
export function statsLines(outDir: string): { executions: number; [key: string]: unknown }[] {
  let text: string;
  try {
    text = readFileSync(join(outDir, 'stats.jsonl'), 'utf8');
  } catch {
    return [];
  }
  // the last line may be half-written while the run goes on
  const out: { executions: number }[] = [];
  for (const line of text.split('\n')) {
    try {
      if (line) out.push(JSON.parse(line) as { executions: number });
    } catch {
      // incomplete
    }
  }
  return out;
}

/**
 * The CLI's error contract: stderr is one line `seccomplete: error: ...` matching
 * `message`, optionally followed by one `seccomplete: hint: ...` line, and never a stack trace.
 */
export function expectErrorLine(stderr: string, message: RegExp): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  const lines = stderr.replace(/\n$/, '').split('\n');
  expect(lines[0]).toMatch(/^seccomplete: error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.length, `stderr:\n${stderr}`).toBeLessThanOrEqual(2);
  if (lines.length === 2) expect(lines[1]).toMatch(/^seccomplete: hint: \S/);
}

/** The texts an HTTP input sends: structured request lines and decoded raw requests. */
export function requestTexts(input: unknown): string[] {
  const requests = (input as { requests?: unknown[] } | null)?.requests ?? [];
  return requests.map((r) => {
    const req = r as { method?: string; path?: string; raw?: string };
    if (typeof req.raw === 'string') return Buffer.from(req.raw, 'base64').toString('latin1');
    return `${req.method ?? ''} ${req.path ?? ''}`;
  });
}

/**
 * Marks for this test file: each test takes a fresh one, and whatever still carries a
 * mark after a test (a failed one) is killed by pid. Registers the file's hooks.
 */
export function useMarks(hooks: { beforeAll: (fn: () => void) => void; afterEach: (fn: () => void) => void; afterAll: (fn: () => void) => void }): () => string {
  const marks: string[] = [];
  hooks.beforeAll(() => assertBuilt());
  hooks.afterEach(() => {
    for (const m of marks.splice(0)) killMarked(m);
  });
  hooks.afterAll(() => removeTempDirs());
  return () => {
    const m = newMark();
    marks.push(m);
    return m;
  };
}
