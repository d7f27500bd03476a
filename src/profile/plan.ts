import { dataError } from '../errors.js';
import type { RuntimeNeeds } from './runtime-needs.js';
import { KNOWN_FALLBACKS } from './fallbacks.js';
import { isKnownSyscall } from '../syscalls/table.js';

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
  readonly architecture: 'x86_64';
  /** everything not listed is denied with EPERM */
  readonly defaultErrno: typeof EPERM;
  /** sorted by name; disjoint from `errno` */
  readonly allow: readonly AllowedSyscall[];
  /** sorted by name; disjoint from `allow` */
  readonly errno: readonly ErrnoRule[];
  /** the runtime whose needs are merged in, null for a bare (non-container) profile */
  readonly runtime: { readonly name: string; readonly version: string } | null;
}

export interface ProfilePlanInput {
  /** canonical kernel names of the syscalls the target was seen making */
  observed: readonly string[];
  runtime: RuntimeNeeds | null;
  /** fallbacks seen under fault injection: `syscall` failed with ENOSYS and the target then made `fallback` */
  observedFallbacks?: readonly { syscall: string; fallback: string }[];
  /** answer a syscall with ENOSYS instead of allowing it when its fallback was seen to work (`--prefer-enosys`) */
  preferEnosys?: boolean;
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

  const allow: AllowedSyscall[] = [];
  const errno: ErrnoRule[] = [];
  for (const name of [...decisions.keys()].sort()) {
    const decision = decisions.get(name)!;
    if (decision.kind === 'allow') allow.push(Object.freeze({ name, origin: decision.origin }));
    else errno.push(Object.freeze({ name, errno: decision.errno, reason: decision.reason, why: decision.why }));
  }

  const plan = {
    architecture: 'x86_64' as const,
    defaultErrno: EPERM,
    allow: Object.freeze(allow),
    errno: Object.freeze(errno),
    runtime: input.runtime ? Object.freeze({ name: input.runtime.runtime, version: input.runtime.version }) : null,
  };
  return Object.freeze(plan) as ProfilePlan;
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
