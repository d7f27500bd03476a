import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_COMMAND,
  expectErrorLine,
  makeTempDir,
  markedProcesses,
  markEnv,
  runCli,
  startCli,
  waitFor,
  waitForNoMarkedProcesses,
  type MarkedProcess,
  useMarks,
  CLI,
} from '../helpers/cli.js';

/**
 * Bad input, missing tools and broken targets: every one must end in its documented
 * exit code and ONE readable line on stderr (plus an optional hint), never a stack trace.
 */

const mark = useMarks({ beforeAll, afterEach, afterAll });

describe('the target cannot be run', () => {
  it('exits 3 when the target command does not exist', async () => {
    const out = join(makeTempDir('missing'), 'out');
    const run = await runCli(['fuzz', '--max-execs', '10', '--out', out, '--', '/nonexistent/prog', '{port}']);
    expect(run.exitCode).toBe(3);
    expectErrorLine(run.stderr, /target command '\/nonexistent\/prog' does not exist or is not executable/);
  });

  it('exits 3 when the target exits before it is ready, and says with which code', async () => {
    const out = join(makeTempDir('exits'), 'out');
    const m = mark();
    const run = await runCli(['fuzz', '--max-execs', '10', '--out', out, ...markEnv(m), '--', 'node', '-e', 'process.exit(3)', '{port}'], { mark: m });
    expect(run.exitCode).toBe(3);
    expectErrorLine(run.stderr, /target 'node -e process\.exit\(3\) \d+' exited with code 3 before it was ready/);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });

  it('exits 3 naming the port when it never opens, and leaves no process behind', async () => {
    const out = join(makeTempDir('noport'), 'out');
    const m = mark();
    const t0 = performance.now();
    const cli = startCli(['fuzz', '--max-execs', '10', '--ready-timeout', '1s', '--out', out, ...markEnv(m), '--', 'sleep', '30', '{port}'], {
      mark: m,
    });
    // Prove the marker scan sees the target at all, or "nothing left" would prove nothing.
    const sleeper = await waitFor<MarkedProcess>('the traced sleep to start', () => markedProcesses(m).find((p) => p.cmdline.startsWith('sleep 30 ')), 10_000, 20);
    const port = Number(sleeper.cmdline.split(' ')[2]);
    const result = await cli;
    const elapsed = performance.now() - t0;

    expect(result.exitCode).toBe(3);
    expectErrorLine(String(result.stderr), new RegExp(`target 'sleep 30 ${port}' was not ready after 1000 ms: port ${port} never opened`));
    expect(String(result.stderr)).toMatch(/\nseccomplete: hint: .*--ready-timeout/);
    expect(elapsed).toBeLessThan(15_000); // the 1 s ready timeout, not sleep's 30 s
    // the CLI is gone; so must be strace and sleep
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });
});

describe('the environment cannot trace', () => {
  it('exits 4 when strace is missing', async () => {
    const out = join(makeTempDir('nostrace'), 'out');
    const run = await runCli(['fuzz', '--max-execs', '10', '--strace', '/nonexistent/strace', '--out', out, '--', ...DEMO_COMMAND]);
    expect(run.exitCode).toBe(4);
    expectErrorLine(run.stderr, /strace not found at '\/nonexistent\/strace'/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 4 and says ptrace is not permitted when every ptrace() fails with EPERM', async () => {
    const out = join(makeTempDir('noptrace'), 'out');
    const m = mark();
    const run = await runCli(['fuzz', '--max-execs', '10', '--out', out, ...markEnv(m), '--', ...DEMO_COMMAND], {
      mark: m,
      // the CLI and everything it starts run with ptrace() answered EPERM, as in a container without CAP_SYS_PTRACE
      wrapper: ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'inject=ptrace:error=EPERM'],
    });
    expect(run.exitCode).toBe(4);
    expectErrorLine(run.stderr, /ptrace is not permitted here, so strace cannot trace: .*Operation not permitted/);
    expect(run.stderr).toMatch(/\nseccomplete: hint: .*CAP_SYS_PTRACE/);
    expect(existsSync(out)).toBe(false);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });
});

