/**
 * The input model of the HTTP strategy: a few requests sent to one endpoint of the
 * target, in a delivery mode (one after another, pipelined, over parallel connections,
 * cut short...). A request stays structured (and so open to meaningful mutations) until
 * byte-level havoc turns it into raw bytes.
 */

/** HTTP/0.9 is a bare `GET /path` line: no version, no headers, no body */
export type HttpVersion = 'HTTP/1.1' | 'HTTP/1.0' | 'HTTP/0.9';
export const HTTP_VERSIONS: readonly HttpVersion[] = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9'];

/**
 * How the body goes on the wire. Absent: as it is, with a Content-Length added when there
 * is a body and no framing header. The `chunked-*` ones break the chunked coding in one
 * place each; the `length-*` ones send a Content-Length that lies or overflows.
 */
export type Framing =
  | 'chunked'
  | 'chunked-bad-size'
  | 'chunked-overflow'
  | 'chunked-no-crlf'
  | 'chunked-no-end'
  | 'no-length'
  | 'length-short'
  | 'length-long'
  | 'length-huge';
export const FRAMINGS: readonly Framing[] = [
  'chunked',
  'chunked-bad-size',
  'chunked-overflow',
  'chunked-no-crlf',
  'chunked-no-end',
  'no-length',
  'length-short',
  'length-long',
  'length-huge',
];

/**
 * How the requests reach the server (absent = sequential):
 * - sequential: one connection, each request once the previous one is answered
 * - pipelined: one connection, every request written at once
 * - parallel: one connection per request, all open at the same time
 * - partial: the first half of the bytes, then our side of the connection closes
 * - reset: every request written, then the connection reset (RST) under the server
 * - slow-send: sequential, each request written in small pieces with small pauses
 * - slow-read: pipelined, then reading paused so that the server's send buffer fills
 * - idle: sequential, then the connection kept open and silent until the server closes it
 *   or the delivery's time is nearly up
 */
export type DeliveryMode = 'sequential' | 'pipelined' | 'parallel' | 'partial' | 'reset' | 'slow-send' | 'slow-read' | 'idle';
export const DELIVERY_MODES: readonly DeliveryMode[] = [
  'sequential',
  'pipelined',
  'parallel',
  'partial',
  'reset',
  'slow-send',
  'slow-read',
  'idle',
];
/** endpoint indices are taken modulo the number of endpoints; this bounds what a corpus file may say */
export const MAX_ENDPOINT_INDEX = 63;

export interface StructuredRequest {
  method: string;
  /** the request target as sent: `/files/?q=1`, `*`, even `http://host/x` */
  path: string;
  version: HttpVersion;
  /** in order, duplicates allowed; values have no surrounding whitespace */
  headers: [string, string][];
  /** latin1: one char per byte, so any bytes survive a JSON round trip */
  body: string;
  framing?: Framing;
}

export interface RawRequest {
  /** base64 of the exact bytes to send */
  raw: string;
}

export type HttpRequest = StructuredRequest | RawRequest;

export interface HttpInput {
  requests: HttpRequest[];
  /** index into the target's endpoints, modulo their number; absent = 0, the primary one */
  endpoint?: number;
  /** absent = sequential */
  mode?: DeliveryMode;
}

/** more would only slow a delivery down; havoc and splicing stay below it */
export const MAX_REQUESTS = 8;

export const isRaw = (req: HttpRequest): req is RawRequest => 'raw' in req;

