import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { DeliveryContext, DeliveryResult, ExitStatus } from '../../src/strategy.js';
import { childPids, isTreeAsleep } from '../../src/target/process-tree.js';
import { sleep } from '../../src/util/duration.js';
import type { HttpInput } from '../http/index.js';
import { KeepAliveConnection } from './keep-alive.js';
import { HOLD_PORT_MS, shortPeer, TERMINATING, type Action, type Peers, type SignalName, type SignalsInput, type SimpleAction } from './input.js';
import { replaceFiles, rotateLogs } from './workdir.js';

/**
 * Runs a sequence of lifecycle actions against the live target. The signature lists
 * one token per action, in order, without pids, ports or times:
 * `rerender; SIGHUP ok; GET / 200`, `SIGQUIT exit 0`, `kill-worker respawned`.
 */

/** How long a signal that ends the target may take to end it. */
const EXIT_WAIT_MS = 3000;
/** How long a killed worker may take to be replaced. */
const RESPAWN_WAIT_MS = 1500;
/** Keep this much of the delivery's time for the executor's own wrap-up. */
const RESERVE_MS = 250;

interface Step {
  token: string;
  /** the target is gone: the actions after this one cannot run */
  ended: boolean;
}

export async function deliverSignals(input: SignalsInput, ctx: DeliveryContext, peers: Peers): Promise<DeliveryResult> {
  const deadline = performance.now() + ctx.timeoutMs - RESERVE_MS;
  const left = (cap: number) => Math.max(0, Math.min(cap, deadline - performance.now()));
  const tokens: string[] = [];
  const { actions } = input;
  for (const [i, action] of actions.entries()) {
    if (ctx.signal.aborted || left(Infinity) === 0) {
      tokens.push('aborted');
      break;
    }
    const step = await runAction(action, ctx, peers, left);
    tokens.push(step.token);
    if (step.ended) {
      const skipped = actions.length - 1 - i;
      if (skipped > 0) tokens.push(`skipped ${skipped}`);
      break;
    }
  }
  return { signature: tokens.join('; ') };
}

type Budget = (capMs: number) => number;

async function runAction(action: Action, ctx: DeliveryContext, peers: Peers, left: Budget): Promise<Step> {
  switch (action.kind) {
    case 'peer': {
      const peer = peers.get(action.strategy);
      const label = shortPeer(action.strategy, action.input, peers);
      if (!peer) return { token: `${label} not enabled`, ended: false };
      // the context as it is: its endpoint follows the target through restarts
      const result = await peer.deliver(action.input, ctx);
      return afterwards(ctx, `${label} ${result.signature}`);
    }
    case 'during':
      return during(action.input as HttpInput, action.actions, ctx, peers, left);
    case 'port-taken-restart':
      try {
        // Someone else holds the port while the target starts again: its bind() fails and it must retry.
        await ctx.target.restart({ holdPortMs: HOLD_PORT_MS });
        return { token: 'port-taken restart ok', ended: false };
      } catch {
        // Refusing to start while the port is taken is a design choice of the target
        // (the demo server exits, nginx retries), not a crash.
        ctx.target.expectExit();
        return { token: 'port-taken restart failed', ended: true };
      }
    default:
      return simple(action, ctx, left);
  }
}

async function simple(action: SimpleAction, ctx: DeliveryContext, left: Budget): Promise<Step> {
  switch (action.kind) {
    case 'signal':
      return action.to === 'main' ? signalMain(action.signal, ctx, left) : signalChild(action.signal, ctx, left);
    case 'rerender':
      await ctx.target.rerenderTemplates();
      return { token: 'rerender', ended: false };
    case 'rotate-logs':
      await rotateLogs(ctx.target.workdir);
      return { token: 'rotate-logs', ended: false };
    case 'replace-files':
      await replaceFiles(ctx.target.workdir);
      return { token: 'replace-files', ended: false };
    case 'kill-worker':
      return killWorker(ctx, left);
    case 'wait':
      await sleep(left(action.ms));
      return afterwards(ctx, 'wait');
  }
}

