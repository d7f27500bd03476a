import { neededSyscall } from '../coverage/features.js';
import { ioctlRequestNumber, parseUnsigned32 } from './ioctl-requests.js';

/**
 * `--arg-rules`: from the argument classes the tracer saw (`socket:AF_INET:SOCK_STREAM`,
 * `ioctl:TCGETS`, `clone:no-namespace`, `personality:PER_LINUX`), seccomp conditions that
 * allow a multiplexer syscall only for what the target was seen doing with it.
 *
 * A syscall with conditions is allowed when one of its alternatives matches; the conditions
 * of one alternative are ANDed (one Docker rule each, as Docker's own default profile does
 * for socket and personality). Whatever cannot be expressed exactly (a name without a
 * number, namespaces created, a runtime that needs the call too) leaves the syscall
 * unconditionally allowed, with a note saying why: a rule that is too narrow breaks the
 * target, so doubt means no rule.
 */

export type ArgOp = 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ';

/**
 * One comparison, in Docker's terms: `arg[index] == value` for SCMP_CMP_EQ, and
 * `arg[index] & value == valueTwo` for SCMP_CMP_MASKED_EQ (value is the mask).
 */
export interface ArgCondition {
  readonly index: number;
  readonly op: ArgOp;
  readonly value: number;
  readonly valueTwo?: number;
}

/** One way the syscall is allowed: its conditions are ANDed. */
export interface ArgAlternative {
  readonly conditions: readonly ArgCondition[];
  /** the class it stands for, as the features spell it: `AF_INET`, `TCGETS`, `no-namespace` */
  readonly label: string;
  /** one line for the Docker rule's comment */
  readonly comment: string;
}

/** The conditions of one syscall: allowed when any alternative matches. */
export interface ArgRule {
  readonly name: ConditionableSyscall;
  /** sorted by value, never empty */
  readonly alternatives: readonly ArgAlternative[];
}

export interface ArgRulesDerivation {
  /** by syscall name */
  readonly rules: ReadonlyMap<string, ArgRule>;
  /** why a conditionable syscall that the target makes stays unconditionally allowed */
  readonly notes: readonly string[];
}

export const CONDITIONABLE_SYSCALLS = ['clone', 'ioctl', 'personality', 'socket'] as const;
export type ConditionableSyscall = (typeof CONDITIONABLE_SYSCALLS)[number];

/** Every CLONE_NEW* flag clone(2) takes in its first argument: the mask Docker's default profile uses. */
export const CLONE_NAMESPACE_MASK =
  0x00020000 /* CLONE_NEWNS */ |
  0x02000000 /* CLONE_NEWCGROUP */ |
  0x04000000 /* CLONE_NEWUTS */ |
  0x08000000 /* CLONE_NEWIPC */ |
  0x10000000 /* CLONE_NEWUSER */ |
  0x20000000 /* CLONE_NEWPID */ |
  0x40000000; /* CLONE_NEWNET */

/** The kernel reads an ioctl request as `unsigned int`: only its low 32 bits count. */
export const IOCTL_REQUEST_MASK = 0xffffffff;

/** Address families (include/linux/socket.h), by the names strace prints. */
export const ADDRESS_FAMILIES: Readonly<Record<string, number>> = Object.freeze({
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_LOCAL: 1,
  AF_INET: 2,
  AF_AX25: 3,
  AF_IPX: 4,
  AF_APPLETALK: 5,
  AF_NETROM: 6,
  AF_BRIDGE: 7,
  AF_ATMPVC: 8,
  AF_X25: 9,
  AF_INET6: 10,
  AF_ROSE: 11,
  AF_DECnet: 12,
  AF_NETBEUI: 13,
  AF_SECURITY: 14,
  AF_KEY: 15,
  AF_NETLINK: 16,
  AF_ROUTE: 16,
  AF_PACKET: 17,
  AF_ASH: 18,
  AF_ECONET: 19,
  AF_ATMSVC: 20,
  AF_RDS: 21,
  AF_SNA: 22,
  AF_IRDA: 23,
  AF_PPPOX: 24,
  AF_WANPIPE: 25,
  AF_LLC: 26,
  AF_IB: 27,
  AF_MPLS: 28,
  AF_CAN: 29,
  AF_TIPC: 30,
  AF_BLUETOOTH: 31,
  AF_IUCV: 32,
  AF_RXRPC: 33,
  AF_ISDN: 34,
  AF_PHONET: 35,
  AF_IEEE802154: 36,
  AF_CAIF: 37,
  AF_ALG: 38,
  AF_NFC: 39,
  AF_VSOCK: 40,
  AF_KCM: 41,
  AF_QIPCRTR: 42,
  AF_SMC: 43,
  AF_XDP: 44,
  AF_MCTP: 45,
});

