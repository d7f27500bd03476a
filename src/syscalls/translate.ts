import { isKnownSyscall, type Arch } from './table.js';

/**
 * What a syscall seen on the traced architecture (x86_64) becomes on another one.
 *
 * aarch64 uses the asm-generic table, which leaves out the calls that a newer one
 * supersedes: there is no open, only openat; no fork, only clone. glibc, musl and Go's
 * runtime make the newer call on such an architecture where they make the older one on
 * x86_64, so a profile for aarch64 needs the counterpart of every x86_64 call the target
 * made. The table says which call(s) the C libraries make instead (glibc's generic
 * sysdeps/unix/sysv/linux implementations, e.g. rmdir is unlinkat(AT_FDCWD, path,
 * AT_REMOVEDIR), alarm is setitimer, pause is ppoll(NULL, 0, NULL, NULL)).
 */
export type Counterpart =
  /** the call exists under the same name */
  | { readonly kind: 'same' }
  /** the call does not exist; these do its job */
  | { readonly kind: 'mapped'; readonly names: readonly string[] }
  /** the call does not exist and nothing does its job there */
  | { readonly kind: 'none'; readonly why: string };

type Entry = { readonly names: readonly string[] } | { readonly none: string };

const NOT_IMPLEMENTED = 'not implemented on x86_64 either (ENOSYS)';
const X86_SEGMENTS = 'x86 segment descriptors; arm64 has no equivalent';

/** x86_64 names that asm-generic architectures (aarch64) lack, and what replaces them. */
const FROM_X86_64_TO_GENERIC: Readonly<Record<string, Entry>> = {
  access: { names: ['faccessat'] },
  alarm: { names: ['setitimer'] },
  chmod: { names: ['fchmodat'] },
  chown: { names: ['fchownat'] },
  creat: { names: ['openat'] },
  dup2: { names: ['dup3'] }, // dup2(fd, fd) is fcntl(fd, F_GETFL), already allowed whenever fcntl is
  epoll_create: { names: ['epoll_create1'] },
  epoll_wait: { names: ['epoll_pwait'] },
  eventfd: { names: ['eventfd2'] },
  fork: { names: ['clone'] },
  futimesat: { names: ['utimensat'] },
  getdents: { names: ['getdents64'] },
  getpgrp: { names: ['getpgid'] },
  inotify_init: { names: ['inotify_init1'] },
  lchown: { names: ['fchownat'] },
  link: { names: ['linkat'] },
  lstat: { names: ['newfstatat'] },
  mkdir: { names: ['mkdirat'] },
  mknod: { names: ['mknodat'] },
  open: { names: ['openat'] },
  pause: { names: ['ppoll'] },
  pipe: { names: ['pipe2'] },
  poll: { names: ['ppoll'] },
  readlink: { names: ['readlinkat'] },
  rename: { names: ['renameat'] },
  rmdir: { names: ['unlinkat'] },
  select: { names: ['pselect6'] },
  signalfd: { names: ['signalfd4'] },
  stat: { names: ['newfstatat'] },
  symlink: { names: ['symlinkat'] },
  time: { names: ['clock_gettime'] }, // normally answered by the vDSO without any syscall
  unlink: { names: ['unlinkat'] },
  utime: { names: ['utimensat'] },
  utimes: { names: ['utimensat'] },
  vfork: { names: ['clone'] },
  arch_prctl: { none: 'x86 FS/GS base; arm64 keeps the thread pointer in TPIDR_EL0 and needs no call' },
  iopl: { none: 'x86 I/O port privilege; arm64 has no I/O ports' },
  ioperm: { none: 'x86 I/O port permissions; arm64 has no I/O ports' },
  modify_ldt: { none: X86_SEGMENTS },
  get_thread_area: { none: X86_SEGMENTS },
  set_thread_area: { none: X86_SEGMENTS },
  uselib: { none: 'a.out shared libraries, never supported on arm64' },
  sysfs: { none: 'obsolete filesystem-type query, never in the asm-generic table' },
  ustat: { none: 'obsolete (use statfs), never in the asm-generic table' },
  _sysctl: { none: 'removed in Linux 5.5 (use /proc/sys)' },
  uprobe: { none: "x86 uprobe trampoline, made by the kernel's own code" },
  uretprobe: { none: "x86 uretprobe trampoline, made by the kernel's own code" },
  create_module: { none: NOT_IMPLEMENTED },
  get_kernel_syms: { none: NOT_IMPLEMENTED },
  query_module: { none: NOT_IMPLEMENTED },
  afs_syscall: { none: NOT_IMPLEMENTED },
  getpmsg: { none: NOT_IMPLEMENTED },
  putpmsg: { none: NOT_IMPLEMENTED },
  security: { none: NOT_IMPLEMENTED },
  tuxcall: { none: NOT_IMPLEMENTED },
  vserver: { none: NOT_IMPLEMENTED },
  epoll_ctl_old: { none: NOT_IMPLEMENTED },
  epoll_wait_old: { none: NOT_IMPLEMENTED },
};

/** The x86_64 names the translation table covers (for tests). */
export const TRANSLATED_X86_64_NAMES: readonly string[] = Object.keys(FROM_X86_64_TO_GENERIC).sort();

/** What `name`, a syscall of `from`, is on `to`. */
export function counterpart(name: string, from: 'x86_64', to: Arch): Counterpart {
  if (to === from || isKnownSyscall(name, to)) return { kind: 'same' };
  const entry = Object.hasOwn(FROM_X86_64_TO_GENERIC, name) ? FROM_X86_64_TO_GENERIC[name] : undefined;
  if (entry && 'names' in entry) return { kind: 'mapped', names: entry.names };
  if (entry) return { kind: 'none', why: entry.none };
  return { kind: 'none', why: `not in the ${to} table` };
}
