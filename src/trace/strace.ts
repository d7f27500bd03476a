import { execa } from 'execa';
import { environmentError } from '../errors.js';
import { allSyscalls, syscallNumber, type Arch } from '../syscalls/table.js';
import type { Fault } from '../strategy.js';

/**
 * How the tracer runs the target.
 * - `none`: no tracer at all (the unconfined baseline of `verify`, benchmarks).
 * - `coverage`: stop only on syscalls outside `exclude` (`--seccomp-bpf`), so that
 *   syscalls already seen often enough cost nothing.
 * - `enforce`: emulate a seccomp profile: every syscall outside `allow` fails with
 *   `defaultErrno`, the `errno` rules with their own errno; allowed calls run untraced.
 */
export type TraceMode =
  | { kind: 'none' }
  | { kind: 'coverage'; exclude: readonly string[]; faults?: readonly Fault[] }
  | {
      kind: 'enforce';
      allow: readonly string[];
      errno: readonly ErrnoRule[];
      defaultErrno: number;
      faults?: readonly Fault[];
      /** allowed, but only for some argument values: traced (not failed) so the verifier can check them */
      conditional?: readonly string[];
    };

export interface ErrnoRule {
  name: string;
  errno: number;
}

/**
 * strace 6.1 does not know every syscall name the kernel has (e.g. map_shadow_stack),
 * but it accepts numbers: filters are always written as numbers from our own table.
 * Names with no number on this architecture cannot be filtered and are left traced.
 */
function numbers(names: readonly string[], arch: Arch): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const nr = syscallNumber(name, arch);
    if (nr !== undefined && nr <= straceMaxSyscall) out.add(String(nr));
  }
  return [...out];
}

/**
 * strace rejects numbers beyond its own table (6.1 knows up to 450). Calls above it
 * can be neither filtered nor injected: they stay traced in coverage mode (harmless)
 * and are not emulated by `verify` (a documented limit). checkStrace() measures it.
 */
let straceMaxSyscall = 450;

export function straceArgs(mode: Exclude<TraceMode, { kind: 'none' }>, outputPath: string, arch: Arch): string[] {
  // -q: no attach/detach chatter; exit lines stay, they tell us how processes ended.
  // -s 64: enough of each string to read paths; the coverage needs no more.
  const base = ['-f', '-q', '-s', '64', '-o', outputPath];
  if (mode.kind === 'coverage') {
    const faults = mode.faults ?? [];
    // a syscall must stop in the tracer to have a fault injected
    const injected = new Set(faults.map((f) => f.syscall));
    const excluded = numbers(mode.exclude.filter((name) => !injected.has(name)), arch);
    const filter = excluded.length === 0 ? ['-e', 'trace=all'] : ['--seccomp-bpf', '-e', `trace=!${excluded.join(',')}`];
    return [...base, ...filter, ...faults.flatMap((f) => injectArgs(f, arch))];
  }
  const allowed = numbers(mode.allow, arch);
  const notAllowed = allowed.length === 0 ? 'all' : `!${allowed.join(',')}`;
  // an allowed call runs untraced, unless a fault of the replayed entry must be injected into it
  const faulted = new Set((mode.faults ?? []).map((f) => f.syscall));
  const conditional = new Set(mode.conditional ?? []);
  const untraced = numbers(mode.allow.filter((name) => !faulted.has(name) && !conditional.has(name)), arch);
  const traced = untraced.length === 0 ? 'all' : `!${untraced.join(',')}`;
  const args = [...base, '--seccomp-bpf', '-e', `trace=${traced}`, '-e', `inject=${notAllowed}:error=${mode.defaultErrno}`];
  // A later -e inject overrides an earlier one for the syscalls they share.
  for (const rule of mode.errno) {
    const nr = syscallNumber(rule.name, arch);
    if (nr !== undefined && nr <= straceMaxSyscall) args.push('-e', `inject=${nr}:error=${rule.errno}`);
  }
  // a corpus entry's own faults come last: they replay what the fuzzer did
  for (const fault of mode.faults ?? []) args.push(...injectArgs(fault, arch));
  return args;
}

/** `-e inject=NR:error=ERRNO:when=N[+]` for one fault; nothing for a name without a number here. */
export function injectArgs(fault: Fault, arch: Arch): string[] {
  const nr = syscallNumber(fault.syscall, arch);
  if (nr === undefined || nr > straceMaxSyscall) return [];
  const when = fault.andLater ? `${fault.when}+` : String(fault.when);
  return ['-e', `inject=${nr}:error=${fault.errno}:when=${when}`];
}

export interface StraceInfo {
  path: string;
  version: string;
}

const checked = new Map<string, Promise<StraceInfo>>();

/**
 * Fails with one clear line when strace is missing or when this process may not
 * ptrace (a container without CAP_SYS_PTRACE, yama ptrace_scope 3, or already traced).
 */
export function checkStrace(path: string): Promise<StraceInfo> {
  let result = checked.get(path);
  if (!result) {
    result = probeStrace(path);
    checked.set(path, result);
  }
  return result;
}

async function probeStrace(path: string): Promise<StraceInfo> {
  const version = await execa(path, ['-V'], { reject: false, timeout: 10_000 });
  if (version.failed && (version.code === 'ENOENT' || version.exitCode === undefined)) {
    throw environmentError(
      `strace not found at '${path}'`,
      'install it (apt-get install strace) or point --strace at it',
    );
  }
  const firstLine = String(version.stdout).split('\n')[0] ?? '';
  const m = /version\s+(\d+(?:\.\d+)*)/.exec(firstLine);
  if (!m) throw environmentError(`'${path}' does not look like strace (strace -V printed '${firstLine}')`);
  const probe = await execa(path, ['-f', '-qq', '-o', '/dev/null', '--seccomp-bpf', '-e', 'trace=getpid', '/bin/true'], {
    reject: false,
    timeout: 10_000,
  });
  if (probe.exitCode !== 0) {
    const lines = String(probe.stderr).trim().split('\n');
    const err = lines[lines.length - 1] ?? '';
    // strace names the EPERM first and then what failed because of it (e.g. "detach:
    // waitpid: No child processes"): the last line alone hides the cause.
    const denied = lines.find((l) => /Operation not permitted|EPERM/.test(l)) ?? (/ptrace/i.test(err) ? err : undefined);
    if (denied) {
      throw environmentError(
        `ptrace is not permitted here, so strace cannot trace: ${denied}`,
        'run as root or with CAP_SYS_PTRACE, check /proc/sys/kernel/yama/ptrace_scope, and do not run seccomplete itself under a tracer',
      );
    }
    throw environmentError(`strace cannot trace on this machine: ${err || `exit code ${probe.exitCode}`}`);
  }
  straceMaxSyscall = await probeMaxSyscall(path);
  return { path, version: m[1] ?? firstLine };
}

/** The highest x86_64 syscall number this strace accepts in a filter. */
async function probeMaxSyscall(path: string): Promise<number> {
  const candidates = allSyscalls('x86_64')
    .map((name) => syscallNumber(name, 'x86_64') as number)
    .filter((nr) => nr >= 424)
    .sort((a, b) => b - a);
  for (const nr of candidates) {
    const r = await execa(path, ['-qq', '-o', '/dev/null', '-e', `trace=${nr}`, '/bin/true'], { reject: false, timeout: 10_000 });
    if (r.exitCode === 0) return nr;
  }
  return 423;
}
