import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResponse } from './response.js';
import { isRaw, serialize, type HttpRequest } from './request.js';
import { H1Connection, SILENCE_IDLE_MS, type Ending } from './h1-connection.js';

/**
 * The delivery modes over one HTTP/1.x connection (plain or TLS). Each records, in a
 * Transcript, a stable account of what the server answered: status codes in order, then
 * how the connection ended when that came before every request was answered.
 */

/** One response and the request it answers (interim 1xx responses included). */
export interface Exchange {
  request: HttpRequest;
  response: HttpResponse;
}

/** What one connection saw: the signature tokens and the exchanges. */
export class Transcript {
  readonly tokens: string[] = [];
  readonly exchanges: Exchange[] = [];

  answered(request: HttpRequest, response: HttpResponse): void {
    this.exchanges.push({ request, response });
    this.tokens.push(String(response.status));
  }
}

/** reset mode: how long the server gets to start on the requests before the RST */
export const RESET_AFTER_MS = 100;
/** slow-send: the pause between two pieces, and how many pieces a whole input is cut into at most */
export const SLOW_SEND_DELAY_MS = 15;
export const SLOW_SEND_MAX_PIECES = 48;
/**
 * A request whose framing promises more than it sends (a Content-Length beyond the body,
 * chunks without the last one, or HTTP/0.9 to a server that reads it as the start of an
 * HTTP/1.x head) is answered only when the server's own timeout fires:
 * that it waits is the answer, so it gets this long, not the full silence wait (which,
 * beyond a short --exec-timeout, would turn it into a hang).
 */
export const INCOMPLETE_IDLE_MS = 200;
const INCOMPLETE: ReadonlySet<string> = new Set(['length-long', 'length-huge', 'chunked-no-end']);

/** How long the server may stay silent after `request` before the exchange ends as `idle`. */
export function silenceFor(request: HttpRequest | undefined): number {
  if (!request || isRaw(request)) return SILENCE_IDLE_MS;
  // most servers read an HTTP/0.9 request line as the start of a 1.x head and wait for the rest
  if (request.version === 'HTTP/0.9') return INCOMPLETE_IDLE_MS;
  return request.framing !== undefined && INCOMPLETE.has(request.framing) ? INCOMPLETE_IDLE_MS : SILENCE_IDLE_MS;
}

const isFinal = (r: HttpResponse) => r.status >= 200 || r.status === 101;
/**
 * When we wrote more than the server read before it closed, its close turns into a reset
 * or not depending on timing; both say the same thing: the connection ended early.
 */
const settled = (ending: Ending): string => (ending === 'reset' ? 'close' : ending);

/** Each request once the previous one is answered; false when the connection is over. */
export async function inTurn(
  conn: H1Connection,
  requests: readonly HttpRequest[],
  out: Transcript,
  write: (bytes: Buffer) => Promise<void> = async (bytes) => conn.write(bytes),
): Promise<boolean> {
  for (const [i, request] of requests.entries()) {
    // Stop rather than race the server's close with our next write (that race ends in
    // either `close` or `reset`, and the signature must not depend on timing).
    if (conn.ended) return out.tokens.push('close'), false;
    conn.expect(request);
    await write(serialize(request));
    for (;;) {
      const response = await conn.next(silenceFor(request));
      if (typeof response === 'string') return out.tokens.push(response), false;
      out.answered(request, response);
      if (!isFinal(response)) continue;
      if (response.closesConnection) {
        if (i < requests.length - 1) out.tokens.push('close');
        return false;
      }
      break;
    }
  }
  return true;
}

/** Reads the answers to requests already written, in order, until all are answered or the connection ends. */
export async function readAnswers(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript): Promise<void> {
  let answered = 0;
  while (answered < requests.length) {
    const response = await conn.next(silenceFor(requests[answered]));
    if (typeof response === 'string') return void out.tokens.push(settled(response));
    out.answered(requests[answered]!, response);
    if (!isFinal(response)) continue;
    answered += 1;
    if (response.closesConnection) return void (answered < requests.length && out.tokens.push('close'));
  }
}

/** Every request written at once, then the answers read. */
export async function pipelined(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript): Promise<void> {
  for (const request of requests) conn.expect(request);
  conn.write(Buffer.concat(requests.map(serialize)));
  await readAnswers(conn, requests, out);
}

/** Pipelined, but nothing read for `pauseMs`: the server's send buffer fills and it must wait for room. */
export async function slowRead(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript, pauseMs: number): Promise<void> {
  conn.socket.pause();
  for (const request of requests) conn.expect(request);
  conn.write(Buffer.concat(requests.map(serialize)));
  await sleep(pauseMs);
  conn.socket.resume();
  await readAnswers(conn, requests, out);
}

/** The first half of the bytes, then our side closed (FIN); whatever the server still says is read. */
export async function partial(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript): Promise<void> {
  const bytes = Buffer.concat(requests.map(serialize));
  for (const request of requests) conn.expect(request);
  conn.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
  conn.socket.end();
  for (;;) {
    const response = await conn.next();
    if (typeof response === 'string') return void out.tokens.push(settled(response));
    out.answered(requests[Math.min(out.exchanges.length, requests.length - 1)]!, response);
  }
}

/**
 * Everything written, then the connection reset (RST) once the server starts answering
 * or after RESET_AFTER_MS. Whether the server had read it all is a race: the signature
 * only says `rst`.
 */
export async function resetMidway(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript): Promise<void> {
  for (const request of requests) conn.expect(request);
  conn.write(Buffer.concat(requests.map(serialize)));
  await conn.next(RESET_AFTER_MS);
  conn.reset();
  out.tokens.push('rst');
}

/** In turn, each request written in small pieces with a pause between them. */
export function slowSend(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript, delayMs = SLOW_SEND_DELAY_MS): Promise<boolean> {
  const pieces = Math.max(2, Math.floor(SLOW_SEND_MAX_PIECES / requests.length));
  return inTurn(conn, requests, out, async (bytes) => {
    const size = Math.max(1, Math.ceil(bytes.length / pieces));
    for (let start = 0; start < bytes.length && !conn.ended; start += size) {
      conn.write(bytes.subarray(start, start + size));
      if (start + size < bytes.length) await sleep(delayMs);
    }
  });
}

/**
 * In turn, then the connection kept open and silent for up to `idleMs()` (asked once the
 * requests are answered, from the time left), so that the server's keep-alive timer may
 * close it. Whether it did within the time is a race, so it is not recorded.
 */
export async function idle(conn: H1Connection, requests: readonly HttpRequest[], out: Transcript, idleMs: () => number): Promise<void> {
  if (!(await inTurn(conn, requests, out))) return;
  const ms = idleMs();
  if (ms > 0) await conn.waitEnd(ms);
}
