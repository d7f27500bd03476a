import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { targetError } from '../../src/errors.js';
import type { DeliveryContext, DeliveryResult, Fault, Strategy, TargetHandle } from '../../src/strategy.js';
import { isKnownSyscall } from '../../src/syscalls/table.js';
import { createRng, sample } from '../../src/util/rng.js';
import {
  createFaultsStrategy,
  deliverFaults,
  describeFault,
  FAULT_ERRNOS,
  fallbackSyscalls,
  faultableSyscalls,
  faultPool,
  isInjectable,
  isMeaningful,
  KNOWN_FALLBACKS,
  MAX_FAULTS,
  meaningfulErrnos,
  STARTUP_FALLBACK_SEEDS,
  type FaultsInput,
} from '../../strategies/faults/index.js';
import { createServerStrategies, mutableKnowledge } from '../../strategies/index.js';

/** What a C server under strace shows at start-up and while serving (the campaign's seen set). */
const SEEN = [
  'accept4', 'access', 'arch_prctl', 'bind', 'brk', 'clone3', 'close', 'execve', 'exit', 'getrandom', 'listen', 'madvise',
  'mmap', 'mprotect', 'munmap', 'newfstatat', 'openat', 'pread64', 'prlimit64', 'read', 'rseq', 'rt_sigaction',
  'rt_sigprocmask', 'set_robust_list', 'set_tid_address', 'setsockopt', 'socket', 'write', 'wait4', 'exit_group', 'getpid',
];

function setup(seen: readonly string[] = SEEN) {
  const knowledge = mutableKnowledge();
  knowledge.setSyscalls(() => seen);
  const strategies = createServerStrategies(['http', 'faults'], { seedDirs: [], knowledge });
  const http = strategies[0] as Strategy;
  const faults = strategies[1] as unknown as Strategy<FaultsInput>;
  return { knowledge, http, faults };
}

const jsonRoundTrip = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));

/** every fault a pair from the table, on a syscall the tracer can inject, at most one per syscall */
function expectWellFormed(input: FaultsInput, allowed?: ReadonlySet<string>): void {
  expect(input.faults.length).toBeGreaterThanOrEqual(1);
  expect(input.faults.length).toBeLessThanOrEqual(2);
  expect(new Set(input.faults.map((f) => f.syscall)).size).toBe(input.faults.length);
  for (const f of input.faults) {
    expect(isMeaningful(f.syscall, f.errno), `${f.syscall} ${f.errno}`).toBe(true);
    expect(isInjectable(f.syscall), f.syscall).toBe(true);
    expect(Number.isInteger(f.when) && f.when >= 1).toBe(true);
    if (allowed) expect(allowed.has(f.syscall), f.syscall).toBe(true);
  }
  if (input.then) expect(input.then.strategy).toBe('http');
}

