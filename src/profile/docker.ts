import { dataError } from '../errors.js';
import { EPERM, allowedByOrigin, type ProfilePlan } from './plan.js';
import { SCMP_ARCH, dockerArchRules, keepNamesOfPlanArches } from './arch-view.js';

/** Docker / Podman seccomp profile (moby `profiles/seccomp` types), as far as we read or write it. */
export interface DockerSeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  archMap?: DockerArchMapEntry[] | null;
  architectures?: string[] | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls: DockerSyscallRule[] | null;
}

export interface DockerArchMapEntry {
  architecture: string;
  subArchitectures: string[] | null;
}

export interface DockerSyscallRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  comment?: string;
  args?: DockerSyscallArg[] | null;
  includes?: DockerRuleCondition;
  excludes?: DockerRuleCondition;
}

export interface DockerSyscallArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** Docker applies a rule only when the container's caps/arch/kernel match `includes` and not `excludes`. */
export interface DockerRuleCondition {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string;
}

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

// ---------------------------------------------------------------------------------------------
// Emission

export function toDockerProfile(plan: ProfilePlan): DockerSeccompProfile {
  const rules: DockerSyscallRule[] = [];
  // `--arg-rules`: a conditioned syscall leaves the unconditional rule for one rule per alternative
  const targetNames = plan.allow.filter((entry) => entry.origin === 'target' && !entry.argRule).map((entry) => entry.name);
  const runtimeNames = allowedByOrigin(plan, 'runtime');
  if (targetNames.length > 0) {
    rules.push({ names: targetNames, action: 'SCMP_ACT_ALLOW', comment: 'observed in the target by seccomplete' });
  }
  for (const { name, argRule } of plan.allow) {
    for (const alternative of argRule?.alternatives ?? []) {
      const args = alternative.conditions.map((c) => ({ index: c.index, value: c.value, ...(c.valueTwo !== undefined ? { valueTwo: c.valueTwo } : {}), op: c.op }));
      rules.push({ names: [name], action: 'SCMP_ACT_ALLOW', args, comment: alternative.comment });
    }
  }
  if (runtimeNames.length > 0 && plan.runtime) {
    const runtime = `${plan.runtime.name} ${plan.runtime.version}`;
    rules.push({
      names: runtimeNames,
      action: 'SCMP_ACT_ALLOW',
      comment: `not made by the target: needed by ${runtime} between loading this filter and exec'ing the command`,
    });
  }
  // `--arch`: another architecture's counterparts of the calls above, for that architecture only
  rules.push(...dockerArchRules(plan));
  // one rule per (errno, reason): the reviewer reads each reason once
  const grouped = new Map<string, DockerSyscallRule>();
  for (const rule of plan.errno) {
    const key = `${rule.errno}\0${rule.reason}`;
    const existing = grouped.get(key);
    if (existing) existing.names.push(rule.name);
    else grouped.set(key, { names: [rule.name], action: 'SCMP_ACT_ERRNO', errnoRet: rule.errno, comment: rule.reason });
  }
  rules.push(...grouped.values());
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: plan.defaultErrno,
    // Each architecture alone, without its sub-architectures (x86 and x32 for x86_64, arm for
    // aarch64): only native calls were observed, and the compat tables (other numbers, other entry
    // points) would allow more than the profile reports. Compat calls hit the bad-arch action instead.
    archMap: plan.architectures.map((arch) => ({ architecture: SCMP_ARCH[arch], subArchitectures: [] })),
    syscalls: keepNamesOfPlanArches(plan, rules),
  };
}

