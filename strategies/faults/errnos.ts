import { KNOWN_FALLBACKS as PROFILE_FALLBACKS } from '../../src/profile/fallbacks.js';
import { isKnownSyscall } from '../../src/syscalls/table.js';
import { injectArgs } from '../../src/trace/strace.js';

/**
 * Which injected failures are meaningful for which syscalls: failures the kernel (or a
 * seccomp profile) really gives that call, so that what the target does next is an
 * error path or a fallback it would also take in production. ENOSPC from `getpid` or
 * EINTR from `mmap` would only exercise paths that can never run.
 */

/** The errnos the faults channel injects, in the order its tables list them. */
export const FAULT_ERRNOS = ['ENOSYS', 'EPERM', 'EINTR', 'EAGAIN', 'ENOMEM', 'ENOSPC', 'EMFILE'] as const;
export type FaultErrno = (typeof FAULT_ERRNOS)[number];

export const isFaultErrno = (value: unknown): value is FaultErrno =>
  typeof value === 'string' && (FAULT_ERRNOS as readonly string[]).includes(value);

/**
 * ENOSYS is meaningful for a syscall with a known fallback: an older kernel or a
 * container profile (Docker's answers clone3 with ENOSYS) lacks it, and its callers
 * take another route. The profile's table (src/profile/fallbacks.ts) is the main
 * list; these are fallbacks of libraries other than glibc that it does not carry
 * (the profile need not deny them with ENOSYS, but making them fail shows the route).
 */
const MORE_FALLBACKS: Readonly<Record<string, readonly string[]>> = {
  set_robust_list: [], // glibc: no robust futexes, the process still runs
  membarrier: ['mprotect'], // liburcu, .NET, V8: a barrier through mprotect's IPIs
  renameat2: ['renameat'], // glibc renameat2() with flags 0
  accept4: ['accept', 'fcntl'], // Go, libevent: accept, then set O_NONBLOCK|O_CLOEXEC
  pipe2: ['pipe', 'fcntl'], // libevent, older Go
  epoll_create1: ['epoll_create'], // libevent, older libuv
  sendmmsg: ['sendto'], // glibc's resolver (res_send) sends its A and AAAA queries one by one
  memfd_create: ['openat'], // systemd, Wayland: O_TMPFILE or a file in /dev/shm
  prlimit64: ['getrlimit', 'setrlimit'], // older glibc, Go
};

/** Every syscall whose callers fall back on ENOSYS, and to what. */
export const KNOWN_FALLBACKS: Readonly<Record<string, readonly string[]>> = (() => {
  const merged: Record<string, string[]> = {};
  for (const table of [PROFILE_FALLBACKS, MORE_FALLBACKS]) {
    for (const [name, routes] of Object.entries(table)) merged[name] = [...new Set([...(merged[name] ?? []), ...routes])];
  }
  return merged;
})();

interface ErrnoRule {
  errno: FaultErrno;
  /** why this errno is a realistic failure of these syscalls */
  why: string;
  syscalls: readonly string[];
}

