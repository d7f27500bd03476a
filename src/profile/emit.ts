import path from 'node:path';
import { writeFileAtomically } from '../util/atomic.js';
import { renderDockerProfile } from './docker.js';
import { allowedByOrigin, buildProfilePlan, type ProfilePlan } from './plan.js';
import { detectDockerRuntime, readStoredRuntimeNeeds, selectRuntimeNeeds, type RuntimeNeeds } from './runtime-needs.js';
import { canonicalSyscallName, isKnownSyscall, type Arch } from '../syscalls/table.js';

/** `--runtime`: whose start-up needs to merge into a container profile. */
export type RuntimeChoice = 'auto' | 'none' | string;

/**
 * The runtime's needs: for `auto`, the runtime the local dockerd would use when it is
 * reachable, else the newest stored runc measurement (making a profile needs no docker).
 */
export async function resolveRuntimeNeeds(choice: RuntimeChoice, warn: (m: string) => void): Promise<RuntimeNeeds | null> {
  if (choice === 'none') return null;
  const stored = readStoredRuntimeNeeds();
  if (choice === 'auto') {
    try {
      const identity = await detectDockerRuntime();
      return selectRuntimeNeeds(stored, identity, warn);
    } catch {
      return selectRuntimeNeeds(stored, { runtime: 'runc', version: '999' }, () => {});
    }
  }
  const [runtime, version] = choice.split('@') as [string, string | undefined];
  return selectRuntimeNeeds(stored, { runtime, version: version ?? '999' }, version ? warn : () => {});
}

export interface EmittedProfile {
  file: string;
  plan: ProfilePlan;
  targetSyscalls: string[];
  runtimeSyscalls: string[];
  /** names that have no number on this architecture and cannot be expressed */
  unexpressible: string[];
}

/** What fault injection taught about the target, for the profile's errno decisions. */
export interface FaultKnowledge {
  /** `clone3!ENOSYS->clone` style causes from coverage.json */
  causes: readonly { syscall: string; errno: string; found: string }[];
  preferEnosys: boolean;
}

/** Writes `profile.json` (Docker/Podman format) for the syscalls a run observed. */
export async function emitDockerProfile(
  observed: readonly string[],
  arch: Arch,
  runtime: RuntimeNeeds | null,
  file: string,
  faults: FaultKnowledge = { causes: [], preferEnosys: false },
  /** `--arg-rules`: every feature of the run, to condition socket/ioctl/clone/personality on */
  argFeatures?: readonly string[],
  /** `--arch`: the architectures the profile is for (default: x86_64) */
  architectures?: readonly Arch[],
): Promise<EmittedProfile> {
  const names = new Set<string>();
  const unexpressible: string[] = [];
  for (const raw of observed) {
    const name = canonicalSyscallName(raw, arch);
    if (isKnownSyscall(name, arch)) names.add(name);
    else unexpressible.push(raw);
  }
  const observedFallbacks = faults.causes
    .filter((c) => c.errno === 'ENOSYS' && !c.found.includes(':'))
    .map((c) => ({ syscall: canonicalSyscallName(c.syscall, arch), fallback: canonicalSyscallName(c.found, arch) }));
  const plan = buildProfilePlan({
    observed: [...names].sort(),
    runtime,
    observedFallbacks,
    preferEnosys: faults.preferEnosys,
    ...(argFeatures ? { argFeatures } : {}),
    ...(architectures ? { architectures } : {}),
  });
  await writeFileAtomically(path.resolve(file), renderDockerProfile(plan));
  return {
    file,
    plan,
    targetSyscalls: allowedByOrigin(plan, 'target'),
    runtimeSyscalls: allowedByOrigin(plan, 'runtime'),
    unexpressible,
  };
}
