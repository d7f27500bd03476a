import net from 'node:net';
import type { Endpoint } from '../../src/strategy.js';
import type { ReplyWait } from './reply-wait.js';

/**
 * One stream connection (TCP or Unix socket) seen as what the server sent so far and how
 * it ended. Turning socket events into awaitable steps lets each delivery mode read as a
 * plain loop.
 */

/** How the server ended the connection: closed it (FIN), reset it, or another socket error. */
export type StreamEnding = 'close' | 'reset' | `error:${string}`;

/** The endpoint could not be connected to at all. */
export class ConnectFailure extends Error {}

export class StreamConn {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private lastByteAt = 0;
  private lastByte = -1;
  private ending: StreamEnding | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received += chunk.length;
      this.lastByteAt = performance.now();
      this.lastByte = chunk[chunk.length - 1]!;
      this.notify();
    });
    socket.on('end', () => this.endWith('close'));
    socket.on('error', (err: NodeJS.ErrnoException) => this.endWith(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : `error:${err.code ?? 'unknown'}`));
    socket.on('close', () => this.endWith('close'));
  }

  /** the server is done with this connection (closed, reset, or an error) */
  get ended(): StreamEnding | undefined {
    return this.ending;
  }

  /** how many bytes the server sent so far */
  get mark(): number {
    return this.received;
  }

  /** Everything the server sent, or what it sent after `mark`. */
  bytes(mark = 0): Buffer {
    return Buffer.concat(this.chunks).subarray(mark);
  }

  /** Writes and resolves once the bytes were handed to the kernel (or the socket is gone). */
  write(bytes: Buffer): Promise<void> {
    if (this.ending !== undefined || this.socket.destroyed || !this.socket.writable || bytes.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Our side is done sending (FIN); the server may still answer. */
  finish(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  /**
   * An RST instead of a FIN, while the socket can still send one. Once either side shut
   * down, libuv refuses the reset with EINVAL and Node 20 then never closes the handle
   * (see strategies/http/transport.ts): such a socket is destroyed plainly.
   */
  reset(): void {
    const s = this.socket;
    if (s.destroyed) return;
    if (s.readyState === 'open' && !s.writableEnded && !s.readableEnded && this.ending === undefined) s.resetAndDestroy();
    else s.destroy();
  }

  /**
   * The bytes of the reply to what was just sent: waits for a first byte, then until the
   * server has been quiet for a moment (see ReplyWait), at most `capMs`; stops early when
   * the connection ends or `cancelled()` says the delivery is over. `last`: nothing more
   * will be sent on this connection, so a late first byte is waited for longer.
   */
  async reply(wait: ReplyWait, cancelled: () => boolean, last = false): Promise<Buffer> {
    const firstByteMs = last ? wait.lastFirstByteMs : wait.firstByteMs;
    const mark = this.received;
    const start = performance.now();
    for (;;) {
      const now = performance.now();
      const left = wait.capMs - (now - start);
      if (left <= 0 || cancelled()) break;
      let until: number;
      if (this.received > mark) {
        const quiet = now - this.lastByteAt;
        const idle = this.lastByte === 0x0a ? wait.lineIdleMs : wait.idleMs;
        if (quiet >= idle || this.ending !== undefined) break;
        until = idle - quiet;
      } else {
        if (this.ending !== undefined) break;
        const waited = now - start;
        if (waited >= firstByteMs) break;
        until = firstByteMs - waited;
      }
      await this.change(Math.min(until, left));
    }
    return this.bytes(mark);
  }

  /** true when bytes arrived or the connection ended within `ms`, false when it stayed quiet */
  private change(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, Math.max(1, ms));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }

  private endWith(ending: StreamEnding): void {
    this.ending ??= ending;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}

/** Connects to a TCP or Unix-socket endpoint; `track` learns the socket at once, so a deadline can destroy it while it connects. */
export function openStream(endpoint: Endpoint, track: (socket: net.Socket) => void): Promise<StreamConn> {
  return new Promise((resolve, reject) => {
    const socket = endpoint.transport === 'unix' ? net.connect({ path: endpoint.path ?? '' }) : net.connect({ host: endpoint.host, port: endpoint.port });
    track(socket);
    const failed = (err: Error) => {
      socket.destroy();
      // no address or port in it: it becomes the signature, which must be the same in every run
      reject(new ConnectFailure(`cannot connect to the ${endpoint.transport ?? 'tcp'} endpoint: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      if (endpoint.transport !== 'unix') socket.setNoDelay(true);
      // StreamConn listens for errors from now on; none may go unhandled meanwhile
      const conn = new StreamConn(socket);
      resolve(conn);
    });
  });
}
