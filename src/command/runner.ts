import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { Arch } from '../syscalls/table.js';
import type { TraceEvent } from '../trace/events.js';
import { StraceParser } from '../trace/strace-parser.js';
import { straceArgs, type TraceMode } from '../trace/strace.js';
import { assertCommandExists } from '../target/command.js';
import type { CommandTargetSpec } from '../target/spec.js';
import type { CommandRunner, Content, Invocation, ProcessResult } from './invocation.js';
import { GROUP_LEADER, signalGroup, trackGroup } from '../util/process-groups.js';
import { clearDir, contentBytes, digestDir, feedFifo, materialize } from './materialize.js';
import { FsSandbox } from './sandbox.js';

export interface CommandTargetOptions {
  /** a directory private to this run; each job makes its directories below it */
  runDir: string;
  slot: number;
  stracePath: string;
  arch: Arch;
}

/** Every file a run makes gets this time: gzip and tar record it, and outputs must compare equal. */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');
const STDERR_TAIL_BYTES = 2048;
const STDERR_HEAD_BYTES = 512;
/** stderr up to this size is digested line by line in sorted order (see stderrDigest) */
const STDERR_KEPT_BYTES = 256 * 1024;

/**
 * Runs a command-line target once per input, under strace when the trace mode asks for
 * it: a fresh working directory with the input's files, its stdin, its environment, a
 * process group of its own that is killed whole when the run times out or ends.
 */
export class CommandTarget implements CommandRunner {
  /** receives the trace events of each run, after the run ended and before run() resolves */
  onEvent: (event: TraceEvent) => void = () => {};
  mode: TraceMode = { kind: 'none' };
  /** how the last run ended (the executor's verdict: crash, hang) */
  last: ProcessResult | undefined;
  /** lines of strace output the parser could not read (should stay 0) */
  unparsedLines = 0;

  private readonly base: string;
  private readonly programPath: string;
  private readonly stracePath: string;
  private groupId: number | undefined;
  private sandbox: FsSandbox | undefined;

  constructor(
    readonly spec: CommandTargetSpec,
    readonly options: CommandTargetOptions,
  ) {
    this.base = path.join(options.runDir, `job${options.slot}`);
    this.programPath = assertCommandExists(spec.command[0] as string);
    this.stracePath = options.stracePath.includes('/') ? options.stracePath : assertCommandExists(options.stracePath);
  }

  /** the working directory of every run (emptied before each) */
  get cwd(): string {
    return path.join(this.base, 'cwd');
  }

  async run(invocation: Invocation, signal: AbortSignal): Promise<ProcessResult> {
    const t0 = performance.now();
    const cwd = this.cwd;
    const tmp = path.join(this.base, 'tmp');
    const scratch = path.join(this.base, 'scratch');
    await Promise.all([cwd, tmp, scratch].map((d) => mkdir(d, { recursive: true })));
    await Promise.all([clearDir(cwd), clearDir(tmp), clearDir(scratch)]);
    const sampleDirs = this.spec.sampleDirs;
    const made = await materialize(cwd, invocation.files, { sampleDirs, mtime: FIXED_MTIME });

    const stdinPath = await this.stdinPath(invocation, cwd, scratch);
    // Opened before the program starts: it may delete the file (gzip f1.txt < f1.txt), and
    // a stream opened after the spawn would then fail.
    const stdinFd = stdinPath === undefined ? undefined : openSync(stdinPath, 'r');
    // strace finds the program through the run's PATH: an input that changes PATH must not lose it
    const program = 'PATH' in invocation.env ? this.programPath : (this.spec.command[0] as string);
    const argv = [program, ...this.spec.command.slice(1), ...invocation.args];
    const traceFile = path.join(this.base, 'trace');
    const traced = this.mode.kind !== 'none';
    const [traceOrProgram, args] = traced
      ? [this.stracePath, [...straceArgs(this.mode as Exclude<TraceMode, { kind: 'none' }>, traceFile, this.options.arch), '--', ...argv]]
      : [argv[0] as string, argv.slice(1)];
    const sandbox = this.spec.sandbox ? await this.openSandbox() : undefined;
    // the sandbox's nsenter is found through our PATH, not the run's
    const spawned = sandbox ? sandbox.wrap(traceOrProgram, args, cwd) : { file: traceOrProgram, args };

    const feeding = new AbortController();
    const feeds = made.fifos.map((f) => feedFifo(f.path, f.bytes, feeding.signal, scratch));
    // a writer that fails to start leaves its FIFO without data (the run may hang): never an unhandled rejection
    for (const f of feeds) f.done.catch(() => {});
    // A writer not yet waiting in open() when the program reads the FIFO gives it an empty
    // read or the data, as the race goes: wait until every writer waits.
    await writersWaiting(feeds);
    const stdout = createHash('sha256');
    const stderr = createHash('sha256');
    const stderrChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let stderrTail = Buffer.alloc(0);
    let stderrHead = Buffer.alloc(0);
    let timedOut = false;
    // a process group of its own, so that a timeout ends exactly what it started
    const child = execa(spawned.file, spawned.args, {
      ...GROUP_LEADER,
      cwd,
      env: this.environment(invocation, tmp),
      extendEnv: false,
      // execa passes a file descriptor through to spawn (its types list only the named forms)
      stdin: (stdinFd ?? 'ignore') as 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      encoding: 'buffer',
    });
    this.groupId = child.pid;
    trackGroup(child.pid);
    child.stdout?.on('data', (d: Buffer) => {
      stdout.update(d);
      stdoutBytes += d.length;
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderrBytes + d.length <= STDERR_KEPT_BYTES) stderrChunks.push(d);
      else stderr.update(d);
      stderrBytes += d.length;
      stderrTail = Buffer.concat([stderrTail, d]).subarray(-STDERR_TAIL_BYTES);
      if (stderrHead.length < STDERR_HEAD_BYTES) stderrHead = Buffer.concat([stderrHead, d]).subarray(0, STDERR_HEAD_BYTES);
    });
    const onAbort = () => {
      timedOut = true;
      this.killGroup();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    let result;
    try {
      result = await child;
    } finally {
      signal.removeEventListener('abort', onAbort);
      // whatever the program left running in its group (a background child) goes with it
      this.killGroup();
      this.groupId = undefined;
      if (stdinFd !== undefined) closeSync(stdinFd);
      feeding.abort();
      await Promise.all(feeds.map((f) => f.done.catch(() => {})));
    }
    if (traced) await this.emitTrace(traceFile);
    const spawnFailed = (result as { code?: string }).code === 'ENOENT';
    const ended: ProcessResult = {
      ...(result.signal ? { signal: result.signal } : { code: spawnFailed ? 127 : (result.exitCode ?? 0) }),
      timedOut,
      stdoutDigest: stdout.digest('hex').slice(0, 12),
      stderrDigest: stderrDigest(stderrChunks, stderr),
      filesDigest: await digestDir(cwd),
      stdoutBytes,
      stderrBytes,
      stderrTail: stderrTail.toString('utf8'),
      stderrHead: stderrHead.toString('utf8'),
      durationMs: performance.now() - t0,
    };
    this.last = ended;
    return ended;
  }

