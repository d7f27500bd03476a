import type { ExitEvent, ResumedEvent, SignalEvent, SyscallEvent, TraceEvent } from './events.js';

/**
 * Parser for the text strace 6.1 writes with `strace -f -o FILE` (lines start with
 * `PID  `), with `-ff` (no pid: pid 0) and on stderr (`[pid  PID] `). Timestamps
 * (`-t`, `-tt`, `-ttt`, `-r`), `-i` addresses, `-T` durations and `-y` fd
 * decorations are tolerated. One pass over each line with charCodeAt; the few regexes
 * are anchored and linear.
 */

/** What follows ` = ` on a finished call. */
export interface StraceResult {
  /** `0`, `-1`, `?`, `0x7f00...`, with any `-y` decoration removed */
  ret: string;
  /** `ENOENT`, `ERESTARTSYS`... when strace printed one */
  errno?: string;
  /** strace added `(INJECTED)` (or `(INJECTED: args...)`) after a tampered result */
  injected: boolean;
}

/** One line of strace output, classified; no state across lines. */
export type StraceLine =
  | {
      shape: 'call';
      pid: number;
      name: string;
      args: string[];
      /** ends in `<unfinished ...>`: the rest comes in a `resumed` line */
      unfinished: boolean;
      /** unfinished and the text before the marker did not end in `, `: the resumed half may extend the last argument */
      endsMidArg: boolean;
      result?: StraceResult;
    }
  | { shape: 'resumed'; pid: number; name: string; args: string[]; result?: StraceResult }
  | { shape: 'signal'; pid: number; signal: string }
  /** `--- stopped by SIGSTOP ---`: the group stop that follows a stop signal already reported */
  | { shape: 'stopped'; pid: number; signal: string }
  | { shape: 'exit'; pid: number; code?: number; signal?: string; coreDumped?: boolean }
  /** `+++ superseded by execve in pid T +++` on the leader's pid: thread T exec'd and took over the leader's pid */
  | { shape: 'superseded'; pid: number; formerPid: number }
  /** strace's own messages (`strace: Process 123 attached`) and blank lines */
  | { shape: 'note' };

/** A resumed event as this parser emits it: says whether the first half was seen. */
export interface StraceResumedEvent extends ResumedEvent {
  firstHalfSeen: boolean;
}

const UNFINISHED = '<unfinished ...>';
const DETACHED = '<detached ...>';

const enum Ch {
  Tab = 9,
  Space = 32,
  Quote = 34,
  Plus = 43,
  ParenOpen = 40,
  ParenClose = 41,
  Star = 42,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  A = 65,
  E = 69,
  Z = 90,
  BracketOpen = 91,
  Backslash = 92,
  BracketClose = 93,
  Underscore = 95,
  LowerA = 97,
  LowerZ = 122,
  BraceOpen = 123,
  BraceClose = 125,
}

const isDigit = (c: number) => c >= Ch.Zero && c <= Ch.Nine;
const isUpper = (c: number) => c >= Ch.A && c <= Ch.Z;
const isErrnoChar = (c: number) => isUpper(c) || isDigit(c) || c === Ch.Underscore;
const isNameChar = (c: number) =>
  (c >= Ch.LowerA && c <= Ch.LowerZ) || isUpper(c) || isDigit(c) || c === Ch.Underscore;

function skipSpaces(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === Ch.Space || s.charCodeAt(i) === Ch.Tab)) i++;
  return i;
}

function skipDigits(s: string, i: number): number {
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** Parse one line without any state. `undefined` when the line is not strace output. */
export function parseStraceLine(raw: string): StraceLine | undefined {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) <= Ch.Space) end--; // newline, \r, trailing blanks
  const line = end === raw.length ? raw : raw.slice(0, end);
  if (line.length === 0 || line.startsWith('strace: ') || line.startsWith('[ Process PID=')) {
    return { shape: 'note' };
  }
  const leader = parseLeader(line);
  if (!leader) return undefined;
  const { pid, body } = leader;
  const c = line.charCodeAt(body);
  if (c === Ch.Plus) return line.startsWith('+++ ', body) ? parseExit(line, body, pid) : undefined;
  if (c === Ch.Minus) return line.startsWith('--- ', body) ? parseSignal(line, body, pid) : undefined;
  if (c === Ch.Lt) return line.startsWith('<... ', body) ? parseResumed(line, body, pid) : undefined;
  return parseCall(line, body, pid);
}