describe('the errno table', () => {
  it('only pairs x86_64 syscalls with the seven errnos of the channel', () => {
    const syscalls = faultableSyscalls();
    expect(syscalls.length).toBeGreaterThan(100);
    for (const s of syscalls) {
      expect(isKnownSyscall(s, 'x86_64'), s).toBe(true);
      const errnos = meaningfulErrnos(s);
      expect(errnos.length).toBeGreaterThan(0);
      for (const e of errnos) expect(FAULT_ERRNOS).toContain(e);
      expect(new Set(errnos).size).toBe(errnos.length);
    }
  });

  it('gives ENOSYS exactly to the syscalls with a known fallback, whose routes are real syscalls', () => {
    for (const s of faultableSyscalls()) expect(meaningfulErrnos(s).includes('ENOSYS'), s).toBe(s in KNOWN_FALLBACKS);
    for (const [s, routes] of Object.entries(KNOWN_FALLBACKS)) {
      expect(isKnownSyscall(s, 'x86_64'), s).toBe(true);
      for (const r of routes) expect(isKnownSyscall(r, 'x86_64'), `${s} -> ${r}`).toBe(true);
    }
    for (const s of ['clone3', 'faccessat2', 'statx', 'openat2', 'close_range', 'epoll_pwait2', 'getrandom', 'rseq', 'pidfd_open', 'copy_file_range', 'preadv2', 'pwritev2', 'fchmodat2', 'futex_waitv', 'membarrier']) {
      expect(meaningfulErrnos(s), s).toContain('ENOSYS');
    }
  });

  it('knows what fails how', () => {
    expect(meaningfulErrnos('clone3')).toEqual(['ENOSYS', 'EAGAIN', 'ENOMEM']);
    for (const s of ['read', 'write', 'accept4', 'epoll_wait', 'epoll_pwait', 'futex', 'nanosleep', 'wait4', 'connect']) expect(meaningfulErrnos(s), s).toContain('EINTR');
    for (const s of ['read', 'accept4', 'clone', 'clone3', 'fork']) expect(meaningfulErrnos(s), s).toContain('EAGAIN');
    for (const s of ['mmap', 'brk', 'mprotect', 'clone3']) expect(meaningfulErrnos(s), s).toContain('ENOMEM');
    for (const s of ['write', 'pwrite64', 'fsync', 'fdatasync', 'fallocate', 'rename', 'openat']) expect(meaningfulErrnos(s), s).toContain('ENOSPC');
    for (const s of ['openat', 'socket', 'accept4', 'pipe2', 'eventfd2', 'epoll_create1', 'dup']) expect(meaningfulErrnos(s), s).toContain('EMFILE');
    for (const s of ['setuid', 'setresgid', 'prctl', 'capset', 'chown', 'mlock']) expect(meaningfulErrnos(s), s).toContain('EPERM');
    // nonsense pairs stay out
    expect(meaningfulErrnos('getpid')).toEqual([]);
    expect(isMeaningful('mmap', 'EINTR')).toBe(false);
    expect(isMeaningful('fsync', 'EMFILE')).toBe(false);
    expect(isMeaningful('read', 'ENOSYS')).toBe(false);
    expect(isMeaningful('setuid', 'ENOSPC')).toBe(false);
  });

  it('leaves out syscalls the tracer cannot inject into (strace 6.1 stops at 450)', () => {
    expect(isInjectable('clone3')).toBe(true);
    expect(isInjectable('futex_waitv')).toBe(true); // 449
    expect(isInjectable('fchmodat2')).toBe(false); // 452
    expect(fallbackSyscalls()).toContain('clone3');
    expect(fallbackSyscalls()).not.toContain('fchmodat2');
  });
});