/** Stable, pretty JSON with a trailing newline: the same plan always renders the same bytes. */
export function renderDockerProfile(plan: ProfilePlan): string {
  return JSON.stringify(toDockerProfile(plan), null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Reading (for `verify`)

/** Names that unconditionally (no argument filter, no includes/excludes) get SCMP_ACT_ALLOW, sorted. */
export function allowedNames(profile: DockerSeccompProfile): string[] {
  const names = new Set<string>();
  for (const rule of unconditionalRules(profile)) {
    if (rule.action === 'SCMP_ACT_ALLOW') for (const name of rule.names) names.add(name);
  }
  return [...names].sort();
}

export interface DockerErrnoRule {
  name: string;
  errnoRet: number;
}

/** Unconditional SCMP_ACT_ERRNO rules, one per name, sorted by name. */
export function errnoRules(profile: DockerSeccompProfile): DockerErrnoRule[] {
  const byName = new Map<string, number>();
  for (const rule of unconditionalRules(profile)) {
    if (rule.action !== 'SCMP_ACT_ERRNO') continue;
    // runc answers an ERRNO rule without errnoRet with EPERM (defaultErrnoRet is for the default action only).
    for (const name of rule.names) byName.set(name, rule.errnoRet ?? EPERM);
  }
  return [...byName.keys()].sort().map((name) => ({ name, errnoRet: byName.get(name)! }));
}

/**
 * ALLOW rules that hold only for some argument values (no includes/excludes), by
 * name: each rule is one alternative (its conditions ANDed), the alternatives ORed.
 */
export function conditionalAllows(profile: DockerSeccompProfile): Map<string, DockerSyscallArg[][]> {
  const out = new Map<string, DockerSyscallArg[][]>();
  for (const rule of profile.syscalls ?? []) {
    if (rule.action !== 'SCMP_ACT_ALLOW' || (rule.args ?? []).length === 0) continue;
    if (!isEmptyCondition(rule.includes) || !isEmptyCondition(rule.excludes)) continue;
    for (const name of rule.names) out.set(name, [...(out.get(name) ?? []), rule.args ?? []]);
  }
  return out;
}

function unconditionalRules(profile: DockerSeccompProfile): DockerSyscallRule[] {
  return (profile.syscalls ?? []).filter(
    (rule) => (rule.args ?? []).length === 0 && isEmptyCondition(rule.includes) && isEmptyCondition(rule.excludes),
  );
}

function isEmptyCondition(condition: DockerRuleCondition | undefined): boolean {
  return (
    condition === undefined ||
    ((condition.caps ?? []).length === 0 && (condition.arches ?? []).length === 0 && !condition.minKernel)
  );
}

/**
 * Validate a Docker seccomp profile read from disk. Unknown keys are rejected rather than
 * ignored (as Docker would): a misspelt `errnoRet` silently changes what a profile does.
 * Throws a one-line data error naming the offending path.
 */
export function parseDockerProfile(text: string, source = 'seccomp profile'): DockerSeccompProfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw dataError(`${source}: not valid JSON (${oneLine((error as Error).message)})`);
  }
  try {
    return readProfile(json);
  } catch (error) {
    if (error instanceof ProfileShapeError) throw dataError(`${source}: ${error.message}`);
    throw error;
  }
}

class ProfileShapeError extends Error {}

function fail(path: string, problem: string): never {
  throw new ProfileShapeError(`${path} ${problem}`);
}

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : JSON.stringify(value);

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

function readObject(value: unknown, path: string, allowedKeys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, `must be an object, got ${describe(value)}`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowedKeys.includes(key)) fail(path, `has unknown key "${key}" (expected one of: ${allowedKeys.join(', ')})`);
  }
  return record;
}

function readString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `must be a string, got ${describe(value)}`);
  return value;
}

function readOptionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : readString(value, path);
}

function readStringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) fail(path, `must be an array of strings, got ${describe(value)}`);
  return value.map((item, i) => readString(item, `${path}[${i}]`));
}

/** Docker (Go) decodes a JSON null list as an empty one. */
function readNullableStringList(value: unknown, path: string): string[] | null | undefined {
  if (value === undefined || value === null) return value;
  return readStringList(value, path);
}

