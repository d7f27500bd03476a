import type { Invocation, ProcessResult } from '../../src/command/invocation.js';
import { secondaryFeature } from '../../src/coverage/features.js';
import type { CommandContext, DeliveryResult } from '../../src/strategy.js';

/**
 * Runs the program once. The signature (compared by `verify` between the unconfined and
 * the confined run) says how it ended and digests what it wrote; the exit status or
 * signal is a secondary feature, so an input that reaches a new exit path stays in the
 * corpus even when it made no new syscall.
 */
export async function deliverInvocation(inv: Invocation, ctx: CommandContext): Promise<DeliveryResult> {
  const r = await ctx.command.run(inv, ctx.signal);
  return { signature: signatureOf(r), features: featuresOf(r) };
}

export function signatureOf(r: ProcessResult): string {
  if (r.timedOut) return 'timeout';
  const end = r.signal ? `signal ${r.signal}` : `exit ${r.code ?? '?'}`;
  return `${end} out:${r.stdoutBytes > 0 ? r.stdoutDigest : '-'} err:${r.stderrBytes > 0 ? r.stderrDigest : '-'} files:${r.filesDigest}`;
}

export function featuresOf(r: ProcessResult): string[] {
  if (r.timedOut) return [secondaryFeature('timeout', 'yes')];
  const features = [r.signal ? secondaryFeature('signal', r.signal) : secondaryFeature('exit', r.code ?? 0)];
  // wrote nothing / wrote to stdout / only complained: three coarse outcomes per exit code
  const output = r.stdoutBytes > 0 ? 'stdout' : r.stderrBytes > 0 ? 'stderr' : 'none';
  features.push(secondaryFeature('output', `${r.signal ?? r.code ?? 0}:${output}`));
  return features;
}
