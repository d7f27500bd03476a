import dgram from 'node:dgram';
import net from 'node:net';
import type { DeliveryContext, Endpoint } from '../../src/strategy.js';
import type { MessageReply } from './features.js';
import { pause, replyOf, withDeadline, type SessionOutcome } from './outcome.js';
import { lineTokens, MAX_SIGNATURE_TOKENS, replyToken } from './reply.js';
import { replyWait, type ReplyWait } from './reply-wait.js';
import { bytesOf, connsOf, type Message, type SessionInput } from './session.js';
import { SLOW_SEND_DELAY_MS } from './deliver-stream.js';

/**
 * Delivers a session over UDP: each connection index is a socket of its own (its own
 * source port), each message one datagram. The modes mean what they can for datagrams:
 * sequential waits for the reply to each datagram; pipelined and slow-read send a
 * socket's datagrams back to back and then read (Node reads datagrams as they come, so
 * slow-read cannot hold them back); parallel runs the sockets at once; partial truncates
 * the last datagram to half; reset closes our sockets as soon as everything is sent, so
 * the replies meet a closed port; slow-send pauses between datagrams.
 * The signature is built as for streams (see deliverStream), per datagram.
 */
export async function deliverDatagrams(input: SessionInput, endpoint: Endpoint, ctx: DeliveryContext): Promise<SessionOutcome> {
  if (ctx.signal.aborted) return { signature: 'aborted', replies: [] };
  const session = new DatagramSession(endpoint, replyWait(ctx.timeoutMs, input.messages.length));
  const cutShort = await withDeadline(ctx, () => session.run(input), () => session.cancel());
  return session.outcome(input, cutShort);
}

/** A UDP socket connected to the endpoint, and the datagrams it received. */
class DatagramConn {
  readonly datagrams: Buffer[] = [];
  /** ICMP port unreachable on a connected socket: nobody listens */
  refused = false;
  closed = false;
  private lastAt = 0;
  private wake: (() => void) | undefined;

  constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg: Buffer) => {
      this.datagrams.push(msg);
      this.lastAt = performance.now();
      this.wake?.();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') this.refused = true;
      this.wake?.();
    });
    socket.on('close', () => (this.closed = true));
  }

  send(bytes: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.send(bytes, () => resolve()));
  }

  close(): void {
    if (!this.closed) this.socket.close();
    this.closed = true;
  }

  /** The datagrams that answer what was just sent: a first one within firstByteMs, more until quiet. */
  async reply(wait: ReplyWait, cancelled: () => boolean, last = false): Promise<Buffer[]> {
    const firstByteMs = last ? wait.lastFirstByteMs : wait.firstByteMs;
    const mark = this.datagrams.length;
    const start = performance.now();
    for (;;) {
      const now = performance.now();
      const left = wait.capMs - (now - start);
      if (left <= 0 || cancelled() || this.closed || this.refused) break;
      // a datagram is whole: after one, only a short wait for the next of a multi-datagram reply
      const until = this.datagrams.length > mark ? wait.lineIdleMs * 4 - (now - this.lastAt) : firstByteMs - (now - start);
      if (until <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(until, left)));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.datagrams.slice(mark);
  }
}

