import { dataError } from '../errors.js';
import { EPERM, ENOSYS } from './plan.js';
import type { DockerArchMapEntry, DockerRuleCondition, DockerSeccompProfile, DockerSyscallArg, DockerSyscallRule, SeccompAction } from './docker.js';

/**
 * `seccomplete merge`: the union of Docker seccomp profiles (replicas, runs with other
 * inputs, the same target under other configurations). The union allows a call when any
 * input allows it:
 *  - a syscall unconditionally allowed by one input is unconditionally allowed, and its
 *    argument rules from the other inputs are dropped (they would only narrow nothing);
 *  - a syscall allowed only under argument conditions everywhere keeps every input's
 *    alternatives (Docker ORs rules, ANDs the conditions inside one rule);
 *  - an explicit errno answer (clone3 -> ENOSYS) is kept while no input allows the call;
 *    when inputs disagree the more useful answer wins: ENOSYS (callers fall back), else the
 *    lowest errno; a call some input allows loses its unconditional errno rule, so the
 *    calls outside the allowed arguments get the default action.
 * The result does not depend on the order of the inputs, merging a profile with itself
 * changes nothing, and merging a merge again with one of its inputs neither.
 */

/** An argument comparison with Docker's defaults filled in (valueTwo 0). */
export interface NormalArg {
  index: number;
  op: string;
  value: number;
  valueTwo: number;
}