/** `PID  `, `[pid  PID] `, or nothing; then optional timestamps and `-i` address. */
function parseLeader(line: string): { pid: number; body: number } | undefined {
  let pid = 0;
  let i = 0;
  if (line.startsWith('[pid', 0)) {
    const start = skipSpaces(line, 4);
    const digitsEnd = skipDigits(line, start);
    if (digitsEnd === start || line.charCodeAt(digitsEnd) !== Ch.BracketClose) return undefined;
    pid = Number(line.slice(start, digitsEnd));
    i = digitsEnd + 1;
  } else {
    const digitsEnd = skipDigits(line, 0);
    // digits then a blank are a pid; digits then `:` or `.` are a timestamp
    if (digitsEnd > 0 && line.charCodeAt(digitsEnd) === Ch.Space) {
      pid = Number(line.slice(0, digitsEnd));
      i = digitsEnd;
    }
  }
  i = skipSpaces(line, i);
  // -t/-tt/-ttt/-r timestamps: digits, colons and dots (syscall names never start with a digit)
  while (i < line.length && isDigit(line.charCodeAt(i))) {
    let j = i;
    while (j < line.length) {
      const c = line.charCodeAt(j);
      if (!(isDigit(c) || c === Ch.Colon || c === Ch.Dot)) break;
      j++;
    }
    if (line.charCodeAt(j) !== Ch.Space) return undefined;
    i = skipSpaces(line, j);
  }
  // -i instruction pointer: `[00007f1234567890] `
  if (line.charCodeAt(i) === Ch.BracketOpen) {
    const close = line.indexOf('] ', i);
    if (close > i && /^[0-9a-f?]+$/.test(line.slice(i + 1, close))) i = skipSpaces(line, close + 1);
  }
  return i < line.length ? { pid, body: i } : undefined;
}

function parseExit(line: string, body: number, pid: number): StraceLine | undefined {
  if (!line.endsWith(' +++') || line.length < body + 8) return undefined;
  const inner = line.slice(body + 4, line.length - 4);
  if (inner.startsWith('exited with ')) {
    const code = inner.slice(12);
    return /^\d+$/.test(code) ? { shape: 'exit', pid, code: Number(code) } : undefined;
  }
  if (inner.startsWith('killed by ')) {
    const rest = inner.slice(10);
    const space = rest.indexOf(' ');
    const signal = space < 0 ? rest : rest.slice(0, space);
    if (signal.length === 0) return undefined;
    return { shape: 'exit', pid, signal, coreDumped: rest.includes('(core dumped)') };
  }
  if (inner.startsWith('superseded by execve in pid ')) {
    const former = inner.slice(28);
    return /^\d+$/.test(former) ? { shape: 'superseded', pid, formerPid: Number(former) } : undefined;
  }
  return undefined;
}

function parseSignal(line: string, body: number, pid: number): StraceLine | undefined {
  if (!line.endsWith(' ---') || line.length < body + 8) return undefined;
  const start = body + 4;
  if (line.startsWith('stopped by ', start)) {
    const sigStart = start + 11;
    const sigEnd = line.indexOf(' ', sigStart);
    return { shape: 'stopped', pid, signal: line.slice(sigStart, sigEnd) };
  }
  const sigEnd = line.indexOf(' ', start);
  if (sigEnd <= start) return undefined;
  return { shape: 'signal', pid, signal: line.slice(start, sigEnd) };
}