export function findHeader(headers: readonly [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/**
 * The bytes on the wire. Without a `framing`, adds Content-Length when there is a body
 * and no framing header. HTTP/0.9 is the request line alone.
 */
export function serialize(req: HttpRequest): Buffer {
  if (isRaw(req)) return Buffer.from(req.raw, 'base64');
  if (req.version === 'HTTP/0.9') return Buffer.from(`${req.method} ${req.path}\r\n`, 'latin1');
  const { headers, body } = frame(req);
  const head = `${req.method} ${req.path} ${req.version}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** 20 digits: past 2^64, where a careless parser overflows */
const HUGE_LENGTH = '99999999999999999999';

/** The headers and body bytes of a request once its framing is applied; framing headers already there stay. */
export function frame(req: StructuredRequest): { headers: [string, string][]; body: Buffer } {
  const body = Buffer.from(req.body, 'latin1');
  const headers = [...req.headers];
  const has = (name: string) => findHeader(headers, name) !== undefined;
  const setLength = (value: string) => has('content-length') || headers.push(['Content-Length', value]);
  const framing = req.framing;
  if (framing === undefined) {
    if (body.length > 0 && !has('content-length') && !has('transfer-encoding')) setLength(String(body.length));
    return { headers, body };
  }
  if (framing.startsWith('chunked')) {
    if (!has('transfer-encoding')) headers.push(['Transfer-Encoding', 'chunked']);
    return { headers, body: encodeChunked(body, framing) };
  }
  if (framing === 'length-short') setLength(String(Math.max(0, body.length - 1)));
  if (framing === 'length-long') setLength(String(body.length + 16));
  if (framing === 'length-huge') setLength(HUGE_LENGTH);
  return { headers, body }; // no-length: the body goes unannounced
}

/**
 * The chunked coding of a body: up to three chunks, then the last chunk `0` and the
 * end of the (empty) trailer section; `framing` breaks it in one place.
 */
export function encodeChunked(body: Buffer, framing: Framing = 'chunked'): Buffer {
  const size = Math.max(1, Math.ceil(body.length / 3));
  const parts: Buffer[] = [];
  for (let start = 0; start < body.length; start += size) {
    const data = body.subarray(start, start + size);
    const sizeLine = framing === 'chunked-bad-size' && start === 0 ? 'zz' : data.length.toString(16);
    parts.push(Buffer.from(`${sizeLine}\r\n`, 'latin1'), data, Buffer.from(framing === 'chunked-no-crlf' ? '' : '\r\n'));
  }
  if (framing === 'chunked-overflow') parts.unshift(Buffer.from('ffffffffffffffffff\r\n', 'latin1'));
  if (framing === 'chunked-bad-size' && body.length === 0) parts.push(Buffer.from('zz\r\n', 'latin1'));
  if (framing !== 'chunked-no-end') parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** The method a request will be read as (HEAD responses carry no body); raw ones are parsed loosely. */
export function methodOf(req: HttpRequest): string {
  if (!isRaw(req)) return req.method;
  const bytes = serialize(req);
  const space = bytes.indexOf(0x20);
  return bytes.subarray(0, space < 0 ? Math.min(bytes.length, 16) : space).toString('latin1');
}

/** The request target, for resolving relative links; `/` when a raw request has none. */
export function pathOf(req: HttpRequest): string {
  if (!isRaw(req)) return req.path;
  const line = serialize(req).subarray(0, 8192).toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  return line.split(' ')[1] ?? '/';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^[\x21-\x7e\x80-\xff]+$/; // visible latin1, no spaces or controls
// no controls but HTAB, and no surrounding SP/HTAB (a parser would trim them)
const FIELD_VALUE = /^(?:[^\x00-\x20\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)?$/;
const LATIN1 = /^[\x00-\xff]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads one HTTP request from a seed file. Editors write `\n`, so line endings of the
 * head are normalised to `\r\n`. The body is what follows the blank line: exactly
 * Content-Length bytes when that header is given, otherwise the rest of the file,
 * where a rest made only of line breaks counts as no body (a trailing newline).
 * A request the structured model cannot hold (odd version, folded header) comes back raw.
 */
export function parseRawRequest(buf: Buffer): HttpRequest {
  const { lines, rest } = splitHead(buf);
  while (lines[0] === '') lines.shift(); // blank lines before the request line are allowed
  const requestLine = lines[0];
  if (requestLine === undefined) throw new Error('no request line (the file is empty)');
  const headLines = lines.slice(1);
  const parts = requestLine.split(' ');
  // `GET /path` alone is an HTTP/0.9 request
  const [method, path, version = headLines.length === 0 && parts.length === 2 ? 'HTTP/0.9' : undefined] = parts;
  const headers: [string, string][] = [];
  let structured =
    parts.length <= 3 && TOKEN.test(method ?? '') && TARGET.test(path ?? '') && HTTP_VERSIONS.includes(version as HttpVersion);
  if (version === 'HTTP/0.9' && parts.length === 3) structured = false; // `HTTP/0.9` spelled out is not 0.9
  for (const line of headLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) structured = false;
    headers.push([name, value]);
  }
  const body = bodyOf(rest, findHeader(headers, 'content-length'));
  if (structured && version === 'HTTP/0.9') {
    if (body.length > 0) structured = false; // 0.9 has no body: keep the bytes as they are
    else return { method: method!, path: path!, version: 'HTTP/0.9', headers: [], body: '' };
  }
  const head = Buffer.from(`${[requestLine, ...headLines].join('\r\n')}\r\n\r\n`, 'latin1');
  if (!structured) return { raw: Buffer.concat([head, body]).toString('base64') };
  return { method: method!, path: path!, version: version as HttpVersion, headers, body: body.toString('latin1') };
}

function splitHead(buf: Buffer): { lines: string[]; rest: Buffer } {
  const lines: string[] = [];
  let start = 0;
  let seenRequestLine = false;
  while (start < buf.length) {
    const newline = buf.indexOf(0x0a, start);
    const end = newline < 0 ? buf.length : newline;
    const line = buf.subarray(start, end).toString('latin1').replace(/\r$/, '');
    start = newline < 0 ? buf.length : newline + 1;
    if (line === '' && seenRequestLine) return { lines, rest: buf.subarray(start) };
    if (line !== '') seenRequestLine = true;
    lines.push(line);
  }
  return { lines, rest: Buffer.alloc(0) };
}

function bodyOf(rest: Buffer, contentLength: string | undefined): Buffer {
  if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) <= rest.length) {
    return rest.subarray(0, Number(contentLength));
  }
  return rest.every((b) => b === 0x0a || b === 0x0d) ? Buffer.alloc(0) : rest;
}

/** Checks a value read back from a corpus file; returns a clean copy or throws saying what is wrong. */
export function validateInput(raw: unknown): HttpInput {
  if (!isRecord(raw) || !Array.isArray(raw.requests)) throw new Error('an HTTP input is an object with a "requests" array');
  const { requests, endpoint, mode } = raw;
  if (requests.length === 0 || requests.length > MAX_REQUESTS) {
    throw new Error(`an HTTP input has 1 to ${MAX_REQUESTS} requests, not ${requests.length}`);
  }
  const input: HttpInput = { requests: requests.map((r, i) => validateRequest(r, `requests[${i}]`)) };
  if (endpoint !== undefined) {
    if (!Number.isInteger(endpoint) || (endpoint as number) < 0 || (endpoint as number) > MAX_ENDPOINT_INDEX) {
      throw new Error(`"endpoint" must be an integer from 0 to ${MAX_ENDPOINT_INDEX} (an index into the target's endpoints), not ${JSON.stringify(endpoint)}`);
    }
    input.endpoint = endpoint as number;
  }
  if (mode !== undefined) {
    if (!DELIVERY_MODES.includes(mode as DeliveryMode)) {
      throw new Error(`"mode" must be one of ${DELIVERY_MODES.join(', ')}, not ${JSON.stringify(mode)}`);
    }
    input.mode = mode as DeliveryMode;
  }
  return input;
}

function validateRequest(raw: unknown, where: string): HttpRequest {
  const fail = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (!isRecord(raw)) return fail('a request is an object');
  if ('raw' in raw) {
    if (typeof raw.raw !== 'string' || raw.raw === '' || !BASE64.test(raw.raw)) return fail('"raw" must be non-empty base64');
    return { raw: raw.raw };
  }
  const { method, path, version, headers, body, framing } = raw;
  if (typeof method !== 'string' || !TOKEN.test(method)) return fail(`method ${JSON.stringify(method)} is not an HTTP token`);
  if (typeof path !== 'string' || !TARGET.test(path)) return fail(`path ${JSON.stringify(path)} must be visible latin1 without spaces`);
  if (!HTTP_VERSIONS.includes(version as HttpVersion)) return fail(`version must be one of ${HTTP_VERSIONS.join(', ')}`);
  if (!Array.isArray(headers)) return fail('"headers" must be an array of [name, value] pairs');
  const cleanHeaders = headers.map((h, i): [string, string] => {
    if (!Array.isArray(h) || h.length !== 2) return fail(`headers[${i}] must be a [name, value] pair`);
    const [name, value] = h as unknown[];
    if (typeof name !== 'string' || !TOKEN.test(name)) return fail(`headers[${i}]: name ${JSON.stringify(name)} is not an HTTP token`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      return fail(`headers[${i}]: value ${JSON.stringify(value)} has line breaks, controls or surrounding spaces (use a raw request)`);
    }
    return [name, value];
  });
  if (typeof body !== 'string' || !LATIN1.test(body)) return fail('"body" must be a latin1 string (one char per byte)');
  const request: StructuredRequest = { method, path, version: version as HttpVersion, headers: cleanHeaders, body };
  if (framing !== undefined) {
    if (!FRAMINGS.includes(framing as Framing)) return fail(`"framing" must be one of ${FRAMINGS.join(', ')}, not ${JSON.stringify(framing)}`);
    request.framing = framing as Framing;
  }
  return request;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One line for humans: `GET /files/ +1 req, 2 hdrs`, then `[pipelined, endpoint 1]` when not the defaults. */
export function describeInput(input: HttpInput): string {
  const [first, ...more] = input.requests;
  if (first === undefined) return '(no requests)';
  const extra = more.length > 0 ? ` +${more.length} req` : '';
  const how = [
    ...(input.mode !== undefined && input.mode !== 'sequential' ? [input.mode] : []),
    ...(input.endpoint ? [`endpoint ${input.endpoint}`] : []),
  ];
  const delivery = how.length > 0 ? ` [${how.join(', ')}]` : '';
  if (isRaw(first)) {
    const bytes = serialize(first);
    const line = bytes.subarray(0, 60).toString('latin1').split(/\r?\n/, 1)[0] ?? '';
    return `raw ${bytes.length} B ${JSON.stringify(line)}${extra}${delivery}`;
  }
  const method = first.method.length > 20 ? `${first.method.slice(0, 17)}...` : first.method;
  const path = first.path.length > 60 ? `${first.path.slice(0, 57)}...` : first.path;
  const version = first.version === 'HTTP/1.1' ? '' : ` ${first.version}`;
  const body = first.body.length > 0 ? `, ${first.body.length} B body` : '';
  const framing = first.framing ? ` ${first.framing}` : '';
  return `${method} ${path}${version}${extra}, ${first.headers.length} hdrs${body}${framing}${delivery}`;
}
