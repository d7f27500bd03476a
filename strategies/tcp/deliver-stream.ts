import type net from 'node:net';
import type { DeliveryContext, Endpoint } from '../../src/strategy.js';
import type { MessageReply } from './features.js';
import { pause, replyOf, withDeadline, type SessionOutcome } from './outcome.js';
import { lineTokens, replyToken } from './reply.js';
import { replyWait, type ReplyWait } from './reply-wait.js';
import { bytesOf, connsOf, type Message, type SessionInput } from './session.js';
import { ConnectFailure, openStream, type StreamConn } from './stream-conn.js';

/** reset mode: how long the server gets to start answering before the RST */
export const RESET_AFTER_MS = 100;
/** slow-send: the pause between two pieces, and how many pieces a whole session is cut into at most */
export const SLOW_SEND_DELAY_MS = 10;
export const SLOW_SEND_MAX_PIECES = 24;
/** slow-read: how long nothing is read (at most a quarter of the delivery's time); a send buffer fills in far less */
export const SLOW_READ_PAUSE_MS = 200;

/** One connection of a session and what became of it. */
interface ConnState {
  conn?: StreamConn;
  refused?: string;
  /** the server ended the connection before all of its messages were sent */
  cutShort: boolean;
  /** we reset it (reset mode) */
  rst: boolean;
}

/**
 * Delivers a session over TCP or a Unix socket, in its mode. The signature names, for
 * each connection in the order of their first message, the first token of every line
 * the server sent (see lineTokens), `-` when it sent nothing, then `close` when it ended
 * the connection before every message was sent, `refused` when it could not be opened,
 * `rst` after our own reset; connections are separated by ` | `; `timeout` / `aborted`
 * when cut short. How the bytes were cut into reads never shows in it.
 */
export async function deliverStream(input: SessionInput, endpoint: Endpoint, ctx: DeliveryContext): Promise<SessionOutcome> {
  if (ctx.signal.aborted) return { signature: 'aborted', replies: [] };
  const session = new StreamSession(endpoint, ctx, replyWait(ctx.timeoutMs, input.messages.length));
  const cutShort = await withDeadline(ctx, () => session.run(input), () => session.cancel());
  return session.outcome(input, cutShort);
}

