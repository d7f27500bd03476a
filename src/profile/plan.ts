import { dataError } from '../errors.js';
import type { RuntimeNeeds } from './runtime-needs.js';
import { KNOWN_FALLBACKS } from './fallbacks.js';
import { ARCHES, isKnownSyscall, type Arch } from '../syscalls/table.js';
import { counterpart } from '../syscalls/translate.js';
import { deriveArgRules, type ArgRule } from './arg-rules.js';

/**
 * The single source of truth of what a profile allows. Every emitter (Docker, OCI,
 * Kubernetes, systemd) renders a plan; none decides anything on its own.
 */

export const EPERM = 1;
export const ENOSYS = 38;

/** Who needs an allowed syscall: the program under test, or only the container runtime. */
export type AllowOrigin = 'target' | 'runtime';

export interface AllowedSyscall {
  readonly name: string;
  readonly origin: AllowOrigin;
  /** `--arg-rules`: allowed only when one of these argument alternatives matches (absent: unconditionally) */
  readonly argRule?: ArgRule;
}

/**
 * A syscall allowed only on some of the plan's architectures: the counterpart there of a call
 * the target made on the traced architecture (x86_64's open is openat on aarch64).
 */
export interface ArchAllowedSyscall {
  readonly name: string;
  readonly origin: AllowOrigin;
  /** the architectures of the plan it is allowed on (never the traced one) */
  readonly arches: readonly Arch[];
  /** the traced architecture's calls it stands in for, sorted */
  readonly for: readonly string[];
}

/** Why a syscall is answered with an errno of its own instead of the default EPERM. */
export type ErrnoWhy =
  /** clone3 while clone is allowed: glibc falls back */
  | 'clone3-fallback'
  /** `--prefer-enosys`: the target was seen to cope */
  | 'prefer-enosys'
  /** not needed at all, but has a known fallback: denied the way an old kernel would */
  | 'denied-with-fallback';

export interface ErrnoRule {
  readonly name: string;
  readonly errno: number;
  readonly why: ErrnoWhy;
  /** why this call is answered with an error instead of being denied with EPERM */
  readonly reason: string;
}

declare const madeByBuildProfilePlan: unique symbol;

export interface ProfilePlan {
  /** only buildProfilePlan makes plans, so the invariants below always hold */
  readonly [madeByBuildProfilePlan]: true;
  /** the architecture the observations (and so `allow` and `errno`) were made on */
  readonly architecture: 'x86_64';
  /**
   * the architectures the profile is for, in ARCHES order. `allow` and `errno` hold on each of
   * them where the name exists; `archAllow` adds the counterparts of calls the others lack.
   */
  readonly architectures: readonly Arch[];
  /** sorted by name; disjoint from `allow` and `errno` */
  readonly archAllow: readonly ArchAllowedSyscall[];
  /** one line per allowed call with no counterpart on one of `architectures` */
  readonly archWarnings: readonly string[];
  /** everything not listed is denied with EPERM */
  readonly defaultErrno: typeof EPERM;
  /** sorted by name; disjoint from `errno` */
  readonly allow: readonly AllowedSyscall[];
  /** sorted by name; disjoint from `allow` */
  readonly errno: readonly ErrnoRule[];
  /** the runtime whose needs are merged in, null for a bare (non-container) profile */
  readonly runtime: { readonly name: string; readonly version: string } | null;
  /** `--arg-rules`: why a conditionable syscall the target makes stays unconditionally allowed */
  readonly argRuleNotes?: readonly string[];
}

export interface ProfilePlanInput {
  /** canonical kernel names of the syscalls the target was seen making */
  observed: readonly string[];
  runtime: RuntimeNeeds | null;
  /** fallbacks seen under fault injection: `syscall` failed with ENOSYS and the target then made `fallback` */
  observedFallbacks?: readonly { syscall: string; fallback: string }[];
  /** answer a syscall with ENOSYS instead of allowing it when its fallback was seen to work (`--prefer-enosys`) */
  preferEnosys?: boolean;
  /** architectures the profile is for (`--arch`); default: x86_64, the traced one */
  architectures?: readonly Arch[];
  /** `--arg-rules`: every feature of the run; socket, ioctl, clone and personality are then allowed only for the argument classes seen */
  argFeatures?: readonly string[];
}

const CLONE3_REASON =
  'ENOSYS makes glibc fall back to clone, which is allowed; EPERM would break the fallback (Docker does the same)';
const DENIED_FALLBACK_REASON = 'not needed, and denied with ENOSYS rather than EPERM so that a caller takes its fallback';
const PREFER_ENOSYS_REASON = (fallback: string) =>
  `--prefer-enosys: the target was seen falling back to ${fallback} when this failed with ENOSYS`;

type Decision =
  | { kind: 'allow'; origin: AllowOrigin }
  | { kind: 'errno'; errno: number; reason: string; why: ErrnoWhy };

