import { execa } from 'execa';
import { environmentError } from '../errors.js';
import { syscallNumber, type Arch } from '../syscalls/table.js';

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
  | { kind: 'coverage'; exclude: readonly string[] }
  | { kind: 'enforce'; allow: readonly string[]; errno: readonly ErrnoRule[]; defaultErrno: number };

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
    if (nr !== undefined) out.add(String(nr));
  }
  return [...out];
}

export function straceArgs(mode: Exclude<TraceMode, { kind: 'none' }>, outputPath: string, arch: Arch): string[] {
  // -q: no attach/detach chatter; exit lines stay, they tell us how processes ended.
  // -s 64: enough of each string to read paths; the coverage needs no more.
  const base = ['-f', '-q', '-s', '64', '-o', outputPath];
  if (mode.kind === 'coverage') {
    const excluded = numbers(mode.exclude, arch);
    if (excluded.length === 0) return [...base, '-e', 'trace=all'];
    return [...base, '--seccomp-bpf', '-e', `trace=!${excluded.join(',')}`];
  }
  const allowed = numbers(mode.allow, arch);
  const notAllowed = allowed.length === 0 ? 'all' : `!${allowed.join(',')}`;
  const args = [...base, '--seccomp-bpf', '-e', `trace=${notAllowed}`, '-e', `inject=${notAllowed}:error=${mode.defaultErrno}`];
  // A later -e inject overrides an earlier one for the syscalls they share.
  for (const rule of mode.errno) {
    const nr = syscallNumber(rule.name, arch);
    if (nr !== undefined) args.push('-e', `inject=${nr}:error=${rule.errno}`);
  }
  return args;
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
  return { path, version: m[1] ?? firstLine };
}
