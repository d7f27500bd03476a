import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, inCI, nginxMissing as missing, nginxTemplates, ROOT, verifyJson } from '../helpers/nginx.js';

/**
 * The HTTP explorer on Debian's nginx (examples/nginx: master and two workers, static
 * files, autoindex, gzip, error pages, a proxy_pass upstream, HTTPS with HTTP/2 on
 * {port2}): fuzz until stable, then the profile must hold for the corpus and for
 * ordinary client requests the fuzzer never saw.
 */
if (missing && !inCI) console.warn(`skipping nginx HTTP tests: ${missing}`);

const ENDPOINTS = ['--endpoint', 'http://127.0.0.1:{port}', '--endpoint', 'https://127.0.0.1:{port2}'];
const TARGET_OPTIONS = () => ['--strategies', 'http', ...ENDPOINTS, ...nginxTemplates()];

/** What curl, a browser and a health check send: written here, never given to the fuzzer. */
const CLIENT_REQUESTS: Record<string, string> = {
  'curl-get.http': 'GET / HTTP/1.1\nHost: 127.0.0.1\nUser-Agent: curl/7.88.1\nAccept: */*\n\n',
  'curl-head.http': 'HEAD /index.html HTTP/1.1\nHost: localhost\nUser-Agent: curl/7.88.1\nAccept: */*\n\n',
  'range.http': 'GET /files/large.txt HTTP/1.1\nHost: localhost\nRange: bytes=100-199\n\n',
  'range-multi.http': 'GET /files/large.txt HTTP/1.1\nHost: localhost\nRange: bytes=0-9,1000-1099\n\n',
  'gzip.http': 'GET /style.css HTTP/1.1\nHost: localhost\nAccept-Encoding: gzip, deflate, br\n\n',
  'gzip-large.http': 'GET /files/large.txt HTTP/1.1\nHost: localhost\nAccept-Encoding: gzip\n\n',
  'not-found.http': 'GET /no/such/page.html HTTP/1.1\nHost: localhost\nAccept: text/html\n\n',
  'large-file.http': 'GET /files/large.txt HTTP/1.1\nHost: localhost\nConnection: close\n\n',
  'autoindex.http': 'GET /files/ HTTP/1.1\nHost: localhost\n\n',
  'not-modified.http': 'GET /index.html HTTP/1.1\nHost: localhost\nIf-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\n\n',
  'status.http': 'GET /status HTTP/1.1\nHost: localhost\n\n',
  'http10.http': 'GET /files/readme.txt HTTP/1.0\n\n',
  // the same over HTTPS (endpoint 1: TLS, HTTP/2 through ALPN), as a browser would
  'h2-get.ep1.http': 'GET / HTTP/1.1\nHost: localhost\nAccept: text/html\nAccept-Encoding: gzip, deflate, br\n\n',
  'h2-range.ep1.http': 'GET /files/large.txt HTTP/1.1\nHost: localhost\nRange: bytes=0-1023\n\n',
  'h2-not-found.ep1.http': 'GET /favicon.ico HTTP/1.1\nHost: localhost\n\n',
  'h2-proxied.ep1.http': 'GET /api/files/data.json HTTP/1.1\nHost: localhost\n\n',
  'proxied.http': 'GET /api/ HTTP/1.1\nHost: localhost\n\n',
};

describe('the HTTP explorer on nginx', () => {
  it.skipIf(!inCI && missing !== undefined)('has nginx (required in CI)', () => {
    expect(missing, `CI requires Debian's nginx: ${missing}`).toBeUndefined();
  });

  let work = '';
  let out = '';
  let summary: { reason: string; syscalls: number; allowed: number; executions: number; elapsedMs: number; corpus: number; crashes: number } | undefined;

  beforeAll(async () => {
    if (missing) return;
    if (!existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('run npm run build first');
    work = await mkdtemp(path.join(os.tmpdir(), 'sc-nginx-http-'));
    out = path.join(work, 'out');
    const run = await cli(
      ['fuzz', ...TARGET_OPTIONS(), '--until-stable', '20s', '--time', '240s', '--jobs', '2', '--seed', '11', '--json', '-q', '--out', out, '--', '/usr/sbin/nginx', '-p', '{workdir}', '-c', 'nginx.conf'],
      300_000,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.exitCode, run.stderr).toBe(0);
    summary = JSON.parse(run.stdout) as typeof summary;
    console.log(
      `nginx: ${summary!.reason} after ${summary!.elapsedMs} ms, ${summary!.executions} execs, ${summary!.syscalls} syscalls, profile allows ${summary!.allowed}, corpus ${summary!.corpus}`,
    );
  }, 320_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.skipIf(missing !== undefined)('fuzzes until stable within the bound, over both endpoints', async () => {
    expect(summary?.reason).toBe('stable');
    expect(summary?.crashes).toBe(0);
    expect(summary!.syscalls).toBeGreaterThan(40);
    const coverage = JSON.parse(await readFile(path.join(out, 'coverage.json'), 'utf8')) as { syscalls: string[] };
    // sendfile for static files, the upstream's connect, accept4 and epoll in the workers
    for (const s of ['sendfile', 'connect', 'accept4', 'epoll_wait', 'writev']) expect(coverage.syscalls, s).toContain(s);
  });

  it.skipIf(missing !== undefined)('verify: the corpus replays under the profile with no denial', async () => {
    const { exitCode, report, stderr } = await verifyJson(['--profile', path.join(out, 'profile.json'), '--corpus', path.join(out, 'corpus'), ...TARGET_OPTIONS()]);
    expect(report.denials, stderr).toEqual([]);
    expect(report.passed, JSON.stringify(report.differences)).toBe(true);
    expect(exitCode).toBe(0);
  }, 200_000);

  it.skipIf(missing !== undefined)('verify --seeds: client requests the fuzzer never saw run with no denial and the same answers', async () => {
    const seeds = path.join(work, 'client-requests');
    await mkdir(seeds, { recursive: true });
    for (const [name, text] of Object.entries(CLIENT_REQUESTS)) await writeFile(path.join(seeds, name), text);
    const empty = path.join(work, 'empty-corpus');
    await mkdir(empty, { recursive: true });
    const { exitCode, report, stderr } = await verifyJson(['--profile', path.join(out, 'profile.json'), '--corpus', empty, '--seeds', seeds, ...TARGET_OPTIONS()]);
    expect(report.inputs).toBe(Object.keys(CLIENT_REQUESTS).length);
    expect(report.denials, stderr).toEqual([]);
    expect(report.differences).toEqual([]);
    expect(exitCode).toBe(0);
  }, 200_000);
});
