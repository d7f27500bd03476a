import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { StraceParser, parseStraceLine } from '../../src/trace/strace-parser.js';
import type { TraceEvent } from '../../src/trace/events.js';

/**
 * Fixtures are real strace 6.1 output captured on a Linux 6.18 x86_64 machine; see
 * test/fixtures/strace/README.md for the commands and programs.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/strace/', import.meta.url));
const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt'));
const fixtureLines = (name: string) => readFileSync(FIXTURES + name, 'utf8').split('\n');

/** Feed lines to one parser; returns every event in order and the parser. */
function parseAll(lines: readonly string[]): { events: TraceEvent[]; parser: StraceParser } {
  const parser = new StraceParser();
  const events: TraceEvent[] = [];
  for (const line of lines) events.push(...parser.push(line));
  return { events, parser };
}

/** Events yielded by the line that equals `line`, after feeding everything before it. */
function eventsOfLine(fixture: string, line: string): TraceEvent[] {
  const lines = fixtureLines(fixture);
  const at = lines.indexOf(line);
  expect(at, `line not in ${fixture}: ${line}`).toBeGreaterThanOrEqual(0);
  const parser = new StraceParser();
  for (const l of lines.slice(0, at)) parser.push(l);
  return parser.push(line);
}

describe('real strace 6.1 output', () => {
  it('has fixtures, each under 300 lines', () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(8);
    for (const name of fixtureNames) expect(fixtureLines(name).length, name).toBeLessThan(301);
  });

  it.each(fixtureNames)('parses every line of %s', (name) => {
    const { events, parser } = parseAll(fixtureLines(name));
    expect(parser.unparsed).toBe(0);
    expect(parser.orphans).toBe(0);
    expect(events.length).toBeGreaterThan(20);
    for (const ev of events) {
      if (ev.kind === 'syscall' || ev.kind === 'resumed') expect(ev.name).toMatch(/^[a-z0-9_]+$/);
      if (ev.kind === 'syscall' && ev.complete) expect(ev.ret).toBeDefined();
    }
  });

  it('joins an interrupted call across the lines of other threads', () => {
    const lines = [
      '5290  rt_sigprocmask(SIG_SETMASK, [USR1],  <unfinished ...>',
      '5291  rseq(0x7f2fb681dfe0, 0x20, 0, 0x53053053 <unfinished ...>',
      '5290  <... rt_sigprocmask resumed>NULL, 8) = 0',
      '5291  <... rseq resumed>)               = 0',
    ];
    const all = fixtureLines('node-http-worker.txt').join('\n');
    for (const l of lines) expect(all).toContain(l);
    expect(parseAll(lines).events).toEqual([
      { kind: 'syscall', pid: 5290, name: 'rt_sigprocmask', args: ['SIG_SETMASK', '[USR1]'], complete: false, injected: false },
      { kind: 'syscall', pid: 5291, name: 'rseq', args: ['0x7f2fb681dfe0', '0x20', '0', '0x53053053'], complete: false, injected: false },
      {
        kind: 'resumed', pid: 5290, name: 'rt_sigprocmask', args: ['SIG_SETMASK', '[USR1]', 'NULL', '8'],
        ret: '0', injected: false, firstHalfSeen: true,
      },
      {
        kind: 'resumed', pid: 5291, name: 'rseq', args: ['0x7f2fb681dfe0', '0x20', '0', '0x53053053'],
        ret: '0', injected: false, firstHalfSeen: true,
      },
    ]);
  });

  it('reads signals, exits and clone3 from the node fixture', () => {
    const f = 'node-http-worker.txt';
    expect(
      eventsOfLine(f, '5290  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=5301, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---'),
    ).toEqual([{ kind: 'signal', pid: 5290, signal: 'SIGCHLD' }]);
    expect(eventsOfLine(f, '5301  +++ exited with 0 +++')).toEqual([{ kind: 'exit', pid: 5301, code: 0 }]);
    expect(eventsOfLine(f, '5302  exit(0)                           = ?')).toEqual([
      { kind: 'syscall', pid: 5302, name: 'exit', args: ['0'], complete: true, ret: '?', injected: false },
    ]);
    const clone3 = fixtureLines(f).find((l) => l.startsWith('5290  clone3(')) as string;
    const [ev] = parseAll([clone3]).events;
    expect(ev).toMatchObject({ kind: 'syscall', name: 'clone3', complete: true, ret: '5291' });
    expect(ev?.kind === 'syscall' && ev.args).toEqual([
      expect.stringMatching(/^\{flags=CLONE_VM\|.*\} => \{parent_tid=\[5291\]\}$/),
      '88',
    ]);
    expect(
      eventsOfLine(f, '5290  connect(20, {sa_family=AF_INET, sin_port=htons(46261), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress)'),
    ).toEqual([
      {
        kind: 'syscall', pid: 5290, name: 'connect',
        args: ['20', '{sa_family=AF_INET, sin_port=htons(46261), sin_addr=inet_addr("127.0.0.1")}', '16'],
        complete: true, ret: '-1', errno: 'EINPROGRESS', injected: false,
      },
    ]);
    expect(eventsOfLine(f, '5290  fcntl(1, F_GETFL)                 = 0x8001 (flags O_WRONLY|O_LARGEFILE)')).toMatchObject([
      { ret: '0x8001', args: ['1', 'F_GETFL'] },
    ]);
  });

  it('reads a death by signal, with and without a core dump', () => {
    expect(eventsOfLine('kill-segv.txt', '5833  +++ killed by SIGSEGV +++')).toEqual([
      { kind: 'exit', pid: 5833, signal: 'SIGSEGV', coreDumped: false },
    ]);
    expect(eventsOfLine('kill-segv-core.txt', '5845  +++ killed by SIGSEGV (core dumped) +++')).toEqual([
      { kind: 'exit', pid: 5845, signal: 'SIGSEGV', coreDumped: true },
    ]);
    expect(eventsOfLine('kill-segv.txt', '5833  --- SIGSEGV {si_signo=SIGSEGV, si_code=SI_USER, si_pid=5833, si_uid=0} ---')).toEqual([
      { kind: 'signal', pid: 5833, signal: 'SIGSEGV' },
    ]);
  });

  it('marks injected faults and only them', () => {
    const f = 'inject.txt';
    expect(
      eventsOfLine(f, '5794  openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = -1 EPERM (Operation not permitted) (INJECTED)'),
    ).toEqual([
      {
        kind: 'syscall', pid: 5794, name: 'openat', args: ['AT_FDCWD', '"/etc/hostname"', 'O_RDONLY'],
        complete: true, ret: '-1', errno: 'EPERM', injected: true,
      },
    ]);
    expect(eventsOfLine(f, '5794  getpid()                          = 42 (INJECTED)')).toEqual([
      { kind: 'syscall', pid: 5794, name: 'getpid', args: [], complete: true, ret: '42', injected: true },
    ]);
    expect(eventsOfLine(f, '5794  getppid()                         = 5791 (DELAYED)')).toMatchObject([
      { name: 'getppid', ret: '5791', injected: false },
    ]);
    const clone3 = fixtureLines(f).find((l) => l.includes('clone3(')) as string;
    expect(parseAll([clone3]).events).toMatchObject([{ name: 'clone3', ret: '-1', errno: 'ENOSYS', injected: true }]);
    const { events } = parseAll(fixtureLines(f));
    expect(events.filter((e) => 'injected' in e && e.injected).length).toBe(4);
  });

  it('maps "superseded by execve" to an exit of the thread that exec\'d and resumes its execve under the leader', () => {
    const lines = fixtureLines('thread-execve.txt');
    const at = lines.indexOf('5152  +++ superseded by execve in pid 5153 +++');
    const parser = new StraceParser();
    for (const l of lines.slice(0, at)) parser.push(l);
    expect(parser.push(lines[at] as string)).toEqual([{ kind: 'exit', pid: 5153 }]);
    expect(parser.push(lines[at + 1] as string)).toEqual([
      {
        kind: 'resumed', pid: 5152, name: 'execve',
        args: ['"/bin/true"', '["/bin/true"]', '0x7ffef32c9628 /* 35 vars */'],
        ret: '0', injected: false, firstHalfSeen: true,
      },
    ]);
    expect(eventsOfLine('thread-execve.txt', '5152  <... pause resumed>)              = ?')).toMatchObject([
      { kind: 'resumed', name: 'pause', args: [], ret: '?', firstHalfSeen: true },
    ]);
  });

  it('is not fooled by strings and comments that contain separators', () => {
    const f = 'oddities.txt';
    expect(eventsOfLine(f, String.raw`5822  write(1, "a, b) = 3 \"q\" \\ {x} [y] /* z */ (w)\n", 36) = 36`)).toEqual([
      {
        kind: 'syscall', pid: 5822, name: 'write', args: ['1', String.raw`"a, b) = 3 \"q\" \\ {x} [y] /* z */ (w)\n"`, '36'],
        complete: true, ret: '36', injected: false,
      },
    ]);
    expect(
      eventsOfLine(f, String.raw`5822  openat(AT_FDCWD, "/nonexistent/we\"ird, ) = 1 {", O_RDONLY) = -1 ENOENT (No such file or directory)`),
    ).toMatchObject([{ args: ['AT_FDCWD', String.raw`"/nonexistent/we\"ird, ) = 1 {"`, 'O_RDONLY'], ret: '-1', errno: 'ENOENT' }]);
    expect(eventsOfLine(f, '5822  prctl(0x41 /* PR_??? */, 0, 0, 0, 0) = 0')).toMatchObject([
      { name: 'prctl', args: ['0x41 /* PR_??? */', '0', '0', '0', '0'], ret: '0' },
    ]);
    expect(eventsOfLine(f, String.raw`5822  prctl(PR_SET_NAME, "fx\"q,) = x") = 0`)).toMatchObject([
      { name: 'prctl', args: ['PR_SET_NAME', String.raw`"fx\"q,) = x"`], ret: '0' },
    ]);
  });

  it('reads restarts, stops and unknown syscalls from the oddities fixture', () => {
    const f = 'oddities.txt';
    const line = (prefix: string) => fixtureLines(f).find((l) => l.startsWith(prefix)) as string;
    expect(eventsOfLine(f, line('5822  read(6, '))).toMatchObject([
      { name: 'read', complete: true, ret: '?', errno: 'ERESTARTSYS' },
    ]);
    expect(eventsOfLine(f, line('5822  clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=200000000}, NULL)'))).toMatchObject([
      { name: 'clock_nanosleep', ret: '?', errno: 'ERESTART_RESTARTBLOCK' },
    ]);
    expect(eventsOfLine(f, line('5822  restart_syscall('))).toEqual([
      {
        kind: 'syscall', pid: 5822, name: 'restart_syscall', args: ['<... resuming interrupted clock_nanosleep ...>'],
        complete: true, ret: '0', injected: false,
      },
    ]);
    expect(eventsOfLine(f, line('5822  syscall_0x1c3('))).toEqual([
      {
        kind: 'syscall', pid: 5822, name: 'syscall_0x1c3', args: ['0xffffffff', '0', '0', '0', '0', '0'],
        complete: true, ret: '-1', errno: 'EBADF', injected: false,
      },
    ]);
    expect(eventsOfLine(f, line('5822  syscall_0x1d6('))).toMatchObject([{ errno: 'ENOSYS' }]);
    const stopped = fixtureLines(f).find((l) => l.endsWith('--- stopped by SIGSTOP ---')) as string;
    expect(parseStraceLine(stopped)).toMatchObject({ shape: 'stopped', signal: 'SIGSTOP' });
    const { events, parser } = parseAll(fixtureLines(f));
    expect(parser.unparsed).toBe(0);
    expect(events.filter((e) => e.kind === 'signal').map((e) => e.kind === 'signal' && e.signal)).toEqual(
      expect.arrayContaining(['SIGCHLD', 'SIGALRM', 'SIGSTOP', 'SIGCONT']),
    );
    expect(events.filter((e) => e.kind === 'exit')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 7 }),
        expect.objectContaining({ signal: 'SIGKILL', coreDumped: false }),
      ]),
    );
    expect(parseAll(['5669  restart_syscall(<... resuming interrupted clock_nanosleep ...> <unfinished ...>']).events).toEqual([
      {
        kind: 'syscall', pid: 5669, name: 'restart_syscall', args: ['<... resuming interrupted clock_nanosleep ...>'],
        complete: false, injected: false,
      },
    ]);
  });

  it('tolerates -tt timestamps and -T durations', () => {
    expect(eventsOfLine('timed.txt', '5866  10:50:51.812067 <... vfork resumed>) = 5867 <0.000271>')).toEqual([
      { kind: 'resumed', pid: 5866, name: 'vfork', args: [], ret: '5867', injected: false, firstHalfSeen: true },
    ]);
    expect(eventsOfLine('timed.txt', '5867  10:50:51.819293 +++ exited with 0 +++')).toEqual([
      { kind: 'exit', pid: 5867, code: 0 },
    ]);
  });

  it('reads stderr output: [pid N] prefixes, no prefix, and a line cut by "strace: Process N attached"', () => {
    const lines = fixtureLines('stderr-threads.txt');
    const { events, parser } = parseAll(lines);
    expect(parser.unparsed).toBe(0);
    expect(events[0]).toMatchObject({ kind: 'syscall', pid: 0, name: 'execve' });
    const cut = lines.findIndex((l) => l.endsWith('strace: Process 5876 attached'));
    expect(cut).toBeGreaterThan(0);
    const p = new StraceParser();
    for (const l of lines.slice(0, cut)) p.push(l);
    expect(p.push(lines[cut] as string)).toEqual([]);
    const [clone3] = p.push(lines[cut + 1] as string);
    expect(clone3).toMatchObject({ kind: 'syscall', pid: 0, name: 'clone3', ret: '5876', complete: true });
    expect(clone3?.kind === 'syscall' && clone3.args[1]).toBe('88');
    expect(eventsOfLine('stderr-threads.txt', '[pid  5876] <... rseq resumed>)         = 0')).toMatchObject([
      { kind: 'resumed', pid: 5876, name: 'rseq', ret: '0', firstHalfSeen: true },
    ]);
  });
});

