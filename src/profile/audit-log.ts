/**
 * Reads the kernel's seccomp audit records (type=1326) as `dmesg --raw` prints them:
 *   <5>[  392.14] audit: type=1326 audit(1795862868.762:498): auid=4294967295 uid=0 gid=0
 *   ses=4294967295 pid=4465 comm="runc:[2:INIT]" exe="/" sig=0 arch=c000003e syscall=3 compat=0 ...
 * With no auditd running, SCMP_ACT_LOG actions land there, one line per call.
 */

export interface SeccompAuditRecord {
  /** audit serial: unique per record, increasing */
  serial: number;
  /** thread group id in the initial pid namespace */
  pid: number;
  comm: string;
  exe: string;
  /** AUDIT_ARCH_* in hex; x86_64 is c000003e */
  arch: string;
  syscall: number;
}

export const AUDIT_ARCH_X86_64 = 'c000003e';
const EXECVE_X86_64 = 59;
const EXIT_X86_64 = 60;
const EXIT_GROUP_X86_64 = 231;

// audit prints untrusted strings quoted, or as hex when they contain spaces, quotes or controls.
const AUDIT_STRING = '("[^"]*"|[0-9A-Fa-f]+|\\(null\\))';
const RECORD = new RegExp(
  String.raw`audit: type=1326 audit\(\d+\.\d+:(\d+)\):.*?\bpid=(\d+) comm=${AUDIT_STRING} exe=${AUDIT_STRING}.*?\barch=([0-9a-f]+) syscall=(\d+)`,
);

/** A line that says the kernel dropped audit records: a measurement that saw it is incomplete. */
export const AUDIT_LOSS = /audit: (audit_lost=|kauditd hold queue overflow|backlog limit exceeded)/;

export function parseSeccompAuditLine(line: string): SeccompAuditRecord | undefined {
  const match = RECORD.exec(line);
  if (!match) return undefined;
  return {
    serial: Number(match[1]),
    pid: Number(match[2]),
    comm: decodeAuditString(match[3]!),
    exe: decodeAuditString(match[4]!),
    arch: match[5]!,
    syscall: Number(match[6]),
  };
}

function decodeAuditString(value: string): string {
  if (value.startsWith('"')) return value.slice(1, -1);
  if (value === '(null)') return '';
  return Buffer.from(value, 'hex').toString('latin1');
}

/** Records in the lines, each serial once, in serial order. */
export function parseSeccompAuditLines(lines: readonly string[]): SeccompAuditRecord[] {
  const bySerial = new Map<number, SeccompAuditRecord>();
  for (const line of lines) {
    const record = parseSeccompAuditLine(line);
    if (record) bySerial.set(record.serial, record);
  }
  return [...bySerial.values()].sort((a, b) => a.serial - b.serial);
}

/** One container start: what its runtime did under the filter, and whether the command finished. */
export interface ContainerStart {
  pid: number;
  /** syscall numbers of the runtime's init, up to and including its execve of the command */
  runtimeSyscalls: number[];
  /** the command's own exit / exit_group was logged, so no record of this start is still to come */
  commandExited: boolean;
}

/**
 * Find the container starts in the records: processes that made syscalls under some other
 * name (the runtime's init, `runc:[2:INIT]` for runc), then an execve, after which their records
 * carry the command's name (`commandComm`, the basename of the command, 15 chars at most).
 * Matching on the command rather than on the runtime's name keeps this runtime-agnostic.
 */
export function findContainerStarts(records: readonly SeccompAuditRecord[], commandComm: string): ContainerStart[] {
  const comm = commandComm.slice(0, 15);
  const byPid = new Map<number, SeccompAuditRecord[]>();
  for (const record of records) {
    const list = byPid.get(record.pid) ?? [];
    list.push(record);
    byPid.set(record.pid, list);
  }
  const starts: ContainerStart[] = [];
  for (const [pid, list] of byPid) {
    const firstOfCommand = list.findIndex((record) => record.comm === comm);
    if (firstOfCommand < 1) continue;
    // Other runtime threads may still log a call between the execve (logged on entry) and the
    // moment execve ends them, so the execve need not be the last record before the command's.
    const runtimePhase = list.slice(0, firstOfCommand).filter((record) => record.arch === AUDIT_ARCH_X86_64);
    if (!runtimePhase.some((record) => record.syscall === EXECVE_X86_64)) continue;
    starts.push({
      pid,
      runtimeSyscalls: runtimePhase.map((record) => record.syscall),
      commandExited: list
        .slice(firstOfCommand)
        .some((record) => record.syscall === EXIT_GROUP_X86_64 || record.syscall === EXIT_X86_64),
    });
  }
  return starts;
}