function readUint(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, `must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

function readAction(value: unknown, path: string): SeccompAction {
  if (!(SECCOMP_ACTIONS as readonly unknown[]).includes(value)) {
    fail(path, `must be one of ${SECCOMP_ACTIONS.join(', ')}, got ${describe(value)}`);
  }
  return value as SeccompAction;
}

function readProfile(json: unknown): DockerSeccompProfile {
  const root = readObject(json, 'profile', [
    'defaultAction',
    'defaultErrnoRet',
    'archMap',
    'architectures',
    'flags',
    'listenerPath',
    'listenerMetadata',
    'syscalls',
  ]);
  if (root.defaultAction === undefined) fail('profile', 'has no defaultAction');
  const profile: DockerSeccompProfile = {
    defaultAction: readAction(root.defaultAction, 'defaultAction'),
    syscalls: null,
  };
  if (root.defaultErrnoRet !== undefined) profile.defaultErrnoRet = readUint(root.defaultErrnoRet, 'defaultErrnoRet');
  if (root.archMap !== undefined) profile.archMap = readArchMap(root.archMap);
  if (root.architectures !== undefined) profile.architectures = readNullableStringList(root.architectures, 'architectures');
  if (root.flags !== undefined) profile.flags = readNullableStringList(root.flags, 'flags');
  const listenerPath = readOptionalString(root.listenerPath, 'listenerPath');
  if (listenerPath !== undefined) profile.listenerPath = listenerPath;
  const listenerMetadata = readOptionalString(root.listenerMetadata, 'listenerMetadata');
  if (listenerMetadata !== undefined) profile.listenerMetadata = listenerMetadata;
  if (root.syscalls !== undefined && root.syscalls !== null) {
    if (!Array.isArray(root.syscalls)) fail('syscalls', `must be an array of rules, got ${describe(root.syscalls)}`);
    profile.syscalls = root.syscalls.map((rule, i) => readRule(rule, `syscalls[${i}]`));
  }
  return profile;
}

function readArchMap(value: unknown): DockerArchMapEntry[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) fail('archMap', `must be an array, got ${describe(value)}`);
  return value.map((item, i) => {
    const path = `archMap[${i}]`;
    const entry = readObject(item, path, ['architecture', 'subArchitectures']);
    return {
      architecture: readString(entry.architecture, `${path}.architecture`),
      subArchitectures: readNullableStringList(entry.subArchitectures, `${path}.subArchitectures`) ?? null,
    };
  });
}

function readRule(value: unknown, path: string): DockerSyscallRule {
  const raw = readObject(value, path, ['names', 'name', 'action', 'errnoRet', 'comment', 'args', 'includes', 'excludes']);
  // `name` is Docker's deprecated single-name form; fold it into `names`.
  const names = raw.names === undefined || raw.names === null ? [] : readStringList(raw.names, `${path}.names`);
  if (raw.name !== undefined) names.push(readString(raw.name, `${path}.name`));
  if (names.length === 0) fail(path, 'lists no syscall names');
  if (names.some((name) => name.length === 0)) fail(`${path}.names`, 'contains an empty name');
  if (raw.action === undefined) fail(path, 'has no action');
  const rule: DockerSyscallRule = { names, action: readAction(raw.action, `${path}.action`) };
  if (raw.errnoRet !== undefined) {
    if (rule.action !== 'SCMP_ACT_ERRNO' && rule.action !== 'SCMP_ACT_TRACE') {
      fail(`${path}.errnoRet`, `is only meaningful with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not ${rule.action}`);
    }
    rule.errnoRet = readUint(raw.errnoRet, `${path}.errnoRet`);
  }
  const comment = readOptionalString(raw.comment, `${path}.comment`);
  if (comment !== undefined) rule.comment = comment;
  if (raw.args !== undefined) rule.args = raw.args === null ? null : readArgs(raw.args, `${path}.args`);
  if (raw.includes !== undefined) rule.includes = readCondition(raw.includes, `${path}.includes`);
  if (raw.excludes !== undefined) rule.excludes = readCondition(raw.excludes, `${path}.excludes`);
  return rule;
}

function readArgs(value: unknown, path: string): DockerSyscallArg[] {
  if (!Array.isArray(value)) fail(path, `must be an array, got ${describe(value)}`);
  return value.map((item, i) => {
    const argPath = `${path}[${i}]`;
    const raw = readObject(item, argPath, ['index', 'value', 'valueTwo', 'op']);
    const arg: DockerSyscallArg = {
      index: readUint(raw.index, `${argPath}.index`),
      value: readUint(raw.value, `${argPath}.value`),
      op: readString(raw.op, `${argPath}.op`),
    };
    if (arg.index > 5) fail(`${argPath}.index`, `must be 0-5 (syscalls have six arguments), got ${arg.index}`);
    if (raw.valueTwo !== undefined) arg.valueTwo = readUint(raw.valueTwo, `${argPath}.valueTwo`);
    return arg;
  });
}

function readCondition(value: unknown, path: string): DockerRuleCondition {
  const raw = readObject(value, path, ['caps', 'arches', 'minKernel']);
  const condition: DockerRuleCondition = {};
  if (raw.caps !== undefined) condition.caps = readNullableStringList(raw.caps, `${path}.caps`);
  if (raw.arches !== undefined) condition.arches = readNullableStringList(raw.arches, `${path}.arches`);
  const minKernel = readOptionalString(raw.minKernel, `${path}.minKernel`);
  if (minKernel !== undefined) condition.minKernel = minKernel;
  return condition;
}