describe('line shapes', () => {
  const one = (line: string) => parseAll([line]);

  it('accepts the three leaders and -i addresses', () => {
    for (const [line, pid] of [
      ['123  getpid() = 123', 123],
      ['[pid  4567] getpid() = 123', 4567],
      ['[pid 1234567] getpid() = 123', 1234567],
      ['getpid() = 123', 0],
      ['1700000000.123456 getpid() = 123', 0],
      ['     0.000123 getpid() = 123', 0],
      ['123  [00007f0d1e2c3b4a] getpid() = 123', 123],
    ] as const) {
      expect(one(line).events, line).toEqual([
        { kind: 'syscall', pid, name: 'getpid', args: [], complete: true, ret: '123', injected: false },
      ]);
    }
  });

  it('reads every result form', () => {
    const cases: [string, { ret: string; errno?: string; injected: boolean }][] = [
      ['= 0', { ret: '0', injected: false }],
      ['= -1 ENOENT (No such file or directory)', { ret: '-1', errno: 'ENOENT', injected: false }],
      ['= ? ERESTARTSYS (To be restarted if SA_RESTART is set)', { ret: '?', errno: 'ERESTARTSYS', injected: false }],
      ['= ? ERESTARTNOINTR (To be restarted)', { ret: '?', errno: 'ERESTARTNOINTR', injected: false }],
      ['= 0x7f00 ', { ret: '0x7f00', injected: false }],
      ['= ?', { ret: '?', injected: false }],
      ['= ? <unavailable>', { ret: '?', injected: false }],
      ['= 3</etc/pass wd>', { ret: '3', injected: false }],
      ['= 3<socket:[1234]> <0.000012>', { ret: '3', injected: false }],
      ['= 0 (INJECTED)', { ret: '0', injected: true }],
      ['= -1 EPERM (Operation not permitted) (INJECTED: args, retval)', { ret: '-1', errno: 'EPERM', injected: true }],
      ['= 0 <0.000123>', { ret: '0', injected: false }],
      ['= 1 ([{fd=3, revents=POLLIN}])', { ret: '1', injected: false }],
      ['= 0 (Timeout)', { ret: '0', injected: false }],
    ];
    for (const [result, expected] of cases) {
      const { events, parser } = one(`9  poll([{fd=3, events=POLLIN}], 1, 100) ${result}`);
      expect(parser.unparsed, result).toBe(0);
      expect(events, result).toEqual([
        { kind: 'syscall', pid: 9, name: 'poll', args: ['[{fd=3, events=POLLIN}]', '1', '100'], complete: true, ...expected },
      ]);
    }
  });

  it('reads a call cut short by its thread\'s death, on one line or two', () => {
    expect(one('7  futex(0x7f, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>) = ?').events).toEqual([
      { kind: 'syscall', pid: 7, name: 'futex', args: ['0x7f', 'FUTEX_WAIT_PRIVATE', '0', 'NULL'], complete: true, ret: '?', injected: false },
    ]);
    expect(one('7  epoll_wait(4,  <unfinished ...>) = ?').events).toMatchObject([{ args: ['4'], ret: '?', complete: true }]);
    expect(parseAll(['7  read(3,  <unfinished ...>', '7  <... read resumed> <unfinished ...>) = ?']).events[1]).toEqual({
      kind: 'resumed', pid: 7, name: 'read', args: ['3'], ret: '?', injected: false, firstHalfSeen: true,
    });
  });

  it('accepts a space after "resumed>"', () => {
    expect(parseAll(['7  read(3,  <unfinished ...>', '7  <... read resumed> "abc", 3) = 3']).events[1]).toMatchObject({
      args: ['3', '"abc"', '3'], ret: '3',
    });
  });

  it('continues an argument that the first half left open (clone3 "=>")', () => {
    const { events } = parseAll([
      '10  clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0, stack=0x7f00, stack_size=0x7ffe80} <unfinished ...>',
      '10  <... clone3 resumed> => {parent_tid=[11]}, 88) = 11',
    ]);
    expect(events).toEqual([
      {
        kind: 'syscall', pid: 10, name: 'clone3', args: ['{flags=CLONE_VM|CLONE_THREAD, exit_signal=0, stack=0x7f00, stack_size=0x7ffe80}'],
        complete: false, injected: false,
      },
      {
        kind: 'resumed', pid: 10, name: 'clone3',
        args: ['{flags=CLONE_VM|CLONE_THREAD, exit_signal=0, stack=0x7f00, stack_size=0x7ffe80} => {parent_tid=[11]}', '88'],
        ret: '11', injected: false, firstHalfSeen: true,
      },
    ]);
  });

  it('splits -y decorated arguments on the right commas', () => {
    expect(one('5  read(3</tmp/a, b) c>, "x", 1) = 1').events).toMatchObject([{ args: ['3</tmp/a, b) c>', '"x"', '1'], ret: '1' }]);
    expect(one('5  write(4<TCP:[127.0.0.1:80->127.0.0.1:5000]>, "x", 1) = 1').events).toMatchObject([
      { args: ['4<TCP:[127.0.0.1:80->127.0.0.1:5000]>', '"x"', '1'] },
    ]);
    expect(one('5  capget({version=3, pid=1}, {effective=1<<CAP_CHOWN|1<<CAP_KILL, permitted=0}) = 0').events).toMatchObject([
      { args: ['{version=3, pid=1}', '{effective=1<<CAP_CHOWN|1<<CAP_KILL, permitted=0}'] },
    ]);
  });

  it('reports an orphan resumed half with what it has', () => {
    const { events, parser } = parseAll(['8  <... read resumed>"abc", 3) = 3']);
    expect(events).toEqual([{ kind: 'resumed', pid: 8, name: 'read', args: ['"abc"', '3'], ret: '3', injected: false, firstHalfSeen: false }]);
    expect(parser.orphans).toBe(1);
  });

  it('forgets an unfinished call when its task exits or starts another call', () => {
    const afterExit = parseAll(['8  read(3,  <unfinished ...>', '8  +++ exited with 0 +++', '8  <... read resumed>"", 1) = 0']);
    expect(afterExit.events[2]).toMatchObject({ kind: 'resumed', firstHalfSeen: false });
    const afterCall = parseAll(['8  read(3,  <unfinished ...>', '8  getpid() = 8', '8  <... read resumed>"", 1) = 0']);
    expect(afterCall.parser.orphans).toBe(1);
    const otherName = parseAll(['8  read(3,  <unfinished ...>', '8  <... write resumed>) = 1']);
    expect(otherName.events[1]).toMatchObject({ firstHalfSeen: false, args: [] });
  });

  it('yields nothing for strace\'s own messages, without counting them', () => {
    const { events, parser } = parseAll([
      'strace: Process 123 attached',
      'strace: Process 123 detached',
      'strace: ptrace(PTRACE_SEIZE, 12): Operation not permitted',
      '[ Process PID=123 runs in 64 bit mode. ]',
      '',
      '   ',
    ]);
    expect(events).toEqual([]);
    expect(parser.unparsed).toBe(0);
  });

  it('counts what is not strace output', () => {
    const garbage = [
      'hello world',
      '123  ',
      '123  foo',
      '123  foo(1, 2',
      '123  foo(1, 2) junk',
      '123  foo(1, 2) =',
      '123  +++ exited with x +++',
      '123  +++ something +++',
      '123  --- ---',
      '<... resumed>) = 0',
      '[pid x] getpid() = 1',
      '12:00x getpid() = 1',
      '(',
    ];
    const { events, parser } = parseAll(garbage);
    expect(events).toEqual([]);
    expect(parser.unparsed).toBe(garbage.length);
  });

  it('exposes the stateless line classifier', () => {
    expect(parseStraceLine('12  +++ superseded by execve in pid 13 +++')).toEqual({ shape: 'superseded', pid: 12, formerPid: 13 });
    expect(parseStraceLine('12  read(3,  <unfinished ...>')).toEqual({
      shape: 'call', pid: 12, name: 'read', args: ['3'], unfinished: true, endsMidArg: false,
    });
    expect(parseStraceLine('nonsense')).toBeUndefined();
    expect(parseStraceLine('strace: Process 1 attached')).toEqual({ shape: 'note' });
  });
});

