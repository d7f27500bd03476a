import type net from 'node:net';
import type { DeliveryContext, DeliveryResult, Endpoint } from '../../src/strategy.js';
import { H1Connection } from './h1-connection.js';
import { exchangeH2, type H2Plan } from './h2-session.js';
import { idle, inTurn, partial, pipelined, resetMidway, RESET_AFTER_MS, SLOW_SEND_DELAY_MS, SLOW_SEND_MAX_PIECES, slowRead, slowSend, Transcript, type Exchange } from './h1-modes.js';
import { responseFeatures } from './features.js';
import { isRaw, type DeliveryMode, type HttpInput, type HttpRequest, type StructuredRequest } from './request.js';
import { ConnectFailure, openConnection } from './transport.js';
import { withDeadline } from '../deadline.js';

export { GARBAGE_IDLE_MS, SILENCE_IDLE_MS } from './h1-connection.js';
export type { Exchange } from './h1-modes.js';

export interface HttpDelivery extends DeliveryResult {
  exchanges: Exchange[];
}

/** slow-read: how long nothing is read (at most a quarter of the delivery's time) */
export const SLOW_READ_PAUSE_MS = 500;
/** idle: how long a connection is kept open and silent at most */
export const IDLE_MAX_MS = 2000;
/** idle: the time left for the rest of the delivery (closing, the executor's own work) */
const IDLE_MARGIN_MS = 500;

/** The endpoint an input talks to: its index modulo the number of endpoints, the primary one by default. */
export function endpointOf(input: HttpInput, ctx: DeliveryContext): Endpoint {
  const endpoints = ctx.endpoints?.length ? ctx.endpoints : [ctx.endpoint];
  return endpoints[(input.endpoint ?? 0) % endpoints.length]!;
}

/**
 * Delivers an input to the endpoint it names, in its mode. The signature lists, per
 * connection, `h2` when HTTP/2 was negotiated, the status codes in order, then `close`
 * if the server closed before every request was answered, `reset` on a reset, `garbage`
 * for a reply that is not HTTP, `idle` when the server went silent, `rst` after our own
 * reset; connections are separated by ` | ` in their order; `timeout` / `aborted` when
 * cut short. Nothing in it depends on timing that a replay could change.
 */
export async function deliverHttp(input: HttpInput, ctx: DeliveryContext): Promise<HttpDelivery> {
  if (ctx.signal.aborted) return { signature: 'aborted', exchanges: [] };
  const endpoint = endpointOf(input, ctx);
  const mode = input.mode ?? 'sequential';
  const started = Date.now();
  const sockets = new Set<net.Socket>();
  const transcripts: Transcript[] = [];
  let negotiatedH2 = false;

  /** one connection and what it saw, in the order connections were planned (not opened) */
  const connect = async (requests: readonly HttpRequest[], run: (conn: H1Connection, out: Transcript) => Promise<unknown>) => {
    const out = new Transcript();
    transcripts.push(out);
    // raw bytes are HTTP/1.x bytes: HTTP/2 is only offered when every request is structured
    const offerH2 = requests.every((r) => !isRaw(r));
    const { socket, tls, h2 } = await openConnection(endpoint, { offerH2, track: (s) => sockets.add(s) });
    if (!h2) return run(new H1Connection(socket, tls), out);
    negotiatedH2 = true;
    out.tokens.push('h2');
    const idleMs = () => (mode === 'idle' ? idleBudget(ctx, started) : 0);
    return exchangeH2(socket, endpoint, requests as StructuredRequest[], h2Plan(mode, ctx, idleMs), out);
  };

  let transportError: ConnectFailure | undefined;
  const cutShort = await withDeadline(
    ctx,
    () =>
      runMode(mode, input.requests, connect, ctx, started).then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof ConnectFailure)) throw err;
          transportError = err;
        },
      ),
    () => {
      for (const socket of sockets) socket.destroy();
    },
  );

  const exchanges = transcripts.flatMap((t) => t.exchanges);
  const groups = transcripts.map((t) => t.tokens.join(' '));
  if (transportError) groups.push(transportError.token);
  if (cutShort) groups.push(cutShort);
  const result: HttpDelivery = {
    signature: (mode === 'parallel' ? groups.filter((g) => g !== '').join(' | ') : groups.join(' ').trim()).replace(/ +/g, ' '),
    exchanges,
    features: responseFeatures(exchanges.map((e) => e.response), negotiatedH2),
  };
  if (transportError) result.transportError = transportError.message;
  return result;
}

type Connect = (requests: readonly HttpRequest[], run: (conn: H1Connection, out: Transcript) => Promise<unknown>) => Promise<unknown>;

function runMode(mode: DeliveryMode, requests: readonly HttpRequest[], connect: Connect, ctx: DeliveryContext, started: number): Promise<unknown> {
  switch (mode) {
    case 'sequential':
      return connect(requests, (conn, out) => inTurn(conn, requests, out));
    case 'pipelined':
      return connect(requests, (conn, out) => pipelined(conn, requests, out));
    case 'parallel':
      // one connection per request, all at once; their transcripts keep the requests' order
      return Promise.all(requests.map((request) => connect([request], (conn, out) => inTurn(conn, [request], out))));
    case 'partial':
      return connect(requests, (conn, out) => partial(conn, requests, out));
    case 'reset':
      return connect(requests, (conn, out) => resetMidway(conn, requests, out));
    case 'slow-send':
      return connect(requests, (conn, out) => slowSend(conn, requests, out, slowSendDelay(ctx)));
    case 'slow-read':
      return connect(requests, (conn, out) => slowRead(conn, requests, out, slowReadPause(ctx)));
    case 'idle':
      return connect(requests, (conn, out) => idle(conn, requests, out, () => idleBudget(ctx, started)));
  }
}

/** all pauses of a slow send together take at most a quarter of the delivery's time */
const slowSendDelay = (ctx: DeliveryContext) => Math.min(SLOW_SEND_DELAY_MS, Math.floor(ctx.timeoutMs / 4 / SLOW_SEND_MAX_PIECES));
const slowReadPause = (ctx: DeliveryContext) => Math.min(SLOW_READ_PAUSE_MS, Math.floor(ctx.timeoutMs / 4));

/** never wait past the delivery's own timeout: that would turn a quiet server into a hang */
const idleBudget = (ctx: DeliveryContext, started: number) =>
  Math.max(0, Math.min(IDLE_MAX_MS, ctx.timeoutMs - (Date.now() - started) - IDLE_MARGIN_MS));

function h2Plan(mode: DeliveryMode, ctx: DeliveryContext, idleMs: () => number): H2Plan {
  return {
    concurrent: mode === 'pipelined' || mode === 'parallel' || mode === 'slow-read',
    pauseMs: mode === 'slow-read' ? slowReadPause(ctx) : 0,
    ...(mode === 'reset' ? { resetAfterMs: RESET_AFTER_MS } : {}),
    partial: mode === 'partial',
    idleMs,
  };
}
