import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { featuresOf } from '../../src/coverage/features.js';
import {
  ADDRESS_FAMILIES,
  CLONE_NAMESPACE_MASK,
  addressFamilyNumber,
  argValuesOfFeature,
  argumentsAllowed,
  deriveArgRules,
  describeCondition,
  personalityNumber,
  type ArgCondition,
} from '../../src/profile/arg-rules.js';
import { allowedNames, parseDockerProfile, renderDockerProfile, toDockerProfile, type DockerSyscallArg } from '../../src/profile/docker.js';
import { IOCTL_REQUESTS, ioctlRequestNumber } from '../../src/profile/ioctl-requests.js';
import { buildProfilePlan } from '../../src/profile/plan.js';
import { StraceParser } from '../../src/trace/strace-parser.js';
import { runtimeNeeds } from '../helpers/runtime-needs.js';

const here = dirname(fileURLToPath(import.meta.url));
const dockerDefault = parseDockerProfile(readFileSync(join(here, '../../data/docker-default-seccomp.json'), 'utf8'));

/** Features of strace lines, as the campaign records them. */
function featuresOfLines(lines: readonly string[]): string[] {
  const parser = new StraceParser();
  const out: string[] = [];
  for (const line of lines) {
    for (const ev of parser.push(line)) if (ev.kind === 'syscall' || ev.kind === 'resumed') out.push(...featuresOf(ev, { argFeatures: true, arch: 'x86_64' }));
  }
  expect(parser.unparsed).toBe(0);
  return [...new Set(out)];
}

/** What the kernel's seccomp filter decides for one comparison (64-bit arguments). */
function holds(c: ArgCondition | DockerSyscallArg, args: readonly bigint[]): boolean {
  const arg = args[c.index] ?? 0n;
  const value = BigInt(c.value);
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      return arg === value;
    case 'SCMP_CMP_MASKED_EQ':
      return (arg & value) === BigInt(c.valueTwo ?? 0);
    default:
      throw new Error(`op ${c.op} not modelled`);
  }
}
const allowedBy = (alternatives: readonly { conditions: readonly ArgCondition[] }[], args: readonly bigint[]) =>
  alternatives.some((alt) => alt.conditions.every((c) => holds(c, args)));


describe('ioctl request numbers', () => {
  it.each([
    ['TCGETS', 0x5401],
    ['TCSETS', 0x5402],
    ['TCSETSW', 0x5403],
    ['TCSETSF', 0x5404],
    ['TIOCGPGRP', 0x540f],
    ['TIOCSPGRP', 0x5410],
    ['TIOCGWINSZ', 0x5413],
    ['FIONREAD', 0x541b],
    ['TIOCINQ', 0x541b],
    ['FIONBIO', 0x5421],
    ['FIONCLEX', 0x5450],
    ['FIOCLEX', 0x5451],
    ['SIOCGIFINDEX', 0x8933],
    ['TIOCGPTN', 0x80045430],
    ['FS_IOC_GETFLAGS', 0x80086601],
    ['SNDCTL_TMR_START', 0x5402],
  ])('%s is %i on x86_64', (name, number) => {
    expect(IOCTL_REQUESTS[name]).toBe(number);
    expect(ioctlRequestNumber(name)).toBe(number);
  });

  it.each([
    // as features.ts keeps them: strace's blanks removed
    ['_IOC(_IOC_READ|_IOC_WRITE,0x12,0x34,0x8)', 0xc0081234],
    ['_IOC(_IOC_NONE,0x54,0x99,0)', 0x5499],
    ['_IOC(_IOC_WRITE,0x54,0x99,0x4)', 0x40045499],
    ['_IOC(_IOC_READ,0x66,0x7f,0x4)', 0x8004667f],
    ['0x5499', 0x5499],
    ['21505', 0x5401],
  ])('decodes what strace prints for unnamed requests: %s', (printed, number) => {
    expect(ioctlRequestNumber(printed)).toBe(number);
  });

  it('knows nothing it was not told: unknown names, macros with arguments, out-of-range numbers', () => {
    for (const printed of ['MIXER_READ(0)', 'NOT_A_REQUEST', '0x1ffffffff', '_IOC(_IOC_BOGUS,0x1,0x2,0x3)', 'constructor', '__proto__']) {
      expect(ioctlRequestNumber(printed), printed).toBeUndefined();
    }
  });
});

