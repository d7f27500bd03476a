import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/errors.js';
import { DANGEROUS_SYSCALLS } from '../../src/profile/dangerous.js';
import { diffProfiles, effectiveProfile, allowedWithCapabilities, type DockerContext, DOCKER_DEFAULT_CAPS } from '../../src/profile/diff.js';
import { parseDockerProfile, toDockerProfile, type DockerSeccompProfile, type DockerSyscallRule } from '../../src/profile/docker.js';
import { mergeProfiles, renderMergedProfile } from '../../src/profile/merge.js';
import { buildProfilePlan } from '../../src/profile/plan.js';
import { allSyscalls } from '../../src/syscalls/table.js';
import { runtimeNeeds } from '../helpers/runtime-needs.js';

const here = dirname(fileURLToPath(import.meta.url));
const DOCKER_DEFAULT = parseDockerProfile(readFileSync(join(here, '../../data/docker-default-seccomp.json'), 'utf8'));
/** A fixed container, so results do not depend on the kernel the tests run on. */
const CTX: DockerContext = { arch: 'amd64', caps: new Set(DOCKER_DEFAULT_CAPS), kernel: '6.1' };

const merge = (...profiles: DockerSeccompProfile[]) => mergeProfiles(profiles.map((profile, i) => ({ label: `p${i}`, profile }))).profile;
const diff = (a: DockerSeccompProfile, b: DockerSeccompProfile) => diffProfiles({ label: 'A', profile: a }, { label: 'B', profile: b }, CTX);
const status = (p: DockerSeccompProfile, name: string) => effectiveProfile(p, CTX).syscalls.get(name);


// --- arbitraries: seccomplete's own profiles (with and without argument rules) and hand-written ones

const someNames = fc.constantFrom('read', 'write', 'openat', 'socket', 'ioctl', 'clone', 'clone3', 'personality', 'ptrace', 'mount', 'fsync', 'close_range', 'faccessat2', 'execve', 'capset');
const argFeature = fc.constantFrom(
  'socket:AF_INET:SOCK_STREAM',
  'socket:AF_INET6:SOCK_STREAM',
  'socket:AF_UNIX:SOCK_DGRAM',
  'socket:AF_NETLINK:SOCK_RAW',
  'ioctl:TCGETS',
  'ioctl:FIONBIO',
  'ioctl:FIOCLEX',
  'ioctl:MIXER_READ(0)',
  'clone:no-namespace',
  'clone:CLONE_NEWNS',
  'personality:0xffffffff',
  'personality:PER_LINUX',
);
const seccompleteProfile = fc
  .record({
    observed: fc.uniqueArray(fc.oneof(someNames, fc.constantFrom(...allSyscalls('x86_64'))), { maxLength: 25 }),
    features: fc.uniqueArray(argFeature, { maxLength: 8 }),
    argRules: fc.boolean(),
    runtime: fc.option(fc.uniqueArray(someNames, { maxLength: 5 }), { nil: null }),
  })
  .map(({ observed, features, argRules, runtime }) =>
    toDockerProfile(
      buildProfilePlan({
        observed,
        runtime: runtime ? runtimeNeeds(runtime) : null,
        ...(argRules ? { argFeatures: [...observed, ...features] } : {}),
      }),
    ),
  );

const handRule: fc.Arbitrary<DockerSyscallRule> = fc.oneof(
  fc.record({ names: fc.uniqueArray(someNames, { minLength: 1, maxLength: 4 }), action: fc.constant('SCMP_ACT_ALLOW' as const) }),
  fc.record({
    names: fc.constantFrom('socket', 'personality', 'socket+personality').map((n) => n.split('+')),
    action: fc.constant('SCMP_ACT_ALLOW' as const),
    args: fc.array(fc.record({ index: fc.constantFrom(0, 1), value: fc.constantFrom(1, 2, 10, 16, 0xffffffff), op: fc.constantFrom('SCMP_CMP_EQ', 'SCMP_CMP_GT') }), { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    names: fc.uniqueArray(someNames, { minLength: 1, maxLength: 3 }),
    action: fc.constant('SCMP_ACT_ERRNO' as const),
    errnoRet: fc.constantFrom(1, 38, 13),
    comment: fc.constantFrom('why not', 'fallback'),
  }),
);
const handProfile = fc.array(handRule, { maxLength: 6 }).map(
  (syscalls): DockerSeccompProfile => ({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }], syscalls }),
);
const anyProfile = fc.oneof(seccompleteProfile, handProfile);

/** For every syscall A allows, what the union allows is at least as much. */
function expectAtLeast(union: DockerSeccompProfile, a: DockerSeccompProfile): void {
  const u = effectiveProfile(union, CTX).syscalls;
  for (const [name, s] of effectiveProfile(a, CTX).syscalls) {
    if (s.allowed === 'never') continue;
    const su = u.get(name);
    expect(su?.allowed === 'always' || (s.allowed === 'conditionally' && su?.allowed === 'conditionally'), `${name}: ${s.text} vs ${su?.text}`).toBe(true);
    if (su?.allowed === 'conditionally') {
      const keys = new Set(su.alternatives.map((alt) => JSON.stringify(alt)));
      for (const alt of s.alternatives) expect(keys.has(JSON.stringify(alt)), `${name}: ${JSON.stringify(alt)}`).toBe(true);
    }
  }
}

