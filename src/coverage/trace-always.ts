import { MULTIPLEXER_SET } from '../syscalls/multiplexers.js';

/**
 * Syscalls never excluded from tracing. The multiplexers, for their argument features.
 * And the first calls of every new glibc thread (rseq, set_robust_list): strace 6.1
 * switches a thread to its cheap seccomp resume mode only after that thread's first
 * traced stop, so a thread that never makes a traced call is stopped on every syscall
 * (measured in bench/: ~26 silent stops per request, 1.4x slower, and 1.0x with these).
 */
export const THREAD_PROBES = ['rseq', 'set_robust_list'];

export function traceAlwaysSet(argFeatures: boolean): ReadonlySet<string> {
  return new Set([...THREAD_PROBES, ...(argFeatures ? MULTIPLEXER_SET : [])]);
}

