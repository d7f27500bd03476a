import { existsSync, readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  ARCHES,
  allSyscalls,
  canonicalSyscallName,
  isKnownSyscall,
  syscallName,
  syscallNumber,
} from '../../src/syscalls/table.js';
import { X86_64_SYSCALLS } from '../../src/syscalls/x86_64.js';
import { MULTIPLEXER_SET, MULTIPLEXER_SYSCALLS, isMultiplexer } from '../../src/syscalls/multiplexers.js';

describe('x86_64 syscall table', () => {
  it('round-trips every name and number', () => {
    const names = allSyscalls('x86_64');
    expect(names.length).toBe(Object.keys(X86_64_SYSCALLS).length);
    for (const name of names) {
      const nr = syscallNumber(name, 'x86_64');
      expect(nr).toBeTypeOf('number');
      expect(syscallName(nr as number, 'x86_64')).toBe(name);
      expect(isKnownSyscall(name, 'x86_64')).toBe(true);
    }
  });

  it('gives each number to one name', () => {
    const numbers = Object.values(X86_64_SYSCALLS);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('lists names in number order', () => {
    const numbers = allSyscalls('x86_64').map((n) => syscallNumber(n, 'x86_64') as number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(allSyscalls('x86_64')[0]).toBe('read');
  });

  it('uses the kernel and libseccomp names', () => {
    const expected: Record<string, number> = {
      read: 0,
      pread64: 17,
      _sysctl: 156,
      umount2: 166,
      openat: 257,
      newfstatat: 262,
      rseq: 334,
      uretprobe: 335,
      uprobe: 336,
      clone3: 435,
      faccessat2: 439,
      set_mempolicy_home_node: 450,
      cachestat: 451,
      fchmodat2: 452,
      map_shadow_stack: 453,
      futex_wake: 454,
      futex_wait: 455,
      futex_requeue: 456,
      statmount: 457,
      listmount: 458,
      lsm_get_self_attr: 459,
      lsm_set_self_attr: 460,
      lsm_list_modules: 461,
      mseal: 462,
      setxattrat: 463,
      getxattrat: 464,
      listxattrat: 465,
      removexattrat: 466,
      open_tree_attr: 467,
      file_getattr: 468,
      file_setattr: 469,
    };
    for (const [name, nr] of Object.entries(expected)) expect(syscallNumber(name, 'x86_64'), name).toBe(nr);
    for (const absent of ['fstatat', 'pread', 'umount', 'fstatat64', 'syscall_0x1c3'])
      expect(isKnownSyscall(absent, 'x86_64'), absent).toBe(false);
  });

  it('answers undefined for what it does not know', () => {
    expect(syscallNumber('no_such_call', 'x86_64')).toBeUndefined();
    expect(syscallName(470, 'x86_64')).toBeUndefined();
    expect(syscallName(-1, 'x86_64')).toBeUndefined();
    expect(isKnownSyscall('constructor', 'x86_64')).toBe(false);
    expect(isKnownSyscall('toString', 'x86_64')).toBe(false);
  });

  const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  it.skipIf(!existsSync(header))('agrees with the kernel header it was generated from', () => {
    const defines = [...readFileSync(header, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)];
    expect(defines.length).toBeGreaterThan(300);
    for (const [, name, nr] of defines) expect(syscallNumber(name as string, 'x86_64'), name).toBe(Number(nr));
  });

  it('has a table for every arch it declares', () => {
    expect(ARCHES).toEqual(['x86_64', 'aarch64']);
    for (const arch of ARCHES) expect(allSyscalls(arch).length).toBeGreaterThan(300);
  });
});

describe('canonicalSyscallName', () => {
  it('maps strace names of calls newer than strace to the table name', () => {
    expect(canonicalSyscallName('syscall_0x1c3', 'x86_64')).toBe('cachestat');
    expect(canonicalSyscallName('syscall_0x1ce', 'x86_64')).toBe('mseal');
    expect(canonicalSyscallName('syscall_0x14f', 'x86_64')).toBe('uretprobe');
    expect(canonicalSyscallName('syscall_0x1b6', 'x86_64')).toBe('pidfd_getfd'); // 438
    expect(canonicalSyscallName('syscall_0x1B6', 'x86_64')).toBe('pidfd_getfd');
  });

  it('keeps names it cannot map', () => {
    expect(canonicalSyscallName('syscall_0x1d6', 'x86_64')).toBe('syscall_0x1d6'); // 470: unknown
    expect(canonicalSyscallName('syscall_0x', 'x86_64')).toBe('syscall_0x');
    expect(canonicalSyscallName('syscall_0xzz', 'x86_64')).toBe('syscall_0xzz');
    expect(canonicalSyscallName('openat', 'x86_64')).toBe('openat');
    expect(canonicalSyscallName('not_a_call', 'x86_64')).toBe('not_a_call');
  });
});

describe('multiplexers', () => {
  it('lists the argument-selected syscalls as an array and a set', () => {
    expect([...MULTIPLEXER_SYSCALLS].sort()).toEqual(
      ['clone', 'clone3', 'fcntl', 'getsockopt', 'ioctl', 'personality', 'prctl', 'setsockopt', 'socket', 'socketpair'],
    );
    expect(MULTIPLEXER_SET.size).toBe(MULTIPLEXER_SYSCALLS.length);
    expect(isMultiplexer('ioctl')).toBe(true);
    expect(isMultiplexer('openat')).toBe(false);
  });

  it('names only syscalls of the table', () => {
    for (const name of MULTIPLEXER_SYSCALLS) expect(isKnownSyscall(name, 'x86_64'), name).toBe(true);
  });
});
