import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { allowedNames, errnoRules, parseDockerProfile } from '../../src/profile/docker.js';
import { ENTRY_FORMAT, inputId, type CorpusEntry } from '../../src/corpus/entry.js';

/**
 * The user story, end to end with the real tracer on the bundled example:
 * fuzz until stable, verify the profile on the corpus, and show that the profile a
 * "trace start-up and GET /" session would give fails on the same corpus.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/seccomplete.js');
const TARGET = ['node', 'examples/demo-server/server.mjs', '--port', '{port}', '--root', '{workdir}'];

function cli(args: string[], timeout = 180_000) {
  return execa(process.execPath, [CLI, ...args], { cwd: ROOT, reject: false, timeout, env: { CI: process.env.CI ?? '' } });
}

async function corpusEntries(dir: string): Promise<CorpusEntry[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(dir, n), 'utf8')) as CorpusEntry));
}

describe('demo server, end to end', () => {
  let work: string;
  let out: string;
  let summary: Record<string, unknown>;

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('run npm run build first');
    work = await mkdtemp(path.join(os.tmpdir(), 'sc-e2e-'));
    out = path.join(work, 'out');
    const run = await cli(['fuzz', '--until-stable', '8s', '--time', '150s', '--jobs', '2', '--json', '--out', out, '--', ...TARGET]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, run.stderr).toBe(0);
    summary = JSON.parse(run.stdout) as Record<string, unknown>;
  }, 200_000);

  it('stops by itself at saturation', () => {
    expect(summary.reason).toBe('stable');
    expect(summary.estimatedMissing as number).toBeLessThan(0.5);
    expect(summary.syscalls as number).toBeGreaterThan(40);
    const stats = path.join(out, 'stats.jsonl');
    expect(existsSync(stats)).toBe(true);
  });

  it("finds the example's hidden paths: upload (fsync, rename), listing (getdents64), child process (wait4)", async () => {
    const entries = await corpusEntries(path.join(out, 'corpus'));
    const found = new Set(entries.flatMap((e) => e.found));
    for (const syscall of ['fsync', 'rename', 'getdents64', 'wait4']) expect(found, syscall).toContain(syscall);
    const upload = entries.find((e) => e.found.includes('fsync'));
    expect(JSON.stringify(upload?.input)).toMatch(/upload/);
  });

  it('writes a deny-by-default Docker profile with clone3 answered by ENOSYS and the runtime needs', async () => {
    const profile = parseDockerProfile(await readFile(path.join(out, 'profile.json'), 'utf8'));
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(errnoRules(profile)).toContainEqual({ name: 'clone3', errnoRet: 38 });
    const allowed = new Set(allowedNames(profile));
    const coverage = JSON.parse(await readFile(path.join(out, 'coverage.json'), 'utf8')) as { syscalls: string[] };
    for (const s of coverage.syscalls) if (s !== 'clone3') expect(allowed, s).toContain(s);
    expect(allowed).not.toContain('ptrace');
    expect(profile.syscalls?.some((r) => /needed by runc/.test(r.comment ?? ''))).toBe(true);
  });

  it("passes verify on its own corpus (every syscall allowed, same answers)", async () => {
    const run = await cli(['verify', '--json', '--profile', path.join(out, 'profile.json'), '--corpus', path.join(out, 'corpus'), '--', ...TARGET]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { passed: boolean; denials: unknown[]; inputs: number };
    expect(report.passed).toBe(true);
    expect(report.inputs).toBeGreaterThan(3);
  });

  it('shows that a start-up + GET / profile breaks on the paths the fuzzer found', async () => {
    // what "trace start-up, then curl /" sees: one plain GET /, replayed alone
    const input = { requests: [{ method: 'GET', path: '/', version: 'HTTP/1.1', headers: [['Host', 'localhost'], ['User-Agent', 'curl/7.88.1']], body: '' }] };
    const curlCorpus = path.join(work, 'curl-corpus');
    await mkdir(curlCorpus, { recursive: true });
    const id = inputId('http', input);
    const entry: CorpusEntry = {
      format: ENTRY_FORMAT,
      id,
      strategy: 'http',
      input,
      parent: null,
      found: [],
      origin: { exec: 0, epoch: 1, job: 0, time: new Date(0).toISOString(), elapsedMs: 0 },
      signature: '200',
      describe: 'GET /',
    };
    await writeFile(path.join(curlCorpus, `${id}.json`), `${JSON.stringify(entry, null, 2)}\n`);
    const naive = path.join(work, 'naive');
    const replay = await cli(['replay', curlCorpus, '--out', naive, '--json', '--', ...TARGET]);
    expect(replay.exitCode, replay.stderr).toBe(0);
    const verify = await cli(['verify', '--json', '--profile', path.join(naive, 'profile.json'), '--corpus', path.join(out, 'corpus'), '--', ...TARGET]);
    expect(verify.exitCode).toBe(1);
    const report = JSON.parse(verify.stdout) as { passed: boolean; denials: { syscall: string; first: { phase: string } }[] };
    expect(report.passed).toBe(false);
    const denied = report.denials.map((d) => d.syscall);
    expect(denied).toContain('fsync');
    // the upload's fsync is denied while an input runs, not at start-up
    expect(report.denials.find((d) => d.syscall === 'fsync')?.first.phase).toBe('input');
  });

  it('minimises the corpus to entries that still cover every feature, and the profile holds on it', async () => {
    const min = path.join(work, 'min');
    const run = await cli(['replay', path.join(out, 'corpus'), '--minimize', '--out', min, '--json', '--', ...TARGET]);
    expect(run.exitCode, run.stderr).toBe(0);
    const s = JSON.parse(run.stdout) as { minimized: { before: number; after: number } };
    expect(s.minimized.after).toBeGreaterThan(0);
    expect(s.minimized.after).toBeLessThanOrEqual(s.minimized.before);
    const verify = await cli(['verify', '--json', '--profile', path.join(out, 'profile.json'), '--corpus', path.join(min, 'corpus'), '--', ...TARGET]);
    expect(verify.exitCode, verify.stdout).toBe(0);
  });

  it('re-emits the profile from coverage.json', async () => {
    const file = path.join(work, 'again.json');
    const run = await cli(['profile', path.join(out, 'coverage.json'), '--output', file, '--json']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(await readFile(path.join(out, 'profile.json'), 'utf8'));
  });

  it('gives the same inputs for the same --seed with --jobs 1', async () => {
    const logs: string[] = [];
    for (const n of [1, 2]) {
      const log = path.join(work, `inputs-${n}.log`);
      const run = await cli(['fuzz', '-q', '--seed', '11', '--max-execs', '60', '--log-inputs', log, '--out', path.join(work, `det-${n}`), '--', ...TARGET]);
      expect(run.exitCode, run.stderr).toBe(0);
      logs.push(await readFile(log, 'utf8'));
    }
    expect(logs[0]!.split('\n').length).toBeGreaterThan(40);
    expect(logs[1]).toBe(logs[0]);
  });

  it('stays deterministic with several strategies (their energy counts restarts, not seconds)', async () => {
    const logs: string[] = [];
    for (const n of [1, 2]) {
      const log = path.join(work, `inputs-all-${n}.log`);
      const run = await cli(['fuzz', '-q', '--strategies', 'http,signals,faults', '--seed', '5', '--max-execs', '40', '--log-inputs', log, '--out', path.join(work, `det-all-${n}`), '--', ...TARGET]);
      expect(run.exitCode, run.stderr).toBe(0);
      logs.push(await readFile(log, 'utf8'));
    }
    expect(logs[0]!.split('\n').length).toBeGreaterThan(15);
    expect(logs[1]).toBe(logs[0]);
  });
});
