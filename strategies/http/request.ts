/**
 * The input model of the HTTP strategy: a few requests sent in order over one TCP
 * connection. A request stays structured (and so open to meaningful mutations) until
 * byte-level havoc turns it into raw bytes.
 */

export type HttpVersion = 'HTTP/1.1' | 'HTTP/1.0';
export const HTTP_VERSIONS: readonly HttpVersion[] = ['HTTP/1.1', 'HTTP/1.0'];

export interface StructuredRequest {
  method: string;
  /** the request target as sent: `/files/?q=1`, `*`, even `http://host/x` */
  path: string;
  version: HttpVersion;
  /** in order, duplicates allowed; values have no surrounding whitespace */
  headers: [string, string][];
  /** latin1: one char per byte, so any bytes survive a JSON round trip */
  body: string;
}

export interface RawRequest {
  /** base64 of the exact bytes to send */
  raw: string;
}

export type HttpRequest = StructuredRequest | RawRequest;

export interface HttpInput {
  requests: HttpRequest[];
}

/** more would only slow a delivery down; havoc and splicing stay below it */
export const MAX_REQUESTS = 8;

export const isRaw = (req: HttpRequest): req is RawRequest => 'raw' in req;

export function findHeader(headers: readonly [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

/** The bytes on the wire. Adds Content-Length when there is a body and no framing header. */
export function serialize(req: HttpRequest): Buffer {
  if (isRaw(req)) return Buffer.from(req.raw, 'base64');
  const body = Buffer.from(req.body, 'latin1');
  const headers = [...req.headers];
  const framed = findHeader(headers, 'content-length') !== undefined || findHeader(headers, 'transfer-encoding') !== undefined;
  if (body.length > 0 && !framed) headers.push(['Content-Length', String(body.length)]);
  const head = `${req.method} ${req.path} ${req.version}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
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
  const [method, path, version] = parts;
  const headers: [string, string][] = [];
  let structured =
    parts.length === 3 && TOKEN.test(method ?? '') && TARGET.test(path ?? '') && HTTP_VERSIONS.includes(version as HttpVersion);
  for (const line of headLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) structured = false;
    headers.push([name, value]);
  }
  const body = bodyOf(rest, findHeader(headers, 'content-length'));
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
  const { requests } = raw;
  if (requests.length === 0 || requests.length > MAX_REQUESTS) {
    throw new Error(`an HTTP input has 1 to ${MAX_REQUESTS} requests, not ${requests.length}`);
  }
  return { requests: requests.map((r, i) => validateRequest(r, `requests[${i}]`)) };
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
  const { method, path, version, headers, body } = raw;
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
  return { method, path, version: version as HttpVersion, headers: cleanHeaders, body };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One line for humans: `GET /files/ +1 req, 2 hdrs`. */
export function describeInput(input: HttpInput): string {
  const [first, ...more] = input.requests;
  if (first === undefined) return '(no requests)';
  const extra = more.length > 0 ? ` +${more.length} req` : '';
  if (isRaw(first)) {
    const bytes = serialize(first);
    const line = bytes.subarray(0, 60).toString('latin1').split(/\r?\n/, 1)[0] ?? '';
    return `raw ${bytes.length} B ${JSON.stringify(line)}${extra}`;
  }
  const path = first.path.length > 60 ? `${first.path.slice(0, 57)}...` : first.path;
  const version = first.version === 'HTTP/1.1' ? '' : ` ${first.version}`;
  const body = first.body.length > 0 ? `, ${first.body.length} B body` : '';
  return `${first.method} ${path}${version}${extra}, ${first.headers.length} hdrs${body}`;
}