class StreamSession {
  private readonly states = new Map<number, ConnState>();
  private readonly opening = new Map<number, Promise<StreamConn | undefined>>();
  private readonly sockets = new Set<net.Socket>();
  private readonly replies: MessageReply[] = [];
  private cancelled = false;
  readonly isCancelled = () => this.cancelled;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly ctx: DeliveryContext,
    private readonly wait: ReplyWait,
  ) {}

  run(input: SessionInput): Promise<void> {
    const messages = input.messages;
    switch (input.mode ?? 'sequential') {
      case 'sequential':
        return this.inTurn(messages);
      case 'pipelined':
        return this.perConnection(messages, (c, ms) => this.allAtOnce(c, ms));
      case 'parallel':
        return this.perConnection(messages, (_c, ms) => this.inTurn(ms));
      case 'partial':
        return this.partial(messages);
      case 'reset':
        return this.perConnection(messages, (c, ms) => this.resetMidway(c, ms));
      case 'slow-send':
        return this.inTurn(messages, { delayMs: slowSendDelay(this.ctx), pieces: piecesPerMessage(messages) });
      case 'slow-read':
        return this.perConnection(messages, (c, ms) => this.allAtOnce(c, ms, slowReadPause(this.ctx)));
    }
  }

  cancel(): void {
    this.cancelled = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** Each message once the previous one was answered (or stayed unanswered); `pieceDelayMs`: written slowly. */
  private async inTurn(messages: readonly Message[], slowly?: SlowSend): Promise<void> {
    const lastOf = new Map(messages.map((m, i) => [m.conn, i]));
    for (const [i, m] of messages.entries()) {
      if (this.cancelled) return;
      await pause(m.pauseMs ?? 0, this.isCancelled);
      const conn = await this.open(m.conn);
      if (!conn) continue;
      if (conn.ended) {
        this.state(m.conn).cutShort = true;
        continue;
      }
      if (slowly === undefined) await conn.write(bytesOf(m));
      else await this.writeSlowly(conn, bytesOf(m), slowly);
      this.record(conn, await conn.reply(this.wait, this.isCancelled, lastOf.get(m.conn) === i));
    }
  }

  /** Every message of a connection in one write, then its answer; `readPauseMs`: read only after a pause. */
  private async allAtOnce(index: number, messages: readonly Message[], readPauseMs = 0): Promise<void> {
    const conn = await this.open(index);
    if (!conn) return;
    if (readPauseMs > 0) conn.socket.pause();
    await conn.write(Buffer.concat(messages.map(bytesOf)));
    if (readPauseMs > 0) {
      await pause(readPauseMs, this.isCancelled);
      if (!conn.socket.destroyed) conn.socket.resume();
    }
    this.record(conn, await conn.reply(this.wait, this.isCancelled, true));
  }

  /** In turn, but the last message cut in half and our side closed after it (FIN). */
  private async partial(messages: readonly Message[]): Promise<void> {
    const last = messages.at(-1)!;
    await this.inTurn(messages.slice(0, -1));
    const conn = await this.open(last.conn);
    if (!conn || this.cancelled) return;
    if (conn.ended) return void (this.state(last.conn).cutShort = true);
    const bytes = bytesOf(last);
    await conn.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))));
    conn.finish();
    this.record(conn, await conn.reply(this.wait, this.isCancelled, true));
  }

  /** Everything written, then an RST once the server starts answering or after RESET_AFTER_MS. */
  private async resetMidway(index: number, messages: readonly Message[]): Promise<void> {
    const conn = await this.open(index);
    if (!conn) return;
    await conn.write(Buffer.concat(messages.map(bytesOf)));
    const early = await conn.reply({ firstByteMs: RESET_AFTER_MS, lastFirstByteMs: RESET_AFTER_MS, idleMs: 0, lineIdleMs: 0, capMs: RESET_AFTER_MS }, this.isCancelled);
    this.record(conn, early);
    conn.reset();
    this.state(index).rst = true;
  }

  private async writeSlowly(conn: StreamConn, bytes: Buffer, { delayMs, pieces }: SlowSend): Promise<void> {
    const size = Math.ceil(bytes.length / Math.min(pieces, bytes.length));
    for (let start = 0; start < bytes.length && !conn.ended && !this.cancelled; start += size) {
      await conn.write(bytes.subarray(start, start + size));
      if (start + size < bytes.length) await pause(delayMs, this.isCancelled);
    }
  }

  /** The messages of each connection, all connections at once. */
  private async perConnection(messages: readonly Message[], run: (index: number, messages: Message[]) => Promise<void>): Promise<void> {
    const groups = new Map<number, Message[]>();
    for (const m of messages) groups.set(m.conn, [...(groups.get(m.conn) ?? []), m]);
    await Promise.all([...groups].map(([index, ms]) => run(index, ms)));
  }

  /** The connection with this index, opened at its first use; undefined when it could not be. */
  private open(index: number): Promise<StreamConn | undefined> {
    let opening = this.opening.get(index);
    if (!opening) {
      const state = this.state(index);
      opening = openStream(this.endpoint, (s) => this.sockets.add(s)).then(
        (conn) => (state.conn = conn),
        (err: unknown) => {
          if (!(err instanceof ConnectFailure)) throw err;
          state.refused = err.message;
          return undefined;
        },
      );
      this.opening.set(index, opening);
    }
    return opening;
  }

  private state(index: number): ConnState {
    let state = this.states.get(index);
    if (!state) this.states.set(index, (state = { cutShort: false, rst: false }));
    return state;
  }

  private record(conn: StreamConn, bytes: Buffer): void {
    const ended = conn.ended;
    this.replies.push(replyOf(bytes, replyToken(bytes), ended === undefined ? undefined : ended === 'close' ? 'close' : 'reset'));
  }

  outcome(input: SessionInput, cutShort: string | undefined): SessionOutcome {
    const groups: string[] = [];
    const refusals: string[] = [];
    const used = connsOf(input).filter((index) => this.states.has(index));
    for (const index of used) {
      const state = this.state(index);
      if (state.refused !== undefined) {
        refusals.push(state.refused);
        groups.push('refused');
        continue;
      }
      const tokens = state.rst ? ['rst'] : state.conn ? lineTokens(state.conn.bytes()) : [];
      if (tokens.length === 0) tokens.push('-');
      if (state.cutShort) tokens.push('close');
      groups.push(tokens.join(' '));
    }
    const outcome: SessionOutcome = { signature: `${groups.join(' | ')}${cutShort ? ` ${cutShort}` : ''}`.trim(), replies: this.replies };
    if (used.length > 0 && refusals.length === used.length) outcome.transportError = refusals[0];
    return outcome;
  }
}

/** slow-send: each message in `pieces` pieces, `delayMs` apart */
interface SlowSend {
  delayMs: number;
  pieces: number;
}

/** the session is cut into SLOW_SEND_MAX_PIECES pieces at most, at least two per message */
const piecesPerMessage = (messages: readonly Message[]) => Math.max(2, Math.floor(SLOW_SEND_MAX_PIECES / messages.length));
/** all pauses of a slow send together take at most a quarter of the delivery's time */
const slowSendDelay = (ctx: DeliveryContext) => Math.min(SLOW_SEND_DELAY_MS, Math.floor(ctx.timeoutMs / 4 / SLOW_SEND_MAX_PIECES));

const slowReadPause = (ctx: DeliveryContext) => Math.min(SLOW_READ_PAUSE_MS, Math.floor(ctx.timeoutMs / 4));
