import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/command/invocation.js';
import { fuzzCommand, runInvocation, seccompPython, verifyCommand, writeFixedSeeds, type FuzzOutcome } from './command-target.js';

const inCI = process.env.CI === 'true';
const python = await seccompPython();
if (!inCI && python === undefined) console.warn('skipping the real-kernel runs: no python3 with the seccomp module (apt-get install python3-seccomp)');

/**
 * One describe block per program: fuzz until stable (bounded), verify the corpus with
 * zero denials, verify the fixed invocations with zero denials and unchanged outputs,
 * and run them under the real kernel filter with the same output as unconfined.
 */
export function commandAcceptance(program: string[], fixed: Invocation[], expectations: { syscalls: string[] }): void {
  describe(`${program.join(' ')} as a command target`, () => {
    let work: string;
    let fuzz: FuzzOutcome;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), `sctest-${program[0]}-`));
      fuzz = await fuzzCommand(work, program);
    }, 440_000);

    it('fuzzes until stable, within the bound', () => {
      expect(fuzz.summary.reason, JSON.stringify(fuzz.summary)).toBe('stable');
      // a crash is a finding (GNU tar 1.34 segfaults on `--extract --multi-volume < /dev/null`), kept apart from the corpus
      if ((fuzz.summary.crashes as number) > 0) console.log(`${program[0]}: ${fuzz.summary.crashes} crashes recorded in ${fuzz.out}/corpus/crashes`);
      console.log(
        `${program[0]}: stable after ${fuzz.summary.elapsedMs} ms, ${fuzz.summary.executions} execs (${fuzz.summary.execsPerSec}/s), ` +
          `${fuzz.summary.syscalls} syscalls, profile allows ${fuzz.summary.allowed}, corpus ${fuzz.summary.corpus}`,
      );
    });

    it('finds the syscalls of paths beyond a plain run', async () => {
      const { readFileSync } = await import('node:fs');
      const coverage = JSON.parse(readFileSync(join(fuzz.out, 'coverage.json'), 'utf8')) as { syscalls: string[]; features: Record<string, unknown> };
      for (const s of expectations.syscalls) expect(coverage.syscalls, s).toContain(s);
      // exit statuses are coverage too, but never syscalls of the profile
      expect(Object.keys(coverage.features).some((f) => f.startsWith('@exit:'))).toBe(true);
      expect(coverage.syscalls.every((s) => /^[a-z0-9_]+$/.test(s))).toBe(true);
    });

    it('verify: the corpus replays under the profile with no denial and the same outputs', async () => {
      const report = await verifyCommand(fuzz.out, program);
      expect(report.denials, JSON.stringify(report.denials)).toEqual([]);
      expect(report.differences, JSON.stringify(report.differences)).toEqual([]);
      expect(report.passed).toBe(true);
    }, 300_000);

    it('verify --seeds: ordinary invocations the fuzzer never saw run with no denial and the same outputs', async () => {
      const seeds = writeFixedSeeds(work, fixed);
      const report = await verifyCommand(fuzz.out, program, seeds);
      const fromSeeds = report.denials.filter((d) => d.first.describe.startsWith('seed:'));
      expect(fromSeeds, JSON.stringify(report.denials)).toEqual([]);
      expect(report.denials).toEqual([]);
      expect(report.differences, JSON.stringify(report.differences)).toEqual([]);
      expect(report.passed).toBe(true);
    }, 300_000);

    it.skipIf(!inCI && python === undefined)('the same invocations under the real kernel filter print what they print unconfined', async () => {
      expect(python, 'CI needs python3-seccomp (apt-get install python3-seccomp) to load profiles into the kernel').toBeDefined();
      const profile = join(fuzz.out, 'profile.json');
      for (const invocation of fixed) {
        const free = await runInvocation(program, invocation);
        const confined = await runInvocation(program, invocation, { python: python as string, profile });
        const what = `${program.join(' ')} ${invocation.args.join(' ')}`;
        expect(confined.signal, `${what}: ${confined.stderr}`).toBeUndefined();
        expect(confined.exitCode, `${what}: ${confined.stderr}`).toBe(free.exitCode);
        expect(confined.stdout, what).toBe(free.stdout);
        // the loader notes the syscalls libseccomp cannot name (mseal...), as runc would
        expect(withoutLoaderNotes(confined.stderr), what).toBe(free.stderr);
      }
    }, 120_000);
  });
}

const withoutLoaderNotes = (stderr: string) => stderr.split('\n').filter((l) => !l.startsWith('seccomp-exec: note:')).join('\n');
