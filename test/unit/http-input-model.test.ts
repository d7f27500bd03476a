import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng, sample } from '../../src/util/rng.js';
import { H2_PREFACE, httpInputArbitrary, requestArbitrary } from '../../strategies/http/arbitraries.js';
import { responseFeatures, MAX_HEADER_NAME } from '../../strategies/http/features.js';
import { mutateInput } from '../../strategies/http/mutate.js';
import {
  describeInput,
  encodeChunked,
  FRAMINGS,
  parseRawRequest,
  serialize,
  validateInput,
  type HttpInput,
  type StructuredRequest,
} from '../../strategies/http/request.js';
import type { HttpResponse } from '../../strategies/http/response.js';
import { deliveryOfName } from '../../strategies/http/seeds.js';

const PATHS = ['/', '/files/', '/a?b=1'];
const post = (body: string, extra: Partial<StructuredRequest> = {}): StructuredRequest => ({
  method: 'POST',
  path: '/up',
  version: 'HTTP/1.1',
  headers: [['Host', 'h']],
  body,
  ...extra,
});
const wire = (req: StructuredRequest) => serialize(req).toString('latin1');
const HEAD = 'POST /up HTTP/1.1\r\nHost: h\r\n';

describe('HTTP/0.9', () => {
  it('is the request line alone: no version, headers or body', () => {
    const req: StructuredRequest = { method: 'GET', path: '/x', version: 'HTTP/0.9', headers: [['Host', 'h']], body: 'ignored' };
    expect(wire(req)).toBe('GET /x\r\n');
  });

  it('is read back from a seed `GET /path` line', () => {
    expect(parseRawRequest(Buffer.from('GET /index.html\n'))).toEqual({ method: 'GET', path: '/index.html', version: 'HTTP/0.9', headers: [], body: '' });
    // spelled out, or with headers or a body, it is not 0.9: the bytes stay as they are
    expect(parseRawRequest(Buffer.from('GET / HTTP/0.9\n\n'))).toHaveProperty('raw');
    expect(parseRawRequest(Buffer.from('GET /\nHost: h\n\n'))).toHaveProperty('raw');
  });
});

describe('framing', () => {
  it('encodes a chunked body in up to three chunks, with the last chunk', () => {
    expect(wire(post('hello world', { framing: 'chunked' }))).toBe(`${HEAD}Transfer-Encoding: chunked\r\n\r\n4\r\nhell\r\n4\r\no wo\r\n3\r\nrld\r\n0\r\n\r\n`);
    expect(wire(post('', { framing: 'chunked' }))).toBe(`${HEAD}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`);
    // a Transfer-Encoding already there stays alone
    const own = post('ab', { framing: 'chunked', headers: [['Host', 'h'], ['Transfer-Encoding', 'gzip, chunked']] });
    expect(wire(own)).toBe(`${HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n`);
  });

  it('decodes back to the body with a real chunked decoder', async () => {
    const http = await import('node:http');
    // node's own parser is the reference: feed it the bytes and read the body it decodes
    const body = 'x'.repeat(1000) + '\x00\xff';
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => res.end(Buffer.concat(parts).toString('latin1') === body ? 'same' : 'different'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const net = await import('node:net');
      const port = (server.address() as import('node:net').AddressInfo).port;
      const reply = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(serialize(post(body, { framing: 'chunked', headers: [['Host', 'h'], ['Connection', 'close']] }))));
        let got = '';
        s.on('data', (c) => (got += c.toString('latin1')));
        s.on('close', () => resolve(got));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 200[\s\S]*same$/);
    } finally {
      server.close();
    }
  });

  it('breaks the chunked coding in exactly one place per broken framing', () => {
    const body = Buffer.from('abcdef');
    expect(encodeChunked(body, 'chunked-bad-size').toString()).toBe('zz\r\nab\r\n2\r\ncd\r\n2\r\nef\r\n0\r\n\r\n');
    expect(encodeChunked(body, 'chunked-overflow').toString()).toBe('ffffffffffffffffff\r\n2\r\nab\r\n2\r\ncd\r\n2\r\nef\r\n0\r\n\r\n');
    expect(encodeChunked(body, 'chunked-no-crlf').toString()).toBe('2\r\nab2\r\ncd2\r\nef0\r\n\r\n');
    expect(encodeChunked(body, 'chunked-no-end').toString()).toBe('2\r\nab\r\n2\r\ncd\r\n2\r\nef\r\n');
    expect(encodeChunked(Buffer.alloc(0), 'chunked-bad-size').toString()).toBe('zz\r\n0\r\n\r\n');
  });

  it('sends a lying, huge or no Content-Length', () => {
    expect(wire(post('hello', { framing: 'no-length' }))).toBe(`${HEAD}\r\nhello`);
    expect(wire(post('hello', { framing: 'length-short' }))).toBe(`${HEAD}Content-Length: 4\r\n\r\nhello`);
    expect(wire(post('hello', { framing: 'length-long' }))).toBe(`${HEAD}Content-Length: 21\r\n\r\nhello`);
    expect(wire(post('', { framing: 'length-huge' }))).toBe(`${HEAD}Content-Length: 99999999999999999999\r\n\r\n`);
  });
});

