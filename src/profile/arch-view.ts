import { isKnownSyscall, type Arch } from '../syscalls/table.js';
import type { DockerSyscallRule } from './docker.js';
import type { ErrnoRule, ProfilePlan } from './plan.js';

/**
 * What a plan says on one architecture, for the emitters. Reading only: the decisions
 * (which counterpart an architecture gets) are the plan's.
 */

/** libseccomp's names, used by Docker's archMap, OCI and the SeccompProfile CRD. */
export const SCMP_ARCH: Readonly<Record<Arch, string>> = { x86_64: 'SCMP_ARCH_X86_64', aarch64: 'SCMP_ARCH_AARCH64' };

/** Go's GOARCH names: what Docker compares a rule's `includes.arches` with. */
export const GO_ARCH: Readonly<Record<Arch, string>> = { x86_64: 'amd64', aarch64: 'arm64' };

/** The names the plan allows on `arch`, sorted. */
export function allowedOn(plan: ProfilePlan, arch: Arch): string[] {
  const names = plan.allow.filter((entry) => isKnownSyscall(entry.name, arch)).map((entry) => entry.name);
  for (const entry of plan.archAllow) if (entry.arches.includes(arch)) names.push(entry.name);
  return names.sort();
}

/** The errno rules that apply on `arch` (those whose name exists there). */
export function errnoOn(plan: ProfilePlan, arch: Arch): ErrnoRule[] {
  return plan.errno.filter((rule) => isKnownSyscall(rule.name, arch));
}

/** Every name the plan allows on at least one of its architectures, sorted. */
export function allowedAnywhere(plan: ProfilePlan): string[] {
  return [...new Set(plan.architectures.flatMap((arch) => allowedOn(plan, arch)))].sort();
}

/** Every errno rule that applies on at least one of the plan's architectures, sorted by name. */
export function errnoAnywhere(plan: ProfilePlan): ErrnoRule[] {
  return plan.errno.filter((rule) => plan.architectures.some((arch) => isKnownSyscall(rule.name, arch)));
}

/**
 * Docker rules for the names allowed on some architectures only, one per (origin, architectures):
 * Docker applies a rule whose `includes.arches` does not name the host's GOARCH to nothing.
 */
export function dockerArchRules(plan: ProfilePlan): DockerSyscallRule[] {
  const groups = new Map<string, { names: string[]; for: string[]; arches: readonly Arch[]; origin: string }>();
  for (const entry of plan.archAllow) {
    const key = `${entry.origin}\0${entry.arches.join(',')}`;
    const group = groups.get(key) ?? { names: [], for: [], arches: entry.arches, origin: entry.origin };
    group.names.push(entry.name);
    group.for.push(`${entry.for.join('/')} -> ${entry.name}`);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => {
    const who = group.origin === 'target' ? 'the target' : `${plan.runtime?.name ?? 'the runtime'}`;
    return {
      names: group.names,
      action: 'SCMP_ACT_ALLOW' as const,
      comment: `${group.arches.join(', ')} only: counterparts of ${plan.architecture} calls ${who} makes there (${group.for.join(', ')})`,
      includes: { arches: group.arches.map((arch) => GO_ARCH[arch]) },
    };
  });
}

/**
 * Drops from `rules` the names that exist on none of the plan's architectures (x86_64's open in
 * an aarch64-only profile), and rules left without names. A one-architecture x86_64 plan loses nothing.
 */
export function keepNamesOfPlanArches(plan: ProfilePlan, rules: readonly DockerSyscallRule[]): DockerSyscallRule[] {
  const exists = (name: string) => plan.architectures.some((arch) => isKnownSyscall(name, arch));
  return rules
    .map((rule) => (rule.names.every(exists) ? rule : { ...rule, names: rule.names.filter(exists) }))
    .filter((rule) => rule.names.length > 0);
}

/** One line naming the additions per architecture, for headers of the text formats; none for a one-architecture plan. */
export function archAdditionLines(plan: ProfilePlan): string[] {
  return plan.architectures
    .map((arch) => {
      const added = plan.archAllow.filter((entry) => entry.arches.includes(arch));
      if (added.length === 0) return '';
      return `${arch} only: ${added.map((entry) => `${entry.name} (for ${entry.for.join(', ')})`).join(', ')}`;
    })
    .filter((line) => line.length > 0);
}

/** The usual names of the errno values a plan uses. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? String(errno);
}

const ERRNO_NAMES: Readonly<Record<number, string>> = { 1: 'EPERM', 13: 'EACCES', 38: 'ENOSYS' };
