import zlib from 'node:zlib';
import { findHeader } from './request.js';
import type { HttpResponse } from './response.js';

/**
 * Learning from responses: the paths a server reveals (links, form actions, redirects)
 * are the paths a fuzzer could not guess.
 */

const ATTRIBUTE = /(?:^|[\s"'/])(?:href|src|action|formaction)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;
const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(amp|lt|gt|quot|apos));/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** enough for any page worth reading; keeps a huge body from costing time */
const MAX_SCAN_BYTES = 256 * 1024;

/** The values of `href`, `src`, `action` and `formaction` attributes, entities decoded. */
export function extractAttributeLinks(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(ATTRIBUTE)) {
    const value = (m[1] ?? m[2] ?? m[3] ?? '').trim();
    if (value !== '') found.push(decodeEntities(value));
  }
  return found;
}

function decodeEntities(s: string): string {
  return s.replace(ENTITY, (whole, dec?: string, hex?: string, name?: string) => {
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? whole;
    const code = dec !== undefined ? Number(dec) : parseInt(hex ?? '', 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * Turns a link into a path on this server, or undefined. `base` is the path of the request
 * that got the page (relative links resolve against it); `isOwnHost` says whether an
 * absolute URL's `host:port` is the target. The fragment is dropped, the query kept.
 */
export function toSamePath(link: string, base: string, isOwnHost: (hostPort: string) => boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(link, new URL(base.startsWith('/') ? base : '/', 'http://seccomplete.invalid'));
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  if (url.host !== 'seccomplete.invalid' && !isOwnHost(`${url.hostname}:${port}`)) return undefined;
  return url.pathname + url.search;
}

/** Every same-origin path a response reveals: Location and Content-Location headers, and links in a textual body. */
export function learnPaths(response: HttpResponse, base: string, isOwnHost: (hostPort: string) => boolean): string[] {
  const links: string[] = [];
  for (const header of ['location', 'content-location']) {
    const value = findHeader(response.headers, header);
    if (value) links.push(value);
  }
  const text = textOf(response);
  if (text !== undefined) links.push(...extractAttributeLinks(text));
  const paths = links.map((l) => toSamePath(l, base, isOwnHost)).filter((p): p is string => p !== undefined);
  return [...new Set(paths)];
}

/** The body as text if it may hold markup (decompressed when needed), else undefined. */
function textOf(response: HttpResponse): string | undefined {
  if (response.body.length === 0) return undefined;
  const type = (findHeader(response.headers, 'content-type') ?? '').toLowerCase();
  if (type !== '' && !/^text\/|html|xml|json|javascript/.test(type)) return undefined;
  const body = decode(response.body.subarray(0, MAX_SCAN_BYTES), findHeader(response.headers, 'content-encoding'));
  return body?.toString('latin1');
}

function decode(body: Buffer, encoding: string | undefined): Buffer | undefined {
  // tolerate a truncated body; refuse to inflate a bomb
  const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 4 * MAX_SCAN_BYTES };
  try {
    switch ((encoding ?? 'identity').trim().toLowerCase()) {
      case 'identity':
        return body;
      case 'gzip':
      case 'x-gzip':
        return zlib.gunzipSync(body, options);
      case 'deflate':
        return zlib.inflateSync(body, options);
      case 'br':
        return zlib.brotliDecompressSync(body, { ...options, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