describe('new input fields', () => {
  const ok = post('');

  it('accepts a mode, an endpoint and a framing, and keeps them through JSON', () => {
    const input: HttpInput = { requests: [{ ...ok, framing: 'chunked-no-end' }], mode: 'slow-read', endpoint: 2 };
    expect(validateInput(JSON.parse(JSON.stringify(input)))).toEqual(input);
    for (const framing of FRAMINGS) expect(validateInput({ requests: [{ ...ok, framing }] }).requests[0]).toHaveProperty('framing', framing);
  });

  it('describes a mode and an endpoint other than the defaults', () => {
    expect(describeInput({ requests: [ok] })).toBe('POST /up, 1 hdrs');
    expect(describeInput({ requests: [ok], mode: 'sequential', endpoint: 0 })).toBe('POST /up, 1 hdrs');
    expect(describeInput({ requests: [ok, ok], mode: 'pipelined', endpoint: 1 })).toBe('POST /up +1 req, 1 hdrs [pipelined, endpoint 1]');
    expect(describeInput({ requests: [{ ...ok, body: 'abc', framing: 'chunked' }], mode: 'idle' })).toBe('POST /up, 1 hdrs, 3 B body chunked [idle]');
  });

  it('learns a seed\'s mode and endpoint from its file name', () => {
    expect(deliveryOfName('get.http')).toEqual({});
    expect(deliveryOfName('keepalive.idle.http')).toEqual({ mode: 'idle' });
    expect(deliveryOfName('post.slow-send.ep1.http')).toEqual({ mode: 'slow-send', endpoint: 1 });
    expect(deliveryOfName('ep1.txt')).toEqual({}); // the first part is the name
    expect(deliveryOfName('a.ep99.fast.txt')).toEqual({});
  });
});

