import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT, verifyJson } from '../helpers/nginx.js';
import { inCI, MEMCACHED, memcachedMissing as missing } from '../helpers/tcp.js';

/**
 * The tcp strategy on Debian's memcached (text protocol), from three seed sessions
 * written here: fuzz until stable, then the profile must hold for the corpus and for a
 * client workload the fuzzer never saw; and the dictionary mined from the binary must
 * find syscalls that the same run without it does not. The seeds stay clear of the
 * commands that reach those syscalls (`watch`: the logger thread's poll; `stats conns`:
 * getsockname; `lru_crawler ...`: the crawler thread), so only the mined words can.
 * Then the unix-socket and UDP endpoints, for real.
 */
if (missing && !inCI) console.warn(`skipping memcached tests: ${missing}`);

const TARGET = [MEMCACHED, '-u', 'root', '-l', '127.0.0.1', '-p', '{port}', '-U', '0', '-t', '2', '-m', '64'];
const UNIX_TARGET = [MEMCACHED, '-u', 'root', '-s', '{workdir}/mc.sock', '-U', '0', '-t', '2', '-m', '64'];
/** UDP only: `-p 0` turns TCP off, so readiness is the UDP port being bound */
const UDP_TARGET = [MEMCACHED, '-u', 'root', '-l', '127.0.0.1', '-p', '0', '-U', '{port}', '-t', '2', '-m', '64'];

const HEADER = '# seccomplete session\n';
/** What the fuzzer starts from: plain storage, counters, stats over two connections. */
const SEEDS: Record<string, string> = {
  'basic.txt': `${HEADER}set greeting 0 0 5\\r\\nhello\\r\\n\nget greeting\\r\\n\ndelete greeting\\r\\n\nversion\\r\\n\n`,
  'counters.txt': `${HEADER}set n 0 0 1\\r\\n5\\r\\n\nincr n 3\\r\\n\ndecr n 1\\r\\n\ngets n\\r\\n\n`,
  'stats.txt': `${HEADER}stats\\r\\n\n@conn 1\nadd fresh 0 60 3\\r\\nnew\\r\\n\nget fresh missing\\r\\n\n`,
};
/** The words that only the dictionary may bring: none of them is in the seeds. */
const DICTIONARY_ONLY_WORDS = ['watch', 'conns', 'lru_crawler', 'metadump', 'crawler', 'disable'];

/** What an application sends: written here, never given to the fuzzer. */
const WORKLOAD: Record<string, string> = {
  'stats.txt': `${HEADER}stats\\r\\n\nstats settings\\r\\n\nstats items\\r\\n\nstats slabs\\r\\n\nversion\\r\\n\n`,
  'storage.txt':
    `${HEADER}set user:1 0 300 11\\r\\nhello world\\r\\n\nget user:1\\r\\n\nadd user:1 0 0 1\\r\\nx\\r\\n\nadd user:2 5 0 3\\r\\nabc\\r\\n\n` +
    'replace user:2 0 0 3\\r\\nxyz\\r\\n\nreplace nobody 0 0 1\\r\\nz\\r\\n\nappend user:1 0 0 4\\r\\n!!!!\\r\\n\nprepend user:1 0 0 2\\r\\n>>\\r\\n\n' +
    'get user:1 user:2 nobody\\r\\n\ndelete user:2\\r\\n\ndelete user:2\\r\\n\n',
  'cas.txt': `${HEADER}set doc 0 0 2\\r\\nv1\\r\\n\ngets doc\\r\\n\ncas doc 0 0 2 999999\\r\\nv2\\r\\n\ntouch doc 60\\r\\n\ngat 120 doc\\r\\n\n`,
  'counters.txt': `${HEADER}set hits 0 0 1\\r\\n0\\r\\n\nincr hits 1\\r\\n\nincr hits 41\\r\\n\ndecr hits 2\\r\\n\ndecr hits 100\\r\\n\nincr missing 1\\r\\n\n`,
  // half a megabyte: well past the seeds' values, below memcached's 1 MB item limit
  'large-value.txt': `${HEADER}set blob 0 0 500000\\r\\n${'x'.repeat(500_000)}\\r\\n\nget blob\\r\\n\ndelete blob\\r\\n\n`,
  'flush.txt': `${HEADER}set tmp 0 0 1\\r\\n1\\r\\n\nflush_all\\r\\n\nget tmp\\r\\n\nflush_all 0\\r\\n\n`,
  'many-connections.txt':
    HEADER +
    Array.from({ length: 20 }, (_, i) => `@conn ${i}\nset c${i} 0 0 ${String(i).length}\\r\\n${i}\\r\\n\n`).join('') +
    Array.from({ length: 20 }, (_, i) => `@conn ${i}\nget c${i}\\r\\n\n`).join(''),
};

