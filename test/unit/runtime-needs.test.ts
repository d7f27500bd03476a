import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { findContainerStarts, parseSeccompAuditLine, parseSeccompAuditLines } from '../../src/profile/audit-log.js';
import { parseRuntimeNeeds, readStoredRuntimeNeeds, selectRuntimeNeeds, type RuntimeNeeds } from '../../src/profile/runtime-needs.js';
import { isKnownSyscall } from '../../src/syscalls/table.js';

/** A kernel log line as `dmesg --raw` printed it on the calibration machine. */
const auditLine = (serial: number, pid: number, comm: string, syscall: number, exe = '/') =>
  `<5>[  392.146160] audit: type=1326 audit(1795862868.762:${serial}): auid=4294967295 uid=0 gid=0 ` +
  `ses=4294967295 pid=${pid} comm=${comm} exe="${exe}" sig=0 arch=c000003e syscall=${syscall} compat=0 ip=0x40828e code=0x7ffc0000`;

describe('seccomp audit records', () => {
  it('parses a record, including hex-encoded names', () => {
    expect(parseSeccompAuditLine(auditLine(498, 4465, '"runc:[2:INIT]"', 3))).toEqual({
      serial: 498,
      pid: 4465,
      comm: 'runc:[2:INIT]',
      exe: '/',
      arch: 'c000003e',
      syscall: 3,
    });
    // audit prints names with spaces in hex
    expect(parseSeccompAuditLine(auditLine(1, 2, '6D792070726F67', 0))?.comm).toBe('my prog');
    expect(parseSeccompAuditLine('<6>[  392.178782] docker0: port 1(veth361d858) entered disabled state')).toBeUndefined();
  });

  it("finds the runtime's calls up to the execve of the command, skipping other processes", () => {
    const lines = [
      auditLine(10, 100, '"runc:[2:INIT]"', 157), // prctl
      auditLine(11, 100, '"runc:[2:INIT]"', 138), // fstatfs
      auditLine(12, 200, '"other"', 0), // someone else's container, never exec'd `true`
      auditLine(13, 100, '"runc:[2:INIT]"', 59), // execve
      auditLine(14, 100, '"runc:[2:INIT]"', 202), // a runtime thread still running while execve ends it
      auditLine(15, 100, '"true"', 12, '/bin/busybox'),
      auditLine(15, 100, '"true"', 12, '/bin/busybox'), // repeated serial: counted once
      auditLine(16, 100, '"true"', 231, '/bin/busybox'),
    ];
    expect(findContainerStarts(parseSeccompAuditLines(lines), 'true')).toEqual([
      { pid: 100, runtimeSyscalls: [157, 138, 59, 202], commandExited: true },
    ]);
  });

  it('reports a start whose command has not exited yet, and ignores processes that never exec', () => {
    const lines = [auditLine(1, 7, '"runc:[2:INIT]"', 59), auditLine(2, 7, '"true"', 12), auditLine(3, 8, '"runc:[2:INIT]"', 3)];
    expect(findContainerStarts(parseSeccompAuditLines(lines), 'true')).toEqual([
      { pid: 7, runtimeSyscalls: [59], commandExited: false },
    ]);
  });
});

function needs(runtime: string, version: string, date = '2026-01-01'): RuntimeNeeds {
  return {
    runtime,
    version,
    syscalls: ['execve'],
    nondeterministic: [],
    measurement: { method: '', date, runs: 1, seenInRuns: {}, image: '', versionDetail: '', kernel: '', dockerVersion: '' },
  };
}

describe('selectRuntimeNeeds', () => {
  const stored = [needs('runc', '1.1.5'), needs('runc', '1.1.12'), needs('runc', '1.0.0'), needs('crun', '1.8.1', '2026-02-01')];

  it('takes the exact runtime and version without a warning', () => {
    const warnings: string[] = [];
    expect(selectRuntimeNeeds(stored, { runtime: 'runc', version: '1.1.5' }, (m) => warnings.push(m)).version).toBe('1.1.5');
    expect(warnings).toEqual([]);
  });

  it('falls back to the newest release of the same runtime, with a warning', () => {
    const warnings: string[] = [];
    const chosen = selectRuntimeNeeds(stored, { runtime: 'runc', version: '1.2.0' }, (m) => warnings.push(m));
    expect(chosen.version).toBe('1.1.12'); // numeric, not string, order
    expect(warnings).toEqual([expect.stringMatching(/^no measured syscall needs for runc 1\.2\.0; using runc 1\.1\.12\./)]);
  });

  it('falls back to any runtime when this one was never measured, with a warning', () => {
    const warnings: string[] = [];
    expect(selectRuntimeNeeds(stored.slice(0, 1), { runtime: 'youki', version: '0.3' }, (m) => warnings.push(m)).runtime).toBe('runc');
    expect(warnings).toHaveLength(1);
  });

  it('fails clearly when nothing is stored', () => {
    expect(() => selectRuntimeNeeds([], { runtime: 'runc', version: '1.1.5' }, () => {})).toThrow(UserError);
  });
});

describe('stored runtime needs', () => {
  const stored = readStoredRuntimeNeeds();

  it('include the runc that the design was measured with', () => {
    expect(stored.map((entry) => `${entry.runtime}-${entry.version}`)).toContain('runc-1.1.5');
  });

  it.each(stored.map((entry) => [`${entry.runtime} ${entry.version}`, entry] as const))(
    '%s: names known x86_64 syscalls, includes execve, and says how it was measured',
    (_name, entry) => {
      expect(entry.syscalls.filter((name) => !isKnownSyscall(name, 'x86_64'))).toEqual([]);
      expect(entry.syscalls).toEqual([...new Set(entry.syscalls)].sort());
      expect(entry.syscalls).toContain('execve');
      for (const name of entry.nondeterministic) expect(entry.syscalls).toContain(name);
      expect(entry.measurement.runs).toBeGreaterThan(1);
      expect(entry.measurement.method).not.toBe('');
    },
  );

  it('rejects a data file without execve', () => {
    const text = JSON.stringify({ ...needs('runc', '1.1.5'), syscalls: ['read'] });
    expect(() => parseRuntimeNeeds(text, 'x.json')).toThrow('x.json: "syscalls" lacks execve, which every runtime makes');
  });
});
