import type { Progress } from '../engine/campaign.js';
import { formatDuration } from '../util/duration.js';

const num = (n: number) => n.toLocaleString('en-US');

/** One status line: what a fuzzer user watches. */
export function progressLine(p: Progress): string {
  const missing = p.saturation.estimatedMissing;
  return [
    `${formatDuration(p.elapsedMs)}`,
    `execs ${num(p.executions)} (${p.execsPerSec.toFixed(0)}/s)`,
    `syscalls ${p.syscalls}`,
    `features ${p.features}`,
    `corpus ${p.corpus}`,
    `est. missing ${Number.isFinite(missing) ? missing.toFixed(1) : '?'}`,
    `last find ${formatDuration(p.msSinceLastFind)} ago${p.lastFind ? ` (${p.lastFind})` : ''}`,
    p.crashes + p.hangs > 0 ? `crashes ${p.crashes} hangs ${p.hangs}` : '',
  ]
    .filter(Boolean)
    .join(' | ');
}

/**
 * Live progress on stderr: a line rewritten in place on a terminal, a plain line
 * every `plainEveryMs` otherwise (CI logs), nothing when quiet.
 */
export function createProgressReporter(opts: { stream: NodeJS.WriteStream; quiet: boolean; plainEveryMs?: number }) {
  const tty = opts.stream.isTTY === true;
  const every = opts.plainEveryMs ?? 10_000;
  let lastPlain = 0;
  let drawn = false;
  return {
    update(p: Progress): void {
      if (opts.quiet) return;
      if (tty) {
        const width = opts.stream.columns ?? 120;
        opts.stream.write(`\r\x1b[K${progressLine(p).slice(0, width - 1)}`);
        drawn = true;
      } else if (p.elapsedMs - lastPlain >= every) {
        lastPlain = p.elapsedMs;
        opts.stream.write(`${progressLine(p)}\n`);
      }
    },
    /** clears the live line before other output */
    clear(): void {
      if (tty && drawn) opts.stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