/** Over UDP every datagram starts with memcached's 8-byte frame header: request id, sequence 0, 1 datagram. */
const udpFrame = (id: number, command: string) => `\\x00\\x${id.toString(16).padStart(2, '0')}\\x00\\x00\\x00\\x01\\x00\\x00${command}`;
const UDP_SEEDS: Record<string, string> = {
  'udp.txt': `${HEADER}${udpFrame(1, 'set k 0 0 5\\r\\nhello\\r\\n')}\n${udpFrame(2, 'get k\\r\\n')}\n${udpFrame(3, 'stats\\r\\n')}\n`,
};

interface Summary {
  reason: string;
  elapsedMs: number;
  executions: number;
  syscalls: number;
  allowed: number;
  corpus: number;
  crashes: number;
}
interface Coverage {
  syscalls: string[];
  features: Record<string, unknown>;
}
interface Run {
  out: string;
  summary: Summary;
  coverage: Coverage;
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text, 'latin1');
  return dir;
}

async function fuzz(out: string, args: string[], target: string[], timeoutMs = 200_000): Promise<Run> {
  const run = await cli(['fuzz', ...args, '--json', '-q', '--out', out, '--', ...target], timeoutMs);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.exitCode, run.stderr).toBe(0);
  const coverage = JSON.parse(await readFile(path.join(out, 'coverage.json'), 'utf8')) as Coverage;
  return { out, summary: JSON.parse(run.stdout) as Summary, coverage };
}

async function corpusEntries(out: string): Promise<{ input: unknown; found: string[]; signature: string; describe: string }[]> {
  const dir = path.join(out, 'corpus');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as { input: unknown; found: string[]; signature: string; describe: string }));
}

const line = (run: Run) => `${run.summary.reason} after ${(run.summary.elapsedMs / 1000).toFixed(1)} s, ${run.summary.executions} execs, ${run.summary.syscalls} syscalls, corpus ${run.summary.corpus}`;

