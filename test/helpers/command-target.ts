import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import type { Invocation } from '../../src/command/invocation.js';
import { contentBytes, materialize } from '../../src/command/materialize.js';
import { ROOT } from './cli.js';

/**
 * The acceptance for command-line targets, shared by the gzip, tar and grep
 * tests: fuzz until stable, verify the profile on the corpus, then run a fixed list of
 * ordinary invocations (written in the test, never seen by the fuzzer) under the profile:
 * through `verify --seeds` (strace emulation, denials by name) and under the kernel's
 * real seccomp filter (libseccomp via python3-seccomp), comparing outputs with unconfined runs.
 */
export const COMMAND_CHANNELS = 'args,files,stdin,env';
const CLI = join(ROOT, 'bin', 'seccomplete.js');

export function cli(args: string[], timeout = 420_000) {
  return execa(process.execPath, [CLI, ...args], { cwd: ROOT, reject: false, timeout, env: { CI: process.env.CI ?? '' } });
}

export interface FuzzOutcome {
  out: string;
  summary: Record<string, unknown>;
  stderr: string;
}

export async function fuzzCommand(work: string, program: string[], extra: string[] = []): Promise<FuzzOutcome> {
  const out = join(work, 'out');
  const run = await cli(['fuzz', '--strategies', COMMAND_CHANNELS, '--until-stable', '20s', '--stable-execs', '1500', '--time', '400s', '--jobs', '2', '--seed', '7', '--json', '--out', out, ...extra, '--', ...program]);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.exitCode, run.stderr).toBe(0);
  return { out, summary: JSON.parse(run.stdout) as Record<string, unknown>, stderr: run.stderr };
}

/** Writes the fixed invocations as a --seeds directory (invocation-N.json). */
export function writeFixedSeeds(work: string, invocations: Invocation[]): string {
  const dir = join(work, 'fixed');
  mkdirSync(dir, { recursive: true });
  invocations.forEach((inv, i) => writeFileSync(join(dir, `invocation-${String(i).padStart(2, '0')}.json`), JSON.stringify(inv, null, 2)));
  return dir;
}

export interface VerifyJson {
  passed: boolean;
  inputs: number;
  denials: { syscall: string; first: { describe: string } }[];
  differences: { describe: string; unconfined: string; confined: string }[];
}

export async function verifyCommand(out: string, program: string[], seeds?: string): Promise<VerifyJson> {
  const args = ['verify', '--json', '--profile', join(out, 'profile.json'), '--corpus', join(out, 'corpus')];
  if (seeds) args.push('--seeds', seeds);
  const run = await cli([...args, '--', ...program]);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect([0, 1], run.stderr).toContain(run.exitCode);
  return JSON.parse(run.stdout) as VerifyJson;
}

/** A python3 with the seccomp module (Debian's /usr/bin/python3; a pyenv one has none). */
export async function seccompPython(): Promise<string | undefined> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = await execa(python, ['-c', 'import seccomp'], { reject: false, timeout: 20_000 });
    if (probe.exitCode === 0) return python;
  }
  return undefined;
}

const LOADER = join(ROOT, 'test', 'fixtures', 'seccomp-exec.py');

export interface RunOutput {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Runs one invocation in a fresh directory holding its files, unconfined or under the
 * profile loaded into the kernel; returns what it printed.
 */
export async function runInvocation(program: string[], inv: Invocation, confine?: { python: string; profile: string }): Promise<RunOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'sctest-inv-'));
  try {
    await materialize(dir, inv.files, { sampleDirs: [join(ROOT, 'corpus', 'files')], mtime: new Date('2020-01-01T00:00:00Z') });
    const argv = [...program, ...inv.args];
    const [file, ...args] = confine ? [confine.python, LOADER, confine.profile, '--', ...argv] : argv;
    let stdin: { inputFile: string } | { stdin: 'ignore' } = { stdin: 'ignore' };
    if (inv.stdin.from === 'file') stdin = { inputFile: join(dir, inv.stdin.name) };
    if (inv.stdin.from === 'content') {
      const file = `${dir}.stdin`;
      writeFileSync(file, await contentBytes(inv.stdin.content, { sampleDirs: [join(ROOT, 'corpus', 'files')] }));
      stdin = { inputFile: file };
    }
    const env: Record<string, string> = { LC_ALL: 'C' };
    for (const [k, v] of Object.entries(inv.env)) if (v !== null) env[k] = v;
    const r = await execa(file as string, args, { cwd: dir, reject: false, timeout: 30_000, env, extendEnv: true, ...stdin, encoding: 'utf8' });
    return { exitCode: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.stdin`, { force: true });
  }
}

export const text = (seed: number, size = 2000) => ({ kind: 'text' as const, seed, size });

export function inv(args: string[], files: Invocation['files'] = [], stdin: Invocation['stdin'] = { from: 'null' }, env: Invocation['env'] = {}): Invocation {
  return { args, files, stdin, env };
}
