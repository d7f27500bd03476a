import { sample, type Rng } from '../../src/util/rng.js';
import { messageDataArbitrary, type Material } from './generate.js';
import { MAX_CONNS, MAX_ENDPOINT_INDEX, MAX_MESSAGE_BYTES, MAX_MESSAGES, MAX_SESSION_BYTES, SESSION_MODES, sessionBytes, type Message, type SessionInput } from './session.js';
import { digitSpans, insertAt, INTERESTING_BYTES, INTERESTING_NUMBERS, replaceSpan, wordSpans } from './text.js';

/**
 * Variations of a session that keep its message boundaries: message-level steps
 * (insert, delete, duplicate, reorder, split, merge, splice with another entry, move to
 * another connection, pause) and byte-level havoc inside one message, where dictionary
 * tokens go in at word boundaries or replace a word, and numbers are spelled in ASCII.
 * Every choice goes through `rng`: the same seed gives the same mutation.
 */

/** mutations grow a session to this many messages (a seed may hold more, up to MAX_MESSAGES) */
export const MUTATE_MAX_MESSAGES = 16;
/** how many connections mutations spread messages over */
const MUTATE_MAX_CONNS = 8;
const PAUSES = [10, 50, 200];

/** how often a mutation inserts the next token of the dictionary sweep as a message (while it lasts) */
const SWEEP_INSERT_CHANCE = 0.2;

/**
 * `nextToken`: the dictionary sweep's cursor (see TokenCursor); its token goes in as a
 * message of its own (`<prefix>TOKEN<eol>`) among the entry's messages, where the session may
 * have put the server in the state the command needs.
 */
export function mutateSession(input: SessionInput, rng: Rng, material: Material, other?: SessionInput, nextToken?: () => string | undefined): SessionInput {
  let messages: Message[] = structuredClone(input.messages);
  const token = rng.chance(SWEEP_INSERT_CHANCE) ? nextToken?.() : undefined;
  if (token !== undefined) {
    const message = { conn: rng.pick(messages).conn, data: material.prefix + token + material.eol };
    messages = canGrow(messages) ? insertMessage(messages, rng.int(messages.length + 1), message) : messages.map((m, i) => (i === messages.length - 1 ? message : m));
  }
  const rounds = token !== undefined ? 0 : 1 + rng.int(2);
  for (let round = 0; round < rounds; round++) {
    const next = rng.chance(0.6) ? havocOneMessage(messages, rng, material) : rng.pick(LIST_MUTATIONS)(messages, rng, material, other);
    if (next.length > 0 && sessionBytes({ messages: next }) <= MAX_SESSION_BYTES) messages = next;
  }
  const out: SessionInput = { messages };
  if (input.mode !== undefined) out.mode = input.mode;
  if (input.endpoint !== undefined) out.endpoint = input.endpoint;
  if (rng.chance(0.05)) {
    const mode = rng.pick(SESSION_MODES);
    if (mode === 'sequential') delete out.mode;
    else out.mode = mode;
  }
  if (rng.chance(0.02)) {
    const endpoint = rng.chance(0.5) ? 0 : rng.int(MAX_ENDPOINT_INDEX + 1);
    if (endpoint === 0) delete out.endpoint;
    else out.endpoint = endpoint;
  }
  return out;
}

/** Byte-level havoc inside one message; every other message stays as it was. */
export function havocOneMessage(messages: readonly Message[], rng: Rng, material: Material): Message[] {
  const i = rng.int(messages.length);
  const out = [...messages];
  out[i] = { ...messages[i]!, data: havoc(messages[i]!.data, rng, material) };
  return out;
}

/** A few byte edits stacked, as AFL's havoc stage does; never empty, never past MAX_MESSAGE_BYTES. */
export function havoc(data: string, rng: Rng, material: Material): string {
  let bytes = data;
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const edited = rng.pick(BYTE_EDITS)(bytes, rng, material);
    if (edited.length > 0 && edited.length <= MAX_MESSAGE_BYTES) bytes = edited;
  }
  return bytes;
}

type ByteEdit = (data: string, rng: Rng, material: Material) => string;