/**
 * personality(2) as strace prints it: an execution domain (the low byte; strace names it
 * without the flags the kernel header folds into some PER_* macros) and flag names.
 */
const PERSONALITY_TYPES: Readonly<Record<string, number>> = Object.freeze({
  PER_LINUX: 0x00,
  PER_SVR4: 0x01,
  PER_SVR3: 0x02,
  PER_SCOSVR3: 0x03,
  PER_OSR5: 0x03,
  PER_WYSEV386: 0x04,
  PER_ISCR4: 0x05,
  PER_BSD: 0x06,
  PER_SUNOS: 0x06,
  PER_XENIX: 0x07,
  PER_LINUX32: 0x08,
  PER_IRIX32: 0x09,
  PER_IRIXN32: 0x0a,
  PER_IRIX64: 0x0b,
  PER_RISCOS: 0x0c,
  PER_SOLARIS: 0x0d,
  PER_UW7: 0x0e,
  PER_OSF4: 0x0f,
  PER_HPUX: 0x10,
});

const PERSONALITY_FLAGS: Readonly<Record<string, number>> = Object.freeze({
  UNAME26: 0x0020000,
  ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000,
  MMAP_PAGE_ZERO: 0x0100000,
  ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000,
  ADDR_LIMIT_32BIT: 0x0800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
});

const own = (table: Readonly<Record<string, number>>, key: string): number | undefined =>
  Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;

/** `AF_INET` or a printed number (`0x2e`, after features.ts dropped strace's comment). */
export function addressFamilyNumber(printed: string): number | undefined {
  return own(ADDRESS_FAMILIES, printed) ?? parseUnsigned32(printed);
}

/** `PER_LINUX|ADDR_NO_RANDOMIZE`, `0xffffffff`, `0x56|UNAME26|0x3400` -> the persona value. */
export function personalityNumber(printed: string): number | undefined {
  let value = 0;
  for (const part of printed.split('|')) {
    const bits = own(PERSONALITY_TYPES, part) ?? own(PERSONALITY_FLAGS, part) ?? parseUnsigned32(part);
    if (bits === undefined) return undefined;
    value = (value | bits) >>> 0;
  }
  return value;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

interface Decoded {
  alternatives: ArgAlternative[];
  /** set when no rule can be made; says why */
  unconditional?: string;
}

type Deriver = (classes: readonly string[]) => Decoded;

function byValue(
  classes: readonly string[],
  what: string,
  decode: (cls: string) => { value: number | undefined; label: string },
  alternative: (value: number, label: string) => ArgAlternative,
): Decoded {
  const values = new Map<number, string[]>();
  const unknown: string[] = [];
  for (const cls of classes) {
    const { value, label } = decode(cls);
    if (value === undefined) unknown.push(label);
    else values.set(value, [...(values.get(value) ?? []), label]);
  }
  if (unknown.length > 0) {
    return { alternatives: [], unconditional: `no number known for ${what} ${[...new Set(unknown)].sort().join(', ')}` };
  }
  const alternatives = [...values.entries()]
    .sort(([a], [b]) => a - b)
    .map(([value, labels]) => alternative(value, [...new Set(labels)].sort().join(' or ')));
  return { alternatives };
}

const socketRules: Deriver = (classes) =>
  byValue(
    classes,
    'the address family',
    (cls) => {
      // `AF_INET:SOCK_STREAM`: the family is what the rule is about
      const family = cls.split(':')[0] ?? '';
      return { value: addressFamilyNumber(family), label: family };
    },
    (value, label) => ({
      conditions: [{ index: 0, op: 'SCMP_CMP_EQ', value }],
      label,
      comment: `seccomplete --arg-rules: socket only with the address families the target was seen using; this rule: ${label} (${value})`,
    }),
  );

const ioctlRules: Deriver = (classes) =>
  byValue(
    classes,
    'the ioctl request',
    (cls) => ({ value: ioctlRequestNumber(cls), label: cls }),
    (value, label) => ({
      // MASKED_EQ on the low 32 bits: the kernel reads the request as unsigned int and strace
      // shows only those bits, so a caller that sign-extends it (musl) is still the same request.
      conditions: [{ index: 1, op: 'SCMP_CMP_MASKED_EQ', value: IOCTL_REQUEST_MASK, valueTwo: value }],
      label,
      comment: `seccomplete --arg-rules: ioctl only with the requests the target was seen making; this rule: ${label} (${hex(value)}, low 32 bits as the kernel reads them)`,
    }),
  );

const personalityRules: Deriver = (classes) =>
  byValue(
    classes,
    'the persona',
    (cls) => ({ value: personalityNumber(cls), label: cls }),
    (value, label) => ({
      conditions: [{ index: 0, op: 'SCMP_CMP_EQ', value }],
      label,
      comment: `seccomplete --arg-rules: personality only with the personas the target was seen setting or querying; this rule: ${label} (${hex(value)})`,
    }),
  );

const cloneRules: Deriver = (classes) => {
  const namespaces = classes.filter((cls) => cls.startsWith('CLONE_NEW'));
  if (namespaces.length > 0) {
    return { alternatives: [], unconditional: `the target creates namespaces (${[...new Set(namespaces)].sort().join(', ')})` };
  }
  if (!classes.includes('no-namespace')) return { alternatives: [], unconditional: 'no clone flags were traced' };
  return {
    alternatives: [
      {
        conditions: [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: CLONE_NAMESPACE_MASK, valueTwo: 0 }],
        label: 'no-namespace',
        comment:
          'seccomplete --arg-rules: clone only without CLONE_NEW* flags: the target was never seen creating a namespace (the same rule as Docker\'s default profile)',
      },
    ],
  };
};

