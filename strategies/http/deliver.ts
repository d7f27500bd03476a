import net from 'node:net';
import type { DeliveryContext, DeliveryResult } from '../../src/strategy.js';
import { methodOf, serialize, type HttpInput, type HttpRequest } from './request.js';
import { ResponseReader, type HttpResponse } from './response.js';

/** One response and the request it answers (interim 1xx responses included). */
export interface Exchange {
  request: HttpRequest;
  response: HttpResponse;
}

export interface HttpDelivery extends DeliveryResult {
  exchanges: Exchange[];
}

/** After bytes that are not HTTP, how long the server may stay silent before we give up. */
export const GARBAGE_IDLE_MS = 200;
/**
 * A server that keeps the connection open and says nothing for this long is waiting
 * for us (a body shorter than its Content-Length, a request without its blank line):
 * that is an answer (`idle`), not a hung target, and not worth the whole exec timeout.
 */
export const SILENCE_IDLE_MS = 750;

/**
 * Sends the requests one after another over one connection, each once the previous one
 * is fully answered (no pipelining). The signature lists the status codes in order, then
 * `close` if the server closed before every request was answered, `reset` on a reset,
 * `garbage` for a reply that is not HTTP, `timeout` / `aborted` when cut short.
 */
export function deliverHttp(input: HttpInput, ctx: DeliveryContext): Promise<HttpDelivery> {
  const { requests } = input;
  const tokens: string[] = [];
  const exchanges: Exchange[] = [];
  if (ctx.signal.aborted) return Promise.resolve({ signature: 'aborted', exchanges });

  return new Promise((resolve) => {
    const reader = new ResponseReader();
    const socket = net.connect({ host: ctx.endpoint.host, port: ctx.endpoint.port });
    socket.setNoDelay(true);
    let next = 0;
    let answered = 0;
    let connected = false;
    let finished = false;
    let garbageTimer: NodeJS.Timeout | undefined;
    let silenceTimer: NodeJS.Timeout | undefined;
    const expectAnswer = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(() => finish('idle'), SILENCE_IDLE_MS);
    };

    const finish = (token?: string, transportError?: string) => {
      if (finished) return;
      finished = true;
      if (token) tokens.push(token);
      clearTimeout(deadline);
      clearTimeout(garbageTimer);
      clearTimeout(silenceTimer);
      ctx.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      const result: HttpDelivery = { signature: tokens.join(' '), exchanges };
      if (transportError !== undefined) result.transportError = transportError;
      resolve(result);
    };
    // after garbage the server's close says nothing new: `garbage` alone stays stable
    const closedEarly = () => (!reader.isGarbage && answered < requests.length ? 'close' : undefined);

    const sendNext = () => {
      const request = requests[next];
      if (request === undefined) return finish();
      next += 1;
      reader.expect(methodOf(request));
      socket.write(serialize(request));
      expectAnswer();
    };

    const onResponse = (response: HttpResponse) => {
      if (finished) return;
      exchanges.push({ request: requests[next - 1]!, response });
      tokens.push(String(response.status));
      if (response.status < 200 && response.status !== 101) return; // interim: the real answer follows
      answered += 1;
      // Stop rather than race the server's close with our next write (that race ends in
      // either `close` or `reset`, and the signature must not depend on timing).
      if (response.closesConnection) return finish(next < requests.length ? 'close' : undefined);
      sendNext();
    };

    const onData = (chunk: Buffer) => {
      if (!finished) expectAnswer(); // the server is talking: a slow answer is still an answer
      for (const response of reader.push(chunk)) onResponse(response);
      if (finished || !reader.isGarbage) return;
      if (!tokens.includes('garbage')) tokens.push('garbage');
      clearTimeout(garbageTimer);
      garbageTimer = setTimeout(() => finish(), GARBAGE_IDLE_MS);
    };

    const onAbort = () => finish('aborted');
    const deadline = setTimeout(() => finish('timeout'), ctx.timeoutMs);
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    socket.on('connect', () => {
      connected = true;
      sendNext();
    });
    socket.on('data', onData);
    socket.on('end', () => {
      for (const response of reader.end()) onResponse(response);
      finish(closedEarly());
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) return finish('refused', `cannot connect to ${ctx.endpoint.host}:${ctx.endpoint.port}: ${err.message}`);
      finish(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : `error:${err.code ?? 'unknown'}`);
    });
    socket.on('close', () => finish(closedEarly()));
  });
}
