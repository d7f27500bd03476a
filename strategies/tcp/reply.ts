/**
 * What a reply says, without knowing the protocol: its first token (a status word, an
 * error prefix, a command echoed). Tokens are normalised so that they do not carry
 * run-specific data: digit runs become `0` (a counter, a CAS unique, a timestamp), a
 * reply that starts with a byte that is not printable is named by its first two bytes.
 */

/** a token is cut here: `SERVER_ERROR_OUT_` is as telling as the whole word */
export const MAX_TOKEN_CHARS = 16;
/** a connection's signature names at most this many line tokens */
export const MAX_SIGNATURE_TOKENS = 16;

const isPrintable = (code: number) => code > 0x20 && code < 0x7f;

/** The first token of some reply bytes; undefined for no bytes at all. */
export function replyToken(bytes: Buffer): string | undefined {
  if (bytes.length === 0) return undefined;
  if (!isPrintable(bytes[0]!)) {
    // leading spaces or tabs are still text; a control or binary byte is not
    let i = 0;
    while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
    if (i === 0 || i === bytes.length || !isPrintable(bytes[i]!)) return `x${bytes.subarray(0, 2).toString('hex')}`;
    return replyToken(bytes.subarray(i));
  }
  let end = 0;
  while (end < bytes.length && end < MAX_TOKEN_CHARS * 2 && isPrintable(bytes[end]!)) end++;
  return bytes.toString('latin1', 0, end).replace(/\d+/g, '0').slice(0, MAX_TOKEN_CHARS);
}

/**
 * The first token of every line of a reply stream, repeats in a row collapsed (`STAT`
 * for a statistics dump), at most MAX_SIGNATURE_TOKENS and then `...`. It depends on
 * the bytes only, never on how they were cut into reads, so it is the same for the same
 * answer however slowly it came.
 */
export function lineTokens(stream: Buffer): string[] {
  const tokens: string[] = [];
  let start = 0;
  while (start < stream.length) {
    const newline = stream.indexOf(0x0a, start);
    const end = newline < 0 ? stream.length : newline;
    const token = replyToken(stripCr(stream.subarray(start, end)));
    start = end + 1;
    if (token === undefined || token === tokens.at(-1)) continue;
    if (tokens.length === MAX_SIGNATURE_TOKENS) return [...tokens, '...'];
    tokens.push(token);
  }
  return tokens;
}

const stripCr = (line: Buffer) => (line.at(-1) === 0x0d ? line.subarray(0, -1) : line);