  /** Ends the run in progress, if any (Ctrl-C, a timeout). */
  killGroup(): void {
    signalGroup(this.groupId);
  }

  /** Ends the run in progress and the job's sandbox (the next run makes a new one). */
  close(): void {
    this.killGroup();
    this.sandbox?.close();
    this.sandbox = undefined;
  }

  private async openSandbox(): Promise<FsSandbox> {
    if (this.sandbox?.alive) return this.sandbox;
    this.sandbox?.close();
    this.sandbox = await FsSandbox.open([this.base]);
    return this.sandbox;
  }

  private environment(invocation: Invocation, tmp: string): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    // temporary files go where the next run's clean-up finds them
    env.TMPDIR = tmp;
    Object.assign(env, this.spec.env);
    for (const [k, v] of Object.entries(invocation.env)) {
      if (v === null) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  /** The file the program reads as stdin; undefined for /dev/null. */
  private async stdinPath(invocation: Invocation, cwd: string, scratch: string): Promise<string | undefined> {
    const stdin = invocation.stdin;
    if (stdin.from === 'null') return undefined;
    if (stdin.from === 'file') {
      const file = path.join(cwd, stdin.name);
      const info = await stat(file).catch(() => undefined);
      if (!info || info.isDirectory()) return undefined; // a shell would refuse the redirection
      if (info.isFile() || info.isCharacterDevice()) return file;
      // Never open a FIFO from Node: the open blocks a libuv thread until a writer comes,
      // and after a quick exit none does. The FIFO's content goes in as a file instead.
      const fifo = invocation.files.find((f) => f.type === 'fifo' && f.name === stdin.name);
      if (!fifo || fifo.type !== 'fifo') return undefined;
      return this.stdinFile(fifo.content, scratch);
    }
    return this.stdinFile(stdin.content, scratch);
  }

  /** A file rather than a pipe: no EPIPE when the program does not read it all. */
  private async stdinFile(content: Content, scratch: string): Promise<string> {
    const file = path.join(scratch, 'stdin');
    await writeFile(file, await contentBytes(content, { sampleDirs: this.spec.sampleDirs }));
    return file;
  }

  private async emitTrace(traceFile: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(traceFile, 'utf8');
    } catch {
      return; // strace did not start the program (it said why on stderr)
    }
    const parser = new StraceParser();
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      for (const ev of parser.push(line)) this.onEvent(ev);
    }
    this.unparsedLines += parser.unparsed;
  }
}

/**
 * A program and its children (tar and the gzip it spawns) write to one stderr in an order
 * the scheduler decides, down to the middle of a line ("Cannot readtar (grandchild): ...").
 * The digest is over the bytes counted, not their order: an unconfined and a confined run
 * that said the same things compare equal, and a changed message ("Operation not
 * permitted" for "No such file") still changes it. Beyond STDERR_KEPT_BYTES the rest is
 * digested as it came.
 */
function stderrDigest(kept: Buffer[], rest: ReturnType<typeof createHash>): string {
  const counts = new Uint32Array(256);
  for (const chunk of kept) for (const byte of chunk) counts[byte] = (counts[byte] as number) + 1;
  return createHash('sha256').update(counts).update(rest.digest()).digest('hex').slice(0, 12);
}

/** Until each FIFO writer is blocked opening its FIFO (or gone); at most 500 ms. */
async function writersWaiting(feeds: { pid: number | undefined; done: Promise<void> }[]): Promise<void> {
  const deadline = performance.now() + 500;
  for (const feed of feeds) {
    let finished = false;
    // both outcomes: a rejected feed (its writer failed to start) must not go unhandled
    const finish = () => {
      finished = true;
    };
    feed.done.then(finish, finish);
    while (!finished && performance.now() < deadline) {
      if (feed.pid !== undefined) {
        const wchan = await readFile(`/proc/${feed.pid}/wchan`, 'utf8').catch(() => '');
        if (wchan === 'wait_for_partner' || wchan.includes('fifo')) break; // the kernel's fifo_open waits there
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}
