import type { DeliveryContext } from '../../src/strategy.js';
import type { MessageReply } from './features.js';

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

/**
 * Runs `work` until it is done, the delivery's time is up or the run is aborted; then
 * `cancel` (destroy the sockets). Resolves with `timeout` / `aborted` when cut short.
 */
export async function withDeadline(ctx: DeliveryContext, work: () => Promise<void>, cancel: () => void): Promise<string | undefined> {
  let deadline: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<string>((resolve) => {
    deadline = setTimeout(() => resolve('timeout'), ctx.timeoutMs);
    onAbort = () => resolve('aborted');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  const done = work().then(() => undefined);
  try {
    return await Promise.race([done, stopped]);
  } finally {
    clearTimeout(deadline);
    ctx.signal.removeEventListener('abort', onAbort!);
    cancel();
    // whatever the work still does now ends on the destroyed sockets; its errors are moot
    done.catch(() => {});
  }
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
