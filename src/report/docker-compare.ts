import { DANGEROUS_SYSCALLS, dangerousLabel } from '../profile/dangerous.js';
import { allowedWithCapabilities, allowsDangerous, DOCKER_DEFAULT_CAPS, effectiveProfile, type DockerContext, type SyscallStatus } from '../profile/diff.js';
import type { DockerSeccompProfile } from '../profile/docker.js';

/**
 * The report's comparison of a profile with Docker's default
 * (data/docker-default-seccomp.json), on top of `seccomplete diff`'s reading of
 * profiles (src/profile/diff.ts) and its list of dangerous syscalls
 * (src/profile/dangerous.ts), so that the page and `diff` always agree. Pure.
 */

/**
 * The container both profiles are read for: x86_64, Docker's default capabilities, and
 * a kernel newer than any `minKernel` of Docker's profile (4.8): fixed, so that the
 * page does not depend on the machine that renders it.
 */
export const REPORT_CONTEXT: DockerContext = Object.freeze({ arch: 'amd64', caps: new Set(DOCKER_DEFAULT_CAPS), kernel: '6.1' });

/** What Docker's default profile does with one syscall, for a default x86_64 container. */
export type DockerStance =
  | { kind: 'allowed' }
  /** allowed only for some argument values */
  | { kind: 'allowed-with-args'; text: string }
  /** allowed only with capabilities a default container does not have */
  | { kind: 'needs-caps'; caps: string[] }
  /** answered with an action of its own (`errno 38 (ENOSYS)`) */
  | { kind: 'other'; text: string }
  | { kind: 'denied' };

export interface DockerComparison {
  /** x86_64 syscalls Docker's default allows a default container (with or without argument conditions) */
  dockerAllowed: string[];
  /** ...of which only with argument conditions */
  dockerAllowedWithArgs: string[];
  /** what this profile allows (with or without argument conditions) */
  ours: string[];
  both: string[];
  /** allowed by this profile, not by Docker's default */
  onlyOurs: { name: string; docker: DockerStance }[];
  /** allowed by Docker's default, kept out by this profile */
  keptOut: string[];
  /** every dangerous syscall of src/profile/dangerous.ts and where each profile stands */
  dangerous: { name: string; label: string; why: string; ours: boolean; docker: DockerStance }[];
}

/** The profile made of just these names, allowed (when only a list of syscalls is known). */
export function allowListProfile(names: readonly string[]): DockerSeccompProfile {
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: names.length > 0 ? [{ names: [...names], action: 'SCMP_ACT_ALLOW' }] : [] };
}

const isAllowed = (s: SyscallStatus | undefined) => s !== undefined && s.allowed !== 'never';

export function compareWithDockerDefault(ours: DockerSeccompProfile, docker: DockerSeccompProfile, ctx: DockerContext = REPORT_CONTEXT): DockerComparison {
  const ed = effectiveProfile(docker, ctx);
  const eo = effectiveProfile(ours, ctx);
  const stance = (name: string): DockerStance => {
    const s = ed.syscalls.get(name);
    if (s?.allowed === 'always') return { kind: 'allowed' };
    if (s?.allowed === 'conditionally') return { kind: 'allowed-with-args', text: s.text };
    const caps = allowedWithCapabilities(docker, [name], ctx)[0]?.caps;
    if (caps && caps.length > 0) return { kind: 'needs-caps', caps };
    if (s) return { kind: 'other', text: s.text };
    return { kind: 'denied' };
  };
  const allowedNames = (e: typeof ed) => [...e.syscalls].filter(([, s]) => isAllowed(s)).map(([n]) => n).sort();
  const dockerAllowed = allowedNames(ed);
  const dockerSet = new Set(dockerAllowed);
  const ourAllowed = allowedNames(eo);
  const ourSet = new Set(ourAllowed);
  return {
    dockerAllowed,
    dockerAllowedWithArgs: [...ed.syscalls].filter(([, s]) => s.allowed === 'conditionally').map(([n]) => n).sort(),
    ours: ourAllowed,
    both: ourAllowed.filter((n) => dockerSet.has(n)),
    onlyOurs: ourAllowed.filter((n) => !dockerSet.has(n)).map((name) => ({ name, docker: stance(name) })),
    keptOut: dockerAllowed.filter((n) => !ourSet.has(n)),
    dangerous: DANGEROUS_SYSCALLS.map((d) => ({
      name: d.name,
      label: dangerousLabel(d),
      why: d.why,
      ours: allowsDangerous(eo.syscalls.get(d.name), d),
      docker: stance(d.name),
    })),
  };
}

export const isAllowedStance = (s: DockerStance) => s.kind === 'allowed' || s.kind === 'allowed-with-args';

export function describeStance(s: DockerStance): string {
  switch (s.kind) {
    case 'allowed':
      return 'allowed';
    case 'allowed-with-args':
      return 'allowed for some arguments';
    case 'needs-caps':
      return `only with ${s.caps.join(', ')}`;
    case 'other':
      return s.text;
    case 'denied':
      return 'denied';
  }
}
