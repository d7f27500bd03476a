import type { VerifyReport } from '../verify/verifier.js';

export function printVerifyReport(report: VerifyReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`verify: ${report.inputs} inputs replayed under ${report.profile} (${report.allowed} syscalls allowed)`);
  for (const d of report.denials) {
    const where = d.first.phase === 'input' ? `input ${d.first.entry?.slice(0, 12)} (${d.first.describe})` : d.first.describe;
    out.push(`  DENIED ${d.syscall} (${d.errno}) x${d.count}, first by ${where}`);
  }
  for (const d of report.answeredByRule) {
    out.push(`  answered ${d.syscall} with ${d.errno} x${d.count} by the profile's rule (intended), first by ${d.first.describe}`);
  }
  for (const d of report.differences) {
    out.push(`  CHANGED input ${d.entry.slice(0, 12)} (${d.describe}): unconfined '${d.unconfined}', confined '${d.confined}'`);
  }
  for (const d of report.differencesUnderFaults) {
    out.push(`  note: input ${d.entry.slice(0, 12)} (${d.describe}) answered '${d.unconfined}' unconfined, '${d.confined}' confined, under its own injected faults (not counted)`);
  }
  for (const d of report.unstableAnswers) {
    out.push(`  note: input ${d.entry.slice(0, 12)} (${d.describe}) answers differently from run to run even unconfined (not counted)`);
  }
  out.push(
    report.passed
      ? 'verify: PASS: no denials, every answer unchanged'
      : `verify: FAIL: ${report.denials.length} syscalls denied, ${report.differences.length} answers changed`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
