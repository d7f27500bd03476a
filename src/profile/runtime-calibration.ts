import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import lockfile from 'proper-lockfile';
import { environmentError } from '../errors.js';
import { AUDIT_LOSS, findContainerStarts, parseSeccompAuditLines, type ContainerStart } from './audit-log.js';
import { detectDockerRuntime, type RuntimeNeeds } from './runtime-needs.js';
import { syscallName } from '../syscalls/table.js';

/**
 * Measures what the container runtime does between loading the container's seccomp filter
 * and exec'ing the command: run a trivial container under a profile that only logs
 * (SCMP_ACT_LOG), and read the kernel's audit records of the runtime's init process.
 * Go's runtime makes a few calls only sometimes, so several runs are unioned.
 * Needs root (the kernel log, printk rate limit) and a local dockerd.
 */

const LOG_EVERYTHING_PROFILE = {
  defaultAction: 'SCMP_ACT_LOG',
  architectures: ['SCMP_ARCH_X86_64'],
  syscalls: [],
};
const COMMAND = 'true';
const PRINTK_RATELIMIT = '/proc/sys/kernel/printk_ratelimit';
/** audit records reach the kernel log through kauditd, a little after the calls themselves */
const RECORDS_SETTLE_MS = 3_000;
const MAX_LOSSY_RETRIES = 3;

export interface CalibrationOptions {
  /** an image that has `true` on its PATH */
  image: string;
  /** Docker's name of the runtime (`--runtime`); the daemon's default when omitted */
  runtime?: string;
  runs?: number;
  /** progress lines, e.g. for a CLI */
  log?: (message: string) => void;
}

export async function calibrateRuntime(opts: CalibrationOptions): Promise<RuntimeNeeds> {
  const runs = opts.runs ?? 10;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`);
  const identity = await detectDockerRuntime(opts.runtime);
  const workdir = await mkdtemp(join(tmpdir(), 'seccomplete-calibration-'));
  const profilePath = join(workdir, 'log-everything.json');
  await writeFile(profilePath, JSON.stringify(LOG_EVERYTHING_PROFILE));

  const perRun: Set<string>[] = [];
  // One calibration at a time: each raises the printk rate limit and restores it afterwards.
  const release = await lockfile.lock(tmpdir(), {
    lockfilePath: join(tmpdir(), 'seccomplete-printk-ratelimit.lock'),
    retries: { retries: 60, minTimeout: 1_000, maxTimeout: 1_000 },
  });
  const savedRatelimit = await readPrintkRatelimit();
  try {
    // Rate-limited printk drops audit records silently (only a count survives).
    await writeFile(PRINTK_RATELIMIT, '0\n');
    let lossyRetries = 0;
    while (perRun.length < runs) {
      const start = await measureOneStart(profilePath, opts.image, opts.runtime);
      if (start.lostRecords) {
        if (++lossyRetries > MAX_LOSSY_RETRIES) {
          throw environmentError('the kernel keeps dropping audit records during calibration', 'is something flooding the kernel log?');
        }
        opts.log?.('the kernel dropped audit records during this run; repeating it');
        continue;
      }
      const names = new Set(start.syscalls.map(nameOf));
      names.add('execve'); // the runtime execs the command under the filter, always
      perRun.push(names);
      opts.log?.(`run ${perRun.length}/${runs}: ${names.size} syscalls`);
    }
  } finally {
    await writeFile(PRINTK_RATELIMIT, `${savedRatelimit}\n`);
    await release();
    await rm(workdir, { recursive: true, force: true });
  }

  const seenInRuns: Record<string, number> = {};
  for (const names of perRun) for (const name of names) seenInRuns[name] = (seenInRuns[name] ?? 0) + 1;
  const syscalls = Object.keys(seenInRuns).sort();
  return {
    runtime: identity.runtime,
    version: identity.version,
    syscalls,
    nondeterministic: syscalls.filter((name) => seenInRuns[name]! < runs),
    measurement: {
      method:
        `docker run --rm --security-opt seccomp=<{"defaultAction":"SCMP_ACT_LOG"}> IMAGE ${COMMAND}, ${runs} runs; ` +
        'the kernel audit records (type=1326) of the runtime init process up to its execve of the command, ' +
        'union over the runs (execve always included). Docker defaults: no no-new-privileges, so runc loads ' +
        'the filter before dropping capabilities and switching user.',
      date: new Date().toISOString().slice(0, 10),
      runs,
      seenInRuns: Object.fromEntries(syscalls.map((name) => [name, seenInRuns[name]!])),
      image: opts.image,
      versionDetail: identity.versionDetail,
      kernel: identity.kernel,
      dockerVersion: identity.dockerVersion,
    },
  };
}

function nameOf(nr: number): string {
  const name = syscallName(nr, 'x86_64');
  if (!name) throw environmentError(`the runtime made syscall number ${nr}, which the x86_64 syscall table does not know`);
  return name;
}

async function readPrintkRatelimit(): Promise<string> {
  try {
    return (await readFile(PRINTK_RATELIMIT, 'utf8')).trim();
  } catch (error) {
    throw environmentError(`cannot read ${PRINTK_RATELIMIT}: ${(error as Error).message}`);
  }
}

interface MeasuredStart {
  syscalls: number[];
  lostRecords: boolean;
}

/** Start one container and return the syscall numbers its runtime made under the filter. */
async function measureOneStart(profilePath: string, image: string, runtime: string | undefined): Promise<MeasuredStart> {
  // A marker in the kernel log: only records after it belong to this run. Nothing is cleared.
  const marker = `seccomplete-calibration ${randomBytes(8).toString('hex')}`;
  await writeFile('/dev/kmsg', `${marker}\n`).catch((error: Error) => {
    throw environmentError(`cannot write to /dev/kmsg (root needed): ${error.message}`);
  });
  const args = ['run', '--rm', '--pull=never', '--security-opt', `seccomp=${profilePath}`];
  if (runtime) args.push('--runtime', runtime);
  args.push(image, COMMAND);
  const result = await execa('docker', args, { reject: false, timeout: 60_000 });
  if (result.exitCode !== 0) {
    throw environmentError(`calibration container failed: docker ${args.join(' ')}: ${result.stderr.trim().split('\n')[0] ?? ''}`);
  }

  const deadline = Date.now() + RECORDS_SETTLE_MS;
  for (;;) {
    const lines = await kernelLogAfter(marker);
    const starts = findContainerStarts(parseSeccompAuditLines(lines), COMMAND);
    const lostRecords = lines.some((line) => AUDIT_LOSS.test(line));
    // Only one container runs `true` per run; another one's start (someone else calibrating
    // concurrently) is a start of the same runtime, so including it is harmless.
    const finished = starts.length > 0 && starts.every((start) => start.commandExited);
    if (finished || lostRecords || Date.now() > deadline) {
      if (starts.length === 0) {
        throw environmentError(
          'no seccomp audit records of the container reached the kernel log',
          'is auditd running (it takes the records away from dmesg)?',
        );
      }
      return { syscalls: starts.flatMap((start: ContainerStart) => start.runtimeSyscalls), lostRecords: lostRecords || !finished };
    }
    await sleep(100);
  }
}

async function kernelLogAfter(marker: string): Promise<string[]> {
  const { stdout } = await execa('dmesg', ['--raw'], { timeout: 30_000 });
  const lines = stdout.split('\n');
  let at = lines.length - 1;
  while (at >= 0 && !lines[at]!.includes(marker)) at--;
  if (at < 0) throw environmentError('the calibration marker vanished from the kernel log (ring buffer too small?)');
  return lines.slice(at + 1);
}
