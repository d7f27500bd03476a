/**
 * How long to wait for the reply to a message when nothing says how long a reply is.
 * A reply is over once the server has been quiet for a moment after its last byte:
 * a short moment after a line end (a text protocol's reply is usually complete then), a
 * longer one after anything else (a reply cut into reads). A message may get no reply at
 * all (a command waiting for its data block): then the first-byte wait ends it. It is
 * short, since a reply that comes later is still read with the next message's (the
 * signature is made of the whole stream, see lineTokens); only the last message of a
 * connection waits longer, for nothing is read after it. Each message gets at most its
 * cap, and all messages together at most half the delivery's time, so that a long
 * session is not turned into a hang.
 */

export interface ReplyWait {
  /** no first byte within this long: the message got no reply */
  firstByteMs: number;
  /** the same for the last message of a connection */
  lastFirstByteMs: number;
  /** quiet this long after a byte that is not a line feed: the reply is over */
  idleMs: number;
  /** quiet this long after a line feed: the reply is over */
  lineIdleMs: number;
  /** the whole wait for one message */
  capMs: number;
}

export const FIRST_BYTE_MS = 30;
export const LAST_FIRST_BYTE_MS = 100;
export const IDLE_MS = 25;
export const LINE_IDLE_MS = 5;
export const REPLY_CAP_MS = 300;
/** the share of the delivery's time all reply waits may take together */
const WAIT_SHARE = 0.5;
/** a reply that comes later is still in the stream the signature is made of */
const MIN_CAP_MS = 1;

/** The waits for a session of `messages` messages within `timeoutMs`. */
export function replyWait(timeoutMs: number, messages: number): ReplyWait {
  const capMs = Math.max(MIN_CAP_MS, Math.min(REPLY_CAP_MS, Math.floor((timeoutMs * WAIT_SHARE) / Math.max(1, messages))));
  return { firstByteMs: Math.min(FIRST_BYTE_MS, capMs), lastFirstByteMs: Math.min(LAST_FIRST_BYTE_MS, capMs), idleMs: Math.min(IDLE_MS, capMs), lineIdleMs: Math.min(LINE_IDLE_MS, capMs), capMs };
}