const DERIVERS: Readonly<Record<ConditionableSyscall, Deriver>> = {
  clone: cloneRules,
  ioctl: ioctlRules,
  personality: personalityRules,
  socket: socketRules,
};

export interface ArgRulesInput {
  /** every feature of the run (`socket:AF_INET:SOCK_STREAM`...); fault causes (`!`) are ignored */
  features: Iterable<string>;
  /** the syscalls the target makes (only those get rules) */
  observed: Iterable<string>;
  /** syscalls someone else needs with arguments nobody traced (the container runtime): no rule for them */
  neededElsewhere?: ReadonlyMap<string, string>;
}

/** The argument rules for the conditionable syscalls the target makes, and why the others have none. */
export function deriveArgRules(input: ArgRulesInput): ArgRulesDerivation {
  const classes = new Map<string, Set<string>>();
  for (const feature of input.features) {
    if (neededSyscall(feature) === undefined) continue;
    const colon = feature.indexOf(':');
    if (colon < 0) continue;
    const name = feature.slice(0, colon);
    const set = classes.get(name) ?? new Set<string>();
    set.add(feature.slice(colon + 1));
    classes.set(name, set);
  }
  const observed = new Set(input.observed);
  const rules = new Map<string, ArgRule>();
  const notes: string[] = [];
  for (const name of CONDITIONABLE_SYSCALLS) {
    if (!observed.has(name)) continue;
    const elsewhere = input.neededElsewhere?.get(name);
    if (elsewhere !== undefined) {
      notes.push(`${name} stays unconditionally allowed: ${elsewhere} needs it too, with arguments nobody traced`);
      continue;
    }
    const seen = [...(classes.get(name) ?? [])].sort();
    if (seen.length === 0) {
      notes.push(`${name} stays unconditionally allowed: none of its arguments were traced (was the run made with --no-arg-features?)`);
      continue;
    }
    const decoded = DERIVERS[name](seen);
    if (decoded.unconditional !== undefined || decoded.alternatives.length === 0) {
      notes.push(`${name} stays unconditionally allowed: ${decoded.unconditional ?? 'nothing to condition on'}`);
      continue;
    }
    rules.set(name, Object.freeze({ name, alternatives: Object.freeze(decoded.alternatives.map((a) => Object.freeze(a))) }));
  }
  return { rules, notes };
}

