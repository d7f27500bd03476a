import type { RuntimeNeeds } from '../../src/profile/runtime-needs.js';

/** A runc 1.1.5 measurement that needs `syscalls`: the shape the profile plan reads. */
export function runtimeNeeds(syscalls: string[]): RuntimeNeeds {
  return {
    runtime: 'runc',
    version: '1.1.5',
    syscalls,
    nondeterministic: [],
    measurement: { method: 'test fixture', date: '2026-01-01', runs: 1, seenInRuns: {}, image: 'none', versionDetail: 'runc 1.1.5', kernel: '6.1', dockerVersion: '20.10' },
  };
}
