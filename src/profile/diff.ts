import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentError } from '../errors.js';
import { isKnownSyscall } from '../syscalls/table.js';
import { describeCondition, CLONE_NAMESPACE_MASK } from './arg-rules.js';
import { DANGEROUS_SYSCALLS, dangerousLabel, type DangerousSyscall } from './dangerous.js';
import { parseDockerProfile, type DockerRuleCondition, type DockerSeccompProfile, type SeccompAction } from './docker.js';
import { ruleShape, type NormalArg } from './merge.js';
import { EPERM } from './plan.js';

/**
 * `seccomplete diff`: what two Docker seccomp profiles allow differently. Both are read
 * the way runc would load them into a container on x86_64: rules whose `includes` /
 * `excludes` do not match the container (architecture amd64, Docker's default
 * capabilities, this kernel) are left out, names that are not x86_64 syscalls are
 * ignored (runc skips them), and each syscall gets one status: always allowed, allowed
 * under argument conditions, or answered with an action of its own (or the default).
 */

/** The container a profile is evaluated for. */
export interface DockerContext {
  /** Go's name, as Docker's `arches` use it */
  arch: string;
  caps: ReadonlySet<string>;
  /** `major.minor` of the kernel, for `minKernel` */
  kernel: string;
}

/** What `docker run` grants without --cap-add (moby's oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_AUDIT_WRITE',
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
]);

export function defaultContext(): DockerContext {
  const match = /^(\d+)\.(\d+)/.exec(os.release());
  return { arch: 'amd64', caps: new Set(DOCKER_DEFAULT_CAPS), kernel: match ? `${match[1]}.${match[2]}` : '0.0' };
}

function kernelAtLeast(kernel: string, min: string): boolean {
  const [a = 0, b = 0] = kernel.split('.').map(Number);
  const [x = 0, y = 0] = min.split('.').map(Number);
  return a > x || (a === x && b >= y);
}

/** Docker's own test of a rule against the container (moby profiles/seccomp setupSeccomp). */
export function ruleApplies(includes: DockerRuleCondition | undefined, excludes: DockerRuleCondition | undefined, ctx: DockerContext): boolean {
  if (excludes) {
    if ((excludes.arches ?? []).includes(ctx.arch)) return false;
    if ((excludes.caps ?? []).some((c) => ctx.caps.has(c))) return false;
    if (excludes.minKernel && kernelAtLeast(ctx.kernel, excludes.minKernel)) return false;
  }
  if (includes) {
    if ((includes.arches ?? []).length > 0 && !(includes.arches ?? []).includes(ctx.arch)) return false;
    if ((includes.caps ?? []).some((c) => !ctx.caps.has(c))) return false;
    if (includes.minKernel && !kernelAtLeast(ctx.kernel, includes.minKernel)) return false;
  }
  return true;
}

export type Allowance = 'always' | 'conditionally' | 'never';

export interface SyscallStatus {
  allowed: Allowance;
  /** for `conditionally`: the alternatives (ORed), each a list of ANDed comparisons */
  alternatives: NormalArg[][];
  /** canonical text: equal texts mean equal behaviour */
  text: string;
}

export interface EffectiveProfile {
  default: string;
  /** `SCMP_ARCH_X86_64 (+SCMP_ARCH_X86)` style, sorted */
  architectures: string[];
  /** every x86_64 syscall the profile gives something other than the default */
  syscalls: Map<string, SyscallStatus>;
  /** names in the profile that are not x86_64 syscalls (ignored, as runc does) */
  ignored: string[];
}

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));
const errnoText = (n: number): string => `errno ${n}${ERRNO_NAMES.has(n) ? ` (${ERRNO_NAMES.get(n)})` : ''}`;

function actionText(action: SeccompAction, errnoRet: number | undefined): string {
  if (action === 'SCMP_ACT_ERRNO') return errnoText(errnoRet ?? EPERM);
  if (action === 'SCMP_ACT_TRACE' && errnoRet !== undefined) return `trace (${errnoRet})`;
  return action.replace(/^SCMP_ACT_/, '').toLowerCase().replace(/_/g, ' ');
}

const alternativeText = (args: readonly NormalArg[]): string => args.map((a) => describeCondition(a)).join(' && ');

