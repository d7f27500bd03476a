import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryContext, Endpoint } from '../../src/strategy.js';
import { createRng, sample } from '../../src/util/rng.js';
import { createHttpStrategy, deliverHttp, type HttpInput, type StructuredRequest } from '../../strategies/http/index.js';

const SERVER = fileURLToPath(new URL('../../examples/demo-server/server.mjs', import.meta.url));
const HIDDEN = ['/about', '/files/', '/upload', '/tools/uptime', '/report'];

interface DemoServer {
  endpoint: Endpoint;
  root: string;
  /** SIGTERM, then the exit code (the server must close gracefully) */
  stop(): Promise<number | null>;
}

/** Starts the real demo server on a port it picks (--port 0), read from its banner. */
async function startDemoServer(): Promise<DemoServer> {
  const root = mkdtempSync(join(tmpdir(), 'seccomplete-demo-'));
  const child: ChildProcess = spawn(process.execPath, [SERVER, '--port', '0', '--root', root], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a process behind
      reject(new Error(`demo server not ready after 10 s: ${out}`));
    }, 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo server exited with ${code}: ${out}`));
    });
  });
  return {
    endpoint: { host: '127.0.0.1', port },
    root,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(root, { recursive: true, force: true });
      return code;
    },
  };
}

const request = (method: string, path: string, extra: Partial<StructuredRequest> = {}): StructuredRequest => ({
  method,
  path,
  version: 'HTTP/1.1',
  headers: [['Host', 'localhost']],
  body: '',
  ...extra,
});
const one = (...requests: StructuredRequest[]): HttpInput => ({ requests });

/** A context on one endpoint; the HTTP strategy never touches the target handle. */
const contextFor = (endpoint: Endpoint): DeliveryContext =>
  ({ endpoint, endpoints: [endpoint], timeoutMs: 5000, signal: new AbortController().signal }) as unknown as DeliveryContext;

describe('the HTTP strategy discovers the demo server', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer();
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0); // SIGTERM closes gracefully
  });

  it('finds every hidden path within a few rounds of generate + deliver', async () => {
    const strategy = createHttpStrategy();
    const ctx = contextFor(server.endpoint);
    // the seeds know nothing of the hidden paths
    for (const path of HIDDEN) expect(strategy.knownPaths()).not.toContain(path);

    for (const seed of strategy.seeds()) await strategy.deliver(seed, ctx);
    const rng = createRng(2024);
    for (let round = 0; round < 8; round++) {
      const arbitrary = strategy.arbitrary(); // rebuilt each round: it draws on what was learned
      for (let i = 0; i < 20; i++) await strategy.deliver(sample(arbitrary, rng), ctx);
    }

    expect(strategy.knownPaths()).toEqual(expect.arrayContaining(HIDDEN));
    // the server counts requests per route: every hidden one was not only learned but reached
    const { exchanges } = await deliverHttp(one(request('GET', '/report')), ctx);
    const hits = JSON.parse(exchanges[0]!.response.body.toString()).requests as Record<string, number>;
    for (const path of HIDDEN) expect(hits[path], path).toBeGreaterThan(path === '/report' ? 1 : 0);
    expect(hits['/files/NAME']).toBeGreaterThan(0);
    expect(readdirSync(join(server.root, 'uploads')).length).toBeGreaterThan(0);
  });
});

describe('delivering to the demo server', () => {
  let server: DemoServer;
  let ctx: DeliveryContext;
  beforeAll(async () => {
    server = await startDemoServer();
    ctx = contextFor(server.endpoint);
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0); // SIGTERM closes gracefully
  });

  it('answers the seeds, GET / with 200', async () => {
    const strategy = createHttpStrategy();
    const signatures = [];
    for (const seed of strategy.seeds()) signatures.push((await strategy.deliver(seed, ctx)).signature);
    expect(signatures).toContain('200');
    expect((await strategy.deliver(one(request('GET', '/')), ctx)).signature).toBe('200');
  });

  it('sends several requests over one connection and stops at Connection: close', async () => {
    const result = await deliverHttp(one(request('GET', '/'), request('HEAD', '/about'), request('GET', '/nope'), request('PUT', '/')), ctx);
    expect(result.signature).toBe('200 200 404 405');
    expect(result.exchanges[1]!.response.body.length).toBe(0);
    const closing = request('GET', '/', { headers: [['Host', 'localhost'], ['Connection', 'close']] });
    expect((await deliverHttp(one(closing, request('GET', '/')), ctx)).signature).toBe('200 close');
  });

  it('uploads with POST /upload (201, Location), then serves and deletes the file', async () => {
    const body = 'hello upload \x00\xff';
    const posted = await deliverHttp(one(request('POST', '/upload', { body })), ctx);
    expect(posted.signature).toBe('201');
    const location = posted.exchanges[0]!.response.headers.find(([n]) => n.toLowerCase() === 'location')?.[1];
    expect(location).toMatch(/^\/files\/upload-[0-9a-f]+\.bin$/);
    const name = location!.slice('/files/'.length);
    expect(readFileSync(join(server.root, 'uploads', name)).toString('latin1')).toBe(body);
    expect(readdirSync(server.root).filter((f) => f.endsWith('.tmp'))).toEqual([]); // renamed, not left behind

    const listing = await deliverHttp(one(request('GET', '/files/')), ctx);
    expect(listing.exchanges[0]!.response.body.toString()).toContain(`href="/files/${name}"`);
    const roundTrip = await deliverHttp(one(request('GET', location!), request('DELETE', location!), request('GET', location!)), ctx);
    expect(roundTrip.signature).toBe('200 204 404');
    expect(roundTrip.exchanges[0]!.response.body.toString('latin1')).toBe(body);
  });

  it('refuses an upload over 1 MiB with 413 and keeps the connection usable', async () => {
    const big = request('POST', '/upload', { body: 'x'.repeat(1024 * 1024 + 1) });
    expect((await deliverHttp(one(big, request('GET', '/')), ctx)).signature).toBe('413 200');
  });

  it('gzips the report when asked to', async () => {
    const gz = request('GET', '/report', { headers: [['Host', 'localhost'], ['Accept-Encoding', 'gzip, br']] });
    const { signature, exchanges } = await deliverHttp(one(gz, request('GET', '/report')), ctx);
    expect(signature).toBe('200 200');
    const [compressed, plain] = exchanges.map((e) => e.response);
    expect(compressed!.headers).toContainEqual(['Content-Encoding', 'gzip']);
    expect(JSON.parse(zlib.gunzipSync(compressed!.body).toString())).toHaveProperty('requests');
    expect(JSON.parse(plain!.body.toString())).toHaveProperty('uptimeSeconds');
  });

  it('runs the uptime tool', async () => {
    const { signature, exchanges } = await deliverHttp(one(request('GET', '/tools/uptime')), ctx);
    expect(signature).toBe('200');
    expect(exchanges[0]!.response.body.length).toBeGreaterThan(0);
  });

  it('serves shipped files (HEAD without a body, 304 on a matching ETag) and rejects ..', async () => {
    const head = await deliverHttp(one(request('HEAD', '/files/hello.txt')), ctx);
    expect(head.signature).toBe('200');
    const etag = head.exchanges[0]!.response.headers.find(([n]) => n === 'ETag')![1];
    const conditional = request('GET', '/files/hello.txt', { headers: [['Host', 'localhost'], ['If-None-Match', etag]] });
    const escape = request('GET', '/files/..%2f..%2fetc%2fpasswd');
    expect((await deliverHttp(one(conditional, escape, request('GET', '/files/%zz')), ctx)).signature).toBe('304 400 400');
  });

  it('answers pipelined and parallel requests alike, and reports statuses and headers as features', async () => {
    const requests = [request('GET', '/'), request('GET', '/nope'), request('HEAD', '/about')];
    const pipelined = await deliverHttp({ requests, mode: 'pipelined' }, ctx);
    expect(pipelined.signature).toBe('200 404 200');
    const parallel = await deliverHttp({ requests, mode: 'parallel' }, ctx);
    expect(parallel.signature).toBe('200 | 404 | 200');
    for (const result of [pipelined, parallel]) {
      expect(result.features).toEqual(expect.arrayContaining(['@status:200', '@status:404', '@header:content-type']));
      expect(result.features!.every((f) => f.startsWith('@'))).toBe(true);
    }
  });

  it('delivers every seed with a stable signature', async () => {
    const strategy = createHttpStrategy();
    for (const seed of strategy.seeds().filter((s) => s.mode !== 'idle')) {
      const first = (await strategy.deliver(seed, ctx)).signature;
      expect((await strategy.deliver(seed, ctx)).signature, JSON.stringify(seed).slice(0, 120)).toBe(first);
    }
  });

  it('answers garbage with 400 or a close, and a hung request with a timeout', async () => {
    const garbage = { raw: Buffer.from('\x16\x03\x01 hello\r\n\r\n', 'latin1').toString('base64') };
    expect((await deliverHttp({ requests: [garbage] }, ctx)).signature).toMatch(/^(400|close)$/);
    const missingBody = request('POST', '/upload', { headers: [['Host', 'localhost'], ['Content-Length', '10']] });
    expect((await deliverHttp(one(missingBody), { ...ctx, timeoutMs: 300 })).signature).toBe('timeout');
  });
});
