import type net from 'node:net';
import { methodOf, type HttpRequest } from './request.js';
import { ResponseReader, type HttpResponse } from './response.js';
import { resetSocket } from './transport.js';

/** After bytes that are not HTTP, how long the server may stay silent before we give up. */
export const GARBAGE_IDLE_MS = 200;
/**
 * A server that keeps the connection open and says nothing for this long is waiting
 * for us (a body shorter than its Content-Length, a request without its blank line):
 * that is an answer (`idle`), not a hung target, and not worth the whole exec timeout.
 */
export const SILENCE_IDLE_MS = 750;

/**
 * How a connection stopped answering: the server closed it (`close`) or reset it
 * (`reset`), replied with something that is not HTTP (`garbage`), went silent (`idle`),
 * or another socket error (`error:CODE`).
 */
export type Ending = 'close' | 'reset' | 'garbage' | 'idle' | `error:${string}`;

/**
 * One HTTP/1.x connection seen as a queue of responses: requests are written without
 * waiting, and `next()` hands back the responses in order, or how the connection ended.
 * Turning socket events into awaitable steps lets each delivery mode read as a plain loop.
 */
export class H1Connection {
  private readonly reader = new ResponseReader();
  private readonly queue: HttpResponse[] = [];
  private ending: Ending | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly socket: net.Socket,
    /** TLS: no RST (a TLS socket has no TCP handle of its own to reset) */
    private readonly overTls = false,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(...this.reader.push(chunk));
      this.notify();
    });
    socket.on('end', () => {
      this.queue.push(...this.reader.end());
      this.endWith('close');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.endWith(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : `error:${err.code ?? 'unknown'}`);
    });
    socket.on('close', () => this.endWith('close'));
  }

  /** the server is done with this connection (closed, reset, or an error) */
  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** Aborts the connection with an RST rather than a FIN (over TLS: destroys it). */
  reset(): void {
    if (!this.overTls) resetSocket(this.socket);
    this.socket.destroy();
  }

  /** Announces a request (a response to HEAD has no body) and writes it whole, without waiting. */
  send(request: HttpRequest, bytes: Buffer): void {
    this.reader.expect(methodOf(request));
    this.write(bytes);
  }

  /** Announces requests whose bytes go out some other way (pipelined, slowly, cut short). */
  expect(request: HttpRequest): void {
    this.reader.expect(methodOf(request));
  }

  write(bytes: Buffer): void {
    if (!this.ended && !this.socket.destroyed && bytes.length > 0) this.socket.write(bytes);
  }

  /**
   * The next response (interim 1xx ones included), or how the connection ended. Waits
   * at most `silenceMs` without a byte from the server (then `idle`); after garbage, a
   * short GARBAGE_IDLE_MS in case more comes, then `garbage`.
   */
  async next(silenceMs = SILENCE_IDLE_MS): Promise<HttpResponse | Ending> {
    for (;;) {
      const response = this.queue.shift();
      if (response) return response;
      if (this.reader.isGarbage) {
        if (this.ended || !(await this.change(GARBAGE_IDLE_MS))) return 'garbage';
        continue;
      }
      if (this.ending !== undefined) return this.ending;
      if (!(await this.change(silenceMs))) return 'idle';
    }
  }

  /** Waits until the server ends the connection, at most `ms`; true when it did. */
  async waitEnd(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.ended) {
      const left = until - Date.now();
      if (left <= 0) return false;
      await this.change(left);
    }
    return true;
  }

  /** true when bytes arrived or the connection ended within `ms`, false when it stayed quiet */
  private change(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }

  private endWith(ending: Ending): void {
    this.ending ??= ending;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}