/** How runc would apply the profile to a container in `ctx`, syscall by syscall. */
export function effectiveProfile(profile: DockerSeccompProfile, ctx: DockerContext = defaultContext()): EffectiveProfile {
  const defaultText = actionText(profile.defaultAction, profile.defaultErrnoRet);
  const allowAlways = new Set<string>();
  const allowIf = new Map<string, Map<string, NormalArg[]>>();
  const other = new Map<string, Set<string>>();
  const ignored = new Set<string>();
  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule.includes, rule.excludes, ctx)) continue;
    const shape = ruleShape(rule);
    const allows = shape.action === 'SCMP_ACT_ALLOW' || shape.action === 'SCMP_ACT_LOG';
    for (const name of rule.names) {
      if (!isKnownSyscall(name, 'x86_64')) {
        ignored.add(name);
        continue;
      }
      // includes/excludes were settled by ruleApplies: only argument conditions are left
      if (allows && shape.args.length === 0) allowAlways.add(name);
      else if (allows) {
        const alternatives = allowIf.get(name) ?? new Map<string, NormalArg[]>();
        alternatives.set(alternativeText(shape.args), shape.args);
        allowIf.set(name, alternatives);
      } else {
        const text = actionText(shape.action, shape.errnoRet) + (shape.args.length > 0 ? ` if ${alternativeText(shape.args)}` : '');
        if (text === defaultText) continue;
        other.set(name, (other.get(name) ?? new Set()).add(text));
      }
    }
  }
  const syscalls = new Map<string, SyscallStatus>();
  const names = new Set([...allowAlways, ...allowIf.keys(), ...other.keys()]);
  for (const name of [...names].sort()) {
    if (allowAlways.has(name)) {
      syscalls.set(name, { allowed: 'always', alternatives: [], text: 'allowed' });
    } else if (allowIf.has(name)) {
      const alternatives = [...allowIf.get(name)!.entries()].sort(([a], [b]) => a.localeCompare(b));
      const rest = [...(other.get(name) ?? [])].sort();
      const text = `allowed if ${alternatives.map(([t]) => t).join(' || ')}${rest.length > 0 ? `; else ${rest.join('; ')}` : ''}`;
      syscalls.set(name, { allowed: 'conditionally', alternatives: alternatives.map(([, args]) => args), text });
    } else {
      syscalls.set(name, { allowed: 'never', alternatives: [], text: [...other.get(name)!].sort().join('; ') });
    }
  }
  const architectures = (profile.archMap ?? [])
    .map((e) => `${e.architecture}${(e.subArchitectures ?? []).length > 0 ? ` (+${[...(e.subArchitectures ?? [])].sort().join(', +')})` : ''}`)
    .concat((profile.architectures ?? []).map((a) => a))
    .sort();
  return { default: defaultText, architectures: [...new Set(architectures)], syscalls, ignored: [...ignored].sort() };
}

const isAllowed = (s: SyscallStatus | undefined): boolean => s !== undefined && s.allowed !== 'never';

/** Whether the status lets `entry` through: for clone, only flags that may create namespaces count. */
export function allowsDangerous(status: SyscallStatus | undefined, entry: DangerousSyscall): boolean {
  if (!isAllowed(status)) return false;
  if (entry.only !== 'namespaces' || status!.allowed === 'always') return true;
  return status!.alternatives.some((alternative) => !alternative.some(keepsNamespacesOut));
}

/** clone's arg0 compared so that no CLONE_NEW* flag can be set. */
function keepsNamespacesOut(arg: NormalArg): boolean {
  if (arg.index !== 0) return false;
  const mask = CLONE_NAMESPACE_MASK;
  if (arg.op === 'SCMP_CMP_MASKED_EQ') return (arg.value & mask) === mask && (arg.valueTwo & mask) === 0;
  if (arg.op === 'SCMP_CMP_EQ') return (arg.value & mask) === 0;
  return false;
}

export interface DiffSide {
  label: string;
  default: string;
  architectures: string[];
  /** syscalls allowed, with or without conditions */
  allowed: number;
  /** of those, allowed only under argument conditions */
  conditional: number;
  /** syscalls answered with an action other than allow and the default (errno rules) */
  otherRules: number;
  ignored: string[];
}

export interface DangerousFinding {
  name: string;
  label: string;
  why: string;
}

