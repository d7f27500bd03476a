import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../src/errors.js';
import { allowedAnywhere, allowedOn, errnoAnywhere, GO_ARCH } from '../../src/profile/arch-view.js';
import { renderDockerProfile, toDockerProfile, type DockerSeccompProfile } from '../../src/profile/docker.js';
import {
  FORMATS,
  FORMAT_NAMES,
  formatContext,
  parseArchList,
  parseFormatList,
  renderFormat,
  writeFormats,
  type FormatName,
} from '../../src/profile/formats.js';
import { profileNameFor, toSpoSeccompProfile } from '../../src/profile/k8s.js';
import { ociSchemaDir, toOciSeccomp, validateOciSeccomp, type OciSeccomp } from '../../src/profile/oci.js';
import { ENOSYS, EPERM, buildProfilePlan, type ProfilePlan } from '../../src/profile/plan.js';
import { ARCHES, allSyscalls, isKnownSyscall, type Arch } from '../../src/syscalls/table.js';
import { runtimeNeeds } from '../helpers/runtime-needs.js';

const COMMAND = ['node', '/srv/demo-server/server.mjs', '--port', '{port}'];


/** A plan with something of everything: target and runtime names, clone3 -> ENOSYS, an aarch64 counterpart. */
const plan = buildProfilePlan({
  observed: ['clone', 'execve', 'exit_group', 'open', 'read', 'write', 'arch_prctl'],
  runtime: runtimeNeeds(['capget', 'execve', 'getdents']),
  architectures: ['x86_64', 'aarch64'],
});
const x86Plan = buildProfilePlan({ observed: ['clone', 'execve', 'exit_group', 'openat', 'read'], runtime: null });
const render = (format: FormatName, p: ProfilePlan = plan) => renderFormat(format, formatContext(p, COMMAND));
const content = (format: FormatName, file: string, p: ProfilePlan = plan) => {
  const found = render(format, p).find((f) => f.file === file);
  if (!found) throw new Error(`${format} rendered no ${file}`);
  return found.content;
};

describe('the format registry', () => {
  it('renders exactly the files each format declares', () => {
    for (const format of FORMAT_NAMES) expect(render(format).map((f) => f.file), format).toEqual([...FORMATS[format].files]);
    expect(FORMAT_NAMES).toEqual(['docker', 'oci', 'k8s', 'systemd', 'list']);
  });

  it('parses --format and --arch lists, rejecting unknown names as usage errors', () => {
    expect(parseFormatList('list, docker,oci,docker')).toEqual(['docker', 'oci', 'list']);
    expect(parseArchList('aarch64,x86_64')).toEqual(['x86_64', 'aarch64']);
    for (const bad of [() => parseFormatList('docker,seccomp'), () => parseFormatList(' , '), () => parseArchList('riscv64'), () => parseArchList('')]) {
      expect(bad).toThrow(UserError);
    }
    expect(() => parseFormatList('json')).toThrow(/unknown format json \(known: docker, oci, k8s, systemd, list\)/);
  });

  it('writes every file into --out, the docker one where told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sctest-formats-'));
    try {
      const written = await writeFormats(FORMAT_NAMES, formatContext(plan, COMMAND), dir, { 'profile.json': join(dir, 'elsewhere.json') });
      expect(written.docker).toEqual([join(dir, 'elsewhere.json')]);
      expect(written.k8s).toEqual(['seccompprofile.yaml', 'seccomp-localhost.json', 'pod-snippet.yaml'].map((f) => join(dir, f)));
      for (const paths of Object.values(written)) for (const file of paths) expect(readFileSync(file, 'utf8').length).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the profile after the program or the script an interpreter runs', () => {
    expect(profileNameFor(COMMAND)).toBe('demo-server');
    expect(profileNameFor(['nginx', '-p', '{workdir}'])).toBe('nginx');
    expect(profileNameFor(['/usr/bin/python3', '-u', 'My_App.py'])).toBe('my-app');
    expect(profileNameFor(['./bin/My Server!'])).toBe('my-server');
    expect(profileNameFor([])).toBe('seccomplete-profile');
    expect(profileNameFor(['x'.repeat(100)])).toHaveLength(63);
  });
});

