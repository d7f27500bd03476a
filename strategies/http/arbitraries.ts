import fc from 'fast-check';
import type { DeliveryMode, Framing, HttpInput, HttpRequest, HttpVersion, RawRequest, StructuredRequest } from './request.js';
import {
  COMMON_METHODS,
  DEFAULT_HOST,
  HEADER_GROUPS,
  HEADER_NAMES,
  HEADER_VALUES,
  LARGE_HEADER_NAMES,
  LARGE_HEADER_SIZES,
  ODD_METHODS,
  PATH_TWEAKS,
} from './vocabulary.js';

/**
 * fast-check arbitraries of fresh HTTP inputs. Paths come from a dictionary (seeds plus
 * what the server revealed), so the arbitrary must be rebuilt as the dictionary grows.
 */

const weighted = <T>(...choices: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> =>
  fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));

export const methodArbitrary: fc.Arbitrary<string> = weighted(
  [8, fc.constant('GET')],
  [4, fc.constant('POST')],
  [2, fc.constant('HEAD')],
  [2, fc.constant('DELETE')],
  [3, fc.constantFrom(...COMMON_METHODS)],
  [2, fc.constantFrom(...ODD_METHODS)],
);

/**
 * A known path, favouring the end of the list: the dictionary lists seed paths first and
 * learned ones from least to most recently seen, and what the server keeps revealing is
 * a better lead than the seed corpus' odd paths. The larger of two uniform draws.
 */
export function knownPathArbitrary(paths: readonly string[]): fc.Arbitrary<string> {
  const list = paths.length > 0 ? paths : ['/'];
  const index = fc.nat(list.length - 1);
  return fc.tuple(index, index).map(([a, b]) => list[Math.max(a, b)]!);
}

export function pathArbitrary(paths: readonly string[]): fc.Arbitrary<string> {
  const known = knownPathArbitrary(paths);
  const tweaked = fc
    .tuple(known, fc.array(fc.tuple(fc.constantFrom(...PATH_TWEAKS), fc.nat()), { minLength: 1, maxLength: 2 }))
    .map(([path, tweaks]) => tweaks.reduce((p, [tweak, r]) => tweak(p, r), path));
  return weighted([3, known], [1, tweaked]);
}

export const versionArbitrary: fc.Arbitrary<HttpVersion> = weighted<HttpVersion>(
  [16, fc.constant('HTTP/1.1')],
  [2, fc.constant('HTTP/1.0')],
  [1, fc.constant('HTTP/0.9')],
);

const headerArbitrary: fc.Arbitrary<[string, string]> = fc
  .constantFrom(...HEADER_NAMES.filter((n) => n !== 'Host'))
  .chain((name) => fc.constantFrom(...HEADER_VALUES[name]!).map((value): [string, string] => [name, value]));

/** One header far larger than usual: a few KiB up to beyond the server's header buffers. */
export const largeHeaderArbitrary: fc.Arbitrary<[string, string]> = fc
  .tuple(fc.constantFrom(...LARGE_HEADER_NAMES), fc.constantFrom(...LARGE_HEADER_SIZES))
  .map(([name, size]) => [name, name === 'Cookie' ? `k=${'v'.repeat(size - 2)}` : 'a'.repeat(size)]);

/**
 * Host present (mostly), absent, or sent twice with different values. Every value is a
 * fresh array: fc.constant hands out one shared object, and the mutator edits headers in place.
 */
const hostArbitrary: fc.Arbitrary<[string, string][]> = weighted(
  [36, fc.constant(null).map((): [string, string][] => [[...DEFAULT_HOST]])],
  [2, fc.constant(null).map((): [string, string][] => [])],
  [1, fc.constantFrom(...HEADER_VALUES.Host!).map((other): [string, string][] => [[...DEFAULT_HOST], ['Host', other]])],
  [1, fc.constantFrom(...HEADER_VALUES.Host!).map((value): [string, string][] => [['Host', value]])],
);

