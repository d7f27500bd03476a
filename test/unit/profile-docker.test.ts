import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import {
  allowedNames,
  errnoRules,
  parseDockerProfile,
  renderDockerProfile,
  toDockerProfile,
} from '../../src/profile/docker.js';
import { ENOSYS, buildProfilePlan, type ProfilePlan } from '../../src/profile/plan.js';
import { allSyscalls } from '../../src/syscalls/table.js';
import { runtimeNeeds } from '../helpers/runtime-needs.js';

const here = dirname(fileURLToPath(import.meta.url));
const DOCKER_DEFAULT_PROFILE = join(here, '../../data/docker-default-seccomp.json');


const names = (plan: ProfilePlan) => plan.allow.map((entry) => entry.name);
const errnoOf = (plan: ProfilePlan, name: string) => plan.errno.find((rule) => rule.name === name)?.errno;
/** errno rules other than the standing "denied with ENOSYS because it has a fallback" ones */
const ownRules = (plan: ProfilePlan) => plan.errno.filter((rule) => rule.why !== 'denied-with-fallback');

/** Syscalls of the x86_64 table, often the ones with rules of their own; lists of them as observations and runtime needs. */
const knownName = fc.oneof(fc.constantFrom('clone', 'clone3', 'execve'), fc.constantFrom(...allSyscalls('x86_64')));
const nameList = fc.array(knownName, { maxLength: 40 });
const planInput = fc.record({
  observed: nameList,
  runtime: fc.option(nameList.map(runtimeNeeds), { nil: null }),
});

describe('buildProfilePlan', () => {
  it('answers clone3 with ENOSYS when the target makes clone, so glibc falls back', () => {
    const plan = buildProfilePlan({ observed: ['clone', 'read'], runtime: null });
    expect(errnoOf(plan, 'clone3')).toBe(ENOSYS);
    expect(names(plan)).toEqual(['clone', 'read']);
  });

  it('answers clone3 with ENOSYS even when it was observed, as long as clone is allowed', () => {
    const plan = buildProfilePlan({ observed: ['clone', 'clone3'], runtime: null });
    expect(names(plan)).toEqual(['clone']);
    expect(ownRules(plan)).toEqual([expect.objectContaining({ name: 'clone3', errno: ENOSYS })]);
  });

  it('answers clone3 with ENOSYS when only the runtime needs clone', () => {
    const plan = buildProfilePlan({ observed: ['clone3'], runtime: runtimeNeeds(['clone', 'execve']) });
    expect(errnoOf(plan, 'clone3')).toBe(ENOSYS);
  });

  it('keeps clone3 allowed when it was observed and clone was not', () => {
    const plan = buildProfilePlan({ observed: ['clone3', 'write'], runtime: null });
    expect(names(plan)).toEqual(['clone3', 'write']);
    expect(ownRules(plan)).toEqual([]);
  });

  it('adds no errno rule of its own when neither clone nor clone3 is used', () => {
    expect(ownRules(buildProfilePlan({ observed: ['read'], runtime: null }))).toEqual([]);
  });

  it('denies an unneeded syscall that has a known fallback with ENOSYS, never EPERM', () => {
    const plan = buildProfilePlan({ observed: ['read', 'faccessat'], runtime: null });
    for (const name of ['clone3', 'faccessat2', 'statx', 'close_range', 'getrandom', 'rseq']) {
      expect(errnoOf(plan, name), name).toBe(ENOSYS);
    }
    expect(errnoOf(plan, 'ptrace')).toBeUndefined(); // no fallback: the default EPERM
  });

  it('with --prefer-enosys answers a syscall with ENOSYS when its fallback was seen to work', () => {
    const input = {
      observed: ['faccessat', 'faccessat2', 'getrandom', 'openat'],
      runtime: null,
      observedFallbacks: [
        { syscall: 'faccessat2', fallback: 'faccessat' },
        { syscall: 'getrandom', fallback: 'ptrace' }, // not a known fallback: ignored
      ],
    };
    expect(names(buildProfilePlan(input))).toContain('faccessat2');
    const tight = buildProfilePlan({ ...input, preferEnosys: true });
    expect(errnoOf(tight, 'faccessat2')).toBe(ENOSYS);
    expect(tight.errno.find((r) => r.name === 'faccessat2')?.why).toBe('prefer-enosys');
    expect(names(tight)).toContain('getrandom');
  });

  it('merges the runtime needs, marking the names only the runtime needs', () => {
    const plan = buildProfilePlan({ observed: ['write', 'read'], runtime: runtimeNeeds(['fstatfs', 'write', 'execve']) });
    expect(plan.allow).toEqual([
      { name: 'execve', origin: 'runtime' },
      { name: 'fstatfs', origin: 'runtime' },
      { name: 'read', origin: 'target' },
      { name: 'write', origin: 'target' },
    ]);
    expect(plan.runtime).toEqual({ name: 'runc', version: '1.1.5' });
  });

  it('denies everything else with EPERM', () => {
    expect(buildProfilePlan({ observed: [], runtime: null }).defaultErrno).toBe(1);
  });

  it('rejects names that are not x86_64 syscalls, naming them', () => {
    const unknown = () => buildProfilePlan({ observed: ['read', 'frobnicate', 'syscall_0x1b6'], runtime: null });
    expect(unknown).toThrow(UserError);
    expect(unknown).toThrow('observed syscalls contain names that are not x86_64 syscalls: frobnicate, syscall_0x1b6');
    expect(() => buildProfilePlan({ observed: ['read'], runtime: runtimeNeeds(['chown32']) })).toThrow(
      /runc 1\.1\.5 needs contain .*: chown32/,
    );
  });

  it('makes plans that cannot be changed afterwards', () => {
    const plan = buildProfilePlan({ observed: ['read'], runtime: null });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.allow)).toBe(true);
    expect(Object.isFrozen(plan.allow[0])).toBe(true);
  });

  it('never allows and errno-answers the same name, and allows nothing that was not needed', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plan = buildProfilePlan(input);
        const allowed = names(plan);
        const answered = plan.errno.map((rule) => rule.name);
        const needed = new Set([...input.observed, ...(input.runtime?.syscalls ?? [])]);
        expect(allowed.filter((name) => answered.includes(name))).toEqual([]);
        for (const name of allowed) expect(needed.has(name)).toBe(true);
        // everything needed is decided one way or the other; only clone3 is errno-answered among them
        for (const name of needed) expect(allowed.includes(name) || answered.includes(name)).toBe(true);
        expect(ownRules(plan).map((r) => r.name)).toEqual(allowed.includes('clone') ? ['clone3'] : []);
        // and every errno answer is ENOSYS for a syscall with a known fallback
        for (const rule of plan.errno) expect(rule.errno).toBe(ENOSYS);
        expect(allowed).toEqual([...new Set(allowed)].sort());
        for (const entry of plan.allow) {
          expect(entry.origin).toBe(input.observed.includes(entry.name) ? 'target' : 'runtime');
        }
      }),
    );
  });
});

