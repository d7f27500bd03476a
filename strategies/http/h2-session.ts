import http2 from 'node:http2';
import type net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../../src/strategy.js';
import { findHeader, frame, type StructuredRequest } from './request.js';
import type { HttpResponse } from './response.js';
import { SILENCE_IDLE_MS } from './h1-connection.js';
import type { Transcript } from './h1-modes.js';

/**
 * Structured requests over HTTP/2, on a TLS socket whose handshake picked `h2`. Each
 * request is one stream; its token is the status, or `rst` when the server reset the
 * stream, `invalid` when node refused to send the headers, `idle` when the stream went
 * silent, `close` when the session was gone before the request could be made.
 */

export interface H2Plan {
  /** all streams opened at once (pipelined, parallel, slow-read) rather than one after another */
  concurrent: boolean;
  /** slow-read: every stream paused this long, so that flow control stalls the server */
  pauseMs: number;
  /** reset: the TCP connection reset this long after the streams were opened */
  resetAfterMs?: number;
  /** partial: streams opened with half the body and never ended, then the session closed */
  partial: boolean;
  /** idle: the session kept open afterwards for up to this long (asked once the streams are done) */
  idleMs: () => number;
}

/** Headers HTTP/2 forbids (RFC 9113 8.2.2) or carries as pseudo-headers; node refuses to send them. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host']);
const MAX_BODY_KEPT = 256 * 1024;

/** `socket` is the TLS socket the session runs over. */
export async function exchangeH2(
  socket: net.Socket,
  endpoint: Endpoint,
  requests: readonly StructuredRequest[],
  plan: H2Plan,
  out: Transcript,
): Promise<void> {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const session = http2.connect(`https://${host}:${endpoint.port}`, { createConnection: () => socket });
  session.on('error', () => {}); // a GOAWAY or a reset ends the streams; their tokens say it
  try {
    const results: Promise<string>[] = [];
    for (const request of requests) {
      const result = oneStream(session, endpoint, request, plan, out);
      if (plan.concurrent || plan.partial || plan.resetAfterMs !== undefined) results.push(result);
      else out.tokens.push(await result);
    }
    if (plan.resetAfterMs !== undefined) {
      await sleep(plan.resetAfterMs);
      // TLS: the connection is destroyed (a TLS socket has no TCP handle of its own to reset)
      session.destroy();
      socket.destroy();
      out.tokens.push('rst');
      return;
    }
    if (plan.partial) {
      await sleep(SILENCE_IDLE_MS / 3);
      session.close();
      socket.end();
      out.tokens.push('close');
      return;
    }
    // tokens in request order, whatever order the streams finished in
    for (const result of results) out.tokens.push(await result);
    const idleMs = plan.idleMs();
    if (idleMs > 0 && !session.closed) {
      await Promise.race([new Promise((resolve) => session.once('close', resolve)), sleep(idleMs)]);
    }
  } finally {
    session.destroy();
  }
}

function oneStream(
  session: http2.ClientHttp2Session,
  endpoint: Endpoint,
  request: StructuredRequest,
  plan: H2Plan,
  out: Transcript,
): Promise<string> {
  if (session.closed || session.destroyed) return Promise.resolve('close');
  return new Promise((resolve) => {
    const { headers, body } = h2Request(request, endpoint);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: body.length === 0 && !plan.partial });
    } catch {
      return resolve('invalid');
    }
    let head: http2.IncomingHttpHeaders | undefined;
    const parts: Buffer[] = [];
    let kept = 0;
    let bodyBytes = 0;
    let silence: NodeJS.Timeout | undefined;
    let finished = false;
    const quiet = () => {
      clearTimeout(silence);
      silence = setTimeout(() => done('idle'), SILENCE_IDLE_MS + plan.pauseMs);
    };
    const done = (token?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(silence);
      if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
      if (head === undefined) return resolve(token ?? 'rst');
      const response = toResponse(head, Buffer.concat(parts), bodyBytes);
      out.exchanges.push({ request, response });
      resolve(token ?? String(response.status));
    };
    stream.on('response', (h) => {
      head = h;
      quiet();
    });
    stream.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (kept < MAX_BODY_KEPT) {
        const piece = Buffer.from(chunk.subarray(0, MAX_BODY_KEPT - kept));
        parts.push(piece);
        kept += piece.length;
      }
      quiet();
    });
    stream.on('end', () => done());
    stream.on('close', () => done(head === undefined ? 'rst' : undefined));
    stream.on('error', () => {});
    if (plan.pauseMs > 0) {
      stream.pause();
      setTimeout(() => stream.resume(), plan.pauseMs);
    }
    if (plan.partial) stream.write(body.subarray(0, Math.floor(body.length / 2)));
    else if (body.length > 0) stream.end(body);
    quiet();
  });
}

/** The request as HTTP/2 headers: Host becomes :authority, connection-specific headers go, the first of duplicates wins. */
export function h2Request(request: StructuredRequest, endpoint: Endpoint): { headers: http2.OutgoingHttpHeaders; body: Buffer } {
  // HTTP/2 frames the body itself: a chunked coding would be sent as data, so the plain body goes
  const { headers: framed } = frame(request);
  const body = Buffer.from(request.body, 'latin1');
  const headers: http2.OutgoingHttpHeaders = {
    ':method': request.method,
    ':path': request.path,
    ':scheme': 'https',
    ':authority': findHeader(request.headers, 'host') ?? endpoint.host,
  };
  for (const [name, value] of framed) {
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower) || (lower === 'te' && value !== 'trailers') || lower in headers) continue;
    headers[lower] = value;
  }
  return { headers, body };
}

function toResponse(head: http2.IncomingHttpHeaders, body: Buffer, bodyBytes: number): HttpResponse {
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(head)) {
    if (name.startsWith(':') || value === undefined) continue;
    headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
  return { version: 'HTTP/2', status: Number(head[':status']), headers, body, bodyBytes, closesConnection: false };
}
