import { readFileSync } from 'node:fs';
import { usageError } from '../../src/errors.js';

/**
 * `--dict FILE`: AFL's dictionary format. One token per line, `name="value"` or just
 * `"value"`; a name may carry AFL's level suffix (`kw@2="..."`, ignored here). Blank
 * lines and lines starting with `#` are skipped. Inside the quotes, `\\`, `\"` and `\xHH`
 * are the escapes, and every other byte must be printable (as in AFL).
 */

/** A line that is not a token, and why (1-based line number). */
export interface DictProblem {
  line: number;
  reason: string;
}

const ENTRY = /^(?:[A-Za-z0-9_]+(?:@\d+)?\s*=\s*)?"(.*)"$/;

export function parseAflDict(text: string): { tokens: string[]; problems: DictProblem[] } {
  const tokens: string[] = [];
  const problems: DictProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = ENTRY.exec(line);
    if (!m) return void problems.push({ line: i + 1, reason: 'expected name="value" or "value"' });
    try {
      const token = unquote(m[1]!);
      if (token === '') problems.push({ line: i + 1, reason: 'empty token' });
      else tokens.push(token);
    } catch (err) {
      problems.push({ line: i + 1, reason: (err as Error).message });
    }
  });
  return { tokens, problems };
}

/** The bytes (latin1) between the quotes. */
function unquote(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    const code = body.charCodeAt(i);
    if (c === '"') throw new Error('unescaped " inside the value (write \\")');
    if (code < 0x20 || code > 0x7e) throw new Error(`non-printable byte 0x${code.toString(16).padStart(2, '0')} in the value (write \\x${code.toString(16).padStart(2, '0')})`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = body[i + 1];
    if (next === '\\' || next === '"') {
      out += next;
      i += 1;
    } else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(body.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      throw new Error(`bad escape \\${next ?? ''} (AFL knows \\\\, \\" and \\xHH)`);
    }
  }
  return out;
}

/**
 * The tokens of the user's dictionary files. A file that cannot be read is a usage
 * error (the user named it); a malformed line is skipped with a warning FILE:LINE.
 */
export function readAflDicts(files: readonly string[], warn: (message: string) => void): string[] {
  const tokens: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (err) {
      throw usageError(`--dict ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const parsed = parseAflDict(text);
    for (const p of parsed.problems) warn(`${file}:${p.line}: ${p.reason}; line skipped`);
    tokens.push(...parsed.tokens);
  }
  return tokens;
}