describe('OCI runtime-spec linux.seccomp', () => {
  const oci = toOciSeccomp(plan);

  it('is valid by the vendored runtime-spec schema', () => {
    expect(validateOciSeccomp(oci)).toEqual({ valid: true, errors: [] });
    expect(validateOciSeccomp(toOciSeccomp(x86Plan)).valid).toBe(true);
    expect(JSON.parse(content('oci', 'profile.oci.json'))).toEqual(oci);
  });

  it('uses architectures, defaultErrnoRet and errnoRet, and none of Docker-only fields', () => {
    expect(oci.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(oci.defaultErrnoRet).toBe(EPERM);
    expect(oci.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    expect(toOciSeccomp(x86Plan).architectures).toEqual(['SCMP_ARCH_X86_64']);
    expect(oci.syscalls?.find((rule) => rule.names.includes('clone3'))).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
    const json = JSON.stringify(oci);
    for (const dockerOnly of ['archMap', 'comment', 'includes', 'excludes', 'subArchitectures']) expect(json).not.toContain(dockerOnly);
  });

  it('rejects what the spec forbids', () => {
    const bad: [string, unknown, RegExp][] = [
      ['no defaultAction', { syscalls: [] }, /must have required property 'defaultAction'/],
      ['unknown action', { ...oci, defaultAction: 'SCMP_ACT_BOGUS' }, /defaultAction must be equal to one of the allowed values/],
      ['Docker arch name', { ...oci, architectures: ['x86_64'] }, /architectures\/0 must be equal to one of the allowed values/],
      ['rule without names', { ...oci, syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }, /syscalls\/0\/names must NOT have fewer than 1 items/],
      ['negative errnoRet', { ...oci, syscalls: [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }, /errnoRet must be >= 0/],
      ['string defaultErrnoRet', { ...oci, defaultErrnoRet: 'EPERM' }, /defaultErrnoRet must be integer/],
      ['arg without op', { ...oci, syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1 }] }] }, /must have required property 'op'/],
    ];
    for (const [what, value, message] of bad) {
      const check = validateOciSeccomp(value);
      expect(check.valid, what).toBe(false);
      expect(check.errors.join('\n'), what).toMatch(message);
    }
  });

  it('vendors the schema files unchanged, as its README records', () => {
    const dir = ociSchemaDir();
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toMatch(/opencontainers\/runtime-spec/);
    expect(readme).toMatch(/commit `5cfc4c3`/);
    for (const file of ['config-linux.json', 'defs-linux.json', 'defs.json']) {
      const sha = createHash('sha256').update(readFileSync(join(dir, file))).digest('hex');
      expect(readme, file).toContain(`| \`${file}\` |`);
      expect(readme, `${file} sha256`).toContain(sha);
    }
  });
});

interface CrdSchema {
  type?: string;
  enum?: string[];
  properties?: Record<string, CrdSchema>;
  items?: CrdSchema;
  required?: string[];
  default?: unknown;
  minimum?: number;
  maxItems?: number;
}
const crd = parseYaml(readFileSync(new URL('../fixtures/spo/seccompprofile-v1beta1-spec.yaml', import.meta.url), 'utf8')) as {
  group: string;
  version: string;
  kind: string;
  spec: CrdSchema;
};

