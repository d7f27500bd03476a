import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allowedNames, errnoRules, toDockerProfile } from '../../src/profile/docker.js';
import { buildProfilePlan } from '../../src/profile/plan.js';
import { AARCH64_SYSCALLS } from '../../src/syscalls/aarch64.js';
import { ARCHES, allSyscalls, isKnownSyscall, syscallName, syscallNumber } from '../../src/syscalls/table.js';
import { TRANSLATED_X86_64_NAMES, counterpart } from '../../src/syscalls/translate.js';
import { runtimeNeeds } from '../helpers/runtime-needs.js';

const inCI = Boolean(process.env.CI);

describe('aarch64 syscall table', () => {
  it('is registered next to x86_64', () => {
    expect(ARCHES).toContain('aarch64');
    expect(allSyscalls('aarch64').length).toBe(Object.keys(AARCH64_SYSCALLS).length);
  });

  it('gives each number to one name, and round-trips', () => {
    const numbers = Object.values(AARCH64_SYSCALLS);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const name of allSyscalls('aarch64')) expect(syscallName(syscallNumber(name, 'aarch64')!, 'aarch64')).toBe(name);
  });

  it('has the well-known asm-generic numbers', () => {
    const expected: Record<string, number> = {
      io_setup: 0,
      openat: 56,
      close: 57,
      read: 63,
      write: 64,
      newfstatat: 79,
      exit: 93,
      exit_group: 94,
      futex: 98,
      rt_sigreturn: 139,
      socket: 198,
      clone: 220,
      execve: 221,
      mmap: 222,
      wait4: 260,
      renameat2: 276,
      rseq: 293,
      clone3: 435,
      faccessat2: 439,
      mseal: 462,
      file_setattr: 469,
    };
    for (const [name, nr] of Object.entries(expected)) expect(syscallNumber(name, 'aarch64'), name).toBe(nr);
  });

  it('lacks the legacy calls asm-generic leaves out, and the x86-only ones', () => {
    for (const name of ['open', 'stat', 'lstat', 'fork', 'vfork', 'poll', 'select', 'pipe', 'dup2', 'access', 'chmod', 'chown', 'mkdir', 'rmdir', 'unlink', 'rename', 'readlink', 'symlink', 'link', 'epoll_wait', 'epoll_create', 'inotify_init', 'eventfd', 'signalfd', 'creat', 'getdents', 'utimes', 'futimesat', 'time', 'alarm', 'pause', 'arch_prctl', 'iopl', 'ioperm', 'modify_ldt', 'uselib', 'sysfs', 'ustat']) {
      expect(isKnownSyscall(name, 'aarch64'), name).toBe(false);
    }
  });

  it('is a subset of the x86_64 names (so every aarch64 name can come from an x86_64 observation)', () => {
    expect(allSyscalls('aarch64').filter((name) => !isKnownSyscall(name, 'x86_64'))).toEqual([]);
  });

  // libseccomp is what Docker, runc and crun resolve names with: its aarch64 numbers must be ours.
  const python = ['/usr/bin/python3', 'python3'].find((candidate) => {
    try {
      execFileSync(candidate, ['-c', 'import seccomp'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  const libseccompMissing = python ? undefined : 'python3-seccomp (libseccomp bindings) is not installed';
  if (!inCI && libseccompMissing) console.warn(`skipping the libseccomp cross-check: ${libseccompMissing}`);

  it.skipIf(!inCI && libseccompMissing !== undefined)('agrees with libseccomp on every name libseccomp knows', () => {
    expect(libseccompMissing, `CI requires python3-seccomp: ${libseccompMissing}`).toBeUndefined();
    const script = [
      'import seccomp, json, sys',
      'out = {}',
      'for arch, name in json.load(sys.stdin):',
      '    try: out[arch + ":" + name] = seccomp.resolve_syscall(getattr(seccomp.Arch, arch), name)',
      '    except Exception: out[arch + ":" + name] = None',
      'print(json.dumps(out))',
    ].join('\n');
    const queries = [
      ...allSyscalls('aarch64').map((name) => ['AARCH64', name]),
      ...allSyscalls('x86_64').map((name) => ['AARCH64', name]),
    ];
    const answers = JSON.parse(execFileSync(python!, ['-c', script], { input: JSON.stringify(queries), encoding: 'utf8' })) as Record<string, number | null>;
    let known = 0;
    for (const name of allSyscalls('aarch64')) {
      const theirs = answers[`AARCH64:${name}`];
      if (theirs === undefined || theirs === null || theirs < 0) continue; // newer than this libseccomp
      known += 1;
      expect(theirs, name).toBe(syscallNumber(name, 'aarch64'));
    }
    expect(known).toBeGreaterThan(300);
    // libseccomp gives the x86_64 names aarch64 lacks a negative pseudo number: the same set as ours
    for (const name of allSyscalls('x86_64')) {
      const theirs = answers[`AARCH64:${name}`];
      if (theirs === undefined || theirs === null || theirs === -1) continue; // -1: newer than this libseccomp
      expect(theirs < 0, name).toBe(!isKnownSyscall(name, 'aarch64'));
    }
  });

});

describe('x86_64 -> aarch64 counterparts', () => {
  const expected: Record<string, string[]> = {
    open: ['openat'],
    creat: ['openat'],
    stat: ['newfstatat'],
    lstat: ['newfstatat'],
    fork: ['clone'],
    vfork: ['clone'],
    poll: ['ppoll'],
    select: ['pselect6'],
    pipe: ['pipe2'],
    dup2: ['dup3'],
    access: ['faccessat'],
    unlink: ['unlinkat'],
    rmdir: ['unlinkat'],
    rename: ['renameat'],
    mkdir: ['mkdirat'],
    mknod: ['mknodat'],
    epoll_wait: ['epoll_pwait'],
    epoll_create: ['epoll_create1'],
    eventfd: ['eventfd2'],
    signalfd: ['signalfd4'],
    inotify_init: ['inotify_init1'],
    getdents: ['getdents64'],
    chmod: ['fchmodat'],
    chown: ['fchownat'],
    lchown: ['fchownat'],
    readlink: ['readlinkat'],
    symlink: ['symlinkat'],
    link: ['linkat'],
    utimes: ['utimensat'],
    utime: ['utimensat'],
    futimesat: ['utimensat'],
    time: ['clock_gettime'],
    alarm: ['setitimer'],
    pause: ['ppoll'],
    getpgrp: ['getpgid'],
  };

  it('maps each legacy call to what the C library makes on aarch64', () => {
    for (const [name, names] of Object.entries(expected)) expect(counterpart(name, 'x86_64', 'aarch64'), name).toEqual({ kind: 'mapped', names });
  });

  it('keeps the calls both have', () => {
    for (const name of ['read', 'openat', 'clone', 'clone3', 'execve', 'newfstatat', 'epoll_pwait']) {
      expect(counterpart(name, 'x86_64', 'aarch64'), name).toEqual({ kind: 'same' });
    }
    expect(counterpart('open', 'x86_64', 'x86_64')).toEqual({ kind: 'same' });
  });

  it('says why a call has no counterpart', () => {
    for (const name of ['arch_prctl', 'iopl', 'ioperm', 'modify_ldt', 'uselib', 'sysfs', 'ustat', '_sysctl', 'uretprobe']) {
      const other = counterpart(name, 'x86_64', 'aarch64');
      expect(other.kind, name).toBe('none');
      expect(other.kind === 'none' && other.why.length > 10, name).toBe(true);
    }
  });

  it('covers every x86_64 call aarch64 lacks, and maps only to aarch64 calls', () => {
    const missing = allSyscalls('x86_64').filter((name) => !isKnownSyscall(name, 'aarch64')).sort();
    expect(TRANSLATED_X86_64_NAMES).toEqual(missing);
    for (const name of missing) {
      const other = counterpart(name, 'x86_64', 'aarch64');
      if (other.kind === 'mapped') for (const target of other.names) expect(isKnownSyscall(target, 'aarch64'), `${name} -> ${target}`).toBe(true);
    }
  });
});


describe('a plan for x86_64 and aarch64', () => {
  const observed = ['arch_prctl', 'clone', 'epoll_wait', 'execve', 'open', 'openat', 'read', 'stat', 'write'];
  const plan = buildProfilePlan({ observed, runtime: runtimeNeeds(['execve', 'getdents', 'poll']), architectures: ['aarch64', 'x86_64'] });

  it('keeps the traced architecture first and its decisions unchanged', () => {
    expect(plan.architectures).toEqual(['x86_64', 'aarch64']);
    const single = buildProfilePlan({ observed, runtime: runtimeNeeds(['execve', 'getdents', 'poll']) });
    expect(plan.allow).toEqual(single.allow);
    expect(plan.errno).toEqual(single.errno);
    expect(single.architectures).toEqual(['x86_64']);
    expect(single.archAllow).toEqual([]);
    expect(single.archWarnings).toEqual([]);
  });

  it('adds the aarch64 counterparts the plan does not already decide, with their origin', () => {
    expect(plan.archAllow).toEqual([
      { name: 'epoll_pwait', origin: 'target', arches: ['aarch64'], for: ['epoll_wait'] },
      { name: 'getdents64', origin: 'runtime', arches: ['aarch64'], for: ['getdents'] },
      { name: 'newfstatat', origin: 'target', arches: ['aarch64'], for: ['stat'] },
      { name: 'ppoll', origin: 'runtime', arches: ['aarch64'], for: ['poll'] },
    ]);
    // open -> openat: already allowed because the target made openat too
    expect(plan.archAllow.map((entry) => entry.name)).not.toContain('openat');
  });

  it('warns once per call without a counterpart', () => {
    expect(plan.archWarnings).toHaveLength(1);
    expect(plan.archWarnings[0]).toMatch(/^aarch64 has no counterpart of arch_prctl \(.+\): left out of the aarch64 rules$/);
  });

  it('renders Docker rules that add the counterparts on arm64 only, without sub-architectures', () => {
    const profile = toDockerProfile(plan);
    expect(profile.archMap).toEqual([
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] },
    ]);
    const armRules = (profile.syscalls ?? []).filter((rule) => rule.includes?.arches?.length);
    expect(armRules.map((rule) => [rule.names, rule.includes])).toEqual([
      [['epoll_pwait', 'newfstatat'], { arches: ['arm64'] }],
      [['getdents64', 'ppoll'], { arches: ['arm64'] }],
    ]);
    expect(armRules[0]?.comment).toMatch(/epoll_wait -> epoll_pwait/);
    // verify reads the unconditional rules: on x86_64 they are exactly the x86_64 plan
    expect(allowedNames(profile)).toEqual(plan.allow.map((entry) => entry.name));
    expect(errnoRules(profile).map((rule) => rule.name)).toEqual(plan.errno.map((rule) => rule.name));
  });

  it('for aarch64 alone leaves out the x86_64 names, and still adds the counterparts', () => {
    const armOnly = buildProfilePlan({ observed, runtime: null, architectures: ['aarch64'] });
    const profile = toDockerProfile(armOnly);
    expect(profile.archMap).toEqual([{ architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }]);
    const names = (profile.syscalls ?? []).flatMap((rule) => rule.names);
    for (const name of ['open', 'stat', 'epoll_wait', 'arch_prctl']) expect(names, name).not.toContain(name);
    for (const name of ['openat', 'newfstatat', 'epoll_pwait', 'read']) expect(names, name).toContain(name);
  });
});
