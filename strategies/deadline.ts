import type { DeliveryContext } from '../src/strategy.js';

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