describe('address families and personas', () => {
  it('numbers the families strace prints, and its bare numbers', () => {
    expect(addressFamilyNumber('AF_UNIX')).toBe(1);
    expect(addressFamilyNumber('AF_INET')).toBe(2);
    expect(addressFamilyNumber('AF_INET6')).toBe(10);
    expect(addressFamilyNumber('AF_NETLINK')).toBe(16);
    expect(addressFamilyNumber('AF_VSOCK')).toBe(40);
    expect(addressFamilyNumber('0x2e')).toBe(0x2e);
    expect(addressFamilyNumber('AF_MADE_UP')).toBeUndefined();
  });

  it.each([
    ['PER_LINUX', 0],
    ['0xffffffff', 0xffffffff],
    ['PER_LINUX32', 8],
    ['PER_LINUX|ADDR_NO_RANDOMIZE', 0x40000],
    ['PER_LINUX|READ_IMPLIES_EXEC', 0x400000],
    ['0x56|UNAME26|MMAP_PAGE_ZERO|0x3400', 0x123456],
  ])('personality %s is %i', (printed, value) => {
    expect(personalityNumber(printed)).toBe(value);
  });

  it('gives up on a persona part it cannot name', () => {
    expect(personalityNumber('PER_LINUX|SOME_FLAG')).toBeUndefined();
  });
});

