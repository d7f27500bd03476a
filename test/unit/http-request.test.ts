import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng, sample } from '../../src/util/rng.js';
import { httpInputArbitrary, requestArbitrary } from '../../strategies/http/arbitraries.js';
import { deliverHttp } from '../../strategies/http/deliver.js';
import { havoc, mutateInput } from '../../strategies/http/mutate.js';
import {
  describeInput,
  parseRawRequest,
  serialize,
  validateInput,
  type HttpInput,
  type StructuredRequest,
} from '../../strategies/http/request.js';
import { ResponseReader, type HttpResponse } from '../../strategies/http/response.js';
import { findBuiltinCorpusDir, loadSeeds, readSeedDir } from '../../strategies/http/seeds.js';
import { UserError } from '../../src/errors.js';
import type { DeliveryContext } from '../../src/strategy.js';

const PATHS = ['/', '*', '/files/', '/about', '/a?b=1', '/tools/uptime'];
const jsonRoundTrip = <T>(x: T): unknown => JSON.parse(JSON.stringify(x));

describe('serialize / parseRawRequest', () => {
  it('round-trips every structured HTTP/1.x request with the default framing (Content-Length added for a body)', () => {
    fc.assert(
      fc.property(requestArbitrary(PATHS), (generated) => {
        const { framing: _framing, ...req } = generated;
        fc.pre(req.version !== 'HTTP/0.9');
        const parsed = parseRawRequest(serialize(req));
        const framed = req.headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n));
        fc.pre(!framed || req.body === ''); // a body under a framing header of its own is read back by that header
        const expectedHeaders = req.body.length > 0 ? [...req.headers, ['Content-Length', String(req.body.length)]] : req.headers;
        expect(parsed).toEqual({ ...req, headers: expectedHeaders });
        expect(serialize(parsed).equals(serialize(req))).toBe(true); // toEqual walks a Buffer byte by byte
      }),
      { numRuns: 300 },
    );
  });

  it('reads back the exact bytes of a chunked request as a seed would', () => {
    fc.assert(
      fc.property(requestArbitrary(PATHS), (generated) => {
        fc.pre(generated.version !== 'HTTP/0.9' && !generated.headers.some(([n]) => /^content-length$/i.test(n)));
        const req: StructuredRequest = { ...generated, framing: 'chunked' };
        expect(serialize(parseRawRequest(serialize(req))).equals(serialize(req))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('accepts \\n line endings and normalises them to \\r\\n', () => {
    const req = parseRawRequest(Buffer.from('GET /x HTTP/1.1\nHost: localhost\nAccept:  */*  \n\n'));
    expect(req).toEqual({ method: 'GET', path: '/x', version: 'HTTP/1.1', headers: [['Host', 'localhost'], ['Accept', '*/*']], body: '' });
    expect(serialize(req).toString('latin1')).toBe('GET /x HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n');
  });

  it('takes Content-Length bytes of body and ignores an editor newline after them', () => {
    const req = parseRawRequest(Buffer.from('POST / HTTP/1.1\nContent-Length: 5\n\nhello\n')) as StructuredRequest;
    expect(req.body).toBe('hello');
    const noLength = parseRawRequest(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n\n')) as StructuredRequest;
    expect(noLength.body).toBe('');
  });

  it('accepts a file without the final blank line, and leading blank lines', () => {
    expect(parseRawRequest(Buffer.from('\nHEAD / HTTP/1.0\nHost: a'))).toMatchObject({ method: 'HEAD', version: 'HTTP/1.0' });
  });

  it('keeps a request the structured model cannot hold as raw bytes', () => {
    const req = parseRawRequest(Buffer.from('GET / HTTP/2.0\nHost: a\n\n'));
    expect(req).toHaveProperty('raw');
    expect(serialize(req).toString()).toBe('GET / HTTP/2.0\r\nHost: a\r\n\r\n');
  });

  it('throws on an empty file', () => {
    expect(() => parseRawRequest(Buffer.from('\n\n'))).toThrow(/no request line/);
  });

  it('describes an input in one line', () => {
    const get: StructuredRequest = { method: 'GET', path: '/files/', version: 'HTTP/1.1', headers: [['Host', 'a'], ['Accept', '*/*']], body: '' };
    expect(describeInput({ requests: [get, get] })).toBe('GET /files/ +1 req, 2 hdrs');
    expect(describeInput({ requests: [{ raw: Buffer.from('GE\0T / HTTP/1.1\r\n\r\n').toString('base64') }] })).toBe(
      'raw 19 B "GE\\u0000T / HTTP/1.1"',
    );
  });
});

describe('seeds', () => {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

  it('finds corpus/http/ from the source and from the compiled location', () => {
    const expected = join(repoRoot, 'corpus', 'http');
    expect(findBuiltinCorpusDir(join(repoRoot, 'strategies', 'http'))).toBe(expected);
    expect(findBuiltinCorpusDir(join(repoRoot, 'dist', 'strategies', 'http'))).toBe(expected);
  });

  it('parses every built-in seed, all but the HTTP/2 preface as structured requests, none of them to a hidden path', () => {
    const seeds = loadSeeds();
    expect(seeds.length).toBeGreaterThanOrEqual(40);
    for (const seed of seeds) {
      expect(validateInput(jsonRoundTrip(seed))).toEqual(seed);
      const [request] = seed.requests;
      if (request && 'raw' in request) {
        expect(Buffer.from(request.raw, 'base64').toString('latin1')).toBe('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
        continue;
      }
      expect(request).toHaveProperty('method');
      expect((request as StructuredRequest).path).not.toMatch(/about|files|upload|tools|report/); // the demo server's hidden ones
    }
  });

  it('takes the delivery mode and endpoint of a seed from its file name', () => {
    const seeds = loadSeeds();
    const modes = new Set(seeds.map((s) => s.mode ?? 'sequential'));
    expect([...modes].sort()).toEqual(['idle', 'parallel', 'partial', 'pipelined', 'reset', 'sequential', 'slow-read', 'slow-send']);
    expect(seeds.filter((s) => s.endpoint === 1).length).toBeGreaterThanOrEqual(1);
    const versions = new Set(seeds.flatMap((s) => s.requests.flatMap((r) => ('version' in r ? [r.version] : []))));
    expect([...versions].sort()).toEqual(['HTTP/0.9', 'HTTP/1.0', 'HTTP/1.1']);
  });

  it('adds user seed directories, and says which file or directory is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seccomplete-seeds-'));
    try {
      writeFileSync(join(dir, 'a.txt'), 'DELETE /x HTTP/1.1\nHost: a\n');
      writeFileSync(join(dir, '.hidden'), 'ignored');
      expect(readSeedDir(dir)).toEqual([{ requests: [expect.objectContaining({ method: 'DELETE', path: '/x' })] }]);
      expect(loadSeeds([dir])).toHaveLength(loadSeeds().length + 1);
      writeFileSync(join(dir, 'b.txt'), '');
      expect(() => readSeedDir(dir)).toThrow(/seed file .*b\.txt: no request line/);
      expect(() => readSeedDir(join(dir, 'missing'))).toThrow(UserError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validateInput', () => {
  it('accepts everything the arbitrary generates, after a JSON round trip', () => {
    fc.assert(
      fc.property(httpInputArbitrary(PATHS), (input) => {
        expect(validateInput(jsonRoundTrip(input))).toEqual(input);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts everything mutate returns, after a JSON round trip', () => {
    fc.assert(
      fc.property(httpInputArbitrary(PATHS), httpInputArbitrary(PATHS), fc.nat(), (input, other, seed) => {
        const rng = createRng(seed);
        let current: HttpInput = input;
        for (let i = 0; i < 5; i++) {
          current = mutateInput(current, rng, PATHS, rng.chance(0.5) ? other : undefined);
          expect(validateInput(jsonRoundTrip(current))).toEqual(current);
        }
      }),
      { numRuns: 200 },
    );
  });

  const ok: StructuredRequest = { method: 'GET', path: '/', version: 'HTTP/1.1', headers: [], body: '' };
  it.each([
    [null, /object with a "requests" array/],
    [{ requests: [] }, /1 to 8 requests/],
    [{ requests: Array(9).fill(ok) }, /1 to 8 requests/],
    [{ requests: [42] }, /requests\[0\]: a request is an object/],
    [{ requests: [{ raw: 'not base64!' }] }, /"raw" must be non-empty base64/],
    [{ requests: [{ raw: '' }] }, /"raw" must be non-empty base64/],
    [{ requests: [{ ...ok, method: 'G T' }] }, /method "G T" is not an HTTP token/],
    [{ requests: [{ ...ok, path: '/a b' }] }, /path "\/a b"/],
    [{ requests: [{ ...ok, path: '' }] }, /path ""/],
    [{ requests: [{ ...ok, version: 'HTTP/2' }] }, /version must be one of/],
    [{ requests: [{ ...ok, framing: 'gzip' }] }, /requests\[0\]: "framing" must be one of chunked, /],
    [{ requests: [ok], mode: 'fast' }, /"mode" must be one of sequential, pipelined, .*not "fast"/],
    [{ requests: [ok], mode: 3 }, /"mode" must be one of/],
    [{ requests: [ok], endpoint: -1 }, /"endpoint" must be an integer from 0 to 63/],
    [{ requests: [ok], endpoint: 1.5 }, /"endpoint" must be an integer/],
    [{ requests: [ok], endpoint: 64 }, /"endpoint" must be an integer from 0 to 63/],
    [{ requests: [ok], endpoint: '1' }, /"endpoint" must be an integer/],
    [{ requests: [ok, { ...ok, headers: [['Host']] }] }, /requests\[1\]: headers\[0\] must be a \[name, value\] pair/],
    [{ requests: [{ ...ok, headers: [['Bad Name', 'x']] }] }, /name "Bad Name" is not an HTTP token/],
    [{ requests: [{ ...ok, headers: [['X', 'a\r\nInjected: 1']] }] }, /line breaks/],
    [{ requests: [{ ...ok, headers: [['X', ' padded']] }] }, /surrounding spaces/],
    [{ requests: [{ ...ok, body: 'snow ☃' }] }, /latin1/],
    [{ requests: [{ ...ok, body: undefined }] }, /latin1/],
  ])('rejects %j', (value, message) => {
    expect(() => validateInput(value)).toThrow(message);
  });
});

describe('mutateInput', () => {
  it('is deterministic for the same Rng seed', () => {
    fc.assert(
      fc.property(httpInputArbitrary(PATHS), httpInputArbitrary(PATHS), fc.nat(), (input, other, seed) => {
        const a = mutateInput(input, createRng(seed), PATHS, other);
        const b = mutateInput(input, createRng(seed), PATHS, other);
        expect(a).toEqual(b);
      }),
      { numRuns: 200 },
    );
  });

  it('does not modify its input', () => {
    const rng = createRng(7);
    for (let i = 0; i < 100; i++) {
      const input = sample(httpInputArbitrary(PATHS), rng);
      const copy = structuredClone(input);
      mutateInput(input, rng, PATHS, input);
      expect(input).toEqual(copy);
    }
  });

  it('produces both structured variations and raw havoc', () => {
    const rng = createRng(1);
    const input: HttpInput = { requests: [{ method: 'GET', path: '/', version: 'HTTP/1.1', headers: [['Host', 'localhost']], body: '' }] };
    const outputs = Array.from({ length: 200 }, () => mutateInput(input, rng, PATHS));
    expect(outputs.some((o) => o.requests.some((r) => 'raw' in r))).toBe(true);
    expect(outputs.some((o) => o.requests.some((r) => 'method' in r && r.path !== '/'))).toBe(true);
    expect(outputs.some((o) => o.requests.some((r) => 'method' in r && r.method !== 'GET'))).toBe(true);
    expect(outputs.some((o) => o.requests.length > 1)).toBe(true);
  });

  it('havoc never returns an empty request', () => {
    const rng = createRng(3);
    for (let i = 0; i < 500; i++) expect(havoc(Buffer.from('G'), rng).length).toBeGreaterThan(0);
  });
});

// Responses the reader must frame exactly; the method is what the request was.
const RESPONSES: { method: string; wire: string; status: number; body: string }[] = [
  { method: 'GET', wire: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', status: 200, body: 'hello' },
  { method: 'GET', wire: 'HTTP/1.1 100 Continue\r\n\r\n', status: 100, body: '' },
  {
    method: 'GET',
    wire: 'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n',
    status: 201,
    body: 'abc0123456789',
  },
  { method: 'HEAD', wire: 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', status: 200, body: '' },
  { method: 'GET', wire: 'HTTP/1.1 204 No Content\r\n\r\n', status: 204, body: '' },
  { method: 'GET', wire: 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', status: 304, body: '' },
  { method: 'GET', wire: 'HTTP/1.1 404 Not Found\nContent-Length: 0\n\n', status: 404, body: '' },
  { method: 'GET', wire: 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end', status: 200, body: 'until the end' },
];

/** Announces the requests' methods, then feeds the wire bytes in the given pieces. */
function readAll(pieces: Buffer[], methods: string[]): HttpResponse[] {
  const reader = new ResponseReader();
  for (const method of methods) reader.expect(method);
  return [...pieces.flatMap((piece) => reader.push(piece)), ...reader.end()];
}

describe('ResponseReader', () => {
  const wire = Buffer.from(RESPONSES.map((r) => r.wire).join(''), 'latin1');
  const methods = () => RESPONSES.filter((r) => r.status >= 200).map((r) => r.method);

  it('frames Content-Length, chunked, HEAD, 1xx/204/304 and close-delimited responses', () => {
    const responses = readAll([wire], methods());
    expect(responses.map((r) => r.status)).toEqual(RESPONSES.map((r) => r.status));
    expect(responses.map((r) => r.body.toString('latin1'))).toEqual(RESPONSES.map((r) => r.body));
    expect(responses.at(-1)?.closesConnection).toBe(true);
    expect(responses[0]?.closesConnection).toBe(false);
  });

  it('gives the same responses when the bytes are split at any boundary', () => {
    const whole = readAll([wire], methods());
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(readAll([wire.subarray(0, cut), wire.subarray(cut)], methods())).toEqual(whole);
    }
  });

  it('gives the same responses for any number of arbitrary splits', () => {
    const whole = readAll([wire], methods());
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 40 }), (cuts) => {
        const sorted = [0, ...cuts.sort((a, b) => a - b), wire.length];
        const pieces = sorted.slice(1).map((end, i) => wire.subarray(sorted[i], end));
        expect(readAll(pieces, methods())).toEqual(whole);
      }),
    );
  });

  it('hands a response back as soon as its last byte arrives', () => {
    const reader = new ResponseReader();
    expect(reader.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\na'))).toEqual([]);
    expect(reader.push(Buffer.from('b')).map((r) => r.body.toString())).toEqual(['ab']);
    expect(reader.isPartial).toBe(false);
  });

  it.each(['garbage\r\n\r\n', 'HTTP/1.1 abc\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])(
    'flags %j as garbage',
    (bytes) => {
      const reader = new ResponseReader();
      expect(reader.push(Buffer.from(bytes))).toEqual([]);
      expect(reader.isGarbage).toBe(true);
    },
  );

  it('notices garbage from the first bytes, without waiting for a head', () => {
    const reader = new ResponseReader();
    reader.push(Buffer.from('<html>'));
    expect(reader.isGarbage).toBe(true);
  });

  it('keeps at most maxBodyBytes of a body but counts all of it', () => {
    const reader = new ResponseReader(4);
    const [response] = reader.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789'));
    expect(response?.body.toString()).toBe('0123');
    expect(response?.bodyBytes).toBe(10);
  });
});

describe('deliverHttp against a scripted server', () => {
  const servers: net.Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  /** A server that answers each received chunk with `reply(n)` (n counts chunks). */
  async function scripted(reply: (socket: net.Socket, n: number) => void): Promise<number> {
    const server = net.createServer((socket) => {
      let n = 0;
      socket.on('data', () => reply(socket, n++));
      socket.on('error', () => {});
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }
  const get: StructuredRequest = { method: 'GET', path: '/', version: 'HTTP/1.1', headers: [['Host', 'x']], body: '' };
  const ctx = (port: number, timeoutMs = 2000) => ({
    endpoint: { host: '127.0.0.1', port },
    endpoints: [{ host: '127.0.0.1', port }],
    timeoutMs,
    signal: new AbortController().signal,
  }) as unknown as DeliveryContext; // no target: the HTTP strategy never touches it

  it('signs the status codes in order, and is done without idle waits', async () => {
    const port = await scripted((s, n) => s.write(n === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 404 Nope\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
    const started = Date.now();
    const result = await deliverHttp({ requests: [get, get] }, ctx(port));
    expect(result.signature).toBe('200 404');
    expect(Date.now() - started).toBeLessThan(180); // an idle wait would cost at least 200 ms
  });

  it('says close when the server closes before answering everything', async () => {
    const port = await scripted((s) => s.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
    expect((await deliverHttp({ requests: [get, get] }, ctx(port))).signature).toBe('200 close');
    const silent = await scripted((s) => s.end());
    expect((await deliverHttp({ requests: [get] }, ctx(silent))).signature).toBe('close');
  });

  it('says reset on a connection reset', async () => {
    const port = await scripted((s) => s.resetAndDestroy());
    expect((await deliverHttp({ requests: [get] }, ctx(port))).signature).toBe('reset');
  });

  it('waits a short idle after garbage', async () => {
    const port = await scripted((s) => s.write('SSH-2.0-OpenSSH\r\n'));
    const started = Date.now();
    expect((await deliverHttp({ requests: [get, get] }, ctx(port))).signature).toBe('garbage');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('says timeout at ctx.timeoutMs, aborted on the signal, refused without a server', async () => {
    const port = await scripted(() => {});
    expect((await deliverHttp({ requests: [get] }, ctx(port, 100))).signature).toBe('timeout');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await deliverHttp({ requests: [get] }, { ...ctx(port), signal: controller.signal });
    expect(aborted.signature).toBe('aborted');
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await deliverHttp({ requests: [get] }, ctx(freePort));
    expect(refused.signature).toBe('refused');
    expect(refused.transportError).toMatch(/ECONNREFUSED/);
  });
});
