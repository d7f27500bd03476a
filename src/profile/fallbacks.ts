/**
 * Syscalls whose callers (glibc, libuv, OpenSSL, Go's runtime...) take another route
 * when the kernel answers ENOSYS, and the syscalls that route uses. A profile that
 * denies one of these with EPERM breaks the caller; ENOSYS lets it fall back.
 */
export const KNOWN_FALLBACKS: Readonly<Record<string, readonly string[]>> = {
  clone3: ['clone'], // glibc 2.34+: pthread_create, posix_spawn, fork
  faccessat2: ['faccessat', 'access'], // glibc access()/faccessat() with flags
  statx: ['newfstatat', 'fstat', 'stat', 'lstat'], // glibc stat family, coreutils
  openat2: ['openat'],
  close_range: ['close'], // glibc closefrom(), posix_spawn CLOSE_FDS
  epoll_pwait2: ['epoll_pwait', 'epoll_wait'], // libuv, glibc
  getrandom: ['openat', 'read'], // OpenSSL/libuv fall back to /dev/urandom
  rseq: [], // glibc just runs without restartable sequences
  pidfd_open: ['wait4', 'waitid'],
  pidfd_send_signal: ['kill'],
  copy_file_range: ['read', 'write', 'sendfile'],
  preadv2: ['preadv', 'pread64'],
  pwritev2: ['pwritev', 'pwrite64'],
  fchmodat2: ['fchmodat'],
  futex_waitv: ['futex'],
  membarrier: [],
  io_uring_setup: [], // callers fall back to their epoll or thread-pool path
  mseal: [],
  map_shadow_stack: [],
};

export const hasKnownFallback = (name: string): boolean => Object.hasOwn(KNOWN_FALLBACKS, name);