async function signalMain(signal: SignalName, ctx: DeliveryContext, left: Budget): Promise<Step> {
  const pid = ctx.target.mainPid();
  if (pid === undefined) return { token: `${signal} no target`, ended: true };
  // Tell the executor first: an exit we caused is not a crash.
  const ends = TERMINATING.has(signal) || endsByDefault(pid, signal);
  if (ends) ctx.target.expectExit();
  const before = new Set(ctx.target.children());
  if (!ctx.target.signal(signal, 'main')) return { token: `${signal} not sent`, ended: true };
  if (ends) {
    const exit = await ctx.target.waitExit(left(EXIT_WAIT_MS));
    // the executor drains the tracer's last lines into this execution
    if (exit) return { token: `${signal} ${exitText(exit)}`, ended: true };
    // It did not end: start it afresh, so that the exit announced above ends with its epoch.
    try {
      await ctx.target.restart({});
      return { token: `${signal} no exit, restarted`, ended: false };
    } catch {
      return { token: `${signal} no exit, restart failed`, ended: true };
    }
  }
  await settle(ctx, left);
  const gone = await exited(ctx);
  if (gone) return { token: `${signal} ${exitText(gone)}`, ended: true };
  let token = `${signal} ok`;
  if (signal === 'SIGUSR2' && (await stopNewMasters(ctx, before, left)) > 0) token += ', new master stopped';
  return { token, ended: false };
}

async function signalChild(signal: SignalName, ctx: DeliveryContext, left: Budget): Promise<Step> {
  if (ctx.target.children().length === 0) return { token: `${signal} -> child none`, ended: false };
  if (!ctx.target.signal(signal, { child: 0 })) return { token: `${signal} -> child none`, ended: false };
  await settle(ctx, left);
  return afterwards(ctx, `${signal} -> child ok`);
}

/** SIGKILL to the oldest child (an nginx worker): does the main process start a new one? */
async function killWorker(ctx: DeliveryContext, left: Budget): Promise<Step> {
  const before = ctx.target.children();
  const victim = before[0];
  if (victim === undefined) return { token: 'kill-worker none', ended: false };
  if (!ctx.target.signal('SIGKILL', { child: 0 })) return { token: 'kill-worker none', ended: false };
  const until = performance.now() + left(RESPAWN_WAIT_MS);
  let respawned = false;
  while (performance.now() < until && !ctx.signal.aborted) {
    const now = ctx.target.children();
    if (!now.includes(victim) && now.length >= before.length) {
      respawned = true;
      break;
    }
    if ((await exited(ctx)) !== undefined) break;
    await sleep(20);
  }
  await settle(ctx, left);
  return afterwards(ctx, respawned ? 'kill-worker respawned' : 'kill-worker not respawned');
}

/** The token stands unless the target died meanwhile. */
async function afterwards(ctx: DeliveryContext, token: string): Promise<Step> {
  const exit = await exited(ctx);
  if (exit) return { token: `${token}; ${exitText(exit)}`, ended: true };
  return { token, ended: false };
}

async function exited(ctx: DeliveryContext): Promise<ExitStatus | undefined> {
  return ctx.target.waitExit(0);
}

export function exitText(exit: ExitStatus): string {
  return exit.signal ? `exit ${exit.signal}` : `exit ${exit.code ?? '?'}`;
}

/**
 * Waits until the target has reacted: its children stopped changing (a reload replaces
 * the workers, a killed one is respawned) and every thread of its tree sleeps; at least
 * 50 ms, at most 1.5 s. What it does meanwhile belongs to this input.
 */
export async function settle(ctx: DeliveryContext, left: Budget, o = { minMs: 50, stableMs: 150, maxMs: 1500 }): Promise<void> {
  const t0 = performance.now();
  const maxMs = left(o.maxMs);
  let last = ctx.target.children().join(',');
  let changedAt = t0;
  for (;;) {
    await sleep(20);
    const now = performance.now();
    if (now - t0 >= maxMs || ctx.signal.aborted) return;
    if ((await ctx.target.waitExit(0)) !== undefined) return;
    const key = ctx.target.children().join(',');
    if (key !== last) {
      last = key;
      changedAt = now;
      continue;
    }
    const main = ctx.target.mainPid();
    if (now - t0 >= o.minMs && now - changedAt >= o.stableMs && (main === undefined || isTreeAsleep(main))) return;
  }
}

