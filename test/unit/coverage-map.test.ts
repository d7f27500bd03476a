import { describe, expect, it } from 'vitest';
import { CoverageMap, EXCLUDE_AT } from '../../src/coverage/map.js';

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
