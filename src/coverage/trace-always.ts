import { CONDITIONABLE_SYSCALLS } from '../profile/arg-rules.js';

/**
 * Syscalls never excluded from tracing. The multiplexers whose argument classes become
 * `--arg-rules` conditions (socket, ioctl, clone, personality): a class first made after
 * exclusion would be missing from such a profile. The other multiplexers (getsockopt,
 * setsockopt, fcntl, prctl...) only steer the search with their classes, and are
 * excluded like any syscall once seen often enough: nginx makes a getsockopt(SO_ERROR)
 * for every proxied request (bench: 0.33 tracer stops per request of its load).
 * And the first calls of every new glibc thread (rseq, set_robust_list): strace 6.1
 * switches a thread to its cheap seccomp resume mode only after that thread's first
 * traced stop, so a thread that never makes a traced call is stopped on every syscall
 * (measured in bench/: ~26 silent stops per request, 1.4x slower, and 1.0x with these).
 */
export const THREAD_PROBES = ['rseq', 'set_robust_list'];

export function traceAlwaysSet(argFeatures: boolean): ReadonlySet<string> {
  return new Set([...THREAD_PROBES, ...(argFeatures ? CONDITIONABLE_SYSCALLS : [])]);
}