describe('faults arbitrary', () => {
  it('makes meaningful faults on syscalls the campaign has seen, sometimes carrying an http input', () => {
    const { faults, http } = setup();
    const seen = new Set(SEEN);
    const arb = faults.arbitrary();
    let withThen = 0;
    let later = 0;
    let firstCall = 0;
    let andLater = 0;
    const runs = 400;
    fc.assert(
      fc.property(arb, (input) => {
        expectWellFormed(input, seen);
        if (input.then) {
          withThen += 1;
          expect(() => http.validate(input.then?.input)).not.toThrow();
        }
        for (const f of input.faults) {
          if (f.when === 1) firstCall += 1;
          else {
            later += 1;
            expect(f.when).toBeLessThanOrEqual(5);
          }
          if (f.andLater) andLater += 1;
        }
      }),
      { numRuns: runs },
    );
    expect(withThen).toBeGreaterThan(runs * 0.3);
    expect(withThen).toBeLessThan(runs * 0.9);
    expect(firstCall).toBeGreaterThan(later * 2); // mostly the first call
    expect(later).toBeGreaterThan(0);
    expect(andLater).toBeGreaterThan(0);
  });

  it('never picks a seen syscall that has no meaningful errno (getpid)', () => {
    const { faults } = setup(['getpid', 'clone3']);
    fc.assert(
      fc.property(faults.arbitrary(), (input) => {
        expect(input.faults.map((f) => f.syscall)).toEqual(['clone3']);
      }),
      { numRuns: 50 },
    );
  });

  it('falls back to the known-fallback syscalls while nothing is seen yet', () => {
    const { faults } = setup([]);
    const fallbacks = new Set(fallbackSyscalls());
    fc.assert(
      fc.property(faults.arbitrary(), (input) => {
        expectWellFormed(input, fallbacks);
      }),
      { numRuns: 100 },
    );
  });

  it('does not depend on the order the seen syscalls come in', () => {
    const a = setup(SEEN).faults;
    const b = setup([...SEEN].reverse()).faults;
    for (let seed = 0; seed < 20; seed++) expect(sample(b.arbitrary(), createRng(seed))).toEqual(sample(a.arbitrary(), createRng(seed)));
  });

  it('without another channel, carries nothing', () => {
    const knowledge = mutableKnowledge();
    knowledge.setSyscalls(() => SEEN);
    const [faults] = createServerStrategies(['faults'], { seedDirs: [], knowledge }) as unknown as Strategy<FaultsInput>[];
    fc.assert(
      fc.property(faults!.arbitrary(), (input) => {
        expect(input.then).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});

describe('faults mutate', () => {
  it('keeps inputs valid and meaningful, does not touch the original, and is deterministic', () => {
    const { faults } = setup();
    const seen = new Set(SEEN);
    fc.assert(
      fc.property(faults.arbitrary(), faults.arbitrary(), fc.nat(), (input, other, seed) => {
        const before = structuredClone(input);
        const a = faults.mutate(input, createRng(seed), other);
        const b = faults.mutate(input, createRng(seed), other);
        expect(input).toEqual(before);
        expect(b).toEqual(a);
        expectWellFormed(a, seen);
        expect(faults.validate(jsonRoundTrip(a))).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('changes something nearly always, and reaches every kind of change', () => {
    const { faults } = setup();
    const input: FaultsInput = { faults: [{ syscall: 'clone3', errno: 'ENOSYS', when: 1, andLater: true }], then: { strategy: 'http', input: faults.seeds()[0]!.then!.input } };
    const other: FaultsInput = { faults: [{ syscall: 'openat', errno: 'EMFILE', when: 2, andLater: false }] };
    const seen = { errno: 0, when: 0, syscall: 0, added: 0, then: 0, dropThen: 0, same: 0 };
    const rng = createRng(7);
    const runs = 600;
    for (let i = 0; i < runs; i++) {
      const m = faults.mutate(input, rng, rng.chance(0.3) ? other : undefined);
      if (JSON.stringify(m) === JSON.stringify(input)) seen.same += 1;
      const f = m.faults[0]!;
      if (m.faults.length > 1) seen.added += 1;
      else if (f.syscall !== 'clone3') seen.syscall += 1;
      else if (f.errno !== 'ENOSYS') seen.errno += 1;
      else if (f.when !== 1 || !f.andLater) seen.when += 1;
      if (!m.then) seen.dropThen += 1;
      else if (JSON.stringify(m.then) !== JSON.stringify(input.then)) seen.then += 1;
    }
    expect(seen.same).toBeLessThan(runs * 0.05);
    for (const [kind, n] of Object.entries(seen)) if (kind !== 'same') expect(n, kind).toBeGreaterThan(0);
  });

  it('drops a fault but never the last one, and adds at most up to two', () => {
    const { faults } = setup();
    const two: FaultsInput = { faults: [{ syscall: 'clone3', errno: 'ENOSYS', when: 1, andLater: false }, { syscall: 'read', errno: 'EINTR', when: 2, andLater: false }] };
    const rng = createRng(3);
    let dropped = 0;
    for (let i = 0; i < 300; i++) {
      const m = faults.mutate(two, rng);
      expect(m.faults.length).toBeGreaterThanOrEqual(1);
      expect(m.faults.length).toBeLessThanOrEqual(2);
      if (m.faults.length === 1) dropped += 1;
    }
    expect(dropped).toBeGreaterThan(0);
  });
});

describe('faults validate', () => {
  const ok: Fault = { syscall: 'clone3', errno: 'ENOSYS', when: 1, andLater: false };
  const { faults } = setup();
  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'clone3', /"faults" array/],
    ['no faults', { faults: [] }, /1 to 3 faults/],
    ['too many', { faults: ['clone3', 'read', 'write', 'openat'].map((syscall) => ({ ...ok, syscall })) }, /1 to 3 faults/],
    ['unknown syscall', { faults: [{ ...ok, syscall: 'clone4' }] }, /not an x86_64 syscall/],
    ['unknown errno', { faults: [{ ...ok, errno: 'EIO' }] }, /errno "EIO" is not one of/],
    ['numeric errno', { faults: [{ ...ok, errno: 38 }] }, /errno 38/],
    ['when 0', { faults: [{ ...ok, when: 0 }] }, /when must be an integer/],
    ['when 1.5', { faults: [{ ...ok, when: 1.5 }] }, /when must be an integer/],
    ['when too big', { faults: [{ ...ok, when: 70000 }] }, /when must be an integer/],
    ['andLater missing', { faults: [{ syscall: 'clone3', errno: 'ENOSYS', when: 1 }] }, /andLater/],
    ['extra field', { faults: [{ ...ok, signal: 'x' }] }, /unknown field "signal"/],
    ['same syscall twice', { faults: [ok, { ...ok, errno: 'EAGAIN' }] }, /one fault per syscall/],
    ['nested faults', { faults: [ok], then: { strategy: 'faults', input: { faults: [ok] } } }, /cannot carry another faults/],
    ['then without input', { faults: [ok], then: { strategy: 'http' } }, /then.input is missing/],
    ['bad http input', { faults: [ok], then: { strategy: 'http', input: { requests: [] } } }, /then.input \(http\): an HTTP input has 1 to/],
  ];
  for (const [what, raw, message] of bad) {
    it(`rejects: ${what}`, () => expect(() => faults.validate(raw)).toThrow(message));
  }

  it('accepts a valid input and returns a clean copy; keeps a then of a channel not enabled as it is', () => {
    const input = { faults: [ok, { syscall: 'openat', errno: 'EMFILE', when: 3, andLater: true }] };
    const v = faults.validate(input);
    expect(v).toEqual(input);
    expect(v).not.toBe(input);
    const other = { faults: [ok], then: { strategy: 'signals', input: { signal: 'HUP' } } };
    expect(faults.validate(other)).toEqual(other);
  });

  it('round-trips every generated input through JSON', () => {
    fc.assert(
      fc.property(faults.arbitrary(), (input) => {
        expect(faults.validate(jsonRoundTrip(input))).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });
});

describe('faults seeds and describe', () => {
  it('seeds one ENOSYS fault per start-up fallback, each followed by a basic request', () => {
    const { faults, http } = setup();
    const seeds = faults.seeds();
    expect(seeds.map((s) => s.faults[0]!.syscall)).toEqual([...STARTUP_FALLBACK_SEEDS]);
    for (const s of seeds) {
      expect(s.faults).toHaveLength(1);
      expect(s.faults[0]).toMatchObject({ errno: 'ENOSYS', when: 1, andLater: true });
      expect(s.then?.strategy).toBe('http');
      expect(http.validate(s.then?.input)).toEqual(s.then?.input);
      expect(faults.validate(jsonRoundTrip(s))).toEqual(s);
    }
  });

  it('describes faults in one line', () => {
    const { faults } = setup();
    expect(describeFault({ syscall: 'clone3', errno: 'ENOSYS', when: 1, andLater: true })).toBe('clone3 ENOSYS always');
    expect(describeFault({ syscall: 'read', errno: 'EINTR', when: 1, andLater: false })).toBe('read EINTR');
    expect(describeFault({ syscall: 'read', errno: 'EINTR', when: 3, andLater: true })).toBe('read EINTR 3rd+');
    expect(describeFault({ syscall: 'write', errno: 'ENOSPC', when: 2, andLater: false })).toBe('write ENOSPC 2nd');
    const seed = faults.seeds()[0]!;
    expect(faults.describe(seed)).toMatch(/^clone3 ENOSYS always, then http: GET \/, \d hdrs$/);
  });

  it('pools only meaningful seen syscalls, sorted, and marks the fallback ones', () => {
    const pool = faultPool(['write', 'getpid', 'clone3', 'read', 'clone3']);
    expect(pool).toEqual({ syscalls: ['clone3', 'read', 'write'], fallbacks: ['clone3'] });
  });
});

describe('faults deliver', () => {
  interface Call {
    what: string;
    faults?: Fault[];
  }

  function fakeTarget(restart: () => Promise<void>, exit?: { code?: number; signal?: string }) {
    const calls: Call[] = [];
    let port = 1000;
    const target: TargetHandle = {
      workdir: '/tmp/x',
      mainPid: () => 1,
      children: () => [],
      signal: () => true,
      expectExit: () => void calls.push({ what: 'expectExit' }),
      waitExit: async () => exit,
      rerenderTemplates: async () => 0,
      async restart(options) {
        calls.push({ what: 'restart', faults: options.faults ?? [] });
        await restart();
        port += 1;
        return undefined;
      },
    };
    const abort = new AbortController();
    const ctx: DeliveryContext = {
      get endpoint() {
        return { host: '127.0.0.1', port };
      },
      target,
      timeoutMs: 1000,
      signal: abort.signal,
    };
    return { ctx, calls, abort };
  }

  function fakePeer(calls: Call[], result: DeliveryResult = { signature: '200' }): Strategy {
    return {
      name: 'http',
      arbitrary: () => fc.constant({}),
      mutate: (x) => x,
      validate: (x) => x,
      describe: () => 'x',
      seeds: () => [],
      deliver: vi.fn(async (_input: unknown, ctx: DeliveryContext) => {
        calls.push({ what: `peer:${ctx.endpoint.port}` });
        return result;
      }),
    };
  }

  const input: FaultsInput = { faults: [{ syscall: 'clone3', errno: 'ENOSYS', when: 1, andLater: true }], then: { strategy: 'http', input: { requests: [] } } };

  it('restarts under the faults, then delivers the carried input to the restarted target', async () => {
    const { ctx, calls } = fakeTarget(async () => {});
    const peer = fakePeer(calls);
    const result = await deliverFaults(input, ctx, [peer]);
    expect(result).toEqual({ signature: 'started 200' });
    expect(calls).toEqual([{ what: 'restart', faults: input.faults }, { what: 'peer:1001' }]);
    expect(peer.deliver).toHaveBeenCalledWith(input.then!.input, ctx);
  });

  it('restarts only when the carried channel is not enabled, or nothing is carried', async () => {
    const { ctx, calls } = fakeTarget(async () => {});
    expect(await deliverFaults(input, ctx, [])).toEqual({ signature: 'started' });
    expect(await deliverFaults({ faults: input.faults }, ctx, [fakePeer(calls)])).toEqual({ signature: 'started' });
    expect(calls.map((c) => c.what)).toEqual(['restart', 'restart']);
  });

  it('reports a target that cannot start under the fault as `start failed`, not as a crash', async () => {
    const { ctx, calls } = fakeTarget(async () => {
      throw targetError("target 'x' exited with code 1 before it was ready");
    }, { code: 1 });
    const peer = fakePeer(calls);
    expect(await deliverFaults(input, ctx, [peer])).toEqual({ signature: 'start failed' });
    expect(calls.map((c) => c.what)).toEqual(['restart', 'expectExit']);
    expect(peer.deliver).not.toHaveBeenCalled();
  });

  it('names the signal when the start-up was killed by one (ld.so under mmap ENOMEM)', async () => {
    const { ctx, calls } = fakeTarget(async () => {
      throw targetError("target 'x' was killed by SIGSEGV before it was ready");
    }, { signal: 'SIGSEGV' });
    expect(await deliverFaults(input, ctx, [])).toEqual({ signature: 'start failed SIGSEGV' });
    expect(calls.map((c) => c.what)).toEqual(['restart', 'expectExit']);
  });

  it('passes internal errors on', async () => {
    const { ctx } = fakeTarget(async () => {
      throw new Error('instance already running');
    });
    await expect(deliverFaults(input, ctx, [])).rejects.toThrow('instance already running');
  });

  it('gives up waiting for a start-up when the delivery is aborted', async () => {
    let release: () => void = () => {};
    const { ctx, abort, calls } = fakeTarget(() => new Promise<void>((resolve) => (release = resolve)));
    const peer = fakePeer(calls);
    const pending = deliverFaults(input, ctx, [peer]);
    abort.abort();
    expect(await pending).toEqual({ signature: 'timeout' });
    release();
    expect(peer.deliver).not.toHaveBeenCalled();
  });
});

describe('createFaultsStrategy', () => {
  it('is named faults and reads the knowledge when asked, not when made', () => {
    let seen: string[] = [];
    const s = createFaultsStrategy({ knowledge: { syscalls: () => seen, peers: () => [] } });
    expect(s.name).toBe('faults');
    seen = ['read'];
    fc.assert(
      fc.property(s.arbitrary(), (input) => {
        expect(input.faults[0]!.syscall).toBe('read');
      }),
      { numRuns: 20 },
    );
    expect(MAX_FAULTS).toBe(3);
  });
});