interface NormalCondition {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

/** A rule's meaning for one name, comment aside. */
export interface RuleShape {
  action: SeccompAction;
  errnoRet?: number;
  /** sorted, without duplicates; ANDed */
  args: NormalArg[];
  includes?: NormalCondition;
  excludes?: NormalCondition;
}

const sortedUnique = (list: readonly string[] | null | undefined): string[] => [...new Set(list ?? [])].sort();

export function normalizeArgs(args: readonly DockerSyscallArg[] | null | undefined): NormalArg[] {
  const byKey = new Map<string, NormalArg>();
  for (const a of args ?? []) {
    const arg = { index: a.index, op: a.op, value: a.value, valueTwo: a.valueTwo ?? 0 };
    byKey.set(JSON.stringify(arg), arg);
  }
  return [...byKey.values()].sort((x, y) => x.index - y.index || x.op.localeCompare(y.op) || x.value - y.value || x.valueTwo - y.valueTwo);
}

function normalizeCondition(condition: DockerRuleCondition | undefined): NormalCondition | undefined {
  if (!condition) return undefined;
  const out: NormalCondition = {};
  const caps = sortedUnique(condition.caps);
  const arches = sortedUnique(condition.arches);
  if (caps.length > 0) out.caps = caps;
  if (arches.length > 0) out.arches = arches;
  if (condition.minKernel) out.minKernel = condition.minKernel;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The rule's meaning: runc answers SCMP_ACT_ERRNO without errnoRet with EPERM. */
export function ruleShape(rule: DockerSyscallRule): RuleShape {
  const shape: RuleShape = { action: rule.action, args: normalizeArgs(rule.args) };
  if (rule.action === 'SCMP_ACT_ERRNO') shape.errnoRet = rule.errnoRet ?? EPERM;
  else if (rule.errnoRet !== undefined) shape.errnoRet = rule.errnoRet;
  const includes = normalizeCondition(rule.includes);
  const excludes = normalizeCondition(rule.excludes);
  if (includes) shape.includes = includes;
  if (excludes) shape.excludes = excludes;
  return shape;
}

export const shapeKey = (shape: RuleShape): string =>
  JSON.stringify([shape.action, shape.errnoRet ?? null, shape.args, shape.includes ?? null, shape.excludes ?? null]);

export const isUnconditional = (shape: RuleShape): boolean => shape.args.length === 0 && !shape.includes && !shape.excludes;

/** From most to least permissive: which of two unconditional non-allow answers a union keeps. */
const ACTION_RANK: Record<SeccompAction, number> = {
  SCMP_ACT_ALLOW: 0,
  SCMP_ACT_LOG: 1,
  SCMP_ACT_NOTIFY: 2,
  SCMP_ACT_TRACE: 3,
  SCMP_ACT_ERRNO: 4,
  SCMP_ACT_TRAP: 5,
  SCMP_ACT_KILL_THREAD: 6,
  SCMP_ACT_KILL: 7,
  SCMP_ACT_KILL_PROCESS: 8,
};

function morePermissive(a: RuleShape, b: RuleShape): number {
  const rank = ACTION_RANK[a.action] - ACTION_RANK[b.action];
  if (rank !== 0) return rank;
  const ea = a.errnoRet ?? 0;
  const eb = b.errnoRet ?? 0;
  if (ea !== eb) {
    if (ea === ENOSYS) return -1;
    if (eb === ENOSYS) return 1;
    return ea - eb;
  }
  return 0;
}

/** Comments of merged rules are joined with this, and split on it again when merged once more. */
export const COMMENT_SEPARATOR = ' | ';

export interface MergeInput {
  /** for messages: the file name */
  label: string;
  profile: DockerSeccompProfile;
}

export interface MergeResult {
  profile: DockerSeccompProfile;
  /** decisions worth telling (a conflicting errno, dropped errno rules) */
  notes: string[];
}

const defaultOf = (p: DockerSeccompProfile): string =>
  p.defaultAction === 'SCMP_ACT_ERRNO' ? `SCMP_ACT_ERRNO(${p.defaultErrnoRet ?? EPERM})` : p.defaultAction;

export function mergeProfiles(inputs: readonly MergeInput[]): MergeResult {
  if (inputs.length === 0) throw dataError('nothing to merge');
  const notes: string[] = [];

  const defaults = new Set(inputs.map((i) => defaultOf(i.profile)));
  if (defaults.size > 1) {
    throw dataError(
      `cannot merge profiles with different default actions: ${inputs.map((i) => `${i.label}: ${defaultOf(i.profile)}`).join(', ')}`,
    );
  }
  const first = inputs[0]!.profile;
  for (const key of ['listenerPath', 'listenerMetadata'] as const) {
    const values = new Set(inputs.map((i) => i.profile[key] ?? ''));
    if (values.size > 1) throw dataError(`cannot merge profiles with different ${key}: ${[...values].map((v) => JSON.stringify(v)).join(', ')}`);
  }

  // keys in the order seccomplete writes them; syscalls last
  const out: Omit<DockerSeccompProfile, 'syscalls'> = { defaultAction: first.defaultAction };
  if (first.defaultAction === 'SCMP_ACT_ERRNO') out.defaultErrnoRet = first.defaultErrnoRet ?? EPERM;
  else if (first.defaultErrnoRet !== undefined) out.defaultErrnoRet = first.defaultErrnoRet;

  const archMap = mergeArchMaps(inputs.map((i) => i.profile.archMap));
  if (archMap) out.archMap = archMap;
  const architectures = inputs.some((i) => i.profile.architectures) ? sortedUnique(inputs.flatMap((i) => i.profile.architectures ?? [])) : undefined;
  if (architectures) out.architectures = architectures;
  const flags = inputs.some((i) => i.profile.flags) ? sortedUnique(inputs.flatMap((i) => i.profile.flags ?? [])) : undefined;
  if (flags) out.flags = flags;
  if (first.listenerPath) out.listenerPath = first.listenerPath;
  if (first.listenerMetadata) out.listenerMetadata = first.listenerMetadata;

  // name -> shape key -> shape and the comments it came with
  const byName = new Map<string, Map<string, { shape: RuleShape; comments: Set<string> }>>();
  for (const { profile } of inputs) {
    for (const rule of profile.syscalls ?? []) {
      const shape = ruleShape(rule);
      const key = shapeKey(shape);
      for (const name of rule.names) {
        const shapes = byName.get(name) ?? new Map();
        const held = shapes.get(key) ?? { shape, comments: new Set<string>() };
        for (const c of (rule.comment ?? '').split(COMMENT_SEPARATOR)) if (c.trim()) held.comments.add(c.trim());
        shapes.set(key, held);
        byName.set(name, shapes);
      }
    }
  }

  // name -> the shapes the union keeps
  const groups = new Map<string, { shape: RuleShape; comment: string; names: string[] }>();
  for (const name of [...byName.keys()].sort()) {
    const shapes = [...byName.get(name)!.values()];
    for (const kept of simplify(name, shapes, notes)) {
      const comment = [...kept.comments].sort().join(COMMENT_SEPARATOR);
      const key = `${shapeKey(kept.shape)}\0${comment}`;
      const group = groups.get(key) ?? { shape: kept.shape, comment, names: [] };
      group.names.push(name);
      groups.set(key, group);
    }
  }

  const kind = (s: RuleShape) => (s.action === 'SCMP_ACT_ALLOW' ? 0 : 2) + (isUnconditional(s) ? 0 : 1);
  const ordered = [...groups.values()].sort(
    (a, b) =>
      kind(a.shape) - kind(b.shape) ||
      shapeKey(a.shape).localeCompare(shapeKey(b.shape)) ||
      a.comment.localeCompare(b.comment) ||
      (a.names[0] ?? '').localeCompare(b.names[0] ?? ''),
  );
  return { profile: { ...out, syscalls: ordered.map(({ shape, comment, names }) => renderRule(shape, comment, names)) }, notes };
}

function simplify(
  name: string,
  shapes: { shape: RuleShape; comments: Set<string> }[],
  notes: string[],
): { shape: RuleShape; comments: Set<string> }[] {
  const unconditionalAllow = shapes.find((s) => s.shape.action === 'SCMP_ACT_ALLOW' && isUnconditional(s.shape));
  if (unconditionalAllow) return [unconditionalAllow];
  const anyAllow = shapes.some((s) => s.shape.action === 'SCMP_ACT_ALLOW');
  const unconditionalOther = shapes.filter((s) => s.shape.action !== 'SCMP_ACT_ALLOW' && isUnconditional(s.shape));
  const conditional = shapes.filter((s) => !isUnconditional(s.shape));
  if (anyAllow) {
    if (unconditionalOther.length > 0) {
      notes.push(`${name}: allowed under argument conditions by some input; its unconditional ${unconditionalOther.map((s) => describeAction(s.shape)).sort().join(', ')} rule was dropped, other calls get the default action`);
    }
    return conditional;
  }
  if (unconditionalOther.length > 1) {
    unconditionalOther.sort((a, b) => morePermissive(a.shape, b.shape) || shapeKey(a.shape).localeCompare(shapeKey(b.shape)));
    notes.push(`${name}: the inputs answer it differently (${unconditionalOther.map((s) => describeAction(s.shape)).join(', ')}); kept ${describeAction(unconditionalOther[0]!.shape)}`);
  }
  return [...unconditionalOther.slice(0, 1), ...conditional];
}

function describeAction(shape: RuleShape): string {
  return shape.action === 'SCMP_ACT_ERRNO' ? `SCMP_ACT_ERRNO(${shape.errnoRet ?? EPERM})` : shape.action;
}

function renderRule(shape: RuleShape, comment: string, names: string[]): DockerSyscallRule {
  const rule: DockerSyscallRule = { names: [...names].sort(), action: shape.action };
  if (shape.errnoRet !== undefined) rule.errnoRet = shape.errnoRet;
  if (comment) rule.comment = comment;
  if (shape.args.length > 0) rule.args = shape.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo, op: a.op }));
  if (shape.includes) rule.includes = { ...shape.includes };
  if (shape.excludes) rule.excludes = { ...shape.excludes };
  return rule;
}

function mergeArchMaps(maps: readonly (DockerArchMapEntry[] | null | undefined)[]): DockerArchMapEntry[] | undefined {
  if (maps.every((m) => !m)) return undefined;
  const byArch = new Map<string, Set<string>>();
  for (const map of maps) {
    for (const entry of map ?? []) {
      const subs = byArch.get(entry.architecture) ?? new Set<string>();
      for (const sub of entry.subArchitectures ?? []) subs.add(sub);
      byArch.set(entry.architecture, subs);
    }
  }
  return [...byArch.keys()].sort().map((architecture) => ({ architecture, subArchitectures: [...byArch.get(architecture)!].sort() }));
}

/** Pretty JSON with a trailing newline, as seccomplete writes every profile. */
export function renderMergedProfile(profile: DockerSeccompProfile): string {
  return `${JSON.stringify(profile, null, 2)}\n`;
}