class DatagramSession {
  private readonly conns = new Map<number, DatagramConn>();
  private readonly opening = new Map<number, Promise<DatagramConn | undefined>>();
  private readonly failures = new Map<number, string>();
  private readonly reset = new Set<number>();
  private readonly replies: MessageReply[] = [];
  private cancelled = false;
  readonly isCancelled = () => this.cancelled;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly wait: ReplyWait,
  ) {}

  run(input: SessionInput): Promise<void> {
    const messages = input.messages;
    switch (input.mode ?? 'sequential') {
      case 'sequential':
        return this.inTurn(messages);
      case 'parallel':
        return this.perSocket(messages, (_i, ms) => this.inTurn(ms));
      case 'partial':
        return this.inTurn(messages, true);
      case 'pipelined':
      case 'slow-read':
        return this.perSocket(messages, (i, ms) => this.backToBack(i, ms, 0, false));
      case 'slow-send':
        return this.perSocket(messages, (i, ms) => this.backToBack(i, ms, SLOW_SEND_DELAY_MS, false));
      case 'reset':
        return this.perSocket(messages, (i, ms) => this.backToBack(i, ms, 0, true));
    }
  }

  cancel(): void {
    this.cancelled = true;
    for (const conn of this.conns.values()) conn.close();
  }

  private async inTurn(messages: readonly Message[], truncateLast = false): Promise<void> {
    const lastOf = new Map(messages.map((m, i) => [m.conn, i]));
    for (const [i, m] of messages.entries()) {
      if (this.cancelled) return;
      await pause(m.pauseMs ?? 0, this.isCancelled);
      const conn = await this.open(m.conn);
      if (!conn || conn.refused) continue;
      const bytes = bytesOf(m);
      await conn.send(truncateLast && i === messages.length - 1 ? bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))) : bytes);
      this.record(conn, await conn.reply(this.wait, this.isCancelled, lastOf.get(m.conn) === i));
    }
  }

  private async backToBack(index: number, messages: readonly Message[], gapMs: number, closeAfter: boolean): Promise<void> {
    const conn = await this.open(index);
    if (!conn) return;
    for (const [i, m] of messages.entries()) {
      if (this.cancelled) return;
      await conn.send(bytesOf(m));
      if (gapMs > 0 && i < messages.length - 1) await pause(gapMs, this.isCancelled);
    }
    if (closeAfter) {
      conn.close();
      this.reset.add(index);
      return;
    }
    this.record(conn, await conn.reply(this.wait, this.isCancelled, true));
  }

  private async perSocket(messages: readonly Message[], run: (index: number, messages: Message[]) => Promise<void>): Promise<void> {
    const groups = new Map<number, Message[]>();
    for (const m of messages) groups.set(m.conn, [...(groups.get(m.conn) ?? []), m]);
    await Promise.all([...groups].map(([index, ms]) => run(index, ms)));
  }

  private open(index: number): Promise<DatagramConn | undefined> {
    let opening = this.opening.get(index);
    if (!opening) {
      opening = new Promise((resolve) => {
        const socket = dgram.createSocket(net.isIPv6(this.endpoint.host) ? 'udp6' : 'udp4');
        const conn = new DatagramConn(socket);
        this.conns.set(index, conn);
        const failed = (err: NodeJS.ErrnoException) => {
          this.failures.set(index, `cannot reach the udp endpoint: ${err.code ?? err.message}`);
          conn.close();
          resolve(undefined);
        };
        socket.once('error', failed);
        socket.connect(this.endpoint.port, this.endpoint.host, () => {
          socket.off('error', failed);
          resolve(conn);
        });
      });
      this.opening.set(index, opening);
    }
    return opening;
  }

  private record(conn: DatagramConn, datagrams: readonly Buffer[]): void {
    const first = datagrams[0] ?? Buffer.alloc(0);
    this.replies.push(replyOf(first, replyToken(first), undefined));
  }

  outcome(input: SessionInput, cutShort: string | undefined): SessionOutcome {
    const groups: string[] = [];
    const used = connsOf(input).filter((index) => this.opening.has(index));
    let refused = 0;
    for (const index of used) {
      const conn = this.conns.get(index);
      if (this.failures.has(index) || conn?.refused) {
        refused += 1;
        groups.push('refused');
        continue;
      }
      if (this.reset.has(index)) {
        groups.push('rst');
        continue;
      }
      const tokens = collapse((conn?.datagrams ?? []).flatMap((d) => lineTokens(d)));
      groups.push(tokens.length > 0 ? tokens.join(' ') : '-');
    }
    const outcome: SessionOutcome = { signature: `${groups.join(' | ')}${cutShort ? ` ${cutShort}` : ''}`.trim(), replies: this.replies };
    if (used.length > 0 && refused === used.length) outcome.transportError = this.failures.get(used[0]!) ?? 'the udp endpoint refused the datagrams (ECONNREFUSED: nobody listens on that port)';
    return outcome;
  }
}

/** repeats in a row collapsed across datagrams, and the length bounded, as lineTokens does within one */
function collapse(tokens: readonly string[]): string[] {
  const out = tokens.filter((t, i) => t !== tokens[i - 1] && t !== '...');
  return out.length > MAX_SIGNATURE_TOKENS ? [...out.slice(0, MAX_SIGNATURE_TOKENS), '...'] : out;
}
