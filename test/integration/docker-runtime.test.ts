import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDockerProfile } from '../../src/profile/docker.js';
import { buildProfilePlan } from '../../src/profile/plan.js';
import { calibrateRuntime } from '../../src/profile/runtime-calibration.js';
import { runtimeNeedsForDocker, type RuntimeNeeds } from '../../src/profile/runtime-needs.js';
import { canonicalSyscallName } from '../../src/syscalls/table.js';
import { parseStraceLine } from '../../src/trace/strace-parser.js';
import {
  HOST_BUSYBOX,
  ensureBusyboxImage,
  probeDocker,
  probeKernelLogAccess,
  runUnderProfile,
  type Availability,
} from '../helpers/docker.js';

// Real dockerd, real runc, real kernel audit log. Without docker these tests are skipped
// with a reason, except in CI, where a missing docker is a failure.
const inCI = Boolean(process.env.CI);
const docker = await probeDocker();
const kernelLog = await probeKernelLogAccess();
const unavailable = (what: Availability): string | undefined => (what.ok ? undefined : what.reason);
const dockerMissing = unavailable(docker);
const calibrationMissing = dockerMissing ?? unavailable(kernelLog);
if (!inCI && dockerMissing) console.warn(`skipping docker runtime tests: ${dockerMissing}`);
else if (!inCI && calibrationMissing) console.warn(`skipping runtime recalibration test: ${calibrationMissing}`);

/** The syscall names a command makes, traced for real on the host. */
async function traceSyscallNames(command: string[], traceFile: string): Promise<{ names: string[]; stdout: string }> {
  const run = await execa('strace', ['-f', '-qq', '-o', traceFile, ...command]);
  const names = new Set<string>();
  for (const line of (await readFile(traceFile, 'utf8')).split('\n')) {
    const parsed = parseStraceLine(line);
    if (parsed?.shape === 'call') names.add(canonicalSyscallName(parsed.name, 'x86_64'));
  }
  return { names: [...names].sort(), stdout: run.stdout };
}

describe('container runtime needs, with the real dockerd', () => {
  // Present: passes. Missing: fails under CI, skipped (with the reason printed) elsewhere.
  it.skipIf(!inCI && dockerMissing !== undefined)('has a reachable dockerd (required in CI)', () => {
    expect(dockerMissing, `CI requires docker for these tests: ${dockerMissing}`).toBeUndefined();
  });
  it.skipIf(!inCI && (dockerMissing !== undefined || calibrationMissing !== undefined))(
    'can read the kernel audit log (required in CI)',
    () => {
      expect(calibrationMissing, `CI requires root and the kernel log for runtime calibration: ${calibrationMissing}`).toBeUndefined();
    },
  );

  let workdir = '';
  let image = '';
  let echoSyscalls: string[] = [];
  let runtimeNeeds: RuntimeNeeds;
  const warnings: string[] = [];

  beforeAll(async () => {
    if (dockerMissing) return;
    workdir = await mkdtemp(join(tmpdir(), 'seccomplete-docker-runtime-'));
    image = await ensureBusyboxImage();
    const traced = await traceSyscallNames([HOST_BUSYBOX, 'echo', 'ok'], join(workdir, 'echo.trace'));
    expect(traced.stdout).toBe('ok');
    echoSyscalls = traced.names;
    runtimeNeeds = await runtimeNeedsForDocker({ warn: (message) => warnings.push(message) });
  });

  afterAll(async () => {
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  it.skipIf(dockerMissing !== undefined)('finds stored needs for exactly the runtime dockerd uses', () => {
    expect(warnings).toEqual([]);
    expect(runtimeNeeds.syscalls).toContain('execve');
  });

  it.skipIf(dockerMissing !== undefined)('the target syscalls plus the runtime needs let the container run', async () => {
    const profile = join(workdir, 'with-runtime.json');
    await writeFile(profile, renderDockerProfile(buildProfilePlan({ observed: echoSyscalls, runtime: runtimeNeeds })));
    const result = await runUnderProfile(image, profile, ['echo', 'ok']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('ok');
  });

  it.skipIf(dockerMissing !== undefined)('the target syscalls alone do not let the container start', async () => {
    const profile = join(workdir, 'target-only.json');
    await writeFile(profile, renderDockerProfile(buildProfilePlan({ observed: echoSyscalls, runtime: null })));
    const result = await runUnderProfile(image, profile, ['echo', 'ok']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
    // runc itself fails, under the filter, before the command runs
    expect(result.stderr).toMatch(/operation not permitted/);
  });

  it.skipIf(calibrationMissing !== undefined)(
    'a fresh calibration of the real runtime is contained in the stored data',
    async () => {
      const measured = await calibrateRuntime({ image, runs: 3 });
      expect(`${measured.runtime} ${measured.version}`).toBe(`${runtimeNeeds.runtime} ${runtimeNeeds.version}`);
      const notStored = measured.syscalls.filter((name) => !runtimeNeeds.syscalls.includes(name));
      expect(notStored, 'the stored runtime needs are stale: recalibrate (seccomplete calibrate-runtime)').toEqual([]);
    },
  );
});