// ---- properties -------------------------------------------------------------

const nameArb = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);

/** characters that look like structure to a naive splitter */
const nasty = fc.constantFrom(',', ')', '(', ' = ', '"', '\\', '{', '}', '[', ']', '/*', '*/', '<unfinished ...>', ' <... x resumed>', 'a', 'Z', '0', ' ');

/** a C string as strace prints it: quotes and backslashes escaped, maybe truncated */
const stringArg = fc
  .tuple(fc.array(nasty, { maxLength: 12 }), fc.boolean())
  .map(([parts, truncated]) => `"${parts.join('').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"${truncated ? '...' : ''}`);

const atomArg = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_|.*+-]{1,12}$/),
  fc.constantFrom('NULL', 'AT_FDCWD', 'O_RDONLY|O_CLOEXEC', '0x7ffc04bbb40', '-1', '1<<CAP_CHOWN|1<<CAP_KILL', '[128 => 16]', '...'),
  fc.stringMatching(/^[a-z ,()]{0,10}$/).map((c) => `0x41 /* ${c} */`),
  fc.stringMatching(/^\/[a-z ,)(]{0,10}$/).map((p) => `3<${p}>`),
);

const { argArb } = fc.letrec<{ argArb: string; list: string[] }>((tie) => ({
  argArb: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atomArg,
    stringArg,
    tie('list').map((items) => `{${items.join(', ')}}`),
    tie('list').map((items) => `[${items.join(', ')}]`),
    tie('list').map((items) => `htons(${items.join(', ')})`),
    fc.tuple(fc.stringMatching(/^[a-z_]{1,8}$/), tie('argArb')).map(([k, v]) => `${k}=${v}`),
  ),
  list: fc.array(tie('argArb'), { maxLength: 3 }),
}));