describe('renderDockerProfile', () => {
  it('renders deny-by-default JSON with the target rule, the runtime rule and errno rules', () => {
    const plan = buildProfilePlan({ observed: ['write', 'clone', 'exit_group'], runtime: runtimeNeeds(['fstatfs', 'execve']) });
    expect(renderDockerProfile(plan)).toBe(
      `{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [
    {
      "architecture": "SCMP_ARCH_X86_64",
      "subArchitectures": []
    }
  ],
  "syscalls": [
    {
      "names": [
        "clone",
        "exit_group",
        "write"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "observed in the target by seccomplete"
    },
    {
      "names": [
        "execve",
        "fstatfs"
      ],
      "action": "SCMP_ACT_ALLOW",
      "comment": "not made by the target: needed by runc 1.1.5 between loading this filter and exec'ing the command"
    },
    {
      "names": [
        "clone3"
      ],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 38,
      "comment": "ENOSYS makes glibc fall back to clone, which is allowed; EPERM would break the fallback (Docker does the same)"
    },
    {
      "names": [
        "close_range",
        "copy_file_range",
        "epoll_pwait2",
        "faccessat2",
        "fchmodat2",
        "futex_waitv",
        "getrandom",
        "io_uring_setup",
        "map_shadow_stack",
        "membarrier",
        "mseal",
        "openat2",
        "pidfd_open",
        "pidfd_send_signal",
        "preadv2",
        "pwritev2",
        "rseq",
        "statx"
      ],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 38,
      "comment": "not needed, and denied with ENOSYS rather than EPERM so that a caller takes its fallback"
    }
  ]
}
`,
    );
  });

  it('leaves out empty rules', () => {
    const allowRules = (p: ReturnType<typeof toDockerProfile>) => (p.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW');
    expect(allowRules(toDockerProfile(buildProfilePlan({ observed: [], runtime: null })))).toEqual([]);
    const runtimeOnly = toDockerProfile(buildProfilePlan({ observed: [], runtime: runtimeNeeds(['execve']) }));
    expect(allowRules(runtimeOnly)).toHaveLength(1);
  });

  it('does not depend on the order or repetition of the observations', () => {
    fc.assert(
      fc.property(planInput, fc.func(fc.integer()), (input, key) => {
        const shuffled = [...input.observed, ...input.observed].sort((a, b) => key(a) - key(b) || a.localeCompare(b));
        expect(renderDockerProfile(buildProfilePlan({ ...input, observed: shuffled }))).toBe(
          renderDockerProfile(buildProfilePlan(input)),
        );
      }),
    );
  });

  it('round-trips through parseDockerProfile with the same allowed set and errno rules', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const plan = buildProfilePlan(input);
        const text = renderDockerProfile(plan);
        expect(text.endsWith('}\n')).toBe(true);
        const parsed = parseDockerProfile(text);
        expect(parsed).toEqual(toDockerProfile(plan));
        expect(allowedNames(parsed)).toEqual(names(plan));
        expect(errnoRules(parsed)).toEqual(plan.errno.map((rule) => ({ name: rule.name, errnoRet: rule.errno })));
      }),
    );
  });
});