/** `arg0 == 2`, `arg1 & 0xffffffff == 0x5401`: a condition for people. */
export function describeCondition(condition: { index: number; op: string; value: number; valueTwo?: number }): string {
  const arg = `arg${condition.index}`;
  const v = (n: number) => (n > 0xff ? hex(n) : String(n));
  switch (condition.op) {
    case 'SCMP_CMP_EQ':
      return `${arg} == ${v(condition.value)}`;
    case 'SCMP_CMP_NE':
      return `${arg} != ${v(condition.value)}`;
    case 'SCMP_CMP_LT':
      return `${arg} < ${v(condition.value)}`;
    case 'SCMP_CMP_LE':
      return `${arg} <= ${v(condition.value)}`;
    case 'SCMP_CMP_GT':
      return `${arg} > ${v(condition.value)}`;
    case 'SCMP_CMP_GE':
      return `${arg} >= ${v(condition.value)}`;
    case 'SCMP_CMP_MASKED_EQ':
      return `${arg} & ${hex(condition.value)} == ${v(condition.valueTwo ?? 0)}`;
    default:
      return `${arg} ${condition.op} ${condition.value}${condition.valueTwo !== undefined ? `, ${condition.valueTwo}` : ''}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Checking a traced call against argument rules (for a verifier that knows the features of
// each execution: a conditioned syscall is allowed by name, its classes are checked here).

const CLONE_NAMESPACE_FLAGS: Readonly<Record<string, number>> = Object.freeze({
  CLONE_NEWNS: 0x00020000,
  CLONE_NEWCGROUP: 0x02000000,
  CLONE_NEWUTS: 0x04000000,
  CLONE_NEWIPC: 0x08000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
});

/**
 * The argument values an argument feature stands for, by argument index:
 * `socket:AF_INET6:SOCK_STREAM` -> {0: 10}, `ioctl:TCGETS` -> {1: 0x5401},
 * `clone:no-namespace` -> {0: 0} (no namespace bit; the other flags do not matter to the
 * rules made here). undefined for a class with no known number, or another syscall.
 */
export function argValuesOfFeature(feature: string): Map<number, bigint> | undefined {
  const colon = feature.indexOf(':');
  if (colon < 0 || neededSyscall(feature) === undefined) return undefined;
  const name = feature.slice(0, colon);
  const cls = feature.slice(colon + 1);
  const one = (index: number, value: number | undefined) => (value === undefined ? undefined : new Map([[index, BigInt(value)]]));
  switch (name) {
    case 'socket':
      return one(0, addressFamilyNumber(cls.split(':')[0] ?? ''));
    case 'ioctl':
      return one(1, ioctlRequestNumber(cls));
    case 'personality':
      return one(0, personalityNumber(cls));
    case 'clone':
      return one(0, cls === 'no-namespace' ? 0 : own(CLONE_NAMESPACE_FLAGS, cls));
    default:
      return undefined;
  }
}

/**
 * Whether alternatives of argument conditions (ORed; each ANDed) let a call with these
 * argument values through: true, false, or undefined when a condition needs an argument
 * the values do not give.
 */
export function argumentsAllowed(
  alternatives: readonly (readonly { index: number; op: string; value: number; valueTwo?: number }[])[],
  values: ReadonlyMap<number, bigint>,
): boolean | undefined {
  let unknown = false;
  for (const conditions of alternatives) {
    let result: boolean | undefined = true;
    for (const c of conditions) {
      const arg = values.get(c.index);
      if (arg === undefined) {
        result = result === false ? false : undefined;
        continue;
      }
      const holds = compare(c.op, arg, BigInt(c.value), BigInt(c.valueTwo ?? 0));
      if (holds === undefined) result = result === false ? false : undefined;
      else if (!holds) result = false;
    }
    if (result === true) return true;
    if (result === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

function compare(op: string, arg: bigint, value: bigint, valueTwo: bigint): boolean | undefined {
  switch (op) {
    case 'SCMP_CMP_EQ':
      return arg === value;
    case 'SCMP_CMP_NE':
      return arg !== value;
    case 'SCMP_CMP_LT':
      return arg < value;
    case 'SCMP_CMP_LE':
      return arg <= value;
    case 'SCMP_CMP_GT':
      return arg > value;
    case 'SCMP_CMP_GE':
      return arg >= value;
    case 'SCMP_CMP_MASKED_EQ':
      return (arg & value) === valueTwo;
    default:
      return undefined;
  }
}