const resultArb = fc.constantFrom(
  { text: '0', ret: '0', injected: false },
  { text: '-1 ENOENT (No such file or directory)', ret: '-1', errno: 'ENOENT', injected: false },
  { text: '? ERESTARTSYS (To be restarted if SA_RESTART is set)', ret: '?', errno: 'ERESTARTSYS', injected: false },
  { text: '0x7f0012345000', ret: '0x7f0012345000', injected: false },
  { text: '?', ret: '?', injected: false },
  { text: '3</x, y) = 4>', ret: '3', injected: false },
  { text: '-1 EPERM (Operation not permitted) (INJECTED)', ret: '-1', errno: 'EPERM', injected: true },
  { text: '42 (INJECTED)', ret: '42', injected: true },
  { text: '0 <0.000123>', ret: '0', injected: false },
  { text: '1 ([{fd=3, revents=POLLIN}])', ret: '1', injected: false },
);

const leaderArb = fc.oneof(
  fc.integer({ min: 1, max: 4_194_304 }).map((pid) => ({ text: `${pid}  `, pid })),
  fc.integer({ min: 1, max: 4_194_304 }).map((pid) => ({ text: `[pid ${String(pid).padStart(5)}] `, pid })),
  fc.constant({ text: '', pid: 0 }),
);

