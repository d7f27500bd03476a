/**
 * What a tracer backend reports, one event per line of tracer output.
 * Backends (strace now, bpftrace later) all produce these.
 */
export type TraceEvent = SyscallEvent | ResumedEvent | SignalEvent | ExitEvent;

/** A syscall entry: a complete line, or the first half of an interrupted one. */
export interface SyscallEvent {
  kind: 'syscall';
  pid: number;
  /** syscall name as the tracer prints it; unknown ones look like `syscall_0x1b6` */
  name: string;
  /** top-level arguments as printed, split on commas outside quotes and brackets */
  args: string[];
  /** false when the line ended in `<unfinished ...>`: the result comes in a ResumedEvent */
  complete: boolean;
  /** printed return value (`0`, `-1`, `?`, `0x7f...`), absent while unfinished */
  ret?: string;
  /** symbolic errno when the call failed (`ENOENT`, `ERESTARTSYS`) */
  errno?: string;
  /** strace marked the result as `(INJECTED)` by fault injection */
  injected: boolean;
}

/** The second half of an interrupted call: `<... name resumed>rest) = ret`. */
export interface ResumedEvent {
  kind: 'resumed';
  pid: number;
  name: string;
  /** the arguments of both halves joined, when the first half was seen */
  args: string[];
  ret?: string;
  errno?: string;
  injected: boolean;
}

export interface SignalEvent {
  kind: 'signal';
  pid: number;
  /** `SIGCHLD`, `SIGSEGV`... */
  signal: string;
}

export interface ExitEvent {
  kind: 'exit';
  pid: number;
  /** exit code when the process exited normally */
  code?: number;
  /** fatal signal when it was killed */
  signal?: string;
  coreDumped?: boolean;
}
