import net from 'node:net';
import type { Endpoint } from '../../src/strategy.js';
import { ResponseReader, serialize, type HttpRequest } from '../http/index.js';
import { methodOf } from '../http/request.js';

/**
 * One HTTP connection kept open across lifecycle actions: send a request, wait for its
 * answer, do something to the target, send the next one on the same connection. Built
 * from the HTTP channel's own pieces (`serialize`, `ResponseReader`).
 */
export class KeepAliveConnection {
  private readonly reader = new ResponseReader();
  private waiter: ((token: string) => void) | undefined;
  private statuses: string[] = [];
  /** the server closed (or reset) the connection, or it will after its last response */
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onGone());
    socket.on('close', () => this.onGone());
    socket.on('error', () => this.onGone());
  }

  /** Connects, or resolves undefined when the target refuses. */
  static open(endpoint: Endpoint, timeoutMs: number): Promise<KeepAliveConnection | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => fail(), timeoutMs);
      const fail = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(undefined);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(new KeepAliveConnection(socket));
      });
    });
  }

  /**
   * Sends one request and waits for its final response. Resolves with the status codes
   * (interim ones included: `100 200`), `closed` when the connection ended before an
   * answer, `garbage` for a reply that is not HTTP, `timeout`.
   */
  send(request: HttpRequest, timeoutMs: number): Promise<string> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish('timeout'), timeoutMs);
      const finish = (token: string) => {
        clearTimeout(timer);
        this.waiter = undefined;
        const statuses = this.statuses;
        this.statuses = [];
        if (token === 'timeout' || token === 'garbage') this.destroy();
        resolve([...statuses, ...(token === '' ? [] : [token])].join(' ') || 'closed');
      };
      this.waiter = finish;
      this.reader.expect(methodOf(request));
      this.socket.write(serialize(request));
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const response of this.reader.push(chunk)) {
      this.statuses.push(String(response.status));
      if (response.status < 200 && response.status !== 101) continue; // interim: the answer follows
      if (response.closesConnection) this.closed = true;
      this.waiter?.('');
    }
    if (this.reader.isGarbage) this.waiter?.('garbage');
  }

  private onGone(): void {
    this.closed = true;
    // a close-delimited body is complete now
    for (const response of this.reader.end()) this.statuses.push(String(response.status));
    const answered = this.statuses.some((s) => Number(s) >= 200);
    this.waiter?.(answered ? '' : 'closed');
  }
}
