import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorpusEntry } from '../../src/corpus/entry.js';
import { allowedNames, errnoRules, parseDockerProfile } from '../../src/profile/docker.js';
import type { Fault } from '../../src/strategy.js';
import {
  assertBuilt,
  killMarked,
  markEnv,
  newMark,
  readJson,
  removeTempDirs,
  ROOT,
  makeTempDir,
  runCli,
  waitForNoMarkedProcesses,
  type CliRun,
} from '../helpers/cli.js';
/**
 * The faults channel on a real program: a small C server that starts a pthread per
 * connection and posix_spawns /bin/true on /spawn. glibc 2.36 makes both with clone3
 * and falls back to clone when clone3 fails with ENOSYS, so `clone` can only be seen
 * when the fuzzer injects that failure: the http channel alone never sees it.
 */
const FIXTURE = join(ROOT, 'test', 'fixtures', 'threads-server.c');

interface Coverage {
  syscalls: string[];
  features: Record<string, { count: number; faultCount?: number; firstEntry?: string }>;
  causes?: { syscall: string; errno: string; found: string }[];
  faultExecutions?: number;
}

function corpus(dir: string): CorpusEntry[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => readJson<CorpusEntry>(join(dir, n)));
}

const faultsOf = (e: CorpusEntry): Fault[] => (e.input as { faults?: Fault[] }).faults ?? [];
const injectsClone3Enosys = (e: CorpusEntry) => e.strategy === 'faults' && faultsOf(e).some((f) => f.syscall === 'clone3' && f.errno === 'ENOSYS');

function expectOk(run: CliRun): Record<string, unknown> {
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.exitCode, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe('faults channel on a threaded C server', () => {
  const mark = newMark();
  let server: string;
  let work: string;
  let summary: Record<string, unknown>;
  let coverage: Coverage;
  let httpCoverage: Coverage;

  const target = () => ['--', server, '{port}'];
  const fuzz = (out: string, strategies: string, maxExecs: number, jobs: number) =>
    runCli(
      ['fuzz', '--strategies', strategies, '--max-execs', String(maxExecs), '--time', '60s', '--jobs', String(jobs), '--seed', '1',
        '--json', '-q', '--out', out, ...markEnv(mark), ...target()],
      { mark, timeoutMs: 90_000 },
    );

  beforeAll(async () => {
    assertBuilt();
    work = makeTempDir('faults');
    server = join(work, 'threads-server');
    await execa('cc', ['-O2', '-pthread', '-o', server, FIXTURE]);
    summary = expectOk(await fuzz(join(work, 'faults'), 'http,faults', 200, 2));
    coverage = readJson<Coverage>(join(work, 'faults', 'coverage.json'));
    expectOk(await fuzz(join(work, 'http'), 'http', 150, 1));
    httpCoverage = readJson<Coverage>(join(work, 'http', 'coverage.json'));
  }, 200_000);

  afterAll(async () => {
    killMarked(mark);
    removeTempDirs();
  });

  it('without faults the server runs threads and posix_spawn through clone3 only', () => {
    expect(httpCoverage.syscalls).toContain('clone3');
    expect(httpCoverage.syscalls).toContain('wait4'); // /spawn was learned from the page and reached
    expect(httpCoverage.syscalls).not.toContain('clone');
  });

  it('with faults it finds the clone fallback, caused by clone3 failing with ENOSYS', () => {
    expect(summary.faultExecutions as number).toBeGreaterThan(0);
    expect(coverage.features['clone3!ENOSYS->clone']).toBeDefined();
    expect(coverage.causes).toContainEqual({ syscall: 'clone3', errno: 'ENOSYS', found: 'clone' });
    // seen only in executions that carried the fault
    expect(coverage.features.clone?.count).toBe(0);
    expect(coverage.features.clone?.faultCount).toBeGreaterThan(0);
    const entries = corpus(join(work, 'faults', 'corpus'));
    const finder = entries.find((e) => e.found.includes('clone'));
    expect(finder && injectsClone3Enosys(finder), JSON.stringify(finder)).toBe(true);
    expect(finder?.signature).toMatch(/^started/);
  });

  it('writes a profile that answers clone3 with ENOSYS and allows the fallback', () => {
    const profile = parseDockerProfile(readFileSync(join(work, 'faults', 'profile.json'), 'utf8'));
    expect(errnoRules(profile)).toContainEqual({ name: 'clone3', errnoRet: 38 });
    expect(allowedNames(profile)).toContain('clone');
  });

  it('replays a faults entry and finds clone again', async () => {
    const entry = corpus(join(work, 'faults', 'corpus')).find((e) => injectsClone3Enosys(e) && e.found.includes('clone'));
    expect(entry).toBeDefined();
    const out = join(work, 'replay');
    const run = await runCli(
      ['replay', join(work, 'faults', 'corpus'), '--only', entry!.id.slice(0, 12), '--strategies', 'http,faults', '--json', '-q',
        '--out', out, ...markEnv(mark), ...target()],
      { mark, timeoutMs: 60_000 },
    );
    const replayed = expectOk(run);
    expect(replayed.reason).toBe('replayed');
    expect(replayed.faultExecutions).toBe(1);
    const again = readJson<Coverage>(join(out, 'coverage.json'));
    expect(again.features.clone?.faultCount).toBeGreaterThan(0);
    expect(again.causes).toContainEqual({ syscall: 'clone3', errno: 'ENOSYS', found: 'clone' });
  });

  it('verifies the profile on the corpus, faults entries included (their faults injected under enforcement too)', async () => {
    const run = await runCli(
      ['verify', '--json', '--profile', join(work, 'faults', 'profile.json'), '--corpus', join(work, 'faults', 'corpus'),
        '--strategies', 'http,faults', ...markEnv(mark), ...target()],
      { mark, timeoutMs: 60_000 },
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { passed: boolean }).passed).toBe(true);
  });

  it('leaves no process behind', async () => {
    expect(await waitForNoMarkedProcesses(mark)).toEqual([]);
  });
});