const SIGNAL_NUMBERS = osConstants.signals as Record<string, number>;
/** Signals whose default action ends a process (SIGWINCH and SIGCHLD are ignored by default). */
const DEFAULT_TERMINATES = new Set(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2']);

/**
 * Will this signal end the process? Yes when its default action terminates and the
 * process neither catches nor ignores it (SigCgt / SigIgn in /proc/PID/status).
 */
export function endsByDefault(pid: number, signal: SignalName): boolean {
  if (!DEFAULT_TERMINATES.has(signal)) return false;
  const number = SIGNAL_NUMBERS[signal];
  if (number === undefined) return false;
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return false;
  }
  const mask = (name: string) => {
    const hex = new RegExp(`^${name}:\\s*([0-9a-fA-F]+)$`, 'm').exec(status)?.[1];
    return hex === undefined ? 0n : BigInt(`0x${hex}`);
  };
  const bit = 1n << BigInt(number - 1);
  return ((mask('SigCgt') | mask('SigIgn')) & bit) === 0n;
}

/**
 * After SIGUSR2 nginx starts a new master (binary upgrade) beside the old one. Left
 * running, it would outlive the old master and keep the epoch from ending; rolling the
 * upgrade back is part of the same production path: SIGQUIT to the new master.
 * A new master is a new child that has children of its own.
 */
async function stopNewMasters(ctx: DeliveryContext, before: ReadonlySet<number>, left: Budget): Promise<number> {
  const masters = ctx.target.children().filter((pid) => !before.has(pid) && childPids(pid).length > 0);
  for (const pid of masters) {
    const index = ctx.target.children().indexOf(pid);
    if (index >= 0) ctx.target.signal('SIGQUIT', { child: index });
  }
  if (masters.length === 0) return 0;
  const until = performance.now() + left(EXIT_WAIT_MS);
  while (performance.now() < until && masters.some((pid) => ctx.target.children().includes(pid))) await sleep(20);
  await settle(ctx, left);
  return masters.length;
}

/**
 * Sends the first request of `input` on a connection, does `actions` while it stays
 * open, then sends the rest (the first again when there is only one). When the target
 * closed the connection meanwhile (a reload closes idle keep-alive connections), the
 * rest goes over a new one and the signature says `reconnect`:
 * `GET / 200 [rerender; SIGHUP ok] reconnect 200`.
 */
async function during(input: HttpInput, actions: SimpleAction[], ctx: DeliveryContext, peers: Peers, left: Budget): Promise<Step> {
  const label = `during ${shortPeer('http', input, peers)}`;
  const [first, ...more] = input.requests;
  if (first === undefined) return { token: `${label} empty`, ended: false };
  const rest = more.length > 0 ? more : [first];
  let conn = await KeepAliveConnection.open(ctx.endpoint, left(2000));
  const out: string[] = [conn ? await conn.send(first, left(2000)) : 'refused'];
  const inner: string[] = [];
  let ended = false;
  for (const action of actions) {
    if (ctx.signal.aborted) break;
    const step = await simple(action, ctx, left);
    inner.push(step.token);
    if (step.ended) {
      ended = true;
      break;
    }
  }
  out.push(`[${inner.join('; ')}]`);
  if (!ended) {
    for (const request of rest) {
      if (ctx.signal.aborted) break;
      let answer = conn && !conn.closed ? await conn.send(request, left(2000)) : 'closed';
      if (answer === 'closed') {
        // the connection did not survive: a new one for what is left
        conn?.destroy();
        conn = await KeepAliveConnection.open(ctx.endpoint, left(2000));
        out.push('reconnect');
        answer = conn ? await conn.send(request, left(2000)) : 'refused';
      }
      out.push(answer);
      if (answer === 'refused') break;
    }
  }
  conn?.destroy();
  return { token: `${label} ${out.join(' ')}`, ended };
}