/** Each errno with the syscalls it is meaningful for. ENOSYS is exactly the fallback table. */
const RULES: readonly ErrnoRule[] = [
  {
    errno: 'ENOSYS',
    why: 'an older kernel or a container profile lacks the call; the caller falls back to an older one',
    syscalls: Object.keys(KNOWN_FALLBACKS),
  },
  {
    errno: 'EPERM',
    why: 'missing capability, rootless container, no_new_privs or an LSM: the call is refused',
    syscalls: [
      // credentials and capabilities
      'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'setgroups', 'capset',
      'prctl', 'seccomp', 'setsid', 'setpgid',
      // ownership and modes (not the owner, or CAP_CHOWN/CAP_FOWNER missing)
      'chown', 'fchown', 'lchown', 'fchownat', 'chmod', 'fchmod', 'fchmodat', 'link', 'linkat',
      // resources and scheduling (CAP_IPC_LOCK, CAP_SYS_RESOURCE, CAP_SYS_NICE)
      'mlock', 'mlock2', 'mlockall', 'setrlimit', 'prlimit64', 'setpriority', 'sched_setscheduler', 'sched_setattr',
      'sched_setaffinity', 'ioprio_set',
      // namespaces, mounts, system state (CAP_SYS_ADMIN and friends)
      'unshare', 'setns', 'mount', 'umount2', 'chroot', 'pivot_root', 'sethostname', 'setdomainname', 'settimeofday',
      'clock_settime', 'adjtimex', 'mknod', 'mknodat', 'personality', 'ptrace', 'kill', 'tgkill',
      'setxattr', 'lsetxattr', 'fsetxattr',
      // unprivileged use disabled by sysctl or refused by a profile (Docker's default denies these)
      'bpf', 'perf_event_open', 'userfaultfd', 'io_uring_setup', 'keyctl', 'add_key', 'request_key',
      // raw sockets without CAP_NET_RAW; exec on a noexec mount or under an LSM
      'socket', 'execve', 'execveat',
    ],
  },
  {
    errno: 'EINTR',
    why: 'a signal arrived while the call blocked: the caller must retry or give up',
    syscalls: [
      'read', 'readv', 'write', 'writev', 'recvfrom', 'recvmsg', 'recvmmsg', 'sendto', 'sendmsg', 'sendmmsg',
      'accept', 'accept4', 'connect', 'close',
      'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'poll', 'ppoll', 'select', 'pselect6',
      'futex', 'futex_waitv', 'nanosleep', 'clock_nanosleep', 'wait4', 'waitid', 'rt_sigsuspend', 'rt_sigtimedwait', 'pause',
      'flock', 'semop', 'semtimedop', 'msgrcv', 'msgsnd', 'mq_timedreceive', 'mq_timedsend', 'io_getevents',
      'io_uring_enter', 'sendfile', 'splice',
    ],
  },
  {
    errno: 'EAGAIN',
    why: 'non-blocking I/O with nothing ready, or a process/thread limit (RLIMIT_NPROC, pids cgroup) hit',
    syscalls: [
      'read', 'readv', 'write', 'writev', 'recvfrom', 'recvmsg', 'recvmmsg', 'sendto', 'sendmsg', 'sendmmsg',
      'accept', 'accept4', 'connect', 'sendfile', 'splice', 'flock', 'semop', 'msgsnd', 'msgrcv',
      'futex', // the futex word changed before the wait
      'getrandom', // GRND_NONBLOCK before the entropy pool is ready
      'clone', 'clone3', 'fork', 'vfork',
      'mlock', 'timer_create',
    ],
  },
  {
    errno: 'ENOMEM',
    why: 'memory or map-count limits (RLIMIT_AS, a memory cgroup, vm.max_map_count)',
    syscalls: [
      'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mlock',
      'brk', // malloc falls back to mmap when the heap cannot grow
      'clone', 'clone3', 'fork', 'vfork', 'execve',
      'epoll_create1', 'socket', 'pipe2', 'io_uring_setup',
    ],
  },
  {
    errno: 'ENOSPC',
    why: 'the file system is full, or a kernel table is (inotify watches, epoll watches)',
    syscalls: [
      'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'fsync', 'fdatasync', 'sync_file_range', 'fallocate',
      'copy_file_range', 'sendfile', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat',
      'mkdir', 'mkdirat', 'mknod', 'mknodat', 'setxattr', 'fsetxattr',
      'open', 'openat', 'creat', // only with O_CREAT, which the tracer cannot tell apart
      'inotify_add_watch', 'epoll_ctl',
    ],
  },
  {
    errno: 'EMFILE',
    why: 'the process ran out of file descriptors (RLIMIT_NOFILE)',
    syscalls: [
      'open', 'openat', 'openat2', 'creat', 'socket', 'socketpair', 'accept', 'accept4', 'pipe', 'pipe2', 'dup', 'dup2',
      'dup3', 'eventfd', 'eventfd2', 'epoll_create', 'epoll_create1', 'timerfd_create', 'signalfd', 'signalfd4',
      'inotify_init', 'inotify_init1', 'memfd_create', 'pidfd_open', 'userfaultfd', 'io_uring_setup', 'perf_event_open',
      'fanotify_init', 'open_by_handle_at', 'recvmsg', // recvmsg: SCM_RIGHTS with no room for the passed fds
    ],
  },
];

/**
 * Can the tracer inject a failure into this syscall? strace refuses numbers beyond its
 * own table (6.1 knows up to 450: not fchmodat2, mseal...); src/trace/strace.ts knows
 * the limit (measured by checkStrace) and emits no injection for such a call, so a
 * fault there would change nothing. The channel never makes one.
 */
export function isInjectable(syscall: string): boolean {
  return injectArgs({ syscall, errno: 'ENOSYS', when: 1, andLater: false }, 'x86_64').length > 0;
}

const BY_SYSCALL: ReadonlyMap<string, readonly FaultErrno[]> = (() => {
  const map = new Map<string, FaultErrno[]>();
  for (const rule of RULES) {
    for (const syscall of rule.syscalls) {
      if (!isKnownSyscall(syscall, 'x86_64')) throw new Error(`errno table: '${syscall}' is not an x86_64 syscall`);
      const list = map.get(syscall) ?? [];
      if (!list.includes(rule.errno)) list.push(rule.errno);
      map.set(syscall, list);
    }
  }
  // keep every list in FAULT_ERRNOS order, whatever order the rules were written in
  for (const list of map.values()) list.sort((a, b) => FAULT_ERRNOS.indexOf(a) - FAULT_ERRNOS.indexOf(b));
  return map;
})();

/** The errnos meaningful for `syscall` ([] when none is). */
export function meaningfulErrnos(syscall: string): readonly FaultErrno[] {
  return BY_SYSCALL.get(syscall) ?? [];
}

export function isMeaningful(syscall: string, errno: string): boolean {
  return (meaningfulErrnos(syscall) as readonly string[]).includes(errno);
}

/** Every syscall the table has a meaningful errno for, in name order. */
export function faultableSyscalls(): readonly string[] {
  return [...BY_SYSCALL.keys()].sort();
}

/** Why `errno` is meaningful at all (for describe/reports). */
export function errnoReason(errno: FaultErrno): string {
  return RULES.find((r) => r.errno === errno)?.why ?? '';
}

/** Syscalls with a known ENOSYS fallback that the tracer can inject into. */
export function fallbackSyscalls(): readonly string[] {
  return Object.keys(KNOWN_FALLBACKS).filter(isInjectable);
}
