import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoverageFile } from '../../src/engine/campaign.js';
import type { Explanation } from '../../src/profile/explain.js';
import type { ProvenanceFile } from '../../src/profile/provenance.js';
import {
  DEMO_COMMAND,
  assertBuilt,
  expectErrorLine,
  killMarked,
  makeTempDir,
  markEnv,
  newMark,
  readJson,
  removeTempDirs,
  runCli,
} from '../helpers/cli.js';

/**
 * Provenance on a real run: a short fuzz of the demo server (seeded with an upload, so
 * that fsync is found within a few executions), then `explain fsync` names the upload
 * entry, and the replay command it prints finds fsync again. The profile tools (diff,
 * merge) are checked on the same run's profiles.
 */
const UPLOAD = 'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';

describe('explain, provenance and the profile tools on a real demo-server run', () => {
  let work = '';
  let out = '';
  let explanation: Explanation;
  const marks: string[] = [];
  const mark = () => {
    const m = newMark();
    marks.push(m);
    return m;
  };

  beforeAll(async () => {
    assertBuilt();
    work = makeTempDir('explain');
    out = join(work, 'out');
    const seeds = join(work, 'seeds');
    await mkdir(seeds);
    await writeFile(join(seeds, 'upload.http'), UPLOAD);
    const m = mark();
    const fuzz = await runCli(
      ['fuzz', '--max-execs', '40', '--runtime', 'runc@1.1.5', '--seeds', seeds, '--out', out, ...markEnv(m), '--', ...DEMO_COMMAND],
      { mark: m, timeoutMs: 90_000 },
    );
    expect(fuzz.exitCode, fuzz.stderr).toBe(0);
    const run = await runCli(['explain', out, 'fsync', '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    explanation = JSON.parse(run.stdout) as Explanation;
  }, 120_000);

  afterEach(() => {
    for (const m of marks.splice(0)) killMarked(m);
  });
  afterAll(() => removeTempDirs());

  it('explains fsync by the upload entry that needed it first', () => {
    expect(explanation.syscall).toBe('fsync');
    expect(explanation.verdict).toBe('target');
    expect(explanation.profile.status).toBe('allowed');
    expect(explanation.origin?.kind).toBe('input');
    const entry = explanation.entry!;
    expect(entry.strategy).toBe('http');
    expect(entry.describe).toMatch(/^POST \/upload/);
    expect(entry.found.syscalls).toContain('fsync');
    expect(entry.epoch).toBeGreaterThanOrEqual(1);
    expect(entry.exec).toBeGreaterThan(0);
    const requests = (entry.input as { requests: { method?: string; path?: string }[] }).requests;
    expect(requests.some((r) => r.method === 'POST' && r.path === '/upload')).toBe(true);
    // the entry is the one coverage.json names for fsync
    const coverage = readJson<CoverageFile>(join(out, 'coverage.json'));
    expect(coverage.features.fsync?.firstEntry).toBe(entry.id);
    expect(explanation.reproduce?.argv.slice(0, 5)).toEqual(['seccomplete', 'replay', explanation.reproduce!.argv[2], '--only', entry.id.slice(0, 12)]);
    expect(explanation.reproduce?.argv.slice(-DEMO_COMMAND.length)).toEqual(coverage.command);
  });

  it('prints the entry, its input and the command to reproduce it', async () => {
    const run = await runCli(['explain', out, 'fsync']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^fsync: allowed \(/);
    expect(run.stdout).toMatch(/first needed by corpus entry [0-9a-f]{12} \(strategy http\), execution \d+ in epoch \d+/);
    expect(run.stdout).toMatch(/\n {2}POST \/upload/);
    expect(run.stdout).toMatch(/found first by this entry: .*fsync/);
    expect(run.stdout).toMatch(/of which argument classes: /);
    expect(run.stdout).toMatch(/\ninput:\n {2}\{\n/);
    expect(run.stdout).toMatch(/\nreproduce:\n {2}seccomplete replay \S+ --only [0-9a-f]{12} --out \S+ -- node /);
  });

  it('reproduces: the printed replay command finds fsync again', async () => {
    const argv = explanation.reproduce!.argv;
    const m = mark();
    const replayOut = join(work, 'replayed');
    // run it as printed, with the --out of this test's scratch directory
    const args = argv.slice(1);
    args[args.indexOf('--out') + 1] = replayOut;
    const dash = args.indexOf('--');
    const replay = await runCli([...args.slice(0, dash), ...markEnv(m), ...args.slice(dash)], { mark: m, timeoutMs: 60_000 });
    expect(replay.exitCode, replay.stderr).toBe(0);
    const coverage = readJson<CoverageFile>(join(replayOut, 'coverage.json'));
    expect(coverage.syscalls).toContain('fsync');
    expect(coverage.features.fsync?.strategy).toBe('http');
  });

  it('writes provenance.json next to profile.json, naming the same entry', () => {
    const provenance = readJson<ProvenanceFile>(join(out, 'provenance.json'));
    expect(provenance.format).toBe('seccomplete-provenance/1');
    expect(provenance.profile).toBe('profile.json');
    const fsync = provenance.syscalls.fsync as { entry: string; strategy: string; describe: string; kind: string };
    expect(fsync).toMatchObject({ rule: 'allow', origin: 'target', kind: 'input', entry: explanation.entry!.id, strategy: 'http' });
    expect(fsync.describe).toMatch(/^POST \/upload/);
    expect(provenance.syscalls.capset).toEqual({ rule: 'allow', origin: 'runtime', runtime: 'runc 1.1.5' });
    // a syscall denied with ENOSYS because it has a fallback: the plan's reason, no entry
    expect(provenance.syscalls.close_range).toMatchObject({ rule: 'errno', errno: 38, why: 'denied-with-fallback', seen: false });
  });

  it('explains start-up syscalls, the runtime\'s and errno answers without an input', async () => {
    const startup = await runCli(['explain', out, 'mmap', '--json']);
    expect(startup.exitCode, startup.stderr).toBe(0);
    const x = JSON.parse(startup.stdout) as Explanation;
    expect(x.origin?.kind).toBe('startup');
    expect(x.reproduce?.note).toMatch(/start-up/);
    const text = await runCli(['explain', out, 'mmap']);
    expect(text.stdout).toMatch(/first made during the target's start-up/);

    const runtime = await runCli(['explain', out, 'capset']);
    expect(runtime.exitCode, runtime.stderr).toBe(0);
    expect(runtime.stdout).toMatch(/^capset: allowed \(.*\) for the container runtime: the target was never seen making it/);

    const errno = await runCli(['explain', out, 'close_range']);
    expect(errno.exitCode, errno.stderr).toBe(0);
    expect(errno.stdout).toMatch(/^close_range: errno 38 \(ENOSYS\)/);
  });

  it('fails with one line for an unknown syscall (2), one the profile does not allow (1), and a directory that is no run (5)', async () => {
    const unknown = await runCli(['explain', out, 'fsyncx']);
    expect(unknown.exitCode).toBe(2);
    expectErrorLine(unknown.stderr, /'fsyncx' is not an x86_64 syscall/);

    const notAllowed = await runCli(['explain', out, 'ptrace']);
    expect(notAllowed.exitCode).toBe(1);
    expectErrorLine(notAllowed.stderr, /ptrace is not in .*profile\.json: the target was never seen making it/);

    const noRun = await runCli(['explain', work, 'fsync']);
    expect(noRun.exitCode).toBe(5);
    expectErrorLine(noRun.stderr, /cannot read '.*coverage\.json': ENOENT/);
  });

  describe('diff and merge on the run\'s profiles', () => {
    const profile = () => join(out, 'profile.json');

    it('diff: identical profiles exit 0, different ones 1, with counts and names', async () => {
      const same = await runCli(['diff', profile(), profile()]);
      expect(same.exitCode, same.stderr).toBe(0);
      expect(same.stdout).toMatch(/\nidentical$/); // (execa drops the final newline)

      const againstDocker = await runCli(['diff', profile(), '--against', 'docker-default']);
      expect(againstDocker.exitCode, againstDocker.stderr).toBe(1);
      expect(againstDocker.stdout).toMatch(/^A: .*profile\.json: allows \d+ syscalls/);
      expect(againstDocker.stdout).toMatch(/\nB: Docker's default \(.*docker-default-seccomp\.json\): allows \d+ syscalls/);
      expect(againstDocker.stdout).toMatch(/dangerous syscalls this profile keeps out that Docker's default allows \(\d+\):\n(.*\n)*? {2}ptrace: /);

      const json = await runCli(['diff', profile(), 'docker-default', '--json']);
      expect(json.exitCode).toBe(1);
      const d = JSON.parse(json.stdout) as { removed: string[]; added: string[]; dockerDefault: { keptOut: { name: string }[] } };
      expect(d.added).toContain('ptrace');
      expect(d.dockerDefault.keptOut.map((f) => f.name)).toContain('ptrace');
    });

    it('merge: the union of two runs allows what each allows', async () => {
      // the same run's coverage as a bare profile: a second, different input
      const replayProfile = join(work, 'bare.json');
      const bare = await runCli(['profile', join(out, 'coverage.json'), '--runtime', 'none', '--no-provenance', '-o', replayProfile]);
      expect(bare.exitCode, bare.stderr).toBe(0);
      expect(existsSync(join(work, 'bare.provenance.json'))).toBe(false);
      const merged = join(work, 'merged.json');
      const run = await runCli(['merge', profile(), replayProfile, '-o', merged]);
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^merged 2 profiles: allows \d+ syscalls/);
      for (const input of [profile(), replayProfile]) {
        const d = await runCli(['diff', input, merged, '--json']);
        expect((JSON.parse(d.stdout) as { removed: string[] }).removed).toEqual([]);
      }
    });

    it('usage and bad files: exit 2 and 5, one line', async () => {
      const noB = await runCli(['diff', profile()]);
      expect(noB.exitCode).toBe(2);
      expectErrorLine(noB.stderr, /diff needs profile B, or --against docker-default/);

      const missing = await runCli(['diff', profile(), join(work, 'nope.json')]);
      expect(missing.exitCode).toBe(5);
      expectErrorLine(missing.stderr, /cannot read '.*nope\.json': ENOENT/);

      const bad = join(work, 'bad.json');
      await writeFile(bad, '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALOW"}]}');
      const malformed = await runCli(['merge', profile(), bad, '-o', join(work, 'never.json')]);
      expect(malformed.exitCode).toBe(5);
      expectErrorLine(malformed.stderr, /bad\.json: syscalls\[0\]\.action must be one of/);
      expect(existsSync(join(work, 'never.json'))).toBe(false);

      const one = await runCli(['merge', profile()]);
      expect(one.exitCode).toBe(2);
      expectErrorLine(one.stderr, /merge needs at least two profiles/);
    });
  });
});
