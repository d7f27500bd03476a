import fc from 'fast-check';
import type { Dictionary } from './dictionary.js';
import { SESSION_MODES, type Message, type SessionInput, type SessionMode } from './session.js';
import { INTERESTING_NUMBERS, replaceSpan, wordSpans } from './text.js';

/**
 * Fresh sessions, made of what the strategy knows about the protocol: the seed
 * messages, the dictionary, and the line ending the seeds use. Without seeds and
 * without a dictionary they are printable lines and random bytes.
 */

/** What generated and mutated messages are made of. */
export interface Material {
  /** every message of the seed sessions */
  seedMessages: readonly string[];
  dictionary: Dictionary;
  /** the line ending of the seeds (`\r\n`, `\n`, or `` for a binary protocol) */
  eol: string;
  /** the binary header all seed messages start with (see framePrefixOf), `` when none */
  prefix: string;
}

/** at most this many messages in a fresh session: short ones are cheap and mutations grow them */
const MAX_FRESH_MESSAGES = 4;
/** a fresh message goes over one of the first few connections */
const MAX_FRESH_CONN = 3;

const printableLine = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 });
const randomBytes = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1'));

/** One message's bytes; never empty. */
export function messageDataArbitrary(m: Material): fc.Arbitrary<string> {
  const token = m.dictionary.arbitrary();
  const choices: { arbitrary: fc.Arbitrary<string>; weight: number }[] = [
    { arbitrary: printableLine.map((line) => m.prefix + line + m.eol), weight: 1 },
    { arbitrary: randomBytes, weight: 1 },
  ];
  if (m.seedMessages.length > 0) choices.push({ arbitrary: fc.constantFrom(...m.seedMessages), weight: 3 });
  if (token) {
    // a command and up to two arguments: words of the dictionary and numbers
    const word = fc.oneof({ arbitrary: token, weight: 3 }, { arbitrary: fc.constantFrom(...INTERESTING_NUMBERS), weight: 1 });
    choices.push({ arbitrary: fc.tuple(token, fc.array(word, { maxLength: 2 })).map(([first, rest]) => m.prefix + [first, ...rest].join(' ') + m.eol), weight: 4 });
    if (m.seedMessages.length > 0) {
      // a seed message with one of its words replaced by a token
      const swapped = fc.tuple(fc.constantFrom(...m.seedMessages), token, fc.nat()).map(([message, t, k]) => {
        const spans = wordSpans(message);
        return spans.length === 0 ? message : replaceSpan(message, spans[k % spans.length]!, t);
      });
      choices.push({ arbitrary: swapped, weight: 3 });
    }
  }
  return fc.oneof(...choices).filter((data) => data !== '');
}

const connArbitrary = fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, { arbitrary: fc.integer({ min: 1, max: MAX_FRESH_CONN }), weight: 2 });
const pauseArbitrary = fc.oneof({ arbitrary: fc.constant(0), weight: 19 }, { arbitrary: fc.constantFrom(10, 50, 200), weight: 1 });
const modeArbitrary = fc.oneof(
  { arbitrary: fc.constant<SessionMode>('sequential'), weight: 8 },
  { arbitrary: fc.constantFrom(...SESSION_MODES.filter((mode) => mode !== 'sequential')), weight: 2 },
);

export function sessionArbitrary(m: Material): fc.Arbitrary<SessionInput> {
  const message = fc.record({ conn: connArbitrary, data: messageDataArbitrary(m), pauseMs: pauseArbitrary }).map(({ conn, data, pauseMs }) => {
    const out: Message = { conn, data };
    if (pauseMs > 0) out.pauseMs = pauseMs;
    return out;
  });
  return fc.record({ messages: fc.array(message, { minLength: 1, maxLength: MAX_FRESH_MESSAGES }), mode: modeArbitrary }).map(({ messages, mode }) => {
    const input: SessionInput = { messages };
    if (mode !== 'sequential') input.mode = mode;
    return input;
  });
}
