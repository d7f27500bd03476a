/**
 * Syscalls a container should not get unless it needs them: each one has been the way out
 * of a container, into the kernel's attack surface or into other processes. `diff` says
 * which of them a profile keeps out and which it lets in, compared with another profile
 * (Docker's default in particular).
 *
 * Sources: Docker's seccomp documentation ("Significant syscalls blocked by the default
 * profile"), the kernel's own capability checks, and the CVEs named below.
 */

export interface DangerousSyscall {
  /** the syscall */
  readonly name: string;
  /** `namespaces` for clone: dangerous only when its flags may create namespaces */
  readonly only?: 'namespaces';
  /** what a program can do with it, in one line */
  readonly why: string;
}

export const DANGEROUS_SYSCALLS: readonly DangerousSyscall[] = Object.freeze([
  { name: 'acct', why: 'switches process accounting on or off, host-wide' },
  { name: 'add_key', why: 'kernel keyring: not namespaced, a long history of kernel bugs' },
  { name: 'bpf', why: 'loads programs into the kernel; the verifier has had many escapes' },
  { name: 'clone', only: 'namespaces', why: 'with CLONE_NEW* flags: creates namespaces (user namespaces open most kernel attack surface to unprivileged code)' },
  { name: 'clone3', why: 'its flags live in memory, where seccomp cannot see them: may create namespaces' },
  { name: 'delete_module', why: 'unloads kernel modules' },
  { name: 'finit_module', why: 'loads kernel modules' },
  { name: 'fsconfig', why: 'new mount API: configures a filesystem context' },
  { name: 'fsmount', why: 'new mount API: mounts a filesystem' },
  { name: 'fsopen', why: 'new mount API: opens a filesystem for mounting (CVE-2022-0185)' },
  { name: 'fspick', why: 'new mount API: reconfigures an existing mount' },
  { name: 'init_module', why: 'loads kernel modules' },
  { name: 'io_uring_enter', why: 'io_uring: a large, fast-moving kernel attack surface that bypasses per-syscall filtering' },
  { name: 'io_uring_register', why: 'io_uring: a large, fast-moving kernel attack surface that bypasses per-syscall filtering' },
  { name: 'io_uring_setup', why: 'io_uring: a large, fast-moving kernel attack surface that bypasses per-syscall filtering' },
  { name: 'kcmp', why: 'compares kernel objects of other processes: leaks kernel layout' },
  { name: 'kexec_file_load', why: 'replaces the running kernel' },
  { name: 'kexec_load', why: 'replaces the running kernel' },
  { name: 'keyctl', why: 'kernel keyring: not namespaced, a long history of kernel bugs' },
  { name: 'lookup_dcookie', why: 'resolves kernel directory-entry cookies (profiling interface)' },
  { name: 'mount', why: 'mounts filesystems: with privileges, the classic container escape' },
  { name: 'mount_setattr', why: 'changes mount properties (read-only, idmapping)' },
  { name: 'move_mount', why: 'new mount API: moves mounts around' },
  { name: 'name_to_handle_at', why: 'file handles: with open_by_handle_at, the "shocker" escape' },
  { name: 'open_by_handle_at', why: 'opens any file of the filesystem by handle, ignoring the mount namespace ("shocker")' },
  { name: 'open_tree', why: 'new mount API: clones mount trees' },
  { name: 'perf_event_open', why: 'performance monitoring: leaks kernel and other processes\' data, many kernel bugs' },
  { name: 'pivot_root', why: 'changes the root filesystem' },
  { name: 'process_vm_readv', why: 'reads the memory of other processes' },
  { name: 'process_vm_writev', why: 'writes the memory of other processes' },
  { name: 'ptrace', why: 'controls other processes and reads their memory; bypassed seccomp before kernel 4.8' },
  { name: 'quotactl', why: 'manipulates disk quotas of host filesystems' },
  { name: 'reboot', why: 'reboots the host (or the PID namespace)' },
  { name: 'request_key', why: 'kernel keyring: not namespaced, a long history of kernel bugs' },
  { name: 'setns', why: 'joins other namespaces' },
  { name: 'swapoff', why: 'turns host swap off' },
  { name: 'swapon', why: 'turns host swap on' },
  { name: 'syslog', why: 'reads the kernel log: leaks kernel addresses' },
  { name: 'umount2', why: 'unmounts filesystems' },
  { name: 'unshare', why: 'creates namespaces (user namespaces open most kernel attack surface to unprivileged code)' },
  { name: 'userfaultfd', why: 'stalls kernel memory accesses at will: turns kernel races into reliable exploits' },
]);

/** The list as `name` or `name (with namespaces)`, for people. */
export function dangerousLabel(entry: DangerousSyscall): string {
  return entry.only === 'namespaces' ? `${entry.name} with namespaces` : entry.name;
}
