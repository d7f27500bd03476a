/**
 * What HTTP inputs are made of: methods, headers, path variations, odd bytes. Shared by
 * the generator (fast-check) and the mutator (Rng) so that both speak the same language.
 * Every value here is valid in a structured request (see request.ts).
 */

export const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const;
/** an unknown method longer than nginx's fixed method table and most parsers' buffers */
export const OVERSIZED_METHOD = 'X'.repeat(40);
/** servers route these differently: unknown to the app, unknown to the parser, wrong case, WebDAV, oversized */
export const ODD_METHODS = [
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'FOO',
  'get',
  'Post',
  OVERSIZED_METHOD,
] as const;
export const METHODS: readonly string[] = [...COMMON_METHODS, ...ODD_METHODS];

export const HEADER_VALUES: Readonly<Record<string, readonly string[]>> = {
  'Accept-Encoding': ['gzip', 'deflate', 'br', 'identity', 'gzip, deflate, br', '*', 'gzip;q=0'],
  Accept: ['*/*', 'text/html', 'application/json', 'image/*'],
  // single, multiple (multipart/byteranges), unsatisfiable, and invalid ranges
  Range: [
    'bytes=0-0',
    'bytes=0-99',
    'bytes=-10',
    'bytes=5-',
    'bytes=0-1,4-5',
    'bytes=0-1,3-4,-2',
    'bytes=999999999-',
    'bytes=5-1',
    'bytes=abc',
    'items=0-1',
    'bytes=' + Array.from({ length: 40 }, (_, i) => `${i * 2}-${i * 2}`).join(','),
  ],
  'If-None-Match': ['*', '"0-0"', 'W/"x"'],
  'If-Match': ['*', '"0-0"'],
  'If-Modified-Since': ['Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 01 Jan 2100 00:00:00 GMT', 'yesterday'],
  'If-Unmodified-Since': ['Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 01 Jan 2100 00:00:00 GMT'],
  'If-Range': ['"0-0"', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 01 Jan 2100 00:00:00 GMT'],
  Connection: ['close', 'keep-alive', 'upgrade', 'Upgrade, HTTP2-Settings'],
  'Transfer-Encoding': ['chunked', 'gzip, chunked', 'identity', 'chunked, chunked'],
  'Content-Length': ['0', '1', '-1', '18446744073709551616'],
  'Content-Type': [
    'application/octet-stream',
    'text/plain',
    'application/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
  ],
  Expect: ['100-continue'],
  Cookie: ['session=1', 'a=b; c=d'],
  'User-Agent': ['seccomplete', 'curl/8.5.0', 'Mozilla/5.0'],
  Authorization: ['Basic dXNlcjpwYXNz', 'Bearer x', 'Basic !!!', 'Digest username="u"'],
  'Cache-Control': ['no-cache', 'max-age=0'],
  Upgrade: ['h2c', 'websocket'],
  Origin: ['http://localhost', 'null'],
  'X-Forwarded-For': ['127.0.0.1', '::1'],
  'Sec-WebSocket-Key': ['dGhlIHNhbXBsZSBub25jZQ=='],
  'Sec-WebSocket-Version': ['13', '8'],
  'HTTP2-Settings': ['AAMAAABkAARAAAAAAAIAAAAA', '!'],
  // valid, with a port, empty, and invalid (dots only, a bad port, an unclosed IPv6 literal)
  Host: ['localhost', '127.0.0.1', 'example.com', '', 'localhost:8080', '..', 'localhost:abc', '[::1', 'a/b'],
};
export const HEADER_NAMES: readonly string[] = Object.keys(HEADER_VALUES);
/** values for headers outside the dictionary: empty, numbers at the edges, long */
export const GENERIC_VALUES: readonly string[] = ['', '0', '-1', '18446744073709551616', '%00', 'A'.repeat(1024)];

/** Every generated request names the host: HTTP/1.1 servers answer 400 without one. */
export const DEFAULT_HOST: [string, string] = ['Host', 'localhost'];

/** Headers that only mean something together: protocol upgrades, a conditional range. */
export const HEADER_GROUPS: readonly (readonly [string, string][])[] = [
  [
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Sec-WebSocket-Version', '13'],
  ],
  [
    ['Connection', 'Upgrade, HTTP2-Settings'],
    ['Upgrade', 'h2c'],
    ['HTTP2-Settings', 'AAMAAABkAARAAAAAAAIAAAAA'],
  ],
  [
    ['Range', 'bytes=0-9'],
    ['If-Range', '"0-0"'],
  ],
  [
    ['Expect', '100-continue'],
    ['Content-Length', '5'],
  ],
];

/**
 * Sizes of one oversized header value: a few KiB, then around and beyond nginx's
 * 8 KiB large_client_header_buffers (a line longer than one buffer is refused with 400/414).
 */
export const LARGE_HEADER_SIZES: readonly number[] = [2048, 4000, 8000, 8192, 9000, 16 * 1024];
export const LARGE_HEADER_NAMES: readonly string[] = ['Cookie', 'X-Padding', 'Referer', 'User-Agent'];

const QUERIES = ['a=1', 'q=%00', 'x=' + 'A'.repeat(64), 'name=../../etc/passwd', 'id=-1', 'a=1&a=2', '', 'x=' + 'A'.repeat(4096), '%zz'];
const SEGMENTS = ['index.html', 'x', '..', '%2e%2e', '.hidden', 'a'.repeat(300), '%00', '~', '%2F', 'a'.repeat(5000), '.', '%2e'];

/**
 * Variations of a request target. `r` is a random 32-bit number the variation draws its
 * choices from, so fast-check (`fc.nat()`) and an Rng (`rng.seed()`) can both drive it.
 */
export type PathTweak = (path: string, r: number) => string;

const at = <T>(items: readonly T[], r: number): T => items[r % items.length]!;
const withSlash = (path: string) => (path.endsWith('/') ? path : `${path}/`);

export const PATH_TWEAKS: readonly PathTweak[] = [
  (path, r) => `${path}${path.includes('?') ? '&' : '?'}${at(QUERIES, r)}`,
  (path, r) => `${withSlash(path)}${at(SEGMENTS, r)}`,
  // a dot segment after one of the slashes
  (path, r) => {
    const slashes = [...path].flatMap((c, i) => (c === '/' ? [i] : []));
    if (slashes.length === 0) return `/./${path}`;
    const i = at(slashes, r);
    return `${path.slice(0, i + 1)}${r & 0x10000 ? '../' : './'}${path.slice(i + 1)}`;
  },
  // percent-encode one character (servers must decode before routing)
  (path, r) => {
    if (path.length < 2) return `${path}%2F`;
    const i = 1 + (r % (path.length - 1));
    const hex = path.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0');
    return `${path.slice(0, i)}%${hex}${path.slice(i + 1)}`;
  },
  (path) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : withSlash(path)),
  (path) => (path.startsWith('/') ? `/${path}` : path),
  // the parent directory
  (path) => path.replace(/[?#].*$/, '').replace(/[^/]+\/?$/, '') || '/',
];

/** Bytes that sit at the edges of parsers: NUL, high bit, line breaks, separators. */
export const INTERESTING_BYTES: readonly number[] = [
  0x00, 0x01, 0x7f, 0x80, 0xff, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x25, 0x2e, 0x2f, 0x30, 0x3a, 0x3b, 0x3f, 0x5c,
];
/** Short strings that change how a request is framed or routed. */
export const INTERESTING_TOKENS: readonly string[] = [
  '\r\n',
  '\n',
  '\r\n\r\n',
  ' ',
  '../',
  '%00',
  '%',
  '-1',
  '0',
  '99999999999999999999',
  'chunked',
  'Transfer-Encoding: chunked\r\n',
  'Content-Length: 0\r\n',
  'HTTP/1.1',
  'HTTP/2.0',
];