const padArb = fc.constantFrom('', ' ', '                    ');

const expectedResult = (r: { ret: string; errno?: string; injected: boolean }) => ({
  ret: r.ret,
  injected: r.injected,
  ...(r.errno ? { errno: r.errno } : {}),
});

describe('properties', () => {
  it('recovers name, arguments and result of generated lines', () => {
    fc.assert(
      fc.property(leaderArb, nameArb, fc.array(argArb, { maxLength: 6 }), padArb, resultArb, (leader, name, args, pad, result) => {
        const line = `${leader.text}${name}(${args.join(', ')})${pad} = ${result.text}`;
        const { events, parser } = parseAll([line]);
        expect(parser.unparsed).toBe(0);
        expect(events).toEqual([
          { kind: 'syscall', pid: leader.pid, name, args, complete: true, ...expectedResult(result) },
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it('joins unfinished and resumed halves split at any argument boundary', () => {
    fc.assert(
      fc.property(
        leaderArb,
        nameArb,
        fc.array(argArb, { maxLength: 6 }).chain((args) => fc.tuple(fc.constant(args), fc.nat({ max: args.length }))),
        resultArb,
        (leader, name, [args, k], result) => {
          // strace prints the entry half's arguments each followed by ", ", or all of them when the exit adds none
          const head =
            k < args.length ? `${name}(${args.slice(0, k).map((a) => `${a}, `).join('')} <unfinished ...>` : `${name}(${args.join(', ')} <unfinished ...>`;
          const tail = `<... ${name} resumed>${args.slice(k).join(', ')}) = ${result.text}`;
          const other = leader.pid === 0 ? [] : [`${leader.pid + 1}  getpid() = 1`];
          const { events, parser } = parseAll([leader.text + head, ...other, leader.text + tail]);
          expect(parser.unparsed).toBe(0);
          expect(events[0]).toEqual({
            kind: 'syscall', pid: leader.pid, name, args: args.slice(0, k < args.length ? k : args.length), complete: false, injected: false,
          });
          expect(events[events.length - 1]).toEqual({
            kind: 'resumed', pid: leader.pid, name, args, firstHalfSeen: true, ...expectedResult(result),
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws, whatever the input', () => {
    const realLines = fixtureNames.flatMap(fixtureLines).filter((l) => l.length > 0);
    const mangled = fc
      .tuple(fc.constantFrom(...realLines), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }))
      .map(([l, a, b, insert]) => {
        const i = a % (l.length + 1);
        const j = i + (b % (l.length - i + 1));
        return l.slice(0, i) + insert + l.slice(j);
      });
    const parser = new StraceParser();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), mangled), (input) => {
        const events = parser.push(input);
        expect(Array.isArray(events)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