describe('usage errors exit 2 before anything runs', () => {
  const cases: { name: string; args: string[]; message: RegExp }[] = [
    { name: 'fuzz without a stop condition', args: [], message: /say when to stop: --until-stable, --time or --max-execs/ },
    { name: '--jobs 0', args: ['--max-execs', '10', '--jobs', '0'], message: /--jobs must be at least 1/ },
    { name: '--inflight 0', args: ['--max-execs', '10', '--inflight', '0'], message: /--inflight must be at least 1/ },
    { name: 'a --ready regex that does not compile', args: ['--max-execs', '10', '--ready', '/(/'], message: /--ready: invalid regular expression \/\(\/: / },
    { name: '--template without =', args: ['--max-execs', '10', '--template', 'nginx.conf'], message: /--template expects SRC=DEST, got 'nginx\.conf'/ },
    { name: '--port 99999', args: ['--max-execs', '10', '--port', '99999'], message: /--port expects 'auto' or a port number; got '99999'/ },
    { name: '--until-stable with a bad patience', args: ['--until-stable', 'soon'], message: /--until-stable expects a duration like .*; got 'soon'/ },
    // commander's own errors use the same one-line form
    { name: '--max-execs that is not a number', args: ['--max-execs', 'abc'], message: /--max-execs expects a whole number/ },
    { name: 'an unknown option', args: ['--max-execs', '10', '--bogus'], message: /unknown option '--bogus'/ },
    { name: '--endpoint that is not a URL', args: ['--max-execs', '10', '--endpoint', '127.0.0.1:{port}'], message: /--endpoint expects http:\/\/HOST:PORT, https:\/\/HOST:PORT, tcp:\/\/HOST:PORT, udp:\/\/HOST:PORT or unix:PATH; got '127\.0\.0\.1:\{port\}'/ },
    { name: 'a udp strategy without a udp endpoint', args: ['--max-execs', '10', '--strategies', 'udp'], message: /the udp strategy needs a udp endpoint/ },
    { name: '--dict together with --no-dict', args: ['--max-execs', '10', '--strategies', 'tcp', '--dict', 'x.dict', '--no-dict'], message: /--dict and --no-dict contradict each other/ },
    { name: '--dict that cannot be read', args: ['--max-execs', '10', '--strategies', 'tcp', '--dict', '/nonexistent/x.dict'], message: /--dict \/nonexistent\/x\.dict: cannot read it \(ENOENT\)/ },
    { name: 'a port placeholder beyond {port16}', args: ['--max-execs', '10', '--endpoint', 'https://127.0.0.1:{port20}'], message: /port placeholders go from \{port1\} to \{port16\}/ },
    { name: '--no-sandbox for a server', args: ['--max-execs', '10', '--no-sandbox'], message: /--no-sandbox is for commands/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const out = join(makeTempDir('usage'), 'out');
      const run = await runCli(['fuzz', '--out', out, ...c.args, '--', ...DEMO_COMMAND]);
      expect(run.exitCode).toBe(2);
      expectErrorLine(run.stderr, c.message);
      expect(run.stdout).toBe('');
      expect(existsSync(out)).toBe(false); // refused before the output directory was made
    });
  }
});

describe('a corrupt corpus entry', () => {
  it('is skipped with one warning naming it, left unchanged, and the run succeeds', async () => {
    const out = join(makeTempDir('corrupt'), 'out');
    const corpus = join(out, 'corpus');
    mkdirSync(corpus, { recursive: true });
    // invalid JSON; JSON.parse quotes short texts, newlines and all, and the warning must still be one line
    const badJson = join(corpus, `deadbeef${'0'.repeat(56)}.json`);
    writeFileSync(badJson, 'not json\n{}\n');
    // a well-formed entry stored under another entry's name
    const input = { requests: [{ method: 'GET', path: '/', version: 'HTTP/1.1', headers: [['Host', 'localhost']], body: '' }] };
    const id = createHash('sha256').update('http').update('\0').update(JSON.stringify(input)).digest('hex');
    const entry = {
      format: 'seccomplete-corpus-entry/1',
      id,
      strategy: 'http',
      input,
      parent: null,
      found: ['openat'],
      origin: { exec: 1, epoch: 1, job: 0, time: '2026-01-01T00:00:00.000Z', elapsedMs: 1 },
      signature: '200',
      describe: 'GET /',
    };
    const misnamed = join(corpus, `${'1'.repeat(64)}.json`);
    writeFileSync(misnamed, `${JSON.stringify(entry, null, 2)}\n`);
    const before = { badJson: readFileSync(badJson), misnamed: readFileSync(misnamed) };

    const m = mark();
    const run = await runCli(['fuzz', '--max-execs', '30', '--out', out, ...markEnv(m), '--', ...DEMO_COMMAND], { mark: m });

    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stderr).not.toMatch(/seccomplete: (internal )?error/);
    const lines = run.stderr.split('\n');
    const about = (file: string) => lines.filter((l) => l.includes(file));
    expect(about(badJson)).toHaveLength(1);
    expect(about(badJson)[0]).toMatch(new RegExp(`^seccomplete: warning: skipping corpus file ${badJson}: invalid JSON: .*\\(left in place\\)$`));
    expect(about(misnamed)).toHaveLength(1);
    expect(about(misnamed)[0]).toMatch(
      new RegExp(`^seccomplete: warning: skipping corpus file ${misnamed}: file name does not match id ${id.slice(0, 12)}.*\\(left in place\\)$`),
    );
    expect(readFileSync(badJson)).toEqual(before.badJson);
    expect(readFileSync(misnamed)).toEqual(before.misnamed);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).executions).toBeGreaterThanOrEqual(30);
  });
});

