import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { featuresOf, isSyscallFeature, syscallOfFeature, type FeatureOptions } from '../../src/coverage/features.js';
import { StraceParser } from '../../src/trace/strace-parser.js';
import type { ResumedEvent, SyscallEvent } from '../../src/trace/events.js';
import { MULTIPLEXER_SYSCALLS } from '../../src/syscalls/multiplexers.js';

const WITH_ARGS: FeatureOptions = { argFeatures: true, arch: 'x86_64' };
const NAMES_ONLY: FeatureOptions = { argFeatures: false, arch: 'x86_64' };

/** All features of some strace lines, in order. */
function features(lines: readonly string[], opts = WITH_ARGS): string[] {
  const parser = new StraceParser();
  const out: string[] = [];
  for (const line of lines) {
    for (const ev of parser.push(line)) if (ev.kind === 'syscall' || ev.kind === 'resumed') out.push(...featuresOf(ev, opts));
  }
  expect(parser.unparsed).toBe(0);
  return out;
}

describe('featuresOf, argument classes of the multiplexers', () => {
  it.each([
    ['socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 19', ['socket', 'socket:AF_INET6:SOCK_STREAM']],
    ['socket(AF_NETLINK, SOCK_RAW|SOCK_NONBLOCK, NETLINK_ROUTE) = 3', ['socket', 'socket:AF_NETLINK:SOCK_RAW']],
    ['socket(AF_XDP, SOCK_STREAM, 0)    = -1 ESOCKTNOSUPPORT (Socket type not supported)', ['socket', 'socket:AF_XDP:SOCK_STREAM']],
    ['socket(0x2e /* AF_??? */, SOCK_DGRAM, 0) = -1 EAFNOSUPPORT (Address family not supported by protocol)', ['socket', 'socket:0x2e:SOCK_DGRAM']],
    ['socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_NONBLOCK, 0, [3, 4]) = 0', ['socketpair', 'socketpair:AF_UNIX:SOCK_SEQPACKET']],
    ['ioctl(0, TCGETS, 0x7ffcc04bbb40)  = -1 ENOTTY (Inappropriate ioctl for device)', ['ioctl', 'ioctl:TCGETS']],
    ['ioctl(27, FIONBIO, [1])           = 0', ['ioctl', 'ioctl:FIONBIO']],
    ['ioctl(5, SNDCTL_TMR_START or TCSETS, NULL) = -1 ENOTTY (Inappropriate ioctl for device)', ['ioctl', 'ioctl:TCSETS']],
    ['ioctl(1, SNDCTL_TMR_TIMEBASE or SNDRV_TIMER_IOCTL_NEXT_DEVICE or TCGETS, {c_iflag=ICRNL}) = 0', ['ioctl', 'ioctl:TCGETS']],
    ['ioctl(5, _IOC(_IOC_READ, 0x66, 0x7f, 0x4), 0) = -1 ENOTTY (Inappropriate ioctl for device)', ['ioctl', 'ioctl:_IOC(_IOC_READ,0x66,0x7f,0x4)']],
    ['ioctl(-1, MIXER_READ(0), 0)             = -1 EBADF (Bad file descriptor)', ['ioctl', 'ioctl:MIXER_READ(0)']],
    ['fcntl(5, F_SETFD, FD_CLOEXEC)     = 0', ['fcntl', 'fcntl:F_SETFD']],
    ['fcntl(0, F_GETFL)                 = 0x8000 (flags O_RDONLY|O_LARGEFILE)', ['fcntl', 'fcntl:F_GETFL']],
    ['fcntl(5, F_OFD_SETLK, {l_type=F_RDLCK, l_whence=SEEK_SET, l_start=0, l_len=0}) = 0', ['fcntl', 'fcntl:F_OFD_SETLK']],
    ['prctl(PR_SET_NAME, "fx\\"q,) = x") = 0', ['prctl', 'prctl:PR_SET_NAME']],
    ['prctl(0x41 /* PR_??? */, 0, 0, 0, 0) = 0', ['prctl', 'prctl:0x41']],
    ['personality(PER_LINUX)            = 0 (PER_LINUX)', ['personality', 'personality:PER_LINUX']],
    ['personality(0xffffffff)           = 0 (PER_LINUX)', ['personality', 'personality:0xffffffff']],
    ['personality(PER_LINUX|ADDR_NO_RANDOMIZE) = 0 (PER_LINUX)', ['personality', 'personality:PER_LINUX|ADDR_NO_RANDOMIZE']],
    ['setsockopt(19, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0', ['setsockopt', 'setsockopt:SOL_SOCKET:SO_REUSEADDR']],
    ['setsockopt(3, SOL_IPV6, IPV6_V6ONLY, [1], 4) = 0', ['setsockopt', 'setsockopt:SOL_IPV6:IPV6_V6ONLY']],
    ['getsockopt(3, SOL_TCP, TCP_INFO, "\\7\\0\\0"..., [104]) = 0', ['getsockopt', 'getsockopt:SOL_TCP:TCP_INFO']],
    ['getsockopt(20, SOL_SOCKET, SO_ERROR, [0], [4]) = 0', ['getsockopt', 'getsockopt:SOL_SOCKET:SO_ERROR']],
    [
      'clone(child_stack=0x55aa5c65e110, flags=CLONE_NEWNS|CLONE_NEWUTS|SIGCHLD) = 5666',
      ['clone', 'clone:CLONE_NEWNS', 'clone:CLONE_NEWUTS'],
    ],
    [
      'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f2fb6d07f50) = 5301',
      ['clone', 'clone:no-namespace'],
    ],
    [
      'clone3({flags=CLONE_NEWPID|CLONE_NEWNET, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = 5667',
      ['clone3', 'clone3:CLONE_NEWPID', 'clone3:CLONE_NEWNET'],
    ],
    [
      'clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7faf25e1d990, parent_tid=0x7faf25e1d990, exit_signal=0, stack=0x7faf2561d000, stack_size=0x7ffe80, tls=0x7faf25e1d6c0} => {parent_tid=[5235]}, 88) = 5235',
      ['clone3', 'clone3:no-namespace'],
    ],
    [
      'clone3({flags=CLONE_VM, exit_signal=0, stack=0x7faf2561d000, stack_size=0x7ffe80}, 88) = -1 ENOSYS (Function not implemented) (INJECTED)',
      ['clone3', 'clone3:no-namespace'],
    ],
  ] as const)('%s', (line, expected) => {
    expect(features([`5290  ${line}`])).toEqual(expected);
  });

  it('covers every multiplexer', () => {
    const lines = [
      'socket(AF_INET, SOCK_DGRAM, 0) = 3',
      'socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0',
      'ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80}) = 0',
      'fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)',
      'prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)',
      'clone(child_stack=NULL, flags=CLONE_NEWUSER|SIGCHLD) = 12',
      'clone3({flags=CLONE_NEWCGROUP, exit_signal=SIGCHLD}, 88) = 13',
      'setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0',
      'getsockopt(3, SOL_SOCKET, SO_TYPE, [1], [4]) = 0',
      'personality(PER_LINUX32) = 0 (PER_LINUX)',
    ].map((l) => `1  ${l}`);
    const found = features(lines);
    for (const name of MULTIPLEXER_SYSCALLS) {
      expect(found.filter((f) => syscallOfFeature(f) === name && !isSyscallFeature(f)).length, name).toBe(1);
    }
  });

  it('takes argument classes from the first half of an interrupted call', () => {
    expect(
      features([
        '10  clone3({flags=CLONE_NEWNS|CLONE_VM, exit_signal=0, stack=0x7f00, stack_size=0x7ffe80} <unfinished ...>',
        '11  socket(AF_INET, SOCK_STREAM, IPPROTO_TCP <unfinished ...>',
        '10  <... clone3 resumed> => {parent_tid=[11]}, 88) = 11',
        '11  <... socket resumed>) = 4',
      ]),
    ).toEqual(['clone3', 'clone3:CLONE_NEWNS', 'socket', 'socket:AF_INET:SOCK_STREAM']);
  });
});

