import type fc from 'fast-check';
import type { CommandRunner } from './command/invocation.js';
import type { Rng } from './util/rng.js';

/**
 * How an endpoint is reached: a TCP stream (http://, https://, tcp://), UDP datagrams
 * (udp://) or a Unix stream socket (unix:PATH).
 */
export type Transport = 'tcp' | 'udp' | 'unix';

/** Where a live target instance can be reached. */
export interface Endpoint {
  /** tcp and udp: the address (unix endpoints have none: `localhost`) */
  host: string;
  /** tcp and udp: the port (unix endpoints have none: 0) */
  port: number;
  /** https: spoken over TLS (any certificate accepted), HTTP/2 when the server picks it through ALPN */
  tls?: boolean;
  /** absent = tcp, so that every http/https endpoint stays what it was */
  transport?: Transport;
  /** unix: the socket file, placeholders rendered */
  path?: string;
}

/** The transport of an endpoint (absent means TCP). */
export const transportOf = (e: Endpoint): Transport => e.transport ?? 'tcp';

/** A syscall failure injected by the tracer (strace -e inject=SYSCALL:error=ERRNO:when=N). */
export interface Fault {
  syscall: string;
  /** symbolic errno: ENOSYS, EPERM, EINTR, EAGAIN, ENOMEM, ENOSPC, EMFILE... */
  errno: string;
  /** fail the Nth call (1 = the first) and every one after it when `andLater` */
  when: number;
  andLater: boolean;
}

export interface ExitStatus {
  code?: number;
  signal?: string;
}

/**
 * What a strategy may do to the live target besides talking to it: the lifecycle
 * (signals, reloads, restarts) and the fault-injection channels need it.
 */
export interface TargetHandle {
  /** the instance's private, writable work directory ({workdir}) */
  readonly workdir: string;
  /** pid of the target's main process */
  mainPid(): number | undefined;
  /** pids of the main process's children (e.g. nginx workers), oldest first */
  children(): number[];
  /** sends a signal to the main process or to one child; false when there is no such process */
  signal(signal: NodeJS.Signals, to: 'main' | { child: number }): boolean;
  /** declares that the target will exit during this execution: not a crash, it restarts afterwards */
  expectExit(): void;
  /** waits for the main process to exit; undefined on timeout */
  waitExit(timeoutMs: number): Promise<ExitStatus | undefined>;
  /** renders the --template files again with the next {generation}: what a reload then reads has changed */
  rerenderTemplates(): Promise<number>;
  /**
   * Stops the target and starts it again within this execution (its syscalls belong to
   * this input). `faults`: the new epoch runs with these syscall failures injected, and
   * the campaign ends that epoch after this execution. `holdPortMs`: keep the target's
   * port taken for that long while it starts, so its bind fails and it has to retry.
   */
  restart(options: { faults?: Fault[]; holdPortMs?: number }): Promise<ExitStatus | undefined>;
}

export interface DeliveryContext {
  /** the instance's primary endpoint (its {port}) */
  endpoint: Endpoint;
  /**
   * Every endpoint of the instance, in the order of --endpoint (plain HTTP on {port} when
   * none was given): an input names the one it talks to by its index.
   */
  endpoints: readonly Endpoint[];
  /** the live target, for signals, files and restarts */
  target: TargetHandle;
  /** give up on a delivery after this long; the executor treats it as a hang */
  timeoutMs: number;
  /** aborted when the run is stopping or the delivery timed out */
  signal: AbortSignal;
}

export interface DeliveryResult {
  /**
   * A short, stable description of how the target answered (e.g. `200 200` for two
   * responses, `400 close`, `reset`). `verify` compares it between the unconfined and
   * the confined replay, so it must not contain timestamps or other run-specific data.
   */
  signature: string;
  /** the local side failed to talk to the target at all (refused, reset on connect) */
  transportError?: string;
  /**
   * Secondary features (`@exit:1`, `@signal:SIGSEGV`, `@status:404`): states of the
   * target that keep an input in the corpus although it found no new syscall, so the
   * explorer climbs towards rarer states. They never reach a profile.
   */
  features?: string[];
}

/** What a command-mode strategy gets: a way to run the program once per input. */
export interface CommandContext {
  command: CommandRunner;
  timeoutMs: number;
  /** aborted when the run is stopping or the execution timed out */
  signal: AbortSignal;
}

/**
 * One input channel (LibAFL would split this into generator, mutator and executor
 * hooks). Inputs are plain JSON values so that the corpus can store them as they are.
 * What the scheduler, the corpus and the reports need; delivery depends on the kind of
 * target (Strategy for servers, CommandStrategy for commands).
 */
export interface InputChannel<I = unknown> {
  readonly name: string;
  /**
   * Channels of one family share their input type: any of them may mutate an entry
   * another found (env varies the environment of an invocation that args found).
   */
  readonly family?: string;
  /** a fast-check arbitrary of fresh inputs; may use what the strategy learned so far */
  arbitrary(): fc.Arbitrary<I>;
  /** a variation of a corpus entry; `other` is a second entry for splicing */
  mutate(input: I, rng: Rng, other?: I): I;
  /** check a value read back from a corpus file; throws an Error saying what is wrong */
  validate(raw: unknown): I;
  /** one line for humans (progress view, verify reports) */
  describe(input: I): string;
  /** the seed inputs this strategy starts from */
  seeds(): I[];
}

/** A channel into a long-running server: requests, signals, restarts under faults. */
export interface Strategy<I = unknown> extends InputChannel<I> {
  readonly target?: 'server';
  /**
   * Deliveries of this channel may overlap on one instance: each opens its own
   * connections and never uses `ctx.target`. The executor then keeps several in flight
   * and re-runs alone only those in flight when something new appeared.
   */
  readonly overlapping?: boolean;
  /** send the input to a live target and wait for its answer */
  deliver(input: I, ctx: DeliveryContext): Promise<DeliveryResult>;
}

/** A channel into a command: every input is one run of the program. */
export interface CommandStrategy<I = unknown> extends InputChannel<I> {
  readonly target: 'command';
  deliver(input: I, ctx: CommandContext): Promise<DeliveryResult>;
}

export type AnyStrategy = Strategy | CommandStrategy;

export type TargetKind = 'server' | 'command';

export function targetKindOf(s: AnyStrategy): TargetKind {
  return s.target === 'command' ? 'command' : 'server';
}
