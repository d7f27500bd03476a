import fc from 'fast-check';
import type { HttpInput, HttpVersion, StructuredRequest } from './request.js';
import { COMMON_METHODS, DEFAULT_HOST, HEADER_NAMES, HEADER_VALUES, ODD_METHODS, PATH_TWEAKS } from './vocabulary.js';

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
  [1, fc.constantFrom(...ODD_METHODS)],
);

export function pathArbitrary(paths: readonly string[]): fc.Arbitrary<string> {
  const known = fc.constantFrom(...(paths.length > 0 ? paths : ['/']));
  const tweaked = fc
    .tuple(known, fc.array(fc.tuple(fc.constantFrom(...PATH_TWEAKS), fc.nat()), { minLength: 1, maxLength: 2 }))
    .map(([path, tweaks]) => tweaks.reduce((p, [tweak, r]) => tweak(p, r), path));
  return weighted([3, known], [1, tweaked]);
}

export const versionArbitrary: fc.Arbitrary<HttpVersion> = weighted<HttpVersion>(
  [9, fc.constant('HTTP/1.1')],
  [1, fc.constant('HTTP/1.0')],
);

const headerArbitrary: fc.Arbitrary<[string, string]> = fc
  .constantFrom(...HEADER_NAMES.filter((n) => n !== 'Host'))
  .chain((name) => fc.constantFrom(...HEADER_VALUES[name]!).map((value): [string, string] => [name, value]));

export const headersArbitrary: fc.Arbitrary<[string, string][]> = fc
  .tuple(
    weighted([19, fc.constant(true)], [1, fc.constant(false)]),
    fc.uniqueArray(headerArbitrary, { maxLength: 4, selector: ([name]) => name }),
  )
  .map(([withHost, headers]) => (withHost ? [[...DEFAULT_HOST] as [string, string], ...headers] : headers));

/** Mostly empty; sometimes text, binary, or sizes around buffer and upload limits. */
export const bodyArbitrary: fc.Arbitrary<string> = weighted(
  [12, fc.constant('')],
  [4, fc.string({ maxLength: 64 })],
  [2, fc.uint8Array({ minLength: 1, maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString('latin1'))],
  [1, fc.constantFrom(1024, 16 * 1024 + 1, 64 * 1024, 1024 * 1024 + 1).map((size) => 'x'.repeat(size))],
);

export function requestArbitrary(paths: readonly string[]): fc.Arbitrary<StructuredRequest> {
  return fc.record({
    method: methodArbitrary,
    path: pathArbitrary(paths),
    version: versionArbitrary,
    headers: headersArbitrary,
    body: bodyArbitrary,
  });
}

export function httpInputArbitrary(paths: readonly string[]): fc.Arbitrary<HttpInput> {
  return fc.array(requestArbitrary(paths), { minLength: 1, maxLength: 3 }).map((requests) => ({ requests }));
}