const randomByte = (rng: Rng): string => String.fromCharCode(rng.int(256));
const setByte = (data: string, at: number, code: number): string => data.slice(0, at) + String.fromCharCode(code) + data.slice(at + 1);
/** a token from the dictionary, or (without one) a number: the edits that insert words still do something */
const tokenOf = (rng: Rng, material: Material): string => material.dictionary.pick(rng) ?? rng.pick(INTERESTING_NUMBERS);

const BYTE_EDITS: readonly ByteEdit[] = [
  function flipBit(data, rng) {
    const at = rng.int(data.length);
    return setByte(data, at, data.charCodeAt(at) ^ (1 << rng.int(8)));
  },
  function randomByteAt(data, rng) {
    return setByte(data, rng.int(data.length), rng.int(256));
  },
  function interestingByte(data, rng) {
    return setByte(data, rng.int(data.length), rng.pick(INTERESTING_BYTES));
  },
  function insertRandomBytes(data, rng) {
    return insertAt(data, rng.int(data.length + 1), Array.from({ length: 1 + rng.int(4) }, () => randomByte(rng)).join(''));
  },
  // a token as a word of its own: before or after a word, separated by a space
  function insertTokenAsWord(data, rng, material) {
    const spans = wordSpans(data);
    const token = tokenOf(rng, material);
    if (spans.length === 0) return token + data;
    const [start, end] = rng.pick(spans);
    return rng.chance(0.5) ? insertAt(data, end, ` ${token}`) : insertAt(data, start, `${token} `);
  },
  function replaceWordWithToken(data, rng, material) {
    const spans = wordSpans(data);
    const token = tokenOf(rng, material);
    // the first word is a text protocol's command: it is replaced more often
    const span = spans.length === 0 ? undefined : rng.chance(0.4) ? spans[0]! : rng.pick(spans);
    return span ? replaceSpan(data, span, token) : token + data;
  },
  function insertTokenAnywhere(data, rng, material) {
    return insertAt(data, rng.int(data.length + 1), tokenOf(rng, material));
  },
  function overwriteWithToken(data, rng, material) {
    const token = tokenOf(rng, material);
    const at = rng.int(data.length);
    return data.slice(0, at) + token + data.slice(at + token.length);
  },
  // a length, count or flag becomes a boundary value; without digits a word does
  function interestingNumber(data, rng) {
    const number = rng.pick(INTERESTING_NUMBERS);
    const digits = digitSpans(data);
    if (digits.length > 0) return replaceSpan(data, rng.pick(digits), number);
    const spans = wordSpans(data);
    return spans.length > 0 ? replaceSpan(data, rng.pick(spans), number) : data + number;
  },
  function deleteRange(data, rng) {
    if (data.length < 2) return data;
    const spans = wordSpans(data);
    if (spans.length > 1 && rng.chance(0.5)) return replaceSpan(data, rng.pick(spans), '');
    const start = rng.int(data.length);
    return data.slice(0, start) + data.slice(start + 1 + rng.int(Math.min(16, data.length - start)));
  },
  // repeat a slice many times: long words, long lines, values beyond a buffer
  function repeatChunk(data, rng) {
    const start = rng.int(data.length);
    const chunk = data.slice(start, start + 1 + rng.int(32));
    const times = rng.pick([2, 4, 16, 128, 1024]);
    return insertAt(data, start, chunk.repeat(Math.min(times, Math.floor((MAX_MESSAGE_BYTES - data.length) / chunk.length))));
  },
  function truncate(data, rng) {
    return data.length < 2 ? data : data.slice(0, 1 + rng.int(data.length - 1));
  },
  // ASCII letters only: toUpperCase() would turn latin1 bytes (ÿ, µ, ß) into other characters
  function changeCase(data, rng) {
    const spans = wordSpans(data);
    if (spans.length === 0) return data;
    const span = rng.pick(spans);
    const word = data.slice(...span);
    const upper = word.replace(/[a-z]/g, (c) => c.toUpperCase());
    return replaceSpan(data, span, upper !== word ? upper : word.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  },
];

type ListMutation = (messages: Message[], rng: Rng, material: Material, other?: SessionInput) => Message[];

/** room for one more message, and a connection index for it (an existing one mostly) */
const canGrow = (messages: readonly Message[]) => messages.length < Math.max(MUTATE_MAX_MESSAGES, Math.min(messages.length, MAX_MESSAGES));
function connFor(messages: readonly Message[], rng: Rng): number {
  const used = [...new Set(messages.map((m) => m.conn))];
  if (rng.chance(0.8) || used.length >= MUTATE_MAX_CONNS) return rng.pick(used);
  return Math.min(Math.max(...used) + 1, MAX_CONNS - 1);
}
const insertMessage = (messages: Message[], at: number, message: Message): Message[] => [...messages.slice(0, at), message, ...messages.slice(at)];

const LIST_MUTATIONS: readonly ListMutation[] = [
  function insertFreshMessage(messages, rng, material) {
    if (!canGrow(messages)) return messages;
    return insertMessage(messages, rng.int(messages.length + 1), { conn: connFor(messages, rng), data: sample(messageDataArbitrary(material), rng) });
  },
  function deleteMessage(messages, rng) {
    if (messages.length < 2) return messages;
    const i = rng.int(messages.length);
    return messages.filter((_, j) => j !== i);
  },
  function duplicateMessage(messages, rng) {
    if (!canGrow(messages)) return messages;
    const i = rng.int(messages.length);
    return insertMessage(messages, i + 1, { ...messages[i]! });
  },
  function moveMessage(messages, rng) {
    if (messages.length < 2) return messages;
    const from = rng.int(messages.length);
    const rest = messages.filter((_, j) => j !== from);
    return insertMessage(rest, rng.int(rest.length + 1), messages[from]!);
  },
  function swapMessages(messages, rng) {
    if (messages.length < 2) return messages;
    const i = rng.int(messages.length);
    const j = rng.int(messages.length);
    const out = [...messages];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  },
  // our first messages, then the other entry's last ones (a one-point crossover)
  function spliceWithOther(messages, rng, _material, other) {
    if (!other) return messages;
    const head = messages.slice(0, 1 + rng.int(messages.length));
    const tail = other.messages.slice(rng.int(other.messages.length));
    return structuredClone([...head, ...tail].slice(0, Math.max(MUTATE_MAX_MESSAGES, messages.length)));
  },
  function insertFromOther(messages, rng, material, other) {
    if (!canGrow(messages)) return messages;
    const source = other?.messages ?? material.seedMessages.map((data) => ({ conn: 0, data }));
    if (source.length === 0) return messages;
    const picked = rng.pick(source);
    return insertMessage(messages, rng.int(messages.length + 1), { conn: connFor(messages, rng), data: picked.data });
  },
  // one message becomes two: at a line break inside it, or anywhere
  function splitMessage(messages, rng) {
    if (!canGrow(messages)) return messages;
    const i = rng.int(messages.length);
    const { data, conn } = messages[i]!;
    if (data.length < 2) return messages;
    const breaks = [...data.slice(0, -1).matchAll(/\n/g)].map((m) => m.index + 1);
    const at = breaks.length > 0 && rng.chance(0.7) ? rng.pick(breaks) : 1 + rng.int(data.length - 1);
    const out = [...messages];
    out.splice(i, 1, { ...messages[i]!, data: data.slice(0, at) }, { conn, data: data.slice(at) });
    return out;
  },
  function mergeWithNext(messages, rng) {
    if (messages.length < 2) return messages;
    const i = rng.int(messages.length - 1);
    const merged = messages[i]!.data + messages[i + 1]!.data;
    if (merged.length > MAX_MESSAGE_BYTES) return messages;
    const out = [...messages];
    out.splice(i, 2, { ...messages[i]!, data: merged });
    return out;
  },
  function moveToConnection(messages, rng) {
    const i = rng.int(messages.length);
    const out = [...messages];
    out[i] = { ...messages[i]!, conn: rng.chance(0.5) ? 0 : connFor(messages, rng) };
    return out;
  },
  function changePause(messages, rng) {
    const i = rng.int(messages.length);
    const out = [...messages];
    const { pauseMs: _old, ...message } = messages[i]!;
    out[i] = rng.chance(0.5) ? message : { ...message, pauseMs: rng.pick(PAUSES) };
    return out;
  },
];
