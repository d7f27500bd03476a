/**
 * A closed-loop HTTP/1.1 load generator over keep-alive sockets, run as its own
 * process by the bench (so that its CPU time is not charged to the process that
 * parses the trace): `node dist/bench/load.js '<LoadOptions as JSON>'`.
 *
 * `connections` sockets each keep one request in flight; request i (over all
 * sockets) asks for `paths[i % paths.length]`. `warmup` requests run first and are
 * not timed; then exactly `requests` requests are timed. A server that ends a
 * keep-alive connection (`Connection: close`, as nginx does after keepalive_requests)
 * gets a new one in its place, as a browser would open it. One JSON line of
 * {@link LoadResult} goes to stdout.
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';

export interface LoadOptions {
  host: string;
  port: number;
  paths: string[];
  connections: number;
  warmup: number;
  requests: number;
  /** give up when one response takes longer than this */
  responseTimeoutMs: number;
}

export interface LoadResult {
  requests: number;
  elapsedMs: number;
  rps: number;
  /** responses per status code, timed phase only */
  statuses: Record<string, number>;
  bytes: number;
}

interface Response {
  status: number;
  bodyBytes: number;
  /** the server said `Connection: close`: this socket takes no further request */
  serverCloses: boolean;
}

/** One keep-alive connection that sends a request and reads its answer (Content-Length framing). */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly host: string,
    private readonly timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.tryParse();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(this.failure);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('server closed the connection')));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Connection(socket, host, timeoutMs));
      });
      socket.once('error', reject);
    });
  }

  request(path: string): Promise<Response> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no response to GET ${path} within ${this.timeoutMs} ms`));
        this.socket.destroy();
      }, this.timeoutMs);
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\nConnection: keep-alive\r\n\r\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private tryParse(): void {
    if (!this.waiting) return;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!Number.isInteger(status) || !lengthMatch) {
      const w = this.waiting;
      this.waiting = undefined;
      w.reject(new Error(`unexpected response head: ${head.split('\r\n')[0]}`));
      return;
    }
    const bodyBytes = Number(lengthMatch[1]);
    const total = end + 4 + bodyBytes;
    if (this.buffer.length < total) return;
    this.buffer = this.buffer.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ status, bodyBytes, serverCloses: /\r\nconnection:\s*close/i.test(head) });
  }
}

/**
 * Sends `count` requests spread over the connections; request i asks for paths[i % n].
 * A connection the server closes is replaced in `conns` by a fresh one from `open`.
 */
async function phase(conns: Connection[], open: () => Promise<Connection>, paths: string[], count: number, statuses: Record<string, number>): Promise<number> {
  let next = 0;
  let bytes = 0;
  await Promise.all(
    conns.map(async (_, slot) => {
      while (next < count) {
        const i = next++;
        const r = await (conns[slot] as Connection).request(paths[i % paths.length] as string);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        bytes += r.bodyBytes;
        if (r.serverCloses) {
          (conns[slot] as Connection).close();
          conns[slot] = await open();
        }
      }
    }),
  );
  return bytes;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const open = () => Connection.open(o.host, o.port, o.responseTimeoutMs);
  const conns = await Promise.all(Array.from({ length: o.connections }, open));
  try {
    await phase(conns, open, o.paths, o.warmup, {});
    const statuses: Record<string, number> = {};
    const start = performance.now();
    const bytes = await phase(conns, open, o.paths, o.requests, statuses);
    const elapsedMs = performance.now() - start;
    return { requests: o.requests, elapsedMs, rps: (o.requests / elapsedMs) * 1000, statuses, bytes };
  } finally {
    for (const c of conns) c.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  runLoad(options).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (err: unknown) => {
      process.stderr.write(`load: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