export const headersArbitrary: fc.Arbitrary<[string, string][]> = fc
  .tuple(
    hostArbitrary,
    fc.uniqueArray(headerArbitrary, { maxLength: 4, selector: ([name]) => name }),
    weighted<readonly (readonly [string, string])[]>([12, fc.constant([])], [1, fc.constantFrom(...HEADER_GROUPS)]),
    weighted<[string, string][]>([15, fc.constant([])], [1, largeHeaderArbitrary.map((h) => [h])]),
  )
  .map(([host, headers, group, large]) => [...host, ...headers, ...group.map(([n, v]): [string, string] => [n, v]), ...large]);

/** Mostly empty; sometimes text, binary, or sizes around buffer and upload limits. */
export const bodyArbitrary: fc.Arbitrary<string> = weighted(
  [12, fc.constant('')],
  [4, fc.string({ maxLength: 64 })],
  [2, fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('latin1'))],
  [1, fc.constantFrom(1024, 16 * 1024 + 1, 64 * 1024, 1024 * 1024 + 1).map((size) => 'x'.repeat(size))],
);

/** Mostly the default (a Content-Length when there is a body); sometimes chunked, broken or lying. */
export const framingArbitrary: fc.Arbitrary<Framing | undefined> = weighted<Framing | undefined>(
  [16, fc.constant(undefined)],
  [3, fc.constant('chunked')],
  [2, fc.constantFrom<Framing>('chunked-bad-size', 'chunked-overflow', 'chunked-no-crlf', 'chunked-no-end')],
  [2, fc.constantFrom<Framing>('no-length', 'length-short', 'length-long', 'length-huge')],
);

export function requestArbitrary(paths: readonly string[]): fc.Arbitrary<StructuredRequest> {
  return fc
    .record({
      method: methodArbitrary,
      path: pathArbitrary(paths),
      version: versionArbitrary,
      headers: headersArbitrary,
      body: bodyArbitrary,
      framing: framingArbitrary,
    })
    .map(({ framing, ...request }): StructuredRequest => (framing === undefined ? request : { ...request, framing }));
}

/** The HTTP/2 client connection preface, alone or followed by an empty SETTINGS frame. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const EMPTY_SETTINGS_FRAME = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
export const h2PrefaceArbitrary: fc.Arbitrary<RawRequest> = fc
  .boolean()
  .map((withSettings) => ({ raw: (withSettings ? Buffer.concat([H2_PREFACE, EMPTY_SETTINGS_FRAME]) : H2_PREFACE).toString('base64') }));

/** Sequential far more often than the rest: every other mode costs more time or says less. */
export const modeArbitrary: fc.Arbitrary<DeliveryMode | undefined> = weighted<DeliveryMode | undefined>(
  [24, fc.constant(undefined)],
  [3, fc.constant('pipelined')],
  [2, fc.constant('parallel')],
  [1, fc.constantFrom<DeliveryMode>('partial', 'reset', 'slow-send', 'slow-read')],
  [1, fc.constantFrom<DeliveryMode>('partial', 'reset', 'slow-send', 'slow-read', 'idle')],
);

/** The endpoint index: the generator cannot know how many endpoints a target has, the index is taken modulo. */
export const endpointArbitrary: fc.Arbitrary<number | undefined> = weighted<number | undefined>(
  [4, fc.constant(undefined)],
  [3, fc.integer({ min: 1, max: 3 })],
);

export function httpInputArbitrary(paths: readonly string[]): fc.Arbitrary<HttpInput> {
  const request: fc.Arbitrary<HttpRequest> = weighted<HttpRequest>([40, requestArbitrary(paths)], [1, h2PrefaceArbitrary]);
  return fc
    .record({
      requests: fc.array(request, { minLength: 1, maxLength: 3 }),
      mode: modeArbitrary,
      endpoint: endpointArbitrary,
    })
    .map(({ requests, mode, endpoint }) => {
      const input: HttpInput = { requests };
      if (mode !== undefined) input.mode = mode;
      if (endpoint !== undefined) input.endpoint = endpoint;
      return input;
    });
}
