import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dataError, environmentError } from '../errors.js';
import { writeJsonAtomically } from '../util/atomic.js';

/**
 * What a container runtime does under the container's seccomp filter: runc loads the
 * filter, then still sets up capabilities, closes fds and execs the command. A profile
 * without these syscalls stops the container from starting. Measured by
 * runtime-calibration.ts and kept as data in `data/runtime-needs/<runtime>-<version>.json`.
 */
export interface RuntimeNeeds {
  /** the runtime program: `runc`, `crun` */
  runtime: string;
  /** its release, `1.1.5` */
  version: string;
  /** sorted names made between loading the filter and exec'ing the command; execve included */
  syscalls: string[];
  /** the subset seen in some calibration runs only (Go's runtime varies) */
  nondeterministic: string[];
  measurement: RuntimeMeasurement;
}

export interface RuntimeMeasurement {
  method: string;
  /** ISO date of the measurement */
  date: string;
  runs: number;
  /** in how many runs each syscall was seen */
  seenInRuns: Record<string, number>;
  image: string;
  /** the runtime's full version output, e.g. `runc version 1.1.5+ds1, commit 1.1.5+ds1-1+deb12u1` */
  versionDetail: string;
  kernel: string;
  dockerVersion: string;
}

export interface RuntimeIdentity {
  /** the name Docker knows the runtime by (`runc`, `io.containerd.runc.v2`) */
  dockerName: string;
  /** the runtime program (basename of its path): names the data file */
  runtime: string;
  version: string;
  versionDetail: string;
  kernel: string;
  dockerVersion: string;
}

export const runtimeNeedsFileName = (runtime: string, version: string): string => `${runtime}-${version}.json`;

/** `data/runtime-needs` of this package, from src/ as well as from the compiled dist/src/. */
export function defaultRuntimeNeedsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'data', 'runtime-needs');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw environmentError('cannot find the data/runtime-needs folder of seccomplete');
}

interface DockerInfo {
  DefaultRuntime?: string;
  Runtimes?: Record<string, { path?: string }>;
  RuncCommit?: { ID?: string };
  KernelVersion?: string;
  ServerVersion?: string;
}

/** Which runtime Docker would run a container with (`requested` or its default), and its version. */
export async function detectDockerRuntime(requested?: string): Promise<RuntimeIdentity> {
  const result = await execa('docker', ['info', '--format', '{{json .}}'], { reject: false, timeout: 30_000 });
  if (result.exitCode !== 0) {
    throw environmentError(`docker info failed: ${firstLine(result.stderr) || `exit code ${result.exitCode}`}`, 'is dockerd running?');
  }
  const info = JSON.parse(result.stdout) as DockerInfo;
  const dockerName = requested ?? info.DefaultRuntime ?? 'runc';
  const path = info.Runtimes?.[dockerName]?.path;
  if (!path) {
    throw environmentError(`docker has no runtime "${dockerName}" (known: ${Object.keys(info.Runtimes ?? {}).join(', ')})`);
  }
  const runtime = basename(path);
  // The daemon reports only the default runtime's commit, so ask the binary itself (dockerd is local).
  const versionOutput = await execa(path, ['--version'], { reject: false, timeout: 10_000 });
  const versionText = versionOutput.exitCode === 0 ? versionOutput.stdout : '';
  const version = releaseOf(versionText) ?? releaseOf(info.RuncCommit?.ID ?? '');
  if (!version) throw environmentError(`cannot tell the version of the container runtime ${path}`);
  return {
    dockerName,
    runtime,
    version,
    versionDetail: versionText.split('\n').slice(0, 2).join(', ') || `commit ${info.RuncCommit?.ID ?? '?'}`,
    kernel: info.KernelVersion ?? '',
    dockerVersion: info.ServerVersion ?? '',
  };
}

/** `runc version 1.1.5+ds1` -> `1.1.5`; `v1.1.12-0-g51d5e94` -> `1.1.12`. */
function releaseOf(text: string): string | undefined {
  return /(?:^|[\sv])(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

const firstLine = (text: string): string => text.trim().split('\n')[0] ?? '';

export function parseRuntimeNeeds(text: string, source: string): RuntimeNeeds {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw dataError(`${source}: not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
  const needs = json as Partial<RuntimeNeeds> | null;
  const isNameList = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((item) => typeof item === 'string' && /^[a-z0-9_]+$/.test(item));
  if (typeof needs !== 'object' || needs === null) throw dataError(`${source}: must be an object`);
  if (typeof needs.runtime !== 'string' || typeof needs.version !== 'string') {
    throw dataError(`${source}: needs string fields "runtime" and "version"`);
  }
  if (!isNameList(needs.syscalls) || !isNameList(needs.nondeterministic)) {
    throw dataError(`${source}: "syscalls" and "nondeterministic" must be lists of syscall names`);
  }
  if (!needs.syscalls.includes('execve')) throw dataError(`${source}: "syscalls" lacks execve, which every runtime makes`);
  if (typeof needs.measurement !== 'object' || needs.measurement === null) throw dataError(`${source}: has no "measurement"`);
  return needs as RuntimeNeeds;
}

/** Every stored measurement in `dir`. */
export function readStoredRuntimeNeeds(dir = defaultRuntimeNeedsDir()): RuntimeNeeds[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => parseRuntimeNeeds(readFileSync(join(dir, file), 'utf8'), join(dir, file)));
}

/**
 * The stored needs of exactly this runtime and version; otherwise the newest release of the
 * same runtime (or, with no data for it at all, the newest measurement of any) with a warning.
 */
export function selectRuntimeNeeds(
  stored: readonly RuntimeNeeds[],
  wanted: { runtime: string; version: string },
  warn: (message: string) => void,
): RuntimeNeeds {
  const exact = stored.find((needs) => needs.runtime === wanted.runtime && needs.version === wanted.version);
  if (exact) return exact;
  const sameRuntime = stored.filter((needs) => needs.runtime === wanted.runtime);
  const candidates = sameRuntime.length > 0 ? sameRuntime : [...stored];
  const newest = candidates.sort(
    (a, b) => compareVersions(b.version, a.version) || b.measurement.date.localeCompare(a.measurement.date),
  )[0];
  if (!newest) throw dataError('no runtime needs are stored in data/runtime-needs');
  warn(
    `no measured syscall needs for ${wanted.runtime} ${wanted.version}; using ${newest.runtime} ${newest.version}. ` +
      'Calibrate this runtime (calibrateRuntime) if containers fail to start.',
  );
  return newest;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The needs of the runtime Docker would use (`runtime` or its default), from the stored data. */
export async function runtimeNeedsForDocker(
  opts: { runtime?: string; dir?: string; warn?: (message: string) => void } = {},
): Promise<RuntimeNeeds> {
  const identity = await detectDockerRuntime(opts.runtime);
  const warn = opts.warn ?? ((message: string) => process.stderr.write(`seccomplete: warning: ${message}\n`));
  return selectRuntimeNeeds(readStoredRuntimeNeeds(opts.dir), identity, warn);
}

/** Keep a calibration result as data; returns the file written. */
export async function storeRuntimeNeeds(needs: RuntimeNeeds, dir = defaultRuntimeNeedsDir()): Promise<string> {
  const path = join(dir, runtimeNeedsFileName(needs.runtime, needs.version));
  await writeJsonAtomically(path, needs);
  return path;
}
