/**
 * The input model of the tcp and udp strategies: a session, i.e. a sequence of messages
 * over one or more connections (AFLNet's view of a network input). Message boundaries
 * are part of the input: a message is written whole (a datagram, for udp) and its
 * reply is awaited before the next one is sent, so that mutations can insert, drop,
 * repeat and reorder whole protocol steps.
 */

/**
 * How the messages reach the server (absent = sequential). Over a stream (tcp, unix):
 * - sequential: each message once the reply to the previous one came (or stayed away);
 *   a connection opens at its first message and stays open until the end
 * - pipelined: each connection's messages in one write, all connections at once
 * - parallel: all connections at once, each sending its messages in turn
 * - partial: sequential, but the last message is cut in half and our side closes (FIN)
 * - reset: pipelined, then the connections reset (RST) under the server
 * - slow-send: sequential, each message written in small pieces with small pauses
 * - slow-read: pipelined, then nothing read for a while, so the server's send buffer fills
 * Over UDP each connection is a socket of its own and each message a datagram: partial
 * truncates the last datagram, reset closes our sockets as soon as everything is sent,
 * slow-send pauses between datagrams, slow-read reads only after a pause.
 */
export type SessionMode = 'sequential' | 'pipelined' | 'parallel' | 'partial' | 'reset' | 'slow-send' | 'slow-read';
export const SESSION_MODES: readonly SessionMode[] = ['sequential', 'pipelined', 'parallel', 'partial', 'reset', 'slow-send', 'slow-read'];

export interface Message {
  /** the connection it goes over: messages with the same index share one connection (one UDP socket) */
  conn: number;
  /** the bytes as latin1, one char per byte: readable in corpus files, and any byte survives JSON */
  data: string;
  /** wait this long before sending it (a server's timers: idle connections, partial commands) */
  pauseMs?: number;
}

export interface SessionInput {
  /** at least one; never an empty message (it could not be sent, nor written in a seed file) */
  messages: Message[];
  /** index into the endpoints this strategy can talk to, modulo their number; absent = 0 */
  endpoint?: number;
  /** absent = sequential */
  mode?: SessionMode;
}

/** a user's session may be long (twenty connections); mutations grow an input only to MUTATE_MAX_MESSAGES */
export const MAX_MESSAGES = 64;
export const MAX_CONNS = 32;
/** a 1 MiB value (memcached's largest item) and its command line fit in one message */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
export const MAX_SESSION_BYTES = 4 * 1024 * 1024;
export const MAX_PAUSE_MS = 1000;
export const MAX_ENDPOINT_INDEX = 63;

export const bytesOf = (m: Message): Buffer => Buffer.from(m.data, 'latin1');
export const sessionBytes = (input: SessionInput): number => input.messages.reduce((n, m) => n + m.data.length, 0);

/** The connection indices in the order of their first message. */
export function connsOf(input: SessionInput): number[] {
  return [...new Set(input.messages.map((m) => m.conn))];
}

const LATIN1 = /^[\x00-\xff]*$/;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndex = (v: unknown, max: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;

/** Checks a value read back from a corpus file; returns a clean copy or throws saying what is wrong. */
export function validateSession(raw: unknown): SessionInput {
  if (!isRecord(raw) || !Array.isArray(raw.messages)) throw new Error('a session is an object with a "messages" array');
  const { messages, endpoint, mode } = raw;
  if (messages.length === 0 || messages.length > MAX_MESSAGES) throw new Error(`a session has 1 to ${MAX_MESSAGES} messages, not ${messages.length}`);
  const input: SessionInput = { messages: messages.map((m, i) => validateMessage(m, `messages[${i}]`)) };
  if (sessionBytes(input) > MAX_SESSION_BYTES) throw new Error(`a session holds at most ${MAX_SESSION_BYTES} bytes`);
  if (endpoint !== undefined) {
    if (!isIndex(endpoint, MAX_ENDPOINT_INDEX)) throw new Error(`"endpoint" must be an integer from 0 to ${MAX_ENDPOINT_INDEX}, not ${JSON.stringify(endpoint)}`);
    // the defaults are left out: one session, one corpus id
    if (endpoint > 0) input.endpoint = endpoint;
  }
  if (mode !== undefined) {
    if (!SESSION_MODES.includes(mode as SessionMode)) throw new Error(`"mode" must be one of ${SESSION_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
    if (mode !== 'sequential') input.mode = mode as SessionMode;
  }
  return input;
}

function validateMessage(raw: unknown, where: string): Message {
  if (!isRecord(raw)) throw new Error(`${where}: a message is an object { conn, data }`);
  const { conn, data, pauseMs } = raw;
  if (!isIndex(conn, MAX_CONNS - 1)) throw new Error(`${where}: "conn" must be an integer from 0 to ${MAX_CONNS - 1}, not ${JSON.stringify(conn)}`);
  if (typeof data !== 'string' || data === '' || !LATIN1.test(data)) throw new Error(`${where}: "data" must be a non-empty latin1 string (one char per byte)`);
  if (data.length > MAX_MESSAGE_BYTES) throw new Error(`${where}: a message holds at most ${MAX_MESSAGE_BYTES} bytes`);
  const message: Message = { conn, data };
  if (pauseMs !== undefined) {
    if (!isIndex(pauseMs, MAX_PAUSE_MS)) throw new Error(`${where}: "pauseMs" must be an integer from 0 to ${MAX_PAUSE_MS}`);
    if (pauseMs > 0) message.pauseMs = pauseMs;
  }
  return message;
}

/** A message for humans: its first 40 bytes, escaped as JSON escapes them. */
export function describeMessage(data: string, max = 40): string {
  const shown = data.length > max ? `${data.slice(0, max)}...` : data;
  return JSON.stringify(shown);
}

/** One line: `"stats\r\n" +2 msgs, 3 conns, 20 B [pipelined, endpoint 1]`. */
export function describeSession(input: SessionInput): string {
  const [first, ...more] = input.messages;
  if (first === undefined) return '(no messages)';
  const conns = connsOf(input).length;
  const parts = [
    ...(more.length > 0 ? [`+${more.length} msg${more.length > 1 ? 's' : ''}`] : []),
    ...(conns > 1 ? [`${conns} conns`] : []),
    `${sessionBytes(input)} B`,
  ];
  const how = [...(input.mode !== undefined && input.mode !== 'sequential' ? [input.mode] : []), ...(input.endpoint ? [`endpoint ${input.endpoint}`] : [])];
  return `${describeMessage(first.data)} ${parts.join(', ')}${how.length > 0 ? ` [${how.join(', ')}]` : ''}`;
}