function parseResumed(line: string, body: number, pid: number): StraceLine | undefined {
  const nameStart = body + 5;
  let i = nameStart;
  while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
  if (i === nameStart || !line.startsWith(' resumed>', i)) return undefined;
  const name = line.slice(nameStart, i);
  const restStart = i + 9;
  const marker = trailingMarker(line);
  if (marker >= 0) {
    // the second half was itself cut short: no result
    const scan = scanArgs(line, restStart, marker);
    if (scan.close >= 0) return undefined;
    return { shape: 'resumed', pid, name, args: scan.args };
  }
  const scan = scanArgs(line, restStart, line.length);
  if (scan.close < 0) return undefined;
  const result = parseResult(line, scan.close + 1);
  return result && { shape: 'resumed', pid, name, args: scan.args, result };
}

function parseCall(line: string, body: number, pid: number): StraceLine | undefined {
  let i = body;
  while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
  if (i === body || line.charCodeAt(i) !== Ch.ParenOpen) return undefined;
  const name = line.slice(body, i);
  const marker = trailingMarker(line);
  if (marker >= 0) {
    const scan = scanArgs(line, i + 1, marker);
    if (scan.close >= 0) return undefined;
    return { shape: 'call', pid, name, args: scan.args, unfinished: true, endsMidArg: scan.endsMidArg };
  }
  const scan = scanArgs(line, i + 1, line.length);
  if (scan.close < 0) return undefined;
  const result = parseResult(line, scan.close + 1);
  return result && { shape: 'call', pid, name, args: scan.args, unfinished: false, endsMidArg: false, result };
}

/** Index of a trailing ` <unfinished ...>` / ` <detached ...>`, or -1. */
function trailingMarker(line: string): number {
  if (line.endsWith(UNFINISHED)) return line.length - UNFINISHED.length;
  if (line.endsWith(DETACHED)) return line.length - DETACHED.length;
  return -1;
}

interface ArgScan {
  args: string[];
  /** index of the `)` closing the argument list, -1 when `end` came first */
  close: number;
  /** the last piece before `end` was not empty (no trailing `, `) */
  endsMidArg: boolean;
}

/**
 * Split a top-level argument list on commas outside quotes (backslash escapes),
 * (), [], {}, `/* comments *\/` and `-y` decorations (`3</path>`), stopping at the
 * `)` that closes the list. Closers with nothing open are plain text: a resumed half
 * may close a bracket its first half opened. A `<unfinished ...>` printed inside the
 * list (a call cut short by the death of its thread) is dropped.
 */
function scanArgs(s: string, start: number, end: number): ArgScan {
  const args: string[] = [];
  let depth = 0;
  let angle = 0;
  let pieceStart = start;
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === Ch.Quote) {
      i++;
      while (i < end) {
        const q = s.charCodeAt(i);
        if (q === Ch.Backslash) i += 2;
        else if (q === Ch.Quote) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === Ch.Slash && s.charCodeAt(i + 1) === Ch.Star) {
      const close = s.indexOf('*/', i + 2);
      i = close < 0 || close >= end ? end : close + 2;
      continue;
    }
    if (angle > 0) {
      // inside a -y decoration only the angle brackets matter; `->` in socket peers is not a closer
      if (c === Ch.Lt) angle++;
      else if (c === Ch.Gt) {
        const p = s.charCodeAt(i - 1);
        if (p !== Ch.Minus && p !== Ch.Eq) angle--;
      }
      i++;
      continue;
    }
    switch (c) {
      case Ch.ParenOpen:
      case Ch.BracketOpen:
      case Ch.BraceOpen:
        depth++;
        break;
      case Ch.BracketClose:
      case Ch.BraceClose:
        if (depth > 0) depth--;
        break;
      case Ch.ParenClose:
        if (depth > 0) {
          depth--;
          break;
        }
        pushLast(args, s, pieceStart, i);
        return { args, close: i, endsMidArg: false };
      case Ch.Comma:
        if (depth === 0) {
          args.push(s.slice(pieceStart, i).trim());
          pieceStart = i + 1;
        }
        break;
      case Ch.Lt: {
        if (depth === 0 && s.startsWith(UNFINISHED, i)) {
          pushLast(args, s, pieceStart, i);
          i += UNFINISHED.length;
          // whatever follows is the `)` of a call cut short; nothing more to collect before it
          pieceStart = i;
          continue;
        }
        // `3</path>` (-y): `<` right after a digit, but not the `<<` of `1<<CAP_CHOWN`
        const prev = s.charCodeAt(i - 1);
        const next = s.charCodeAt(i + 1);
        if (isDigit(prev) && next !== Ch.Lt) angle = 1;
        break;
      }
    }
    i++;
  }
  const lastLength = pushLast(args, s, pieceStart, end);
  return { args, close: -1, endsMidArg: lastLength > 0 };
}