describe('the tcp strategy on memcached', () => {
  it.skipIf(!inCI && missing !== undefined)('has memcached (required in CI)', () => {
    expect(missing, `CI requires Debian's memcached: ${missing}`).toBeUndefined();
  });

  let work = '';
  let withDict: Run | undefined;
  let withoutDict: Run | undefined;

  beforeAll(async () => {
    if (missing) return;
    if (!existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('run npm run build first');
    work = await mkdtemp(path.join(os.tmpdir(), 'sc-memcached-'));
    const seeds = await writeFiles(path.join(work, 'seeds'), SEEDS);
    // the same seeds, random seed and budget; only the dictionary differs; both at once, one job each
    const common = ['--strategies', 'tcp', '--seeds', seeds, '--until-stable', '20s', '--time', '170s', '--jobs', '1', '--seed', '7'];
    [withDict, withoutDict] = await Promise.all([
      fuzz(path.join(work, 'dict'), common, TARGET),
      fuzz(path.join(work, 'no-dict'), [...common, '--no-dict'], TARGET),
    ]);
    console.log(`memcached with the dictionary: ${line(withDict)}\n  syscalls: ${withDict.coverage.syscalls.join(' ')}`);
    console.log(`memcached without it (--no-dict): ${line(withoutDict)}\n  syscalls: ${withoutDict.coverage.syscalls.join(' ')}`);
  }, 260_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.skipIf(missing !== undefined)('fuzzes until stable within the bound, from three seed sessions', async () => {
    const run = withDict!;
    expect(run.summary.reason).toBe('stable');
    expect(run.summary.crashes).toBe(0);
    expect(run.summary.syscalls).toBeGreaterThan(40);
    for (const s of ['accept4', 'epoll_wait', 'sendmsg', 'read', 'clone3']) expect(run.coverage.syscalls, s).toContain(s);
    // the replies steered the search: memcached's status words are states of their own
    for (const f of ['@reply:STORED', '@reply:VALUE', '@reply:ERROR', '@reply:STAT']) expect(Object.keys(run.coverage.features), f).toContain(f);
  });

  it.skipIf(missing !== undefined)('the dictionary mined from the binary finds syscalls the run without it does not', async () => {
    const seedText = Object.values(SEEDS).join('\n');
    for (const word of DICTIONARY_ONLY_WORDS) expect(seedText, word).not.toContain(word);
    const without = new Set(withoutDict!.coverage.syscalls);
    const onlyWithDict = withDict!.coverage.syscalls.filter((s) => !without.has(s));
    const onlyWithout = withoutDict!.coverage.syscalls.filter((s) => !new Set(withDict!.coverage.syscalls).has(s));
    const finders = (await corpusEntries(withDict!.out)).filter((e) => e.found.some((f) => onlyWithDict.includes(f)));
    console.log(
      `memcached: only with the dictionary: ${onlyWithDict.join(' ') || '(none)'}; only without: ${onlyWithout.join(' ') || '(none)'}\n` +
        finders.map((e) => `  ${e.describe} found ${e.found.join(' ')}`).join('\n'),
    );
    expect(onlyWithDict.length).toBeGreaterThan(0);
    // the logger thread polls its watchers: only `watch` (or lru_crawler metadump) gets there
    expect(onlyWithDict).toContain('poll');
  });

  it.skipIf(missing !== undefined)('verify: the corpus replays under the profile with no denial', async () => {
    const out = withDict!.out;
    const { exitCode, report, stderr } = await verifyJson(['--profile', path.join(out, 'profile.json'), '--corpus', path.join(out, 'corpus')], TARGET);
    expect(report.denials, stderr).toEqual([]);
    expect(report.passed, JSON.stringify(report.differences)).toBe(true);
    expect(exitCode).toBe(0);
  }, 200_000);

  it.skipIf(missing !== undefined)('verify --seeds: a client workload the fuzzer never saw runs with no denial and the same answers', async () => {
    const workload = await writeFiles(path.join(work, 'workload'), WORKLOAD);
    const empty = await writeFiles(path.join(work, 'empty-corpus'), {});
    const out = withDict!.out;
    const { exitCode, report, stderr } = await verifyJson(['--strategies', 'tcp', '--profile', path.join(out, 'profile.json'), '--corpus', empty, '--seeds', workload], TARGET);
    expect(report.inputs).toBe(Object.keys(WORKLOAD).length);
    expect(report.denials, stderr).toEqual([]);
    expect(report.differences).toEqual([]);
    expect(exitCode).toBe(0);
  }, 200_000);
});

describe('memcached over a unix socket and over UDP', () => {
  let work = '';
  let unix: Run | undefined;
  let udp: Run | undefined;

  beforeAll(async () => {
    if (missing) return;
    work = await mkdtemp(path.join(os.tmpdir(), 'sc-memcached-ep-'));
    const seeds = await writeFiles(path.join(work, 'seeds'), SEEDS);
    const udpSeeds = await writeFiles(path.join(work, 'udp-seeds'), UDP_SEEDS);
    const budget = ['--max-execs', '120', '--jobs', '1', '--seed', '3'];
    [unix, udp] = await Promise.all([
      fuzz(path.join(work, 'unix'), ['--strategies', 'tcp', '--endpoint', 'unix:{workdir}/mc.sock', '--seeds', seeds, ...budget], UNIX_TARGET),
      fuzz(path.join(work, 'udp'), ['--strategies', 'udp', '--endpoint', 'udp://127.0.0.1:{port}', '--seeds', udpSeeds, ...budget], UDP_TARGET),
    ]);
    console.log(`memcached over a unix socket: ${line(unix)}; over UDP: ${line(udp)}`);
  }, 200_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.skipIf(missing !== undefined)('talks to a unix-socket endpoint (ready once the socket accepts)', async () => {
    const features = Object.keys(unix!.coverage.features);
    expect(features).toContain('socket:AF_UNIX:SOCK_STREAM');
    expect(features).not.toContain('socket:AF_INET:SOCK_STREAM');
    // answers only memcached gives: the sessions went through the socket
    for (const f of ['@reply:STORED', '@reply:VALUE']) expect(features, f).toContain(f);
    const { report, stderr } = await verifyJson(['--profile', path.join(unix!.out, 'profile.json'), '--corpus', path.join(unix!.out, 'corpus'), '--endpoint', 'unix:{workdir}/mc.sock'], UNIX_TARGET);
    expect(report.denials, stderr).toEqual([]);
    expect(report.passed, JSON.stringify(report.differences)).toBe(true);
  }, 120_000);

  it.skipIf(missing !== undefined)('talks to a UDP endpoint (ready once the port is bound)', async () => {
    expect(Object.keys(udp!.coverage.features)).toContain('socket:AF_INET:SOCK_DGRAM');
    expect(udp!.coverage.syscalls).toContain('recvfrom');
    // a `get` answered over UDP: the frame header, then VALUE ... END
    const signatures = (await corpusEntries(udp!.out)).map((e) => e.signature);
    expect(signatures.some((s) => / END\b/.test(s)), signatures.join('\n')).toBe(true);
    const { report, stderr } = await verifyJson(['--profile', path.join(udp!.out, 'profile.json'), '--corpus', path.join(udp!.out, 'corpus'), '--endpoint', 'udp://127.0.0.1:{port}'], UDP_TARGET);
    expect(report.denials, stderr).toEqual([]);
    expect(report.passed, JSON.stringify(report.differences)).toBe(true);
  }, 120_000);
});