describe('deriveArgRules', () => {
  const straceLines = [
    'socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3',
    'socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0) = 4',
    'socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 5',
    'ioctl(0, TCGETS, 0x7ffc4a8f9100)  = -1 ENOTTY (Inappropriate ioctl for device)',
    'ioctl(27, FIONBIO, [1])           = 0',
    'ioctl(5, SNDCTL_TMR_START or TCSETS, NULL) = -1 ENOTTY (Inappropriate ioctl for device)',
    'ioctl(3, _IOC(_IOC_READ|_IOC_WRITE, 0x12, 0x34, 0x8), 0x7ffd380f4ab0) = -1 ENOTTY (Inappropriate ioctl for device)',
    'clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f65ba8ada10) = 17424',
    'personality(PER_LINUX|ADDR_NO_RANDOMIZE) = 0 (PER_LINUX)',
    'personality(0xffffffff)                 = 0 (PER_LINUX)',
  ];
  const features = featuresOfLines(straceLines);
  const observed = ['socket', 'ioctl', 'clone', 'personality', 'read'];

  it('makes one alternative per family, request and persona seen, sorted by value', () => {
    const { rules, notes } = deriveArgRules({ features, observed });
    expect(notes).toEqual([]);
    expect(rules.get('socket')?.alternatives.map((a) => a.conditions)).toEqual([
      [{ index: 0, op: 'SCMP_CMP_EQ', value: 1 }],
      [{ index: 0, op: 'SCMP_CMP_EQ', value: 2 }],
    ]);
    expect(rules.get('ioctl')?.alternatives.map((a) => [a.label, a.conditions[0]?.valueTwo])).toEqual([
      ['TCGETS', 0x5401],
      ['TCSETS', 0x5402],
      ['FIONBIO', 0x5421],
      ['_IOC(_IOC_READ|_IOC_WRITE,0x12,0x34,0x8)', 0xc0081234],
    ]);
    expect(rules.get('personality')?.alternatives.map((a) => a.conditions[0]?.value)).toEqual([0x40000, 0xffffffff]);
    expect(rules.get('clone')?.alternatives.map((a) => a.conditions)).toEqual([
      [{ index: 0, op: 'SCMP_CMP_MASKED_EQ', value: CLONE_NAMESPACE_MASK, valueTwo: 0 }],
    ]);
    expect(rules.has('read')).toBe(false);
  });

  it("uses Docker's own clone rule: the same CLONE_NEW* mask, compared the same way", () => {
    const dockerClone = dockerDefault.syscalls!.find((r) => r.names.includes('clone') && r.args?.length && !r.includes?.arches);
    const ours = deriveArgRules({ features: ['clone', 'clone:no-namespace'], observed: ['clone'] }).rules.get('clone')!;
    expect(dockerClone?.args).toEqual([{ index: 0, value: ours.alternatives[0]!.conditions[0]!.value, op: 'SCMP_CMP_MASKED_EQ' }]);
  });

  it('leaves a syscall unconditional, saying why, when a class has no number or namespaces were created', () => {
    const { rules, notes } = deriveArgRules({
      features: ['ioctl', 'ioctl:TCGETS', 'ioctl:MIXER_READ(0)', 'clone', 'clone:CLONE_NEWNS', 'clone:no-namespace', 'socket', 'socket:AF_MADE_UP:SOCK_STREAM'],
      observed: ['ioctl', 'clone', 'socket'],
    });
    expect([...rules.keys()]).toEqual([]);
    expect(notes).toEqual([
      'clone stays unconditionally allowed: the target creates namespaces (CLONE_NEWNS)',
      'ioctl stays unconditionally allowed: no number known for the ioctl request MIXER_READ(0)',
      'socket stays unconditionally allowed: no number known for the address family AF_MADE_UP',
    ]);
  });

  it('makes no rule for a syscall the runtime needs too, or one whose arguments were never traced', () => {
    const { rules, notes } = deriveArgRules({
      features: ['socket', 'ioctl', 'ioctl:TCGETS'],
      observed: ['socket', 'ioctl'],
      neededElsewhere: new Map([['ioctl', 'runc 1.1.5']]),
    });
    expect(rules.size).toBe(0);
    expect(notes[0]).toMatch(/^ioctl stays unconditionally allowed: runc 1\.1\.5 needs it too/);
    expect(notes[1]).toMatch(/^socket stays unconditionally allowed: none of its arguments were traced/);
  });

  it('ignores fault causes and syscalls the target does not make', () => {
    const { rules } = deriveArgRules({ features: ['clone3!ENOSYS->clone:no-namespace', 'socket:AF_INET:SOCK_STREAM'], observed: ['clone3'] });
    expect(rules.size).toBe(0);
  });

  it('allows exactly the requests and families seen; a sign-extended request is still the same request', () => {
    const requestNames = Object.keys(IOCTL_REQUESTS);
    const familyNames = Object.keys(ADDRESS_FAMILIES);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...requestNames), { minLength: 1, maxLength: 8 }),
        fc.uniqueArray(fc.constantFrom(...familyNames), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...requestNames),
        fc.constantFrom(...familyNames),
        (requests, families, probeRequest, probeFamily) => {
          const features = [...requests.map((r) => `ioctl:${r}`), ...families.map((f) => `socket:${f}:SOCK_STREAM`)];
          const { rules } = deriveArgRules({ features, observed: ['ioctl', 'socket'] });
          const ioctl = rules.get('ioctl')!.alternatives;
          const socket = rules.get('socket')!.alternatives;
          const number = IOCTL_REQUESTS[probeRequest]!;
          const seenRequest = requests.some((r) => IOCTL_REQUESTS[r] === number);
          expect(allowedBy(ioctl, [3n, BigInt(number)])).toBe(seenRequest);
          expect(allowedBy(ioctl, [3n, 0xffffffff00000000n | BigInt(number)])).toBe(seenRequest);
          const family = ADDRESS_FAMILIES[probeFamily]!;
          expect(allowedBy(socket, [BigInt(family), 1n])).toBe(families.some((f) => ADDRESS_FAMILIES[f] === family));
        },
      ),
    );
  });

  it('never lets a namespace flag through clone once the rule is made', () => {
    const clone = deriveArgRules({ features: ['clone:no-namespace'], observed: ['clone'] }).rules.get('clone')!.alternatives;
    const namespaceFlags = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(...namespaceFlags), (flags, ns) => {
        expect(allowedBy(clone, [flags | BigInt(ns)])).toBe(false);
        expect(allowedBy(clone, [flags & ~BigInt(CLONE_NAMESPACE_MASK)])).toBe(true);
      }),
    );
  });

  it('describes conditions for people', () => {
    expect(describeCondition({ index: 0, op: 'SCMP_CMP_EQ', value: 2 })).toBe('arg0 == 2');
    expect(describeCondition({ index: 1, op: 'SCMP_CMP_MASKED_EQ', value: 0xffffffff, valueTwo: 0x5401 })).toBe('arg1 & 0xffffffff == 0x5401');
    expect(describeCondition({ index: 0, op: 'SCMP_CMP_GT', value: 40 })).toBe('arg0 > 40');
  });
});