describe('Kubernetes: Security Profiles Operator SeccompProfile', () => {
  const yamlText = content('k8s', 'seccompprofile.yaml');
  const object = parseYaml(yamlText) as ReturnType<typeof toSpoSeccompProfile>;
  const specSchema = crd.spec;
  const syscallSchema = specSchema.properties!.syscalls!.items!;

  it('is the apiVersion and kind of the CRD, named after the target', () => {
    expect(object.apiVersion).toBe(`${crd.group}/${crd.version}`);
    expect(object.kind).toBe(crd.kind);
    expect(object.metadata).toEqual({ name: 'demo-server' });
    expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(object).toEqual(toSpoSeccompProfile(plan, 'demo-server'));
    expect(yamlText.split('\n')[0]).toMatch(/^# seccomplete: SeccompProfile/);
  });

  it('uses only fields of the CRD spec, and every required one that has no default', () => {
    const spec = object.spec as unknown as Record<string, unknown>;
    for (const key of Object.keys(spec)) expect(Object.keys(specSchema.properties!), key).toContain(key);
    for (const key of specSchema.required ?? []) {
      if (specSchema.properties![key]?.default === undefined) expect(Object.keys(spec), key).toContain(key);
    }
    expect(spec).not.toHaveProperty('defaultErrnoRet'); // not in the CRD: the runtimes' default for SCMP_ACT_ERRNO is EPERM
  });

  it('takes defaultAction, architectures and actions from the CRD enums', () => {
    expect(specSchema.properties!.defaultAction!.enum).toContain(object.spec.defaultAction);
    expect(object.spec.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    for (const arch of object.spec.architectures) expect(specSchema.properties!.architectures!.items!.enum, arch).toContain(arch);
    for (const rule of object.spec.syscalls) {
      for (const key of Object.keys(rule)) expect(Object.keys(syscallSchema.properties!), key).toContain(key);
      for (const key of syscallSchema.required!) expect(rule, key).toHaveProperty(key);
      expect(syscallSchema.properties!.action!.enum).toContain(rule.action);
      expect(rule.names.length).toBeGreaterThan(0);
      for (const name of rule.names) expect(typeof name).toBe('string');
      if (rule.errnoRet !== undefined) {
        // the CRD says `type: uint` (the Go field is uint); v1 says int32 0..4095
        expect(Number.isInteger(rule.errnoRet) && rule.errnoRet > 0 && rule.errnoRet <= 4095).toBe(true);
        expect(rule.action).toBe('SCMP_ACT_ERRNO');
      }
    }
    expect(object.spec.syscalls.find((rule) => rule.names.includes('clone3'))).toEqual({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  });

  it('puts the Docker-style JSON in the kubelet file and points the Pod snippet at it', () => {
    expect(content('k8s', 'seccomp-localhost.json')).toBe(renderDockerProfile(plan));
    const snippet = content('k8s', 'pod-snippet.yaml');
    expect(parseYaml(snippet)).toEqual({ spec: { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'demo-server.json' } } } });
    expect(snippet).toMatch(/^# .*\/var\/lib\/kubelet\/seccomp\/demo-server\.json/m);
  });
});

/** The lines of the systemd drop-in that are not comments. */
const settings = (text: string) => text.split('\n').filter((line) => line && !line.startsWith('#'));

describe('systemd drop-in', () => {
  const text = content('systemd', 'systemd.conf');
  const lines = settings(text);

  it('is a [Service] section with native architecture and EPERM for the rest', () => {
    expect(lines[0]).toBe('[Service]');
    expect(lines).toContain('SystemCallArchitectures=native');
    expect(lines).toContain('SystemCallErrorNumber=EPERM');
    expect(text.split('\n').filter((line) => line.startsWith('#')).length).toBeGreaterThan(4);
    expect(text).toMatch(/^# seccomplete: systemd drop-in .*node \/srv\/demo-server\/server\.mjs/m);
  });

  it('allow-lists first, then answers the errno rules with ~name:ERRNO', () => {
    const filters = lines.filter((line) => line.startsWith('SystemCallFilter='));
    expect(filters).toHaveLength(2);
    expect(filters[0]).toBe(`SystemCallFilter=${allowedAnywhere(plan).join(' ')}`);
    expect(filters[1]).toMatch(/^SystemCallFilter=~/);
    expect(filters[1]!.slice('SystemCallFilter=~'.length).split(' ')).toEqual(errnoAnywhere(plan).map((r) => `${r.name}:${r.errno === ENOSYS ? 'ENOSYS' : r.errno}`));
    expect(filters[1]).toContain('clone3:ENOSYS');
  });

  it('says why each errno rule is there', () => {
    expect(text).toMatch(/^# clone3 -> ENOSYS: ENOSYS makes glibc fall back to clone/m);
  });
});

describe('plain list', () => {
  it('is the allowed names, sorted, one per line, after comment lines', () => {
    const text = content('list', 'syscalls.txt');
    const names = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(names).toEqual(allowedAnywhere(plan));
    expect(names).toEqual([...names].sort());
    expect(text).toMatch(/^# seccomplete: the \d+ syscalls the profile allows/);
    expect(text).toMatch(/^# aarch64 only: getdents64 \(for getdents\), openat \(for open\)$/m);
    expect(text).toMatch(/^# needed only by runc 1\.1\.5: capget getdents$/m);
  });
});

// ---------------------------------------------------------------------------------------------
// Every format allows exactly what the plan allows, and keeps its errno rules.

interface Reading {
  allowed: string[];
  errno: Map<string, number>;
}

function fromRules(rules: readonly { names: string[]; action: string; errnoRet?: number }[]): Reading {
  const allowed = new Set<string>();
  const errno = new Map<string, number>();
  for (const rule of rules) {
    if (rule.action === 'SCMP_ACT_ALLOW') for (const name of rule.names) allowed.add(name);
    if (rule.action === 'SCMP_ACT_ERRNO') for (const name of rule.names) errno.set(name, rule.errnoRet ?? EPERM);
  }
  return { allowed: [...allowed].sort(), errno };
}

const ERRNO_NUMBERS: Record<string, number> = { EPERM, ENOSYS };

function readFormat(format: FormatName, p: ProfilePlan): Reading {
  switch (format) {
    case 'docker':
      return fromRules((JSON.parse(content('docker', 'profile.json', p)) as DockerSeccompProfile).syscalls ?? []);
    case 'oci':
      return fromRules((JSON.parse(content('oci', 'profile.oci.json', p)) as OciSeccomp).syscalls ?? []);
    case 'k8s': {
      const spo = parseYaml(content('k8s', 'seccompprofile.yaml', p)) as ReturnType<typeof toSpoSeccompProfile>;
      const localhost = fromRules((JSON.parse(content('k8s', 'seccomp-localhost.json', p)) as DockerSeccompProfile).syscalls ?? []);
      const reading = fromRules(spo.spec.syscalls ?? []);
      expect(localhost).toEqual(reading);
      return reading;
    }
    case 'systemd': {
      const filters = settings(content('systemd', 'systemd.conf', p)).filter((line) => line.startsWith('SystemCallFilter='));
      const allowed = (filters[0] ?? '').slice('SystemCallFilter='.length).split(' ').filter(Boolean);
      const errno = new Map<string, number>();
      for (const entry of (filters[1] ?? '').slice('SystemCallFilter=~'.length).split(' ').filter(Boolean)) {
        const [name, value] = entry.split(':') as [string, string];
        errno.set(name, ERRNO_NUMBERS[value] ?? Number(value));
      }
      return { allowed, errno };
    }
    case 'list':
      return { allowed: content('list', 'syscalls.txt', p).split('\n').filter((line) => line && !line.startsWith('#')), errno: new Map() };
  }
}

const knownName = fc.oneof(fc.constantFrom('clone', 'clone3', 'open', 'stat', 'arch_prctl', 'poll', 'fork'), fc.constantFrom(...allSyscalls('x86_64')));
const planInput = fc.record({
  observed: fc.array(knownName, { maxLength: 30 }),
  runtime: fc.option(fc.array(knownName, { maxLength: 10 }).map(runtimeNeeds), { nil: null }),
  architectures: fc.subarray([...ARCHES], { minLength: 1 }),
});

describe('every format, for any plan', () => {
  it('allows exactly the names the plan allows, and keeps its errno rules', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const p = buildProfilePlan(input);
        const errno = new Map(errnoAnywhere(p).map((rule) => [rule.name, rule.errno]));
        for (const format of FORMAT_NAMES) {
          const reading = readFormat(format, p);
          expect(reading.allowed, format).toEqual(allowedAnywhere(p));
          if (format !== 'list') expect(reading.errno, format).toEqual(errno);
        }
        expect(validateOciSeccomp(toOciSeccomp(p)).valid).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('Docker: allows on each architecture exactly what the plan allows there', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        const p = buildProfilePlan(input);
        const profile = toDockerProfile(p);
        for (const arch of p.architectures as Arch[]) {
          const applies = (rule: { includes?: { arches?: string[] | null } }) => {
            const arches = rule.includes?.arches ?? [];
            return arches.length === 0 || arches.includes(GO_ARCH[arch]);
          };
          const names = new Set((profile.syscalls ?? []).filter((r) => r.action === 'SCMP_ACT_ALLOW' && applies(r)).flatMap((r) => r.names));
          const onArch = [...names].filter((name) => isKnownSyscall(name, arch)).sort();
          expect(onArch, arch).toEqual(allowedOn(p, arch));
        }
      }),
      { numRuns: 60 },
    );
  });
});