describe('merge: properties', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(anyProfile, anyProfile, (a, b) => {
        expect(merge(a, b)).toEqual(merge(b, a));
      }),
    );
  });

  it('is idempotent: merging a profile with itself, or a merge again with one of its inputs, changes nothing', () => {
    fc.assert(
      fc.property(anyProfile, anyProfile, (a, b) => {
        expect(merge(a, a)).toEqual(merge(a));
        const ab = merge(a, b);
        expect(merge(ab, b)).toEqual(ab);
        expect(merge(ab, ab)).toEqual(ab);
      }),
    );
  });

  it('allows everything each input allows: merge(A, B) ⊇ A, and diff(A, merge(A, B)) removes nothing', () => {
    fc.assert(
      fc.property(anyProfile, anyProfile, (a, b) => {
        const ab = merge(a, b);
        expectAtLeast(ab, a);
        expectAtLeast(ab, b);
        expect(diff(a, ab).removed).toEqual([]);
        expect(diff(b, ab).removed).toEqual([]);
      }),
    );
  });

  it('writes profiles that read back as valid Docker profiles', () => {
    fc.assert(
      fc.property(anyProfile, anyProfile, (a, b) => {
        expect(parseDockerProfile(renderMergedProfile(merge(a, b)))).toEqual(merge(a, b));
      }),
    );
  });

  it('is the same profile for a single seccomplete profile, up to rule order and comments', () => {
    fc.assert(
      fc.property(seccompleteProfile, (a) => {
        expect(diff(a, merge(a)).identical).toBe(true);
      }),
    );
  });
});