describe('featuresOf, names', () => {
  it('gives only the name without argument features', () => {
    expect(features(['1  socket(AF_INET6, SOCK_STREAM, IPPROTO_IP) = 3', '1  ioctl(0, TCGETS, 0x7ffc) = 0'], NAMES_ONLY)).toEqual([
      'socket',
      'ioctl',
    ]);
  });

  it('gives only the name for a call that is not a multiplexer', () => {
    expect(features(['1  openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3'])).toEqual(['openat']);
  });

  it('uses the table name for syscalls strace prints by number', () => {
    expect(features(['1  syscall_0x1c3(0xffffffff, 0, 0, 0, 0, 0) = -1 EBADF (Bad file descriptor)'])).toEqual(['cachestat']);
    expect(features(['1  syscall_0x1ce(0, 0, 0, 0, 0, 0)   = 0'])).toEqual(['mseal']);
    expect(features(['1  syscall_0x1d6(0x1, 0x2, 0x7f1aeb189829, 0, 0, 0) = -1 ENOSYS (Function not implemented)'])).toEqual([
      'syscall_0x1d6',
    ]);
  });

  it('gives the name once for an interrupted call, and for a resumed half whose first half was missed', () => {
    expect(features(['5  read(3,  <unfinished ...>', '5  <... read resumed>"abc", 3) = 3'])).toEqual(['read']);
    expect(features(['5  <... read resumed>"abc", 3) = 3'])).toEqual(['read']);
    expect(features(['5  <... syscall_0x1c3 resumed>) = 0'])).toEqual(['cachestat']);
    // the first half was another call: this resumed half is an orphan
    expect(features(['5  write(1, "x", 1 <unfinished ...>', '5  <... read resumed>"abc", 3) = 3'])).toEqual(['write', 'read']);
  });

  it('gives the name for a resumed event from a producer that does not say whether its first half was seen', () => {
    const ev: ResumedEvent = { kind: 'resumed', pid: 1, name: 'ioctl', args: ['0', 'TCGETS'], ret: '0', injected: false };
    expect(featuresOf(ev, WITH_ARGS)).toEqual(['ioctl']);
  });

  it('survives odd names and missing arguments', () => {
    const ev = (name: string, args: string[]): SyscallEvent => ({ kind: 'syscall', pid: 1, name, args, complete: true, injected: false });
    expect(featuresOf(ev('constructor', []), WITH_ARGS)).toEqual(['constructor']);
    expect(featuresOf(ev('__proto__', ['x']), WITH_ARGS)).toEqual(['__proto__']);
    for (const name of MULTIPLEXER_SYSCALLS) expect(featuresOf(ev(name, []), WITH_ARGS), name).toEqual([name]);
    expect(featuresOf(ev('clone', ['child_stack=NULL']), WITH_ARGS)).toEqual(['clone']);
    expect(featuresOf(ev('ioctl', ['1', '  ']), WITH_ARGS)).toEqual(['ioctl']);
  });

  it('finds the expected features in a real trace', () => {
    const file = fileURLToPath(new URL('../fixtures/strace/oddities.txt', import.meta.url));
    const found = new Set(features(readFileSync(file, 'utf8').split('\n')));
    for (const f of [
      'execve',
      'socket:AF_INET6:SOCK_DGRAM',
      'socket:AF_NETLINK:SOCK_RAW',
      'socketpair:AF_UNIX:SOCK_SEQPACKET',
      'setsockopt:SOL_IPV6:IPV6_V6ONLY',
      'getsockopt:SOL_TCP:TCP_INFO',
      'ioctl:FIONREAD',
      'ioctl:TCSETS',
      'fcntl:F_DUPFD_CLOEXEC',
      'prctl:PR_SET_NO_NEW_PRIVS',
      'personality:PER_LINUX',
      'clone:CLONE_NEWNS',
      'clone:no-namespace',
      'clone3:CLONE_NEWPID',
      'clone3:no-namespace',
      'cachestat',
      'mseal',
      'restart_syscall',
    ]) {
      expect(found, f).toContain(f);
    }
    for (const f of found) expect(f, f).toMatch(/^[a-z0-9_]+(?::[^\s:]+)*$/);
  });
});

describe('feature helpers', () => {
  it('finds the syscall of a feature', () => {
    expect(syscallOfFeature('openat')).toBe('openat');
    expect(syscallOfFeature('socket:AF_INET6:SOCK_STREAM')).toBe('socket');
    expect(syscallOfFeature('ioctl:_IOC(_IOC_READ,0x66,0x7f,0x4)')).toBe('ioctl');
    expect(syscallOfFeature('clone3:no-namespace')).toBe('clone3');
    expect(syscallOfFeature('clone3!ENOSYS->clone')).toBe('clone3');
  });

  it('tells plain syscall names from qualified features', () => {
    expect(isSyscallFeature('openat')).toBe(true);
    expect(isSyscallFeature('syscall_0x1d6')).toBe(true);
    expect(isSyscallFeature('ioctl:TCGETS')).toBe(false);
    expect(isSyscallFeature('clone3!ENOSYS->clone')).toBe(false);
  });
});
