import type { MessageReply } from './features.js';

export { withDeadline } from '../deadline.js';

/** What a delivery saw: the signature verify compares, the replies the features come from. */
export interface SessionOutcome {
  signature: string;
  replies: MessageReply[];
  /** nothing could be connected to at all */
  transportError?: string;
}

/** How the reply to one message is recorded: its first token, or none, or the connection's end. */
export function replyOf(bytes: Buffer, token: string | undefined, ended: 'close' | 'reset' | undefined): MessageReply {
  if (bytes.length > 0 && token !== undefined) return { token };
  return ended ? { ended } : { none: true };
}

/** A pause that ends early when the delivery is over. */
export function pause(ms: number, cancelled: () => boolean): Promise<void> {
  if (ms <= 0 || cancelled()) return Promise.resolve();
  return new Promise((resolve) => {
    const started = performance.now();
    const tick = () => (cancelled() || performance.now() - started >= ms ? resolve() : setTimeout(tick, Math.min(50, ms)));
    setTimeout(tick, Math.min(50, ms));
  });
}
