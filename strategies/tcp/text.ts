/**
 * What the mutators know about the bytes of a message without knowing its protocol:
 * where its words are (text protocols are made of words), and the values that trip
 * parsers up. Messages are latin1 strings: one char per byte.
 */

/** [start, end) of every word: a run of bytes that are not ASCII whitespace (nor NUL). */
export function wordSpans(data: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const m of data.matchAll(/[^\s\x00]+/g)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

/** [start, end) of every run of decimal digits (a length, a count, a flag, an expiry). */
export function digitSpans(data: string): [number, number][] {
  const spans: [number, number][] = [];
  for (const m of data.matchAll(/-?\d+/g)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

export const replaceSpan = (data: string, [start, end]: readonly [number, number], text: string): string => data.slice(0, start) + text + data.slice(end);
export const insertAt = (data: string, at: number, text: string): string => data.slice(0, at) + text + data.slice(at);

/**
 * Numbers as text protocols read them: zero, one, boundaries of 8, 16, 32 and 64 bits
 * either side, negative values, a length beyond any buffer, and forms a strict parser
 * rejects (hex, exponent, a sign on zero).
 */
export const INTERESTING_NUMBERS: readonly string[] = [
  '0',
  '1',
  '-1',
  '2',
  '7',
  '8',
  '16',
  '32',
  '64',
  '100',
  '127',
  '128',
  '255',
  '256',
  '512',
  '1000',
  '1024',
  '4096',
  '32767',
  '32768',
  '65535',
  '65536',
  '1048576',
  '2147483647',
  '2147483648',
  '-2147483648',
  '4294967295',
  '4294967296',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999',
  '-0',
  '0x7fffffff',
  '1e9',
];

/** Bytes that mean something to parsers: NUL, line ends, separators, quotes, escapes, the high bit. */
export const INTERESTING_BYTES: readonly number[] = [0x00, 0x0a, 0x0d, 0x09, 0x20, 0x22, 0x25, 0x27, 0x2c, 0x3a, 0x3b, 0x3d, 0x5c, 0x7b, 0x7f, 0x80, 0xff];