describe('merge: argument rules and errno answers', () => {
  const allow = (names: string[], args?: DockerSyscallRule['args']): DockerSyscallRule => ({ names, action: 'SCMP_ACT_ALLOW', ...(args ? { args } : {}) });
  const errno = (names: string[], errnoRet: number): DockerSyscallRule => ({ names, action: 'SCMP_ACT_ERRNO', errnoRet });
  const profile = (...syscalls: DockerSyscallRule[]): DockerSeccompProfile => ({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls });
  const inet = [{ index: 0, value: 2, op: 'SCMP_CMP_EQ' }];
  const unix = [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }];

  it('keeps a syscall unconditional when one input allows it unconditionally', () => {
    const u = merge(profile(allow(['read']), allow(['socket'], inet)), profile(allow(['socket', 'write'])));
    expect(status(u, 'socket')?.allowed).toBe('always');
    expect(u.syscalls!.some((r) => r.args)).toBe(false);
  });

  it('ORs the alternatives of inputs that all condition it', () => {
    const u = merge(profile(allow(['socket'], inet)), profile(allow(['socket'], unix)), profile(allow(['socket'], inet)));
    expect(status(u, 'socket')?.text).toBe('allowed if arg0 == 1 || arg0 == 2');
    expect(u.syscalls!.filter((r) => r.names.includes('socket'))).toHaveLength(2);
  });

  it('keeps an errno answer while nothing allows the call, preferring ENOSYS; drops it once something does', () => {
    expect(status(merge(profile(errno(['clone3'], 38)), profile(errno(['clone3'], 13))), 'clone3')?.text).toBe('errno 38 (ENOSYS)');
    expect(status(merge(profile(errno(['clone3'], 38)), profile()), 'clone3')?.text).toBe('errno 38 (ENOSYS)');
    expect(status(merge(profile(errno(['clone3'], 38)), profile(allow(['clone3']))), 'clone3')?.allowed).toBe('always');
    const { profile: m, notes } = mergeProfiles([
      { label: 'a', profile: profile(errno(['socket'], 38)) },
      { label: 'b', profile: profile(allow(['socket'], inet)) },
    ]);
    expect(status(m, 'socket')?.text).toBe('allowed if arg0 == 2');
    expect(notes[0]).toMatch(/^socket: allowed under argument conditions by some input; its unconditional SCMP_ACT_ERRNO\(38\) rule was dropped/);
  });

  it('merges comments, and keeps them mergeable again', () => {
    const a = profile({ ...allow(['read']), comment: 'observed in the target by seccomplete' });
    const b = profile({ ...allow(['read']), comment: 'needed by runc' });
    const ab = merge(a, b);
    expect(ab.syscalls![0]?.comment).toBe('needed by runc | observed in the target by seccomplete');
    expect(merge(ab, a)).toEqual(ab);
  });

  it('refuses profiles with different default actions (a data error, exit 5)', () => {
    const kill: DockerSeccompProfile = { defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [] };
    let error: unknown;
    try {
      mergeProfiles([
        { label: 'a.json', profile: profile() },
        { label: 'b.json', profile: kill },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(ExitCode.data);
    expect((error as UserError).message).toBe('cannot merge profiles with different default actions: a.json: SCMP_ACT_ERRNO(1), b.json: SCMP_ACT_KILL_PROCESS');
  });

  it("merges with Docker's default: its conditional rules survive where nothing else allows the call", () => {
    const ours = toDockerProfile(buildProfilePlan({ observed: ['read', 'socket'], runtime: null, argFeatures: ['socket:AF_INET:SOCK_STREAM'] }));
    const u = merge(ours, DOCKER_DEFAULT);
    expect(status(u, 'socket')?.text).toBe('allowed if arg0 < 38 || arg0 == 2 || arg0 == 39 || arg0 > 40');
    expect(status(u, 'ptrace')?.allowed).toBe('always');
    expect(diff(DOCKER_DEFAULT, u).removed).toEqual([]);
  });
});

describe('diff', () => {
  it('finds nothing between a profile and itself', () => {
    fc.assert(
      fc.property(anyProfile, (a) => {
        const d = diff(a, a);
        expect(d.identical).toBe(true);
        expect([d.added, d.removed, d.changed]).toEqual([[], [], []]);
      }),
    );
  });

  it('tells added, removed and changed apart', () => {
    const a = toDockerProfile(buildProfilePlan({ observed: ['read', 'write', 'socket', 'clone'], runtime: null }));
    const b = toDockerProfile(buildProfilePlan({ observed: ['read', 'fsync', 'socket', 'clone'], runtime: null, argFeatures: ['socket:AF_INET:SOCK_STREAM', 'clone:no-namespace'] }));
    const d = diff(a, b);
    expect(d.added).toEqual(['fsync']);
    expect(d.removed).toEqual(['write']);
    expect(d.changed).toEqual([
      { name: 'clone', a: 'allowed', b: 'allowed if arg0 & 0x7e020000 == 0' },
      { name: 'socket', a: 'allowed', b: 'allowed if arg0 == 2' },
    ]);
    expect(d.identical).toBe(false);
    // clone without a rule may create namespaces; with the rule it may not
    expect(d.dangerous.onlyA.map((f) => f.label)).toEqual(['clone with namespaces']);
  });

  it("reads Docker's default for a default container on amd64: arch and capability conditions settled", () => {
    const e = effectiveProfile(DOCKER_DEFAULT, CTX);
    expect(e.syscalls.get('arch_prctl')?.allowed).toBe('always');
    expect(e.syscalls.get('ptrace')?.allowed).toBe('always'); // minKernel 4.8
    expect(e.syscalls.get('mount')).toBeUndefined(); // only with CAP_SYS_ADMIN
    expect(e.syscalls.get('clone')?.text).toBe('allowed if arg0 & 0x7e020000 == 0');
    expect(e.syscalls.get('clone3')?.text).toBe('errno 38 (ENOSYS)');
    expect(e.syscalls.get('socket')?.text).toBe('allowed if arg0 < 38 || arg0 == 39 || arg0 > 40');
    expect(e.ignored).toContain('_llseek');
    expect(e.syscalls.has('_llseek')).toBe(false);
    // with CAP_SYS_ADMIN, mount and clone with namespaces come in
    const admin = effectiveProfile(DOCKER_DEFAULT, { ...CTX, caps: new Set([...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN']) });
    expect(admin.syscalls.get('mount')?.allowed).toBe('always');
    expect(admin.syscalls.get('clone')?.allowed).toBe('always');
  });

  it("names the dangerous syscalls a seccomplete profile keeps out that Docker's default allows", () => {
    const ours = toDockerProfile(buildProfilePlan({ observed: ['read', 'write', 'clone', 'socket'], runtime: null, argFeatures: ['clone:no-namespace', 'socket:AF_INET:SOCK_STREAM'] }));
    const d = diff(ours, DOCKER_DEFAULT);
    // Docker's default already keeps the keyring calls, io_uring, mount... out (without added capabilities)
    expect(d.dangerous.onlyB.map((f) => f.name)).toEqual(['name_to_handle_at', 'process_vm_readv', 'process_vm_writev', 'ptrace']);
    expect(d.dangerous.onlyA).toEqual([]);
    const withCaps = allowedWithCapabilities(DOCKER_DEFAULT, ['mount', 'bpf', 'ptrace'], CTX);
    expect(withCaps).toEqual([
      { name: 'mount', caps: ['CAP_SYS_ADMIN'] },
      { name: 'bpf', caps: ['CAP_BPF', 'CAP_SYS_ADMIN'] },
      { name: 'ptrace', caps: ['CAP_SYS_PTRACE'] },
    ]);
    // and the other way round: an unconditional clone lets namespaces in, which Docker's default keeps out
    const loose = toDockerProfile(buildProfilePlan({ observed: ['read', 'clone', 'unshare'], runtime: null }));
    expect(diff(loose, DOCKER_DEFAULT).dangerous.onlyA.map((f) => f.label)).toEqual(['clone with namespaces', 'unshare']);
  });

  it('has a reason for every dangerous syscall, and each is an x86_64 syscall', () => {
    const known = new Set(allSyscalls('x86_64'));
    for (const entry of DANGEROUS_SYSCALLS) {
      expect(known.has(entry.name), entry.name).toBe(true);
      expect(entry.why.length).toBeGreaterThan(10);
    }
  });
});
