import { createHash } from 'node:crypto';
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
  return { signature: signatureOf(r), features: featuresOf(r, inv) };
}

export function signatureOf(r: ProcessResult): string {
  if (r.timedOut) return 'timeout';
  const end = r.signal ? `signal ${r.signal}` : `exit ${r.code ?? '?'}`;
  return `${end} out:${r.stdoutBytes > 0 ? r.stdoutDigest : '-'} err:${r.stderrBytes > 0 ? r.stderrDigest : '-'} files:${r.filesDigest}`;
}

export function featuresOf(r: ProcessResult, inv: Invocation): string[] {
  if (r.timedOut) return [secondaryFeature('timeout', 'yes')];
  const features = [r.signal ? secondaryFeature('signal', r.signal) : secondaryFeature('exit', r.code ?? 0)];
  // wrote nothing / wrote to stdout / only complained: three coarse outcomes per exit code
  const output = r.stdoutBytes > 0 ? 'stdout' : r.stderrBytes > 0 ? 'stderr' : 'none';
  features.push(secondaryFeature('output', `${r.signal ?? r.code ?? 0}:${output}`));
  // a complaint at exit 0 is chatter (--verbose); the error messages are the states
  const message = r.code === 0 ? undefined : messageShape(r.stderrHead, inv);
  if (message) features.push(secondaryFeature('stderr', createHash('sha256').update(message).digest('hex').slice(0, 10)));
  return features;
}

/**
 * The shape of the program's first complaint, as AFLNet uses a server's response code:
 * `gzip: f1.gz: unexpected end of file` and `gzip: f2.gz: unexpected end of file` are one
 * state, `invalid compressed data--crc error` another. File names the input chose and
 * numbers are blanked out, so the shapes stay few (the program's message catalogue).
 */
export function messageShape(stderrHead: string, inv: Invocation): string | undefined {
  let line = stderrHead.split('\n')[0]?.trim() ?? '';
  if (line === '') return undefined;
  const names = new Set<string>();
  for (const f of inv.files) names.add(f.name);
  for (const a of inv.args) {
    const eq = a.indexOf('=');
    names.add(eq >= 0 ? a.slice(eq + 1) : a);
  }
  for (const name of [...names].filter((n) => n.length >= 2).sort((a, b) => b.length - a.length)) line = line.split(name).join('F');
  return line
    .replace(/[-+]?[0-9][0-9.,]*%?/g, '0')
    .replace(/\s+/g, ' ')
    .slice(0, 160);
}
