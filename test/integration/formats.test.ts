import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDockerProfile } from '../../src/profile/docker.js';
import { validateOciSeccomp } from '../../src/profile/oci.js';
import { DEMO_COMMAND, makeTempDir, markEnv, readJson, runCli, useMarks, type CliRun } from '../helpers/cli.js';
import { ensureBusyboxImage, probeDocker, runUnderProfile } from '../helpers/docker.js';

// A short real fuzz of the demo server, then `seccomplete profile` in every format for two
// architectures; the Docker profile is then given to the real dockerd. Without dockerd that
// last check is skipped with a reason, except in CI, where a missing docker is a failure.
const inCI = Boolean(process.env.CI);
const docker = await probeDocker();
const dockerMissing = docker.ok ? undefined : docker.reason;
if (!inCI && dockerMissing) console.warn(`skipping the dockerd check of the multi-architecture profile: ${dockerMissing}`);

const FILES = ['profile.json', 'profile.oci.json', 'seccompprofile.yaml', 'seccomp-localhost.json', 'pod-snippet.yaml', 'systemd.conf', 'syscalls.txt'];

describe('seccomplete profile --format docker,oci,k8s,systemd,list --arch x86_64,aarch64', () => {
  const mark = useMarks({ beforeAll, afterEach, afterAll });
  let fuzzOut = '';
  let out = '';
  let run: CliRun;

  beforeAll(async () => {
    fuzzOut = makeTempDir('formats-fuzz');
    out = makeTempDir('formats-out');
    const m = mark();
    const fuzz = await runCli(['fuzz', '-q', '--seed', '3', '--max-execs', '40', '--out', fuzzOut, ...markEnv(m), '--', ...DEMO_COMMAND], { mark: m, timeoutMs: 110_000 });
    expect(fuzz.exitCode, fuzz.stderr).toBe(0);
    run = await runCli([
      'profile',
      join(fuzzOut, 'coverage.json'),
      '--format',
      'docker,oci,k8s,systemd,list',
      '--arch',
      'x86_64,aarch64',
      '--out',
      out,
      '-o',
      join(out, 'profile.json'),
      '--json',
    ]);
  });

  it('exits 0 and writes every file of every format', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { files: Record<string, string[]>; architectures: string[]; archWarnings: string[] };
    expect(result.architectures).toEqual(['x86_64', 'aarch64']);
    expect(Object.keys(result.files).sort()).toEqual(['docker', 'k8s', 'list', 'oci', 'systemd']);
    expect(Object.values(result.files).flat().sort()).toEqual(FILES.map((file) => join(out, file)).sort());
    for (const file of FILES) expect(existsSync(join(out, file)), file).toBe(true);
    // node on x86_64 sets its thread pointer with arch_prctl, which aarch64 does without a call
    expect(result.archWarnings.some((line) => /^aarch64 has no counterpart of arch_prctl /.test(line))).toBe(true);
    for (const line of result.archWarnings) expect(run.stderr).toContain(`--arch: ${line}`);
  });

  it('writes a Docker profile for both architectures, an OCI object the spec accepts, and parseable YAML', () => {
    const profile = parseDockerProfile(readFileSync(join(out, 'profile.json'), 'utf8'));
    expect(profile.archMap).toEqual([
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] },
    ]);
    expect((profile.syscalls ?? []).some((rule) => rule.includes?.arches?.includes('arm64'))).toBe(true);
    expect(validateOciSeccomp(readJson(join(out, 'profile.oci.json')))).toEqual({ valid: true, errors: [] });
    const spo = parseYaml(readFileSync(join(out, 'seccompprofile.yaml'), 'utf8')) as { kind: string; metadata: { name: string } };
    expect(spo.kind).toBe('SeccompProfile');
    expect(spo.metadata.name).toBe('demo-server');
    expect(readFileSync(join(out, 'systemd.conf'), 'utf8')).toMatch(/^SystemCallFilter=\S/m);
    expect(readFileSync(join(out, 'syscalls.txt'), 'utf8')).toMatch(/^openat$/m);
  });

  it.skipIf(!inCI && dockerMissing !== undefined)('has a reachable dockerd (required in CI)', () => {
    expect(dockerMissing, `CI requires docker for this test: ${dockerMissing}`).toBeUndefined();
  });

  it.skipIf(dockerMissing !== undefined)('the Docker profile (x86_64 and aarch64 archMap) is accepted by the real dockerd', async () => {
    const image = await ensureBusyboxImage();
    const result = await runUnderProfile(image, join(out, 'profile.json'), ['true']);
    expect(result.exitCode, result.stderr).toBe(0);
  });
});