/** Push the final piece unless it is blank (`f()`, `f(a,  <unfinished ...>`); returns its length. */
function pushLast(args: string[], s: string, from: number, to: number): number {
  const piece = s.slice(from, to).trim();
  if (piece.length > 0) args.push(piece);
  return piece.length;
}

/** Parse `  = RET [ERRNO (text)] [(retstr)] [(INJECTED)] [<0.000123>]` starting after the `)`. */
function parseResult(line: string, from: number): StraceResult | undefined {
  let i = skipSpaces(line, from);
  if (line.charCodeAt(i) !== Ch.Eq) return undefined;
  i++;
  if (i < line.length && line.charCodeAt(i) !== Ch.Space) return undefined;
  i = skipSpaces(line, i);
  const retStart = i;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === Ch.Space || c === Ch.Lt) break;
    i++;
  }
  if (i === retStart) return undefined;
  const ret = line.slice(retStart, i);
  const result: StraceResult = { ret, injected: false };
  if (line.charCodeAt(i) === Ch.Lt) {
    // -y decoration of a returned fd: `3</etc/passwd>`
    const close = line.indexOf('>', i);
    i = close < 0 ? line.length : close + 1;
  }
  i = skipSpaces(line, i);
  if (line.charCodeAt(i) === Ch.E) {
    let j = i + 1;
    while (j < line.length && isErrnoChar(line.charCodeAt(j))) j++;
    if (j > i + 1 && (j === line.length || line.charCodeAt(j) === Ch.Space)) result.errno = line.slice(i, j);
  }
  if (line.includes('(INJECTED', i)) result.injected = true;
  return result;
}

interface PendingCall {
  name: string;
  args: string[];
  endsMidArg: boolean;
}

/** strace's attach/detach message, which on stderr can land in the middle of a traced line */
const EMBEDDED_NOTE = /^strace: Process \d+ (?:attached|detached)$/;

/**
 * Turns the lines of one strace trace into TraceEvents. Keeps, per pid, the first
 * half of an interrupted call so its `resumed` half carries the arguments of both.
 *
 * Mapping decisions:
 *  - `--- stopped by SIGSTOP ---` yields nothing: the stop signal itself was already
 *    reported by its own `--- SIGSTOP {...} ---` line.
 *  - `L +++ superseded by execve in pid T +++` yields an exit of T (no code, no
 *    signal): thread T exec'd and now runs under the leader's pid L, so pid T is gone
 *    while L lives on. The execve T left unfinished resumes under L.
 *  - strace's own messages yield nothing and are not counted as unparsed. On stderr
 *    strace may print `strace: Process N attached` in the middle of a traced line; the
 *    two pieces of that line are glued back together.
 */
export class StraceParser {
  /** lines that were not strace output; they yielded no event */
  unparsed = 0;
  /** resumed halves whose first half was never seen for their pid */
  orphans = 0;
  private readonly pending = new Map<number, PendingCall>();
  /** the head of a line that an embedded strace message cut in two */
  private carry: string | undefined;