describe('generated and mutated inputs', () => {
  it('every generated input validates and survives a JSON round trip', () => {
    fc.assert(
      fc.property(httpInputArbitrary(PATHS), (input) => {
        expect(validateInput(JSON.parse(JSON.stringify(input)))).toEqual(input);
        expect(JSON.stringify(input)).not.toContain('"mode":"sequential"'); // the default goes unsaid
      }),
      { numRuns: 300 },
    );
  });

  it('generates every mode, sequential the most often, endpoints, framings, 0.9 and the h2 preface', () => {
    const rng = createRng(11);
    const inputs = Array.from({ length: 3000 }, () => sample(httpInputArbitrary(PATHS), rng));
    const count = (p: (i: HttpInput) => boolean) => inputs.filter(p).length;
    const byMode = new Map<string, number>();
    for (const i of inputs) byMode.set(i.mode ?? 'sequential', (byMode.get(i.mode ?? 'sequential') ?? 0) + 1);
    expect(byMode.size).toBe(8);
    const [top] = [...byMode.entries()].sort((a, b) => b[1] - a[1]);
    expect(top![0]).toBe('sequential');
    expect(top![1]).toBeGreaterThan(inputs.length / 2);
    expect(count((i) => (i.endpoint ?? 0) > 0)).toBeGreaterThan(300);
    const requests = inputs.flatMap((i) => i.requests);
    expect(requests.filter((r) => 'framing' in r && r.framing === 'chunked').length).toBeGreaterThan(50);
    expect(requests.filter((r) => 'version' in r && r.version === 'HTTP/0.9').length).toBeGreaterThan(50);
    expect(requests.filter((r) => 'raw' in r && Buffer.from(r.raw, 'base64').subarray(0, 24).equals(H2_PREFACE)).length).toBeGreaterThan(10);
    expect(requests.filter((r) => 'headers' in r && r.headers.some(([, v]) => v.length > 8192)).length).toBeGreaterThan(10);
    expect(requests.filter((r) => 'headers' in r && r.headers.filter(([n]) => n === 'Host').length !== 1).length).toBeGreaterThan(50);
    expect(requests.filter((r) => 'headers' in r && r.headers.some(([n, v]) => n === 'Upgrade' && v === 'websocket')).length).toBeGreaterThan(10);
  });

  it('mutate always returns a valid input, and now and then another mode or endpoint', () => {
    fc.assert(
      fc.property(httpInputArbitrary(PATHS), httpInputArbitrary(PATHS), fc.nat(), (input, other, seed) => {
        const rng = createRng(seed);
        let current = input;
        for (let i = 0; i < 5; i++) {
          current = mutateInput(current, rng, PATHS, other);
          expect(validateInput(JSON.parse(JSON.stringify(current)))).toEqual(current);
        }
      }),
      { numRuns: 300 },
    );
    const rng = createRng(5);
    const start: HttpInput = { requests: [post('')] };
    const outputs = Array.from({ length: 500 }, () => mutateInput(start, rng, PATHS));
    expect(new Set(outputs.map((o) => o.mode ?? 'sequential')).size).toBe(8);
    expect(outputs.filter((o) => o.mode === undefined).length).toBeGreaterThan(400); // mostly left alone
    expect(outputs.some((o) => (o.endpoint ?? 0) > 0)).toBe(true);
    expect(outputs.some((o) => o.requests.some((r) => 'framing' in r))).toBe(true);
    // the mode and endpoint of the entry survive the other mutations
    const kept = Array.from({ length: 200 }, () => mutateInput({ ...start, mode: 'parallel', endpoint: 1 }, rng, PATHS));
    expect(kept.filter((o) => o.mode === 'parallel' && o.endpoint === 1).length).toBeGreaterThan(150);
  });

  it('never hands out the same header array twice (the mutator edits headers in place)', () => {
    const rng = createRng(3);
    const headers = Array.from({ length: 300 }, () => sample(requestArbitrary(PATHS), rng)).flatMap((r) => [r.headers, ...r.headers]);
    expect(new Set(headers).size).toBe(headers.length);
  });

  it('requestArbitrary gives structured requests that serialize', () => {
    fc.assert(fc.property(requestArbitrary(PATHS), (req) => void expect(serialize(req).length).toBeGreaterThan(0)));
  });
});

describe('responseFeatures', () => {
  const response = (status: number, headers: [string, string][]): HttpResponse => ({
    version: 'HTTP/1.1',
    status,
    headers,
    body: Buffer.alloc(0),
    bodyBytes: 0,
    closesConnection: false,
  });

  it('names each status and each response header name once, lower-cased and capped, and HTTP/2', () => {
    const long = 'X-' + 'a'.repeat(100);
    const features = responseFeatures(
      [response(206, [['Content-Range', 'bytes 0-1/2'], ['ETag', '"x"']]), response(206, [['content-range', 'x'], [long, '1']]), response(100, [])],
      true,
    );
    expect(features).toEqual(
      [
        '@status:206',
        '@status:100',
        '@header:content-range',
        '@header:etag',
        `@header:${long.toLowerCase().slice(0, MAX_HEADER_NAME)}`,
        '@proto:h2',
      ].sort(),
    );
    expect(responseFeatures([], false)).toEqual([]);
  });
});
