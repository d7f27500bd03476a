import { describe, expect, it } from 'vitest';
import { CoverageMap, EXCLUDE_AT } from '../../src/coverage/map.js';
import { traceAlwaysSet } from '../../src/coverage/trace-always.js';

const exec = (index: number) => ({ index, atMs: index, strategy: 'http' });

describe('coverage map', () => {
  it('reports each feature as new exactly once', () => {
    const map = new CoverageMap(new Set());
    expect(map.observe(['openat', 'read'], exec(0))).toEqual(['openat', 'read']);
    expect(map.observe(['read', 'fsync'], exec(1))).toEqual(['fsync']);
    expect(map.size).toBe(3);
    expect(map.executions).toBe(2);
  });

  it('lets a syscall be excluded from tracing only after it was seen in EXCLUDE_AT executions', () => {
    const map = new CoverageMap(new Set(['ioctl']));
    for (let i = 0; i < EXCLUDE_AT - 1; i++) map.observe(['read', 'ioctl', 'ioctl:TCGETS'], exec(i));
    expect(map.excludable()).toEqual([]);
    map.observe(['read', 'ioctl', 'ioctl:TCGETS'], exec(9));
    // multiplexers stay traced for their argument features; argument features are not syscalls
    expect(map.excludable()).toEqual(['read']);
  });

  it('counts Q1/Q2 from incidence, for the saturation estimate', () => {
    const map = new CoverageMap(new Set());
    map.observe(['a', 'b'], exec(0));
    map.observe(['a'], exec(1));
    const s = map.saturation();
    expect([s.q1, s.q2, s.executions]).toEqual([1, 1, 2]);
  });

  it('round-trips through JSON (resume)', () => {
    const map = new CoverageMap(new Set());
    map.observe(['a', 'socket:AF_INET:SOCK_STREAM'], exec(0));
    map.setFirstEntry(['a'], 'f'.repeat(64));
    const back = CoverageMap.fromJSON(JSON.parse(JSON.stringify(map.toJSON())), new Set());
    expect(back.toJSON()).toEqual(map.toJSON());
    expect(back.syscalls()).toEqual(['a', 'socket']);
  });
});

describe('syscalls never excluded', () => {
  it('keeps the first calls of every new thread traced, and the rule-bearing multiplexers only with argument features', () => {
    for (const argFeatures of [true, false]) {
      const map = new CoverageMap(traceAlwaysSet(argFeatures));
      const calls = ['rseq', 'set_robust_list', 'ioctl', 'socket', 'clone', 'personality', 'getsockopt', 'fcntl', 'read'];
      for (let i = 0; i < EXCLUDE_AT + 2; i++) map.observe(calls, exec(i));
      // without rseq/set_robust_list traced, strace 6.1 stops a thread on every call (bench: 1.38x vs 1.04x);
      // getsockopt and fcntl classes never reach a profile, so they go like any other call
      expect(map.excludable()).toEqual(argFeatures ? ['fcntl', 'getsockopt', 'read'] : ['clone', 'fcntl', 'getsockopt', 'ioctl', 'personality', 'read', 'socket']);
    }
  });
});

describe('executions under injected faults', () => {
  it('count apart: they neither feed the saturation estimate nor make a syscall excludable', () => {
    const map = new CoverageMap(new Set());
    map.observe(['read'], exec(0));
    for (let i = 1; i <= EXCLUDE_AT + 1; i++) map.observeUnderFault(['clone', 'read'], exec(i));
    expect(map.executions).toBe(1);
    expect(map.faultExecutions).toBe(EXCLUDE_AT + 1);
    expect(map.excludable()).toEqual([]);
    expect(map.errorPathOnlySyscalls()).toEqual(['clone']);
    expect(map.saturation().observed).toBe(1);
    map.observeUnderFault(['clone3!ENOSYS->clone'], exec(9), false);
    expect(map.syscalls()).toEqual(['clone', 'read']); // a cause names the fault, not a need
    expect(map.causes()).toEqual([{ syscall: 'clone3', errno: 'ENOSYS', found: 'clone' }]);
  });
});

describe('secondary features (@exit:1, @stderr:...)', () => {
  it('keep inputs in the corpus but never become syscalls, exclusions or error-path needs', () => {
    const map = new CoverageMap(new Set());
    for (let i = 0; i < EXCLUDE_AT + 1; i++) map.observe(['read', '@exit:1', '@output:1:stderr'], exec(i));
    map.observeUnderFault(['@signal:SIGSEGV', 'openat'], exec(10));
    expect(map.has('@exit:1')).toBe(true);
    expect(map.syscalls()).toEqual(['openat', 'read']);
    expect(map.excludable()).toEqual(['read']);
    expect(map.errorPathOnlySyscalls()).toEqual(['openat']);
  });

  it('are the only features an Observation accepts from a strategy', async () => {
    const { Observation } = await import('../../src/coverage/observation.js');
    const obs = new Observation({ argFeatures: true, arch: 'x86_64' });
    obs.addSecondary(['@exit:0']);
    expect([...obs.features]).toEqual(['@exit:0']);
    expect(() => obs.addSecondary(['openat'])).toThrow(/must start with '@'/);
  });
});

describe('saturation over the features a profile needs', () => {
  it('leaves secondary features out of Q1/Q2', () => {
    const map = new CoverageMap(new Set());
    map.observe(['read', '@stderr:aa'], exec(0));
    map.observe(['read', '@stderr:bb'], exec(1));
    const s = map.saturation();
    expect([s.q1, s.q2]).toEqual([0, 1]);
  });
});