describe('argument rules in the plan and the Docker profile', () => {
  const features = ['socket', 'socket:AF_INET:SOCK_STREAM', 'socket:AF_INET6:SOCK_STREAM', 'ioctl', 'ioctl:TCGETS', 'ioctl:FIONBIO', 'clone', 'clone:no-namespace', 'read'];
  const observed = ['clone', 'ioctl', 'read', 'socket'];

  it('conditions the target syscalls and keeps them out of the unconditional allow rule', () => {
    const plan = buildProfilePlan({ observed, runtime: null, argFeatures: features });
    expect(plan.allow.filter((a) => a.argRule).map((a) => a.name)).toEqual(['clone', 'ioctl', 'socket']);
    expect(plan.argRuleNotes).toEqual([]);
    const profile = toDockerProfile(plan);
    const unconditional = profile.syscalls!.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args);
    expect(unconditional.flatMap((r) => r.names)).toEqual(['read']);
    const socketRules = profile.syscalls!.filter((r) => r.names.includes('socket'));
    expect(socketRules.map((r) => r.args)).toEqual([[{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }], [{ index: 0, value: 10, op: 'SCMP_CMP_EQ' }]]);
    expect(socketRules.every((r) => r.names.length === 1 && r.action === 'SCMP_ACT_ALLOW' && /AF_INET/.test(r.comment ?? ''))).toBe(true);
    expect(profile.syscalls!.filter((r) => r.names.includes('ioctl')).map((r) => r.args?.[0])).toEqual([
      { index: 1, value: 0xffffffff, valueTwo: 0x5401, op: 'SCMP_CMP_MASKED_EQ' },
      { index: 1, value: 0xffffffff, valueTwo: 0x5421, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    // clone3 is still answered with ENOSYS so that glibc falls back to the conditioned clone
    expect(profile.syscalls!.find((r) => r.names.includes('clone3'))?.errnoRet).toBe(38);
  });

  it('renders a profile that reads back, whose unconditional names leave the conditioned ones out', () => {
    const plan = buildProfilePlan({ observed, runtime: null, argFeatures: features });
    const reread = parseDockerProfile(renderDockerProfile(plan));
    expect(allowedNames(reread)).toEqual(['read']);
    expect(reread.syscalls!.filter((r) => r.args).length).toBe(5);
  });

  it('leaves what the runtime needs too unconditional', () => {
    const plan = buildProfilePlan({ observed, runtime: runtimeNeeds(['ioctl', 'capset']), argFeatures: features });
    expect(plan.allow.find((a) => a.name === 'ioctl')?.argRule).toBeUndefined();
    expect(plan.allow.find((a) => a.name === 'socket')?.argRule).toBeDefined();
    expect(plan.argRuleNotes?.[0]).toMatch(/^ioctl stays unconditionally allowed: runc 1\.1\.5 needs it too/);
  });

  it('changes nothing without --arg-rules', () => {
    const plan = buildProfilePlan({ observed, runtime: null });
    expect(plan.allow.some((a) => a.argRule)).toBe(false);
    expect(plan.argRuleNotes).toBeUndefined();
    expect(toDockerProfile(plan).syscalls!.some((r) => r.args)).toBe(false);
  });
});

describe('checking traced argument classes against rules (what a verifier needs)', () => {
  const features = ['socket:AF_INET:SOCK_STREAM', 'ioctl:TCGETS', 'clone:no-namespace', 'personality:0xffffffff'];
  const { rules } = deriveArgRules({ features, observed: ['socket', 'ioctl', 'clone', 'personality'] });
  const allowed = (feature: string) => {
    const name = feature.slice(0, feature.indexOf(':'));
    const values = argValuesOfFeature(feature);
    return values && argumentsAllowed(rules.get(name)!.alternatives.map((a) => a.conditions), values);
  };

  it('lets the classes the rules were made from through, and others not', () => {
    for (const f of features) expect(allowed(f), f).toBe(true);
    expect(allowed('socket:AF_INET6:SOCK_STREAM')).toBe(false);
    expect(allowed('ioctl:FIONREAD')).toBe(false);
    expect(allowed('clone:CLONE_NEWUSER')).toBe(false);
    expect(allowed('personality:PER_LINUX32')).toBe(false);
    expect(allowed('ioctl:MIXER_READ(0)')).toBeUndefined();
  });

  it("reads Docker's own socket rules the same way", () => {
    const socket = dockerDefault.syscalls!.filter((r) => r.names.includes('socket') && r.args).map((r) => r.args!);
    const verdict = (family: string) => argumentsAllowed(socket, argValuesOfFeature(`socket:${family}:SOCK_STREAM`)!);
    expect(verdict('AF_INET6')).toBe(true);
    expect(verdict('AF_VSOCK')).toBe(false);
    expect(verdict('AF_ALG')).toBe(false);
    expect(argumentsAllowed([[{ index: 2, op: 'SCMP_CMP_EQ', value: 1 }]], new Map([[0, 1n]]))).toBeUndefined();
  });
});
