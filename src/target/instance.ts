import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { closeSync, constants as fsc, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { targetError } from '../errors.js';
import type { Endpoint } from '../strategy.js';
import type { Arch } from '../syscalls/table.js';
import type { TraceEvent } from '../trace/events.js';
import { StraceParser } from '../trace/strace-parser.js';
import { straceArgs, type TraceMode } from '../trace/strace.js';
import { sleep } from '../util/duration.js';
import { canConnect, canConnectPath, freePort, holdPort, udpBound } from './ports.js';
import { childPids, isTreeAsleep, processState } from './process-tree.js';
import { endpointText, isUnixEndpoint, portsNeeded, renderPlaceholders, type Placeholders, type ServerTargetSpec } from './spec.js';
import { GROUP_LEADER, signalGroup, trackGroup } from '../util/process-groups.js';

export interface InstanceOptions {
  /** a directory private to this run; each instance makes its workdirs below it */
  runDir: string;
  /** which job this instance serves (names its directories) */
  slot: number;
  stracePath: string;
  arch: Arch;
}

export interface ExitInfo {
  code?: number;
  signal?: string;
}

/** Why an instance is no longer running. */
export type InstanceState = 'idle' | 'starting' | 'ready' | 'stopping' | 'exited';

const SENTINEL = '#seccomplete-end-of-trace';
const TAIL_LINES = 30;

/**
 * One running copy of the target under its tracer: own workdir, own port, own
 * process group. Trace events stream through a FIFO (never a file read later) to
 * `onEvent`, which the executor points at the execution in progress.
 */
export class TargetInstance {
  onEvent: (event: TraceEvent) => void = () => {};
  state: InstanceState = 'idle';
  exit: ExitInfo | undefined;
  /** pid of the target's first process (strace's child, or the target itself untraced) */
  targetPid: number | undefined;
  /** monotonic time of the last trace event, for quiescence */
  lastEventAt = 0;
  epoch = 0;
  /** how often the templates were rendered again in this epoch ({generation}) */
  generation = 0;
  port = 0;
  /** ports[0] is {port}; {port2}, {port3}… follow */
  ports: number[] = [];
  workdir = '';
  /** lines the parser could not read (should stay 0) */
  unparsedLines = 0;

  private child: ResultPromise | undefined;
  private groupId: number | undefined;
  private parser = new StraceParser();
  private tail: string[] = [];
  private traceDone: Promise<void> = Promise.resolve();
  private exited: Promise<void> = Promise.resolve();
  private readyLinePattern: RegExp | undefined;
  private sawReadyLine = false;
  private expectingExit = false;
  /** `--ready endpoints`: those that did not answer at the last look */
  private silentEndpoints: string[] = [];

  constructor(
    readonly spec: ServerTargetSpec,
    readonly options: InstanceOptions,
  ) {}

  get endpoint(): Endpoint {
    return { host: '127.0.0.1', port: this.port };
  }

  /** The --endpoint URLs with this epoch's ports and workdir; plain HTTP on {port} when none was given. */
  get endpoints(): Endpoint[] {
    if (this.spec.endpoints.length === 0) return [this.endpoint];
    return this.spec.endpoints.map((e): Endpoint => {
      // a unix endpoint has no address; `localhost`/0 keep code that only knows TCP from crashing
      if (isUnixEndpoint(e)) return { host: 'localhost', port: 0, transport: 'unix', path: path.resolve(renderPlaceholders(e.path, this.placeholders())) };
      const endpoint: Endpoint = { host: e.host, port: Number(renderPlaceholders(e.port, this.placeholders())), tls: e.tls };
      if (e.transport === 'udp') endpoint.transport = 'udp';
      return endpoint;
    });
  }

  private placeholders(): Placeholders {
    return { ports: this.ports, workdir: this.workdir, generation: this.generation };
  }

  get alive(): boolean {
    return this.state === 'ready' || this.state === 'starting';
  }

  /** Starts a new epoch of the target under `mode` and waits until it is ready. */
  async start(mode: TraceMode, options: { holdPortMs?: number } = {}): Promise<void> {
    if (this.alive) throw new Error('instance already running');
    // An epoch that ended by itself (crash) still has its trace, group and workdir to clean up.
    if (this.child) await this.stop(0);
    this.epoch += 1;
    this.state = 'starting';
    this.exit = undefined;
    this.expectingExit = false;
    this.sawReadyLine = false;
    this.tail = [];
    this.parser = new StraceParser();
    const templates = await this.readTemplates();
    const texts = [...this.spec.command, ...this.spec.endpoints.map(endpointText), ...templates.map((t) => t.text)];
    this.ports = await allocatePorts(this.spec.port, portsNeeded(texts));
    this.port = this.ports[0] as number;
    await mkdir(this.options.runDir, { recursive: true });
    this.workdir = await mkdtemp(path.join(this.options.runDir, `job${this.options.slot}-epoch${this.epoch}-`));
    this.generation = 0;
    await this.renderTemplates(templates);
    await this.checkSocketPaths();
    // Someone else holds the port while the target starts: its bind fails and it must retry.
    const portHeld = options.holdPortMs ? (await holdPort(this.port, options.holdPortMs)).released : Promise.resolve();

    const argv = this.spec.command.map((a) => renderPlaceholders(a, this.placeholders()));
    let file: string;
    let args: string[];
    let markExited: () => void = () => {};
    const exitedForTrace = new Promise<void>((resolve) => (markExited = resolve));
    if (mode.kind === 'none') {
      [file, ...args] = argv as [string, ...string[]];
      this.traceDone = Promise.resolve();
    } else {
      const fifo = path.join(this.options.runDir, `job${this.options.slot}-epoch${this.epoch}.trace`);
      await execa('mkfifo', ['-m', '600', fifo]);
      this.traceDone = this.readTrace(fifo, exitedForTrace);
      file = this.options.stracePath;
      args = [...straceArgs(mode, fifo, this.options.arch), '--', ...argv];
    }

    this.readyLinePattern = this.spec.ready.kind === 'log' ? this.spec.ready.pattern : undefined;
    // detached: its own session and process group, so we can end exactly what we started.
    const child = execa(file, args, {
      // the user wrote the command relative to where they are; {workdir} is for private state
      cwd: process.cwd(),
      env: { ...this.spec.env },
      extendEnv: true,
      ...GROUP_LEADER,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      encoding: 'utf8',
    });
    this.child = child;
    this.groupId = child.pid;
    trackGroup(child.pid);
    child.stdout?.on('data', (d: Buffer) => this.output(String(d)));
    child.stderr?.on('data', (d: Buffer) => this.output(String(d)));
    this.exited = child.then((result) => {
      this.exit = result.signal ? { signal: result.signal } : { code: result.exitCode ?? 0 };
      if (result.failed && (result as { code?: string }).code === 'ENOENT') this.exit = { code: 127 };
      this.state = 'exited';
      markExited();
    });
    if (child.pid === undefined) {
      await this.exited;
      const exit = this.exit as ExitInfo | undefined; // set by the promise above
      throw targetError(`cannot start '${argv[0]}': ${exit?.code === 127 ? 'command not found' : 'spawn failed'}`);
    }
    if (mode.kind === 'none') this.targetPid = child.pid;
    await this.waitReady(argv, portHeld);
    // Only now: with --seccomp-bpf strace first forks a short-lived probe child.
    if (mode.kind !== 'none') this.targetPid = await this.findTracee(child.pid);
    this.state = 'ready';
  }

  /** Ends the target: SIGTERM to its main process, then SIGKILL to the whole group. */
  async stop(graceMs = 2000): Promise<ExitInfo | undefined> {
    if (!this.child) return this.exit;
    if (this.state !== 'exited') {
      this.state = 'stopping';
      this.expectingExit = true;
      this.signalMain('SIGTERM');
      const gone = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!gone) this.signalGroup('SIGKILL');
      await this.exited;
    }
    // strace may be gone while a tracee that left the group lives on; the group kill
    // above reached everything that stayed in it. Drain the trace before returning.
    this.signalGroup('SIGKILL');
    await this.traceDone;
    this.child = undefined;
    await rm(this.workdir, { recursive: true, force: true }).catch(() => {});
    return this.exit;
  }

  /** Sends a signal to the target's main process (not to strace). */
  signalMain(signal: NodeJS.Signals): void {
    const pid = this.targetPid ?? this.groupId;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    signalGroup(this.groupId, signal);
  }

  /** True once no event arrived for `settleMs` and every thread of the target sleeps. */
  async waitQuiescent(settleMs: number, maxMs: number): Promise<boolean> {
    const start = performance.now();
    let asleepInARow = 0;
    for (;;) {
      const now = performance.now();
      if (now - start > maxMs) return false;
      if (this.state === 'exited') return true;
      const quietFor = now - this.lastEventAt;
      if (quietFor >= settleMs && this.targetPid !== undefined) {
        const main = processState(this.targetPid);
        if (main === undefined || main === 'Z' || main === 'X') {
          // The target is dying: wait for its exit to be reported, so the crash is
          // charged to this execution and not to the next one.
          await Promise.race([this.exited, sleep(Math.max(0, maxMs - (now - start)))]);
          return true;
        }
        asleepInARow = isTreeAsleep(this.targetPid) ? asleepInARow + 1 : 0;
        // twice in a row: a thread woken between two reads of /proc is caught the second time
        if (asleepInARow >= 2) return true;
        await sleep(1);
      } else {
        await sleep(Math.max(1, settleMs - quietFor));
      }
    }
  }

  /** The last lines the target (or strace) printed, for error messages and crash records. */
  outputTail(): string {
    return this.tail.join('\n');
  }

  /** Resolves once every trace line of the current epoch has been read (after the tracer exited). */
  traceDrained(): Promise<void> {
    return this.traceDone;
  }

  /** Resolves when the target has exited (for crash detection by the executor). */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** An input announced that the target will exit (a terminating signal): not a crash. */
  expectExit(): void {
    this.expectingExit = true;
  }

  /** Did the target exit without being asked to? */
  get crashed(): boolean {
    return this.state === 'exited' && !this.expectingExit;
  }

  private output(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      if (this.readyLinePattern?.test(line)) this.sawReadyLine = true;
    }
  }

  /** Renders the templates again with the next {generation}; returns it. */
  async rerenderTemplates(): Promise<number> {
    this.generation += 1;
    await this.renderTemplates();
    return this.generation;
  }

  /** Every --template file (a directory template: each file below it), read now. */
  private async readTemplates(): Promise<{ destination: string; text: string }[]> {
    const out: { destination: string; text: string }[] = [];
    for (const t of this.spec.templates) {
      try {
        for (const file of await templateFiles(t.source, t.destination)) out.push({ destination: file.destination, text: await readFile(file.source, 'utf8') });
      } catch (err) {
        throw targetError(`cannot read template '${t.source}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    return out;
  }

  /** Renders the templates into the workdir (again before a reload: {generation} changed, the files may have too). */
  private async renderTemplates(templates?: { destination: string; text: string }[]): Promise<void> {
    for (const file of templates ?? (await this.readTemplates())) {
      const dest = path.join(this.workdir, file.destination);
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, renderPlaceholders(file.text, this.placeholders()));
    }
  }

  /** Once the target is up, it is strace's only child. */
  private async findTracee(stracePid: number): Promise<number | undefined> {
    for (let i = 0; i < 2000 && this.state === 'starting'; i++) {
      const kids = childPids(stracePid);
      if (kids.length > 0) return kids[0];
      await sleep(1);
    }
    return undefined;
  }

  private async waitReady(argv: string[], portHeld: Promise<void>): Promise<void> {
    // while we hold the port ourselves, a connection to it proves nothing
    await portHeld;
    const deadline = performance.now() + this.spec.readyTimeoutMs;
    const ready = this.spec.ready;
    const delayUntil = ready.kind === 'delay' ? performance.now() + ready.ms : 0;
    for (;;) {
      if (this.state === 'exited') {
        await this.traceDone;
        const how = this.exit?.signal ? `was killed by ${this.exit.signal}` : `exited with code ${this.exit?.code}`;
        const tail = this.outputTail().split('\n').slice(-3).join(' | ');
        throw targetError(`target '${argv.join(' ')}' ${how} before it was ready${tail ? `: ${tail}` : ''}`);
      }
      if (ready.kind === 'port' && (await canConnect(this.port))) return;
      if (ready.kind === 'endpoints' && (await this.endpointsAnswer())) return;
      if (ready.kind === 'log' && this.sawReadyLine) return;
      if (ready.kind === 'delay' && performance.now() >= delayUntil) return;
      if (performance.now() > deadline) {
        await this.stop(500);
        const what =
          ready.kind === 'port'
            ? `port ${this.port} never opened`
            : ready.kind === 'endpoints'
              ? `${this.silentEndpoints.join(', ')} never answered`
              : ready.kind === 'log'
              ? `no output line matched ${ready.pattern}`
              : 'it never became ready';
        throw targetError(
          `target '${argv.join(' ')}' was not ready after ${this.spec.readyTimeoutMs} ms: ${what}`,
          ready.kind === 'port'
            ? 'does the command listen on {port}? see --ready and --ready-timeout'
            : ready.kind === 'endpoints'
              ? 'does the command listen where --endpoint says? see --ready and --ready-timeout'
              : undefined,
        );
      }
      await sleep(20);
    }
  }

  /** `--ready endpoints`: TCP and unix endpoints accept a connection, a UDP endpoint's port is bound. */
  private async endpointsAnswer(): Promise<boolean> {
    this.silentEndpoints = [];
    for (const e of this.endpoints) if (!(await endpointAnswers(e))) this.silentEndpoints.push(describeEndpoint(e));
    return this.silentEndpoints.length === 0;
  }

  /** A Unix socket path is limited to 107 bytes (sun_path): say so before the target fails to bind. */
  private async checkSocketPaths(): Promise<void> {
    for (const e of this.endpoints) {
      if (e.path !== undefined && Buffer.byteLength(e.path) > MAX_SOCKET_PATH) {
        await rm(this.workdir, { recursive: true, force: true }).catch(() => {});
        this.state = 'idle';
        throw targetError(`unix endpoint ${e.path} is ${Buffer.byteLength(e.path)} bytes long; a socket path has at most ${MAX_SOCKET_PATH}`, 'use a shorter path, e.g. unix:{workdir}/s.sock (TMPDIR decides where {workdir} is)');
      }
    }
  }

  /**
   * Streams strace's output from a FIFO. We hold the FIFO open for writing as well,
   * so opening never blocks and the stream never sees a premature EOF; when strace has
   * exited we write a sentinel line behind its last line and stop there.
   */
  private readTrace(fifo: string, straceExited: Promise<void>): Promise<void> {
    const readFd = openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK);
    const socket = new net.Socket({ fd: readFd, readable: true, writable: false });
    let pending = '';
    return new Promise<void>((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        socket.destroy();
        rm(fifo, { force: true }).finally(resolve);
      };
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        const text = pending + chunk;
        const lines = text.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line === SENTINEL) {
            finish();
            return;
          }
          this.lastEventAt = performance.now();
          const events = this.parser.push(line);
          for (const ev of events) this.onEvent(ev);
        }
        this.unparsedLines = this.parser.unparsed;
      });
      socket.on('error', finish);
      // When strace exits, put the sentinel behind everything it wrote.
      void straceExited.then(() => {
        try {
          const w = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
          writeSync(w, `\n${SENTINEL}\n`);
          closeSync(w);
        } catch {
          finish();
        }
      });
    });
  }

}

/** sun_path holds 108 bytes, the last one the terminating NUL */
const MAX_SOCKET_PATH = 107;

function endpointAnswers(e: Endpoint): Promise<boolean> {
  if (e.transport === 'unix') return canConnectPath(e.path ?? '');
  if (e.transport === 'udp') return udpBound(e.port);
  return canConnect(e.port, e.host);
}

const describeEndpoint = (e: Endpoint): string => (e.transport === 'unix' ? `unix:${e.path}` : `${e.transport ?? 'tcp'}://${e.host}:${e.port}`);

/** {port} fixed or free, and every further port free and distinct from the others. */
async function allocatePorts(first: ServerTargetSpec['port'], count: number): Promise<number[]> {
  const ports = [first === 'auto' ? await freePort() : first];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** The files a template stands for: itself, or every file below a directory (sorted). */
async function templateFiles(source: string, destination: string): Promise<{ source: string; destination: string }[]> {
  const info = await stat(source);
  if (!info.isDirectory()) return [{ source, destination }];
  const out: { source: string; destination: string }[] = [];
  for (const entry of (await readdir(source, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const from = path.join(source, entry.name);
    const to = path.join(destination, entry.name);
    if (entry.isDirectory()) out.push(...(await templateFiles(from, to)));
    else if (entry.isFile()) out.push({ source: from, destination: to });
  }
  return out;
}
