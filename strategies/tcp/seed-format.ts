import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../../src/errors.js';
import { MAX_CONNS, MAX_ENDPOINT_INDEX, MAX_MESSAGES, MAX_PAUSE_MS, SESSION_MODES, validateSession, type Message, type SessionInput, type SessionMode } from './session.js';

/**
 * Seed files of the tcp and udp strategies: one session per file, in one of two forms.
 *
 * Raw: any file that does not start with the header below is ONE message, its exact
 * bytes, sent over connection 0 (a captured request, a binary frame).
 *
 * Text: a file whose first line is `# seccomplete session` holds one message per line:
 *
 *     # seccomplete session
 *     # a line starting with '#' is a comment
 *     @mode pipelined        optional, once: a delivery mode (see SessionMode)
 *     @endpoint 1            optional, once: the endpoint index
 *     set k 0 0 5\r\nhello\r\n
 *     @conn 1                the following messages go over connection 1 (0 at the start)
 *     @pause 200             wait 200 ms before the next message
 *     get k\r\n
 *
 * The line break that ends a line (LF or CRLF) is not part of the message: write `\r\n`
 * where the protocol wants one. Escapes: `\r \n \t \0 \\` and `\xHH`; any other
 * backslash is an error. A message that starts with `#` or `@` is written `\x23...` or
 * `\x40...`. Empty lines are skipped (there are no empty messages); every other
 * character, spaces included, is sent as it is (bytes 0x80-0xff too: the file is read
 * as latin1).
 */

export const SESSION_HEADER = '# seccomplete session';

/** A problem with one line of a text seed (1-based). */
export class SeedFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Does this file use the text form (its first line is the header)? */
export function isTextSession(bytes: Buffer): boolean {
  const head = bytes.subarray(0, SESSION_HEADER.length + 2).toString('latin1');
  if (!head.startsWith(SESSION_HEADER)) return false;
  const next = head.charAt(SESSION_HEADER.length);
  return next === '' || next === '\n' || next === '\r' || next === ' ' || next === '\t';
}

/** One seed file's session, in whichever form it is written. */
export function parseSeedFile(bytes: Buffer): SessionInput {
  if (isTextSession(bytes)) return parseSessionText(bytes.toString('latin1'));
  if (bytes.length === 0) throw new Error('the file is empty (a raw seed is one message: its bytes)');
  return validateSession({ messages: [{ conn: 0, data: bytes.toString('latin1') }] });
}

export function parseSessionText(text: string): SessionInput {
  if (!isTextSession(Buffer.from(text.slice(0, SESSION_HEADER.length + 2), 'latin1'))) throw new SeedFormatError(1, `the text form starts with the line '${SESSION_HEADER}'`);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the file's final line break ends the last line
  const messages: Message[] = [];
  let conn = 0;
  let pauseMs: number | undefined;
  let mode: SessionMode | undefined;
  let endpoint: number | undefined;
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (n === 1 || line === '' || line.startsWith('#')) return;
    if (line.startsWith('@')) {
      const [directive, value, extra] = line.slice(1).trim().split(/\s+/);
      if (extra !== undefined || value === undefined) throw new SeedFormatError(n, `'${line}': a directive is @NAME VALUE`);
      if (directive === 'conn') conn = integer(value, MAX_CONNS - 1, n, '@conn');
      else if (directive === 'pause') pauseMs = integer(value, MAX_PAUSE_MS, n, '@pause');
      else if (directive === 'endpoint') endpoint = once(endpoint, integer(value, MAX_ENDPOINT_INDEX, n, '@endpoint'), n, '@endpoint');
      else if (directive === 'mode') {
        if (!SESSION_MODES.includes(value as SessionMode)) throw new SeedFormatError(n, `@mode ${value}: the modes are ${SESSION_MODES.join(', ')}`);
        mode = once(mode, value as SessionMode, n, '@mode');
      } else throw new SeedFormatError(n, `unknown directive @${directive} (there are @conn, @pause, @mode, @endpoint; write a message starting with '@' as \\x40...)`);
      return;
    }
    if (messages.length === MAX_MESSAGES) throw new SeedFormatError(n, `a session has at most ${MAX_MESSAGES} messages`);
    const message: Message = { conn, data: unescapeLine(line, n) };
    if (pauseMs) message.pauseMs = pauseMs;
    pauseMs = undefined;
    messages.push(message);
  });
  if (messages.length === 0) throw new Error('the session has no message (every line is a comment, a directive or empty)');
  const input: SessionInput = { messages };
  if (endpoint) input.endpoint = endpoint;
  if (mode && mode !== 'sequential') input.mode = mode;
  return validateSession(input);
}

function integer(text: string, max: number, line: number, what: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) > max) throw new SeedFormatError(line, `${what} takes a whole number from 0 to ${max}, not '${text}'`);
  return Number(text);
}

function once<T>(previous: T | undefined, value: T, line: number, what: string): T {
  if (previous !== undefined) throw new SeedFormatError(line, `${what} is given twice`);
  return value;
}

const SIMPLE_ESCAPES: Record<string, string> = { r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' };

/** The bytes (latin1) a line of the text form stands for. */
export function unescapeLine(line: string, lineNumber = 1): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = line[i + 1];
    if (next !== undefined && next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const shown = next === undefined ? '\\ at the end of the line' : next === 'x' ? `\\x${line.slice(i + 2, i + 4)}` : `\\${next}`;
      throw new SeedFormatError(lineNumber, `bad escape ${shown} (there are \\r \\n \\t \\0 \\\\ and \\xHH)`);
    }
  }
  return out;
}

/** The line of the text form for a message's bytes (latin1): parses back to exactly those bytes. */
export function escapeLine(data: string): string {
  let out = '';
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    const c = data[i]!;
    if (c === '\\') out += '\\\\';
    else if (c === '\r') out += '\\r';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    // a first '#' or '@' would read as a comment or a directive
    else if (code >= 0x20 && code < 0x7f && !(i === 0 && (c === '#' || c === '@'))) out += c;
    else out += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The text form of a session (what `--seeds` reads back as the same session). */
export function formatSessionText(input: SessionInput): string {
  const lines = [SESSION_HEADER];
  if (input.mode !== undefined && input.mode !== 'sequential') lines.push(`@mode ${input.mode}`);
  if (input.endpoint) lines.push(`@endpoint ${input.endpoint}`);
  let conn = 0;
  for (const m of input.messages) {
    if (m.conn !== conn) lines.push(`@conn ${(conn = m.conn)}`);
    if (m.pauseMs) lines.push(`@pause ${m.pauseMs}`);
    lines.push(escapeLine(m.data));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Every session of the seed directories, in file-name order per directory (so runs are
 * reproducible). A file that cannot be read as a session is skipped with a warning that
 * names it; a directory that does not exist is a usage error.
 */
export function loadSessionSeeds(dirs: readonly string[], warn: (message: string) => void): SessionInput[] {
  const sessions: SessionInput[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw usageError(`seed directory not found: ${dir}`, `pass a directory of session files (raw bytes, or text starting with '${SESSION_HEADER}')`);
    }
    const names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
    for (const name of names) {
      const file = join(dir, name);
      try {
        sessions.push(parseSeedFile(readFileSync(file)));
      } catch (err) {
        const message = (err as Error).message;
        // "line N: ..." becomes FILE:N: ...
        warn(err instanceof SeedFormatError ? `${file}:${message.replace(/^line /, '')}; file skipped` : `${file}: ${message}; file skipped`);
      }
    }
  }
  return sessions;
}
