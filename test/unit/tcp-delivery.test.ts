import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DeliveryContext, Endpoint } from '../../src/strategy.js';
import { createTcpStrategy, createUdpStrategy, endpointFor } from '../../strategies/tcp/index.js';
import { lineTokens, replyToken } from '../../strategies/tcp/reply.js';
import { ReplyFeatures, MAX_REPLY_FEATURES } from '../../strategies/tcp/features.js';
import { replyWait } from '../../strategies/tcp/reply-wait.js';
import type { Message, SessionInput, SessionMode } from '../../strategies/tcp/session.js';

/**
 * The tcp and udp deliveries against small servers written here: a line server over TCP
 * and a Unix socket (a reply per line: PONG, a number, several chunks, a close...), and a
 * datagram server. Nothing here depends on how fast the machine is.
 */

const tcp = createTcpStrategy({ dictionary: false });
const udp = createUdpStrategy({ dictionary: false });

function context(endpoints: Endpoint[], o: { timeoutMs?: number; signal?: AbortSignal } = {}): DeliveryContext {
  return { endpoint: endpoints[0]!, endpoints, timeoutMs: o.timeoutMs ?? 4000, signal: o.signal ?? new AbortController().signal } as unknown as DeliveryContext;
}
const session = (messages: (string | Message)[], mode?: SessionMode): SessionInput => ({
  messages: messages.map((m) => (typeof m === 'string' ? { conn: 0, data: m } : m)),
  ...(mode ? { mode } : {}),
});
const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});
const work = mkdtempSync(join(tmpdir(), 'sc-tcp-delivery-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a line server saw of one connection. */
interface Seen {
  bytes: string;
  chunks: number;
  end: boolean;
  reset: boolean;
}

/** A server answering each line by its first word; `listenOn`: a port (0: any) or a Unix socket path. */
async function lineServer(listenOn: number | string = 0): Promise<{ endpoint: Endpoint; seen: Seen[]; maxOpen: () => number }> {
  const seen: Seen[] = [];
  let open = 0;
  let maxOpen = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    const me: Seen = { bytes: '', chunks: 0, end: false, reset: false };
    seen.push(me);
    let pending = '';
    socket.on('data', (chunk) => {
      me.bytes += chunk.toString('latin1');
      me.chunks += 1;
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const word = pending.slice(0, nl).replace(/\r$/, '').split(' ')[0];
        pending = pending.slice(nl + 1);
        if (word === 'ping') socket.write('PONG\r\n');
        else if (word === 'num') socket.write(`${Math.floor(Math.random() * 1e9)}\r\n`);
        else if (word === 'silent') continue;
        else if (word === 'quit') return void socket.end('BYE\r\n');
        else if (word === 'big') socket.write(`${'x'.repeat(1 << 20)}\r\nEND\r\n`);
        else if (word === 'chunks') {
          // the same reply as `SLOW 12345`, in pieces a few milliseconds apart
          const parts = ['SL', 'OW 12', '345', '\r\n'];
          parts.forEach((p, i) => setTimeout(() => socket.writable && socket.write(p), i * 3));
        } else socket.write('ERROR\r\n');
      }
    });
    socket.on('end', () => (me.end = true));
    socket.on('error', (err: NodeJS.ErrnoException) => (me.reset = me.reset || err.code === 'ECONNRESET'));
    socket.on('close', () => {
      open -= 1;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => (typeof listenOn === 'string' ? server.listen(listenOn, resolve) : server.listen(listenOn, '127.0.0.1', resolve)));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const endpoint: Endpoint =
    typeof listenOn === 'string' ? { host: 'localhost', port: 0, transport: 'unix', path: listenOn } : { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
  return { endpoint, seen, maxOpen: () => maxOpen };
}

describe('reply tokens', () => {
  it('take the first token, with digits normalised and binary named by its first bytes', () => {
    expect(replyToken(Buffer.from('STORED\r\n'))).toBe('STORED');
    expect(replyToken(Buffer.from('VALUE k 0 5 991\r\nhello\r\nEND\r\n'))).toBe('VALUE');
    expect(replyToken(Buffer.from('4711\r\n'))).toBe('0');
    expect(replyToken(Buffer.from('ts=1700000000.123 gid=5'))).toBe('ts=0.0');
    expect(replyToken(Buffer.from('SERVER_ERROR_OUT_OF_MEMORY storing'))).toBe('SERVER_ERROR_OUT');
    expect(replyToken(Buffer.from('  OK'))).toBe('OK');
    expect(replyToken(Buffer.from([0x81, 0x0a, 0, 0]))).toBe('x810a');
    expect(replyToken(Buffer.from('\r\n'))).toBe('x0d0a');
    expect(replyToken(Buffer.alloc(0))).toBeUndefined();
  });

  it('name each line of a reply stream once in a row, boundedly', () => {
    expect(lineTokens(Buffer.from('STAT pid 1\r\nSTAT uptime 2\r\nEND\r\nSTAT x\r\n'))).toEqual(['STAT', 'END', 'STAT']);
    const many = Buffer.from(Array.from({ length: 40 }, (_, i) => `T${String.fromCharCode(65 + (i % 26))}${i}\n`).join(''));
    expect(lineTokens(many)).toHaveLength(17);
    expect(lineTokens(many).at(-1)).toBe('...');
  });

  it('become features: one per first token, none, close; at most MAX_REPLY_FEATURES distinct tokens', () => {
    const features = new ReplyFeatures(3);
    expect(features.of([{ token: 'OK' }, { none: true }, { ended: 'close' }, { token: 'OK' }])).toEqual(['@reply:OK', '@reply:close', '@reply:none']);
    expect(features.of([{ token: 'A' }, { token: 'B' }, { token: 'C' }])).toEqual(['@reply:A', '@reply:B', '@reply:other']);
    expect(features.of([{ token: 'OK' }])).toEqual(['@reply:OK']);
    expect(MAX_REPLY_FEATURES).toBeGreaterThan(10);
  });

  it('wait within the delivery time however long the session', () => {
    expect(replyWait(5000, 1)).toEqual({ firstByteMs: 30, lastFirstByteMs: 100, idleMs: 25, lineIdleMs: 5, capMs: 300 });
    const long = replyWait(1000, 64);
    expect(long.capMs * 64).toBeLessThanOrEqual(500);
    expect(long.firstByteMs).toBeLessThanOrEqual(long.capMs);
  });
});

describe('tcp delivery', () => {
  it('sends each message in turn and reads its reply: signature from the whole stream, features per message', async () => {
    const { endpoint, seen } = await lineServer();
    const result = await tcp.deliver(session(['ping\r\n', 'num\r\n', 'silent\r\n', 'bogus\r\n']), context([endpoint]));
    expect(result.signature).toBe('PONG 0 ERROR');
    expect(result.features).toEqual(['@reply:0', '@reply:ERROR', '@reply:PONG', '@reply:none']);
    expect(result.transportError).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.bytes).toBe('ping\r\nnum\r\nsilent\r\nbogus\r\n');
  });

  it('gives the same signature for a reply that comes in pieces', async () => {
    const { endpoint } = await lineServer();
    const pieces = await tcp.deliver(session(['chunks\r\n', 'ping\r\n']), context([endpoint]));
    expect(pieces.signature).toBe('SLOW PONG');
    expect(pieces.features).toContain('@reply:SLOW');
  });

  it('opens a connection per index at its first message and keeps them open to the end', async () => {
    const { endpoint, seen, maxOpen } = await lineServer();
    const result = await tcp.deliver(
      session([
        { conn: 0, data: 'ping\r\n' },
        { conn: 1, data: 'num\r\n' },
        { conn: 0, data: 'bogus\r\n' },
        { conn: 2, data: 'ping\r\n' },
      ]),
      context([endpoint]),
    );
    expect(result.signature).toBe('PONG ERROR | 0 | PONG');
    expect(seen.map((s) => s.bytes)).toEqual(['ping\r\nbogus\r\n', 'num\r\n', 'ping\r\n']);
    expect(maxOpen()).toBe(3);
  });

  it('reports the server closing before every message was sent', async () => {
    const { endpoint, seen } = await lineServer();
    const result = await tcp.deliver(session(['quit\r\n', { conn: 0, data: 'ping\r\n', pauseMs: 100 }]), context([endpoint]));
    expect(result.signature).toBe('BYE close');
    expect(result.features).toContain('@reply:BYE');
    expect(seen[0]!.bytes).toBe('quit\r\n');
  });

  it('pipelined: all of a connection in one go; parallel: every connection at once', async () => {
    const { endpoint, seen, maxOpen } = await lineServer();
    const pipelined = await tcp.deliver(session(['ping\r\n', 'bogus\r\n', 'ping\r\n'], 'pipelined'), context([endpoint]));
    expect(pipelined.signature).toBe('PONG ERROR PONG');
    expect(seen[0]!.bytes).toBe('ping\r\nbogus\r\nping\r\n');
    const parallel = await tcp.deliver(
      session(
        [
          { conn: 0, data: 'ping\r\n' },
          { conn: 1, data: 'bogus\r\n' },
        ],
        'parallel',
      ),
      context([endpoint]),
    );
    expect(parallel.signature).toBe('PONG | ERROR');
    expect(maxOpen()).toBeGreaterThanOrEqual(2);
  });

  it('partial: the last message cut in half, then our FIN', async () => {
    const { endpoint, seen } = await lineServer();
    const result = await tcp.deliver(session(['ping\r\n', 'ping\r\n'], 'partial'), context([endpoint]));
    expect(result.signature).toBe('PONG');
    await until(() => seen[0]?.end === true);
    expect(seen[0]).toMatchObject({ bytes: 'ping\r\npin', end: true });
  });

  it('reset: everything written, then an RST', async () => {
    const { endpoint, seen } = await lineServer();
    const result = await tcp.deliver(session(['silent\r\n', 'silent\r\n'], 'reset'), context([endpoint]));
    expect(result.signature).toBe('rst');
    await until(() => seen[0]?.reset === true);
    expect(seen[0]).toMatchObject({ bytes: 'silent\r\nsilent\r\n', reset: true, end: false });
  });

  it('slow-send: a message in several pieces; slow-read: a large reply read after a pause, whole', async () => {
    const { endpoint, seen } = await lineServer();
    const slowSend = await tcp.deliver(session(['ping ping ping ping\r\n'], 'slow-send'), context([endpoint]));
    expect(slowSend.signature).toBe('PONG');
    expect(seen[0]!.bytes).toBe('ping ping ping ping\r\n');
    expect(seen[0]!.chunks).toBeGreaterThan(1);
    const slowRead = await tcp.deliver(session(['big\r\n', 'ping\r\n'], 'slow-read'), context([endpoint]));
    expect(slowRead.signature).toBe('xxxxxxxxxxxxxxxx END PONG');
  });

  it('talks to a Unix socket endpoint', async () => {
    const { endpoint, seen } = await lineServer(join(work, 'line.sock'));
    const result = await tcp.deliver(session(['ping\r\n', 'bogus\r\n']), context([endpoint]));
    expect(result.signature).toBe('PONG ERROR');
    expect(seen[0]!.bytes).toBe('ping\r\nbogus\r\n');
  });

  it('says when nothing listens, without the run-specific port', async () => {
    const { endpoint } = await lineServer();
    closers.splice(0).forEach((c) => c());
    const result = await tcp.deliver(session(['ping\r\n']), context([endpoint]));
    expect(result.signature).toBe('refused');
    expect(result.transportError).toBe('cannot connect to the tcp endpoint: ECONNREFUSED');
  });

  it('ends at the deadline or when aborted', async () => {
    const { endpoint } = await lineServer();
    const timedOut = await tcp.deliver(session(['ping\r\n', { conn: 0, data: 'ping\r\n', pauseMs: 1000 }]), context([endpoint], { timeoutMs: 200 }));
    expect(timedOut.signature).toBe('PONG timeout');
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const aborted = await tcp.deliver(session(['ping\r\n', { conn: 0, data: 'ping\r\n', pauseMs: 1000 }]), context([endpoint], { signal: abort.signal }));
    expect(aborted.signature).toBe('PONG aborted');
  });

  it('picks its endpoint by index among those it can use', () => {
    const plain: Endpoint = { host: '127.0.0.1', port: 1 };
    const tls: Endpoint = { host: '127.0.0.1', port: 2, tls: true };
    const dgramEp: Endpoint = { host: '127.0.0.1', port: 3, transport: 'udp' };
    const unix: Endpoint = { host: 'localhost', port: 0, transport: 'unix', path: '/tmp/x.sock' };
    const ctx = context([tls, plain, dgramEp, unix]);
    expect(endpointFor('tcp', session(['x']), ctx)).toBe(plain);
    expect(endpointFor('tcp', { ...session(['x']), endpoint: 3 }, ctx)).toBe(unix);
    expect(endpointFor('udp', { ...session(['x']), endpoint: 5 }, ctx)).toBe(dgramEp);
    expect(endpointFor('udp', session(['x']), context([plain]))).toBeUndefined();
  });

  it('reports a missing endpoint as a transport error', async () => {
    const result = await udp.deliver(session(['x']), context([{ host: '127.0.0.1', port: 1 }]));
    expect(result.transportError).toMatch(/udp strategy has no endpoint.*udp:\/\//);
  });
});

describe('udp delivery', () => {
  /** Answers each datagram: PONG to ping, two datagrams to two, ERROR otherwise; records what came from where. */
  async function datagramServer(): Promise<{ endpoint: Endpoint; got: { from: number; data: string }[] }> {
    const socket = dgram.createSocket('udp4');
    const got: { from: number; data: string }[] = [];
    socket.on('message', (msg, from) => {
      got.push({ from: from.port, data: msg.toString('latin1') });
      const word = msg.toString('latin1').replace(/\r?\n$/, '');
      const replies = word === 'ping' ? ['PONG\r\n'] : word === 'two' ? ['A 1\r\n', 'B 2\r\n'] : word === 'silent' ? [] : ['ERROR\r\n'];
      for (const r of replies) socket.send(r, from.port, from.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    closers.push(() => socket.close());
    return { endpoint: { host: '127.0.0.1', port: socket.address().port, transport: 'udp' }, got };
  }

  it('sends each message as a datagram and reads the datagrams that answer it', async () => {
    const { endpoint, got } = await datagramServer();
    const result = await udp.deliver(session(['ping\n', 'two\n', 'silent\n', 'bogus\n']), context([endpoint]));
    expect(result.signature).toBe('PONG A B ERROR');
    expect(result.features).toEqual(['@reply:A', '@reply:ERROR', '@reply:PONG', '@reply:none']);
    expect(got.map((g) => g.data)).toEqual(['ping\n', 'two\n', 'silent\n', 'bogus\n']);
    expect(new Set(got.map((g) => g.from)).size).toBe(1);
  });

  it('gives each connection index a socket of its own', async () => {
    const { endpoint, got } = await datagramServer();
    const result = await udp.deliver(
      session(
        [
          { conn: 0, data: 'ping\n' },
          { conn: 1, data: 'bogus\n' },
        ],
        'parallel',
      ),
      context([endpoint]),
    );
    expect(result.signature).toBe('PONG | ERROR');
    expect(new Set(got.map((g) => g.from)).size).toBe(2);
  });

  it('partial truncates the last datagram; reset closes our sockets once everything is sent', async () => {
    const { endpoint, got } = await datagramServer();
    expect((await udp.deliver(session(['ping\n', 'ping\n'], 'partial'), context([endpoint]))).signature).toBe('PONG ERROR');
    expect(got.map((g) => g.data)).toEqual(['ping\n', 'pi']);
    expect((await udp.deliver(session(['ping\n', 'two\n'], 'reset'), context([endpoint]))).signature).toBe('rst');
    await until(() => got.length === 4);
    expect(got.slice(2).map((g) => g.data)).toEqual(['ping\n', 'two\n']);
  });

  it('says when nothing listens on the port', async () => {
    const { endpoint } = await datagramServer();
    closers.splice(0).forEach((c) => c());
    const result = await udp.deliver(session(['ping\n', 'ping\n']), context([endpoint]));
    expect(result.signature).toBe('refused');
    expect(result.transportError).toMatch(/ECONNREFUSED/);
  });
});