export interface ProfileDiff {
  a: DiffSide;
  b: DiffSide;
  /** allowed by B, not by A */
  added: string[];
  /** allowed by A, not by B */
  removed: string[];
  /** allowed or answered differently, but not simply added or removed */
  changed: { name: string; a: string; b: string }[];
  defaultChanged: boolean;
  architecturesChanged: boolean;
  identical: boolean;
  dangerous: {
    /** dangerous syscalls A allows and B keeps out */
    onlyA: DangerousFinding[];
    /** dangerous syscalls B allows and A keeps out */
    onlyB: DangerousFinding[];
    /** dangerous syscalls both allow */
    both: DangerousFinding[];
  };
}

function side(label: string, e: EffectiveProfile): DiffSide {
  const statuses = [...e.syscalls.values()];
  return {
    label,
    default: e.default,
    architectures: e.architectures,
    allowed: statuses.filter(isAllowed).length,
    conditional: statuses.filter((s) => s.allowed === 'conditionally').length,
    otherRules: statuses.filter((s) => s.allowed === 'never').length,
    ignored: e.ignored,
  };
}

export function diffProfiles(
  a: { label: string; profile: DockerSeccompProfile },
  b: { label: string; profile: DockerSeccompProfile },
  ctx: DockerContext = defaultContext(),
): ProfileDiff {
  const ea = effectiveProfile(a.profile, ctx);
  const eb = effectiveProfile(b.profile, ctx);
  const names = [...new Set([...ea.syscalls.keys(), ...eb.syscalls.keys()])].sort();
  const added: string[] = [];
  const removed: string[] = [];
  const changed: ProfileDiff['changed'] = [];
  for (const name of names) {
    const sa = ea.syscalls.get(name);
    const sb = eb.syscalls.get(name);
    const inA = isAllowed(sa);
    const inB = isAllowed(sb);
    if (inB && !inA) added.push(name);
    else if (inA && !inB) removed.push(name);
    if (inA === inB && (sa?.text ?? 'default') !== (sb?.text ?? 'default')) {
      changed.push({ name, a: sa?.text ?? `default: ${ea.default}`, b: sb?.text ?? `default: ${eb.default}` });
    }
  }
  const dangerous: ProfileDiff['dangerous'] = { onlyA: [], onlyB: [], both: [] };
  for (const entry of DANGEROUS_SYSCALLS) {
    const finding = { name: entry.name, label: dangerousLabel(entry), why: entry.why };
    const inA = allowsDangerous(ea.syscalls.get(entry.name), entry);
    const inB = allowsDangerous(eb.syscalls.get(entry.name), entry);
    if (inA && inB) dangerous.both.push(finding);
    else if (inA) dangerous.onlyA.push(finding);
    else if (inB) dangerous.onlyB.push(finding);
  }
  const defaultChanged = ea.default !== eb.default;
  const architecturesChanged = ea.architectures.join('\n') !== eb.architectures.join('\n');
  return {
    a: side(a.label, ea),
    b: side(b.label, eb),
    added,
    removed,
    changed,
    defaultChanged,
    architecturesChanged,
    identical: added.length === 0 && removed.length === 0 && changed.length === 0 && !defaultChanged && !architecturesChanged,
    dangerous,
  };
}

/** Dangerous syscalls a profile keeps out only for lack of a capability: `mount` needs CAP_SYS_ADMIN. */
export function allowedWithCapabilities(profile: DockerSeccompProfile, names: readonly string[], ctx: DockerContext = defaultContext()): { name: string; caps: string[] }[] {
  const out: { name: string; caps: string[] }[] = [];
  for (const name of names) {
    const caps = new Set<string>();
    for (const rule of profile.syscalls ?? []) {
      if (!rule.names.includes(name) || rule.action !== 'SCMP_ACT_ALLOW') continue;
      const needed = rule.includes?.caps ?? [];
      if (needed.length === 0) continue;
      const withCaps = { ...ctx, caps: new Set([...ctx.caps, ...needed]) };
      if (ruleApplies(rule.includes, rule.excludes, withCaps)) for (const c of needed) caps.add(c);
    }
    if (caps.size > 0) out.push({ name, caps: [...caps].sort() });
  }
  return out;
}

export const DOCKER_DEFAULT = 'docker-default';

/** data/docker-default-seccomp.json of this package, from src/ as well as from dist/src/. */
export function dockerDefaultProfileFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(dir, 'data', 'docker-default-seccomp.json');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw environmentError('cannot find data/docker-default-seccomp.json of seccomplete');
}

export function loadDockerDefaultProfile(): { file: string; profile: DockerSeccompProfile } {
  const file = dockerDefaultProfileFile();
  return { file, profile: parseDockerProfile(readFileSync(file, 'utf8'), file) };
}
