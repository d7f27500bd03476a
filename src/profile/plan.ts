import { dataError } from '../errors.js';
import type { RuntimeNeeds } from './runtime-needs.js';
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

export interface ErrnoRule {
  readonly name: string;
  readonly errno: number;
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
}

const CLONE3_REASON =
  'ENOSYS makes glibc fall back to clone, which is allowed; EPERM would break the fallback (Docker does the same)';

type Decision =
  | { kind: 'allow'; origin: AllowOrigin }
  | { kind: 'errno'; errno: number; reason: string };

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
    decisions.set('clone3', { kind: 'errno', errno: ENOSYS, reason: CLONE3_REASON });
  }

  const allow: AllowedSyscall[] = [];
  const errno: ErrnoRule[] = [];
  for (const name of [...decisions.keys()].sort()) {
    const decision = decisions.get(name)!;
    if (decision.kind === 'allow') allow.push(Object.freeze({ name, origin: decision.origin }));
    else errno.push(Object.freeze({ name, errno: decision.errno, reason: decision.reason }));
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