  push(line: string): TraceEvent[] {
    if (this.carry !== undefined) {
      line = this.carry + line;
      this.carry = undefined;
    }
    const note = line.indexOf('strace: Process ');
    if (note > 0 && EMBEDDED_NOTE.test(line.slice(note).trimEnd())) {
      this.carry = line.slice(0, note);
      return [];
    }
    const parsed = parseStraceLine(line);
    if (!parsed) {
      this.unparsed++;
      return [];
    }
    return this.toEvents(parsed);
  }

  private toEvents(l: StraceLine): TraceEvent[] {
    switch (l.shape) {
      case 'note':
      case 'stopped':
        return [];
      case 'call':
        return [this.call(l)];
      case 'resumed':
        return [this.resumed(l)];
      case 'signal':
        return [{ kind: 'signal', pid: l.pid, signal: l.signal } satisfies SignalEvent];
      case 'exit': {
        this.pending.delete(l.pid);
        const ev: ExitEvent = { kind: 'exit', pid: l.pid };
        if (l.code !== undefined) ev.code = l.code;
        if (l.signal !== undefined) ev.signal = l.signal;
        if (l.coreDumped !== undefined) ev.coreDumped = l.coreDumped;
        return [ev];
      }
      case 'superseded': {
        const execve = this.pending.get(l.formerPid);
        this.pending.delete(l.formerPid);
        if (execve) this.pending.set(l.pid, execve);
        else this.pending.delete(l.pid);
        return l.formerPid === l.pid ? [] : [{ kind: 'exit', pid: l.formerPid }];
      }
    }
  }

  private call(l: Extract<StraceLine, { shape: 'call' }>): SyscallEvent {
    // a task is in one syscall at a time: any earlier unfinished half is stale now
    if (l.unfinished) this.pending.set(l.pid, { name: l.name, args: l.args, endsMidArg: l.endsMidArg });
    else this.pending.delete(l.pid);
    const ev: SyscallEvent = {
      kind: 'syscall',
      pid: l.pid,
      name: l.name,
      args: l.args,
      complete: !l.unfinished,
      injected: l.result?.injected ?? false,
    };
    if (l.result) setResult(ev, l.result);
    return ev;
  }

  private resumed(l: Extract<StraceLine, { shape: 'resumed' }>): StraceResumedEvent {
    const first = this.pending.get(l.pid);
    this.pending.delete(l.pid);
    const seen = first !== undefined && first.name === l.name;
    if (!seen) this.orphans++;
    const ev: StraceResumedEvent = {
      kind: 'resumed',
      pid: l.pid,
      name: l.name,
      args: seen ? joinHalves(first, l.args) : dropLeadingSeparator(l.args),
      injected: l.result?.injected ?? false,
      firstHalfSeen: seen,
    };
    if (l.result) setResult(ev, l.result);
    return ev;
  }
}

function setResult(ev: { ret?: string; errno?: string }, r: StraceResult): void {
  ev.ret = r.ret;
  if (r.errno !== undefined) ev.errno = r.errno;
}

/** A resumed half that starts with `, ` printed the separator itself. */
function dropLeadingSeparator(rest: string[]): string[] {
  return rest.length > 0 && rest[0] === '' ? rest.slice(1) : rest;
}

/**
 * The arguments of a call printed in two halves. When the first half stopped right
 * after an argument (no trailing `, `), the resumed half's first piece continues it:
 * clone3's `{flags=...}` is followed by ` => {parent_tid=[123]}` once the call returns.
 */
function joinHalves(first: PendingCall, rest: string[]): string[] {
  const args = first.args.slice();
  let from = 0;
  if (rest.length > 0 && rest[0] === '') from = 1;
  else if (rest.length > 0 && first.endsMidArg && args.length > 0) {
    const head = rest[0] as string;
    args[args.length - 1] += head.startsWith('=>') ? ` ${head}` : head;
    from = 1;
  }
  for (let i = from; i < rest.length; i++) args.push(rest[i] as string);
  return args;
}