describe('parseDockerProfile', () => {
  const valid = () => toDockerProfile(buildProfilePlan({ observed: ['read', 'clone'], runtime: null }));
  const withRule = (rule: Record<string, unknown>) => JSON.stringify({ ...valid(), syscalls: [rule] });

  it("reads Docker's own default profile, counting only unconditional rules as allowed", () => {
    const profile = parseDockerProfile(readFileSync(DOCKER_DEFAULT_PROFILE, 'utf8'));
    const allowed = allowedNames(profile);
    expect(allowed).toContain('read');
    expect(allowed).toContain('chown32'); // other architectures' names are Docker's business, not rejected
    expect(allowed).not.toContain('clone'); // allowed only with argument filters
    expect(allowed).not.toContain('ptrace'); // allowed only from kernel 4.8 on
    expect(profile.defaultErrnoRet).toBe(1);
  });

  it('takes an errno rule without errnoRet as EPERM, as runc does', () => {
    const text = withRule({ names: ['mount'], action: 'SCMP_ACT_ERRNO' });
    expect(errnoRules(parseDockerProfile(text))).toEqual([{ name: 'mount', errnoRet: 1 }]);
  });

  it("folds Docker's deprecated single `name` into names", () => {
    const parsed = parseDockerProfile(withRule({ name: 'read', action: 'SCMP_ACT_ALLOW' }));
    expect(allowedNames(parsed)).toEqual(['read']);
  });

  const malformed: [string, string, RegExp][] = [
    ['not JSON', '{"defaultAction": ', /^p\.json: not valid JSON \(/],
    ['an array', '[]', /^p\.json: profile must be an object, got an array$/],
    ['no default action', '{"syscalls": []}', /^p\.json: profile has no defaultAction$/],
    ['an unknown action', '{"defaultAction": "SCMP_ACT_DENY"}', /defaultAction must be one of SCMP_ACT_KILL, .*got "SCMP_ACT_DENY"$/],
    ['a misspelt key', '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoret": 1}', /profile has unknown key "defaultErrnoret"/],
    ['syscalls as an object', '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": {}}', /syscalls must be an array of rules, got an object$/],
    ['a negative errno', '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}', /defaultErrnoRet must be a non-negative integer, got -1$/],
    ['a name that is a number', withRule({ names: ['read', 7], action: 'SCMP_ACT_ALLOW' }), /syscalls\[0\]\.names\[1\] must be a string, got 7$/],
    ['a rule without names', withRule({ names: [], action: 'SCMP_ACT_ALLOW' }), /syscalls\[0\] lists no syscall names$/],
    ['a rule without action', withRule({ names: ['read'] }), /syscalls\[0\] has no action$/],
    ['errnoRet on an allow rule', withRule({ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }), /syscalls\[0\]\.errnoRet is only meaningful with SCMP_ACT_ERRNO/],
    ['a misspelt rule key', withRule({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoret: 38 }), /syscalls\[0\] has unknown key "errnoret"/],
    ['a seventh argument', withRule({ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }), /syscalls\[0\]\.args\[0\]\.index must be 0-5/],
    ['an archMap entry with a typo', '{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArches": []}]}', /archMap\[0\] has unknown key "subArches"/],
  ];
  it.each(malformed)('rejects %s with a one-line data error', (_what, text, message) => {
    let thrown: unknown;
    try {
      parseDockerProfile(text, 'p.json');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as UserError).exitCode).toBe(ExitCode.data);
    expect((thrown as UserError).message).toMatch(message);
    expect((thrown as UserError).message).not.toContain('\n');
  });

  it('answers any JSON or text either with a profile or with a one-line data error, never a crash', () => {
    const input = fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      // near misses: a valid profile with one field replaced by an arbitrary value
      fc
        .tuple(fc.constantFrom('defaultAction', 'defaultErrnoRet', 'archMap', 'syscalls', 'names', 'action', 'errnoRet'), fc.jsonValue())
        .map(([field, value]) => {
          const profile = valid() as unknown as Record<string, unknown>;
          const rule = (profile.syscalls as Record<string, unknown>[])[0]!;
          if (field in profile) profile[field] = value;
          else rule[field] = value;
          return JSON.stringify(profile);
        }),
    );
    fc.assert(
      fc.property(input, (text) => {
        try {
          parseDockerProfile(text);
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
    );
  });
});