describe('malformed data files exit 5', () => {
  let dir: string;
  let corpus: string;
  beforeAll(() => {
    dir = makeTempDir('data');
    corpus = join(dir, 'corpus');
    mkdirSync(corpus);
  });

  const verify = (profile: string) => runCli(['verify', '--profile', profile, '--corpus', corpus, '--', ...DEMO_COMMAND]);

  it('verify with a profile that is not JSON', async () => {
    const profile = join(dir, 'broken.json');
    writeFileSync(profile, '{ "defaultAction": "SCMP_ACT_ERRNO", \n');
    const run = await verify(profile);
    expect(run.exitCode).toBe(5);
    expectErrorLine(run.stderr, new RegExp(`${profile}: not valid JSON`));
  });

  it('verify with a profile that has an unknown key', async () => {
    const profile = join(dir, 'unknown-key.json');
    const good = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] };
    writeFileSync(profile, JSON.stringify({ ...good, defaultActon: 'SCMP_ACT_ALLOW' }));
    const run = await verify(profile);
    expect(run.exitCode).toBe(5);
    expectErrorLine(run.stderr, new RegExp(`${profile}: .*unknown key "defaultActon"`));
  });

  it('verify with a profile that does not exist', async () => {
    const profile = join(dir, 'nope.json');
    const run = await verify(profile);
    expect(run.exitCode).toBe(5);
    expectErrorLine(run.stderr, new RegExp(`cannot read profile '${profile}': ENOENT`));
  });

  it('profile with a corrupt coverage.json', async () => {
    const coverage = join(dir, 'coverage.json');
    writeFileSync(coverage, '{"format": "seccomplete-coverage/1", "executions": 12, "syscalls": ["re');
    const output = join(dir, 'profile-out.json');
    const run = await runCli(['profile', '--output', output, coverage]);
    expect(run.exitCode).toBe(5);
    expectErrorLine(run.stderr, new RegExp(`${coverage}: invalid JSON`));
    expect(existsSync(output)).toBe(false);
  });
});