export function buildProfilePlan(input: ProfilePlanInput): ProfilePlan {
  rejectUnknownNames('observed syscalls', input.observed);
  if (input.runtime) rejectUnknownNames(`${input.runtime.runtime} ${input.runtime.version} needs`, input.runtime.syscalls);

  // One decision per name: a syscall can never be both allowed and errno-answered.
  const decisions = new Map<string, Decision>();
  for (const name of input.runtime?.syscalls ?? []) decisions.set(name, { kind: 'allow', origin: 'runtime' });
  // The target's own needs win over the runtime's, so the runtime rule lists only its extras.
  for (const name of input.observed) decisions.set(name, { kind: 'allow', origin: 'target' });
  if (decisions.get('clone')?.kind === 'allow') {
    // Even when clone3 was observed: glibc's fallback to clone is the point.
    decisions.set('clone3', { kind: 'errno', errno: ENOSYS, reason: CLONE3_REASON, why: 'clone3-fallback' });
  }
  if (input.preferEnosys) {
    for (const { syscall, fallback } of input.observedFallbacks ?? []) {
      const isKnown = KNOWN_FALLBACKS[syscall]?.includes(fallback) === true;
      if (isKnown && decisions.get(syscall)?.kind === 'allow' && decisions.get(fallback)?.kind === 'allow') {
        decisions.set(syscall, { kind: 'errno', errno: ENOSYS, reason: PREFER_ENOSYS_REASON(fallback), why: 'prefer-enosys' });
      }
    }
  }
  // Denied is denied, but a syscall with a fallback is denied the way an old kernel would.
  for (const name of Object.keys(KNOWN_FALLBACKS)) {
    if (!decisions.has(name) && isKnownSyscall(name, 'x86_64')) {
      decisions.set(name, { kind: 'errno', errno: ENOSYS, reason: DENIED_FALLBACK_REASON, why: 'denied-with-fallback' });
    }
  }

  // Argument rules only for what the target alone needs: the runtime's calls were never traced.
  const runtimeLabel = input.runtime ? `${input.runtime.runtime} ${input.runtime.version}` : '';
  const argRules = input.argFeatures
    ? deriveArgRules({
        features: input.argFeatures,
        observed: input.observed,
        neededElsewhere: new Map((input.runtime?.syscalls ?? []).map((name) => [name, runtimeLabel])),
      })
    : undefined;

  const allow: AllowedSyscall[] = [];
  const errno: ErrnoRule[] = [];
  for (const name of [...decisions.keys()].sort()) {
    const decision = decisions.get(name)!;
    const argRule = decision.kind === 'allow' && decision.origin === 'target' ? argRules?.rules.get(name) : undefined;
    if (decision.kind === 'allow') allow.push(Object.freeze(argRule ? { name, origin: decision.origin, argRule } : { name, origin: decision.origin }));
    else errno.push(Object.freeze({ name, errno: decision.errno, reason: decision.reason, why: decision.why }));
  }

  const plan = {
    architecture: 'x86_64' as const,
    defaultErrno: EPERM,
    allow: Object.freeze(allow),
    errno: Object.freeze(errno),
    runtime: input.runtime ? Object.freeze({ name: input.runtime.runtime, version: input.runtime.version }) : null,
    ...archCounterparts(allow, decisions, input.architectures ?? ['x86_64']),
    ...(argRules ? { argRuleNotes: Object.freeze([...argRules.notes]) } : {}),
  };
  return Object.freeze(plan) as ProfilePlan;
}

/**
 * Each other architecture gets the counterparts of the allowed calls it lacks (open -> openat).
 * A counterpart the traced architecture already decides keeps that decision: the rules for a
 * name are the same on every architecture, only the additions differ.
 */
function archCounterparts(
  allow: readonly AllowedSyscall[],
  decisions: ReadonlyMap<string, Decision>,
  requested: readonly Arch[],
): Pick<ProfilePlan, 'architectures' | 'archAllow' | 'archWarnings'> {
  const architectures = ARCHES.filter((arch) => requested.includes(arch));
  if (architectures.length === 0) throw dataError('a profile needs at least one architecture');
  const added = new Map<string, { origin: AllowOrigin; arches: Set<Arch>; for: Set<string> }>();
  const warnings: string[] = [];
  for (const arch of architectures) {
    for (const { name, origin } of allow) {
      const other = counterpart(name, 'x86_64', arch);
      if (other.kind === 'same') continue;
      if (other.kind === 'none') {
        warnings.push(`${arch} has no counterpart of ${name} (${other.why}): left out of the ${arch} rules`);
        continue;
      }
      for (const target of other.names) {
        const decided = decisions.get(target);
        if (decided?.kind === 'allow') continue;
        if (decided?.kind === 'errno') {
          warnings.push(`${arch} makes ${target} for ${name}, but the plan answers ${target} with errno ${decided.errno}: kept`);
          continue;
        }
        const entry = added.get(target) ?? { origin, arches: new Set<Arch>(), for: new Set<string>() };
        if (origin === 'target') entry.origin = 'target';
        entry.arches.add(arch);
        entry.for.add(name);
        added.set(target, entry);
      }
    }
  }
  const archAllow = [...added.keys()].sort().map((name) => {
    const entry = added.get(name)!;
    return Object.freeze({
      name,
      origin: entry.origin,
      arches: Object.freeze(architectures.filter((arch) => entry.arches.has(arch))),
      for: Object.freeze([...entry.for].sort()),
    });
  });
  return { architectures: Object.freeze(architectures), archAllow: Object.freeze(archAllow), archWarnings: Object.freeze(warnings) };
}

/** Names of the plan's allowed syscalls with the given origin (all when omitted), sorted. */
export function allowedByOrigin(plan: ProfilePlan, origin?: AllowOrigin): string[] {
  return plan.allow.filter((entry) => origin === undefined || entry.origin === origin).map((entry) => entry.name);
}

function rejectUnknownNames(what: string, names: readonly string[]): void {
  const unknown = [...new Set(names.filter((name) => !isKnownSyscall(name, 'x86_64')))].sort();
  if (unknown.length > 0) {
    throw dataError(`${what} contain names that are not x86_64 syscalls: ${unknown.join(', ')}`);
  }
}