describe('--help', () => {
  const commands: { args: string[]; placeholders: boolean }[] = [
    { args: ['fuzz'], placeholders: true },
    { args: ['replay'], placeholders: true },
    { args: ['verify'], placeholders: true },
    { args: ['profile'], placeholders: false },
    { args: ['calibrate-runtime'], placeholders: false },
  ];
  for (const c of commands) {
    it(`${c.args.join(' ')} --help exits 0 and documents its exit codes`, async () => {
      const run = await runCli([...c.args, '--help']);
      expect(run.exitCode).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(new RegExp(`^Usage: seccomplete ${c.args[0]} `));
      expect(run.stdout).toMatch(/\nExit codes: 0 [^\n]*\b2 usage\b/);
      if (c.placeholders) {
        expect(run.stdout).toContain('{port}');
        expect(run.stdout).toContain('{workdir}');
      }
    });
  }

  it('fuzz --help explains both placeholders and every exit code', async () => {
    const run = await runCli(['fuzz', '--help']);
    expect(run.stdout).toMatch(/\{port\}\s+a free port/);
    expect(run.stdout).toMatch(/\{workdir\}\s+a fresh, writable directory/);
    for (const code of ['0 done', '2 usage', '3 target', '4 environment', '5 bad data', '130 interrupted']) expect(run.stdout).toContain(code);
  });

  it('--help into a reader that stops early (| head -1) exits 0 without an error', async () => {
    const run = await execa('sh', ['-c', `"${process.execPath}" "${CLI}" fuzz --help | head -1`], { reject: false });
    expect(run.stdout).toMatch(/^Usage: seccomplete fuzz/);
    expect(run.stderr).toBe('');
    const status = await execa('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" fuzz --help | head -1 >/dev/null`], { reject: false });
    expect(status.exitCode).toBe(0);
  });

  it('the top-level --help exits 0 and lists every command', async () => {
    const run = await runCli(['--help']);
    expect(run.exitCode).toBe(0);
    for (const name of ['fuzz', 'replay', 'verify', 'profile', 'calibrate-runtime']) expect(run.stdout).toMatch(new RegExp(`\\n  ${name} `));
  });
});

describe('command targets: bad input', () => {
  const dir = () => makeTempDir('cmd');

  it('exits 3 when the program does not exist', async () => {
    const run = await runCli(['fuzz', '--strategies', 'args', '--max-execs', '5', '--out', join(dir(), 'out'), '--', 'no-such-program-xyz']);
    expect(run.exitCode).toBe(3);
    expectErrorLine(run.stderr, /target command 'no-such-program-xyz' not found in PATH/);
  });

  it('exits 2 when server and command channels are mixed', async () => {
    const run = await runCli(['fuzz', '--strategies', 'args,http', '--max-execs', '5', '--out', join(dir(), 'out'), '--', 'gzip']);
    expect(run.exitCode).toBe(2);
    expectErrorLine(run.stderr, /--strategies mixes command channels \(args\) with server channels \(http\)/);
  });

  it('exits 2 when server options are given to a command', async () => {
    const run = await runCli(['fuzz', '--strategies', 'args', '--port', '8080', '--max-execs', '5', '--out', join(dir(), 'out'), '--', 'gzip']);
    expect(run.exitCode).toBe(2);
    expectErrorLine(run.stderr, /--port, --ready, --template and --endpoint are for servers/);
  });

  it('exits 5 naming the place of the problem in a malformed --grammar file', async () => {
    const d = dir();
    const file = join(d, 'grammar.json');
    writeFileSync(file, JSON.stringify({ options: [{ names: ['-x'], arg: 'sometimes' }] }));
    const run = await runCli(['fuzz', '--strategies', 'args', '--grammar', file, '--max-execs', '5', '--out', join(d, 'out'), '--', 'gzip']);
    expect(run.exitCode).toBe(5);
    expectErrorLine(run.stderr, /grammar\.json: \$\.options\[0\]\.arg/);
  });

  it('exits 5 on a malformed invocation seed, naming the file', async () => {
    const d = dir();
    mkdirSync(join(d, 'seeds'));
    writeFileSync(join(d, 'seeds', 'invocation-1.json'), '{"args": [1]}');
    const run = await runCli(['fuzz', '--strategies', 'args', '--seeds', join(d, 'seeds'), '--max-execs', '5', '--out', join(d, 'out'), '--', 'gzip']);
    expect(run.exitCode).toBe(5);
    expectErrorLine(run.stderr, /seed file .*invocation-1\.json: args\[0\] is not a string/);
  });

  it('exits 4 when mount namespaces are forbidden, pointing at --no-sandbox', async () => {
    const d = dir();
    const run = await runCli(['fuzz', '--strategies', 'args', '--max-execs', '5', '--out', join(d, 'out'), '--', 'gzip'], {
      // unshare() answered EPERM for the CLI and everything it starts, as in a container without CAP_SYS_ADMIN
      wrapper: ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'inject=unshare:error=EPERM'],
    });
    expect(run.exitCode).toBe(4);
    expectErrorLine(run.stderr, /cannot isolate command runs in a read-only mount namespace: unshare: .*Operation not permitted/);
    expect(run.stderr).toMatch(/\nseccomplete: hint: .*--no-sandbox/);
  });

  it('runs a short command campaign and leaves no process of its group behind', async () => {
    const m = mark();
    const d = dir();
    const run = await runCli(['fuzz', '--strategies', 'args,files,stdin,env', '--max-execs', '60', '--jobs', '2', '-q', '--json', '--out', join(d, 'out'), ...markEnv(m), '--', 'gzip'], { mark: m });
    expect(run.exitCode, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { executions: number; syscalls: number };
    expect(summary.executions).toBeGreaterThanOrEqual(60);
    expect(summary.syscalls).toBeGreaterThan(15);
    expect(await waitForNoMarkedProcesses(m)).toEqual([]);
  });
});
