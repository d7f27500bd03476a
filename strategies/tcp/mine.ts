import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { stringSections } from './elf.js';

/**
 * Protocol keywords mined from the target itself. A server compares what it reads with
 * words it carries as constants: command names, option names, status words. Most of
 * them are in its read-only data, alone (`"flush_all"`) or inside the names of the
 * counters and settings it reports (`accepting_conns`, `lru_crawler_sleep`); a short
 * command the compiler turned into an integer comparison still shows up there. So the
 * printable strings of the program and its libraries are cut into words, and the words
 * and the parts of snake_case names are ranked: how many strings use them, more for
 * strings that are names than for sentences of help text.
 */

export interface MinedTokens {
  /** from the program and the files named on its command line (a script, a configuration), best first */
  program: string[];
  /** from the program's shared libraries, best first, none already in `program` */
  libraries: string[];
}

/** a program keeps its words; libraries (libc, libcrypto: thousands of words) get a share */
export const MAX_PROGRAM_TOKENS = 3000;
export const MAX_TOKENS_PER_LIBRARY = 256;
export const MAX_LIBRARY_TOKENS = 1024;
/** larger files are not read (a 500 MB binary is a runtime, not a protocol) */
const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** files named in the command line are read only when they are this small */
const MAX_ARG_FILE_BYTES = 8 * 1024 * 1024;

const PRINTABLE_RUN = /[\x20-\x7e]{3,}/g;
const WORD = /%?[A-Za-z_][A-Za-z0-9_-]*/g;
const OPTION = /(?<![A-Za-z0-9_-])--?[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![A-Za-z0-9_])/g;
const LOWER = /^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$/;
const UPPER = /^[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)*$/;
const OPTION_TOKEN = /^--?[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** English glue words of help texts and messages; upper-case ones stay (SQL's AND, NOT). */
const STOPWORDS = new Set(
  ('the and for with from this that than into are was were has have had but you your its our can may must should could would will been being ' +
    'which when where there these those then them they what who whom such very only also does did not nor yet per via use used using see').split(' '),
);

/** Looks like a keyword: one case (snake_case and kebab-case allowed), few digits, or an option. */
export function plausibleToken(token: string): boolean {
  if (token.length < 3 || token.length > 32) return false;
  if (OPTION_TOKEN.test(token)) return token.replace(/^-+/, '').length >= 2;
  if (!LOWER.test(token) && !UPPER.test(token)) return false;
  const digits = token.replace(/[^0-9]/g, '').length;
  const letters = token.replace(/[^A-Za-z]/g, '').length;
  return letters >= 2 && digits < letters && !STOPWORDS.has(token);
}

/** A word and the parts a protocol may use on their own: `lru_crawler_sleep` -> lru_crawler, crawler, sleep... */
function variants(word: string): string[] {
  const out = [word];
  const parts = word.split(/[_-]+/).filter(Boolean);
  if (parts.length > 1) {
    out.push(...parts);
    const segments = word.split('_');
    for (let i = 2; i < segments.length; i++) out.push(segments.slice(0, i).join('_'));
  }
  return out;
}

/** Adds the token scores of a buffer's printable strings to `scores`. */
export function scoreStrings(bytes: Buffer, scores: Map<string, number>): void {
  const text = bytes.toString('latin1');
  for (const [s] of text.matchAll(PRINTABLE_RUN)) {
    // a sentence of help text names many things in passing; a short string is more likely a name
    const weight = (s.match(/ /g)?.length ?? 0) >= 4 ? 1 : 2;
    const found = new Set<string>();
    for (const [w] of s.matchAll(WORD)) {
      if (w.startsWith('%')) continue; // printf conversions: %llu, %zu
      for (const v of variants(w.replace(/-+$/, ''))) if (plausibleToken(v)) found.add(v);
    }
    for (const [o] of s.matchAll(OPTION)) if (plausibleToken(o)) found.add(o);
    const trimmed = s.trim();
    for (const token of found) scores.set(token, (scores.get(token) ?? 0) + weight + (token === trimmed ? 2 : 0));
  }
}

/** Best first: highest score, then shorter, then alphabetical (a stable order for the sweep). */
export function rankTokens(scores: ReadonlyMap<string, number>, limit: number): string[] {
  return [...scores.entries()]
    .sort(([a, x], [b, y]) => y - x || a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([token]) => token);
}

/** The scores of one file: its ELF string sections, or the whole file when it is not ELF (a script). */
export function fileScores(file: string): Map<string, number> {
  const bytes = readFileSync(file);
  const scores = new Map<string, number>();
  for (const chunk of stringSections(bytes) ?? [bytes]) scoreStrings(chunk, scores);
  return scores;
}

/** argv[0] as the shell would find it: a path, or the first executable of that name on PATH. */
export function resolveProgram(argv0: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (argv0.includes('/')) return path.resolve(argv0);
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const candidate = path.join(dir, argv0);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The shared libraries the dynamic loader would map for `binary` (empty for a static binary or a script). */
export function sharedLibraries(binary: string): string[] {
  let out: string;
  try {
    out = execFileSync('ldd', [binary], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return []; // "not a dynamic executable", or no ldd: the program alone is mined
  }
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

const cache = new Map<string, MinedTokens>();

/**
 * Mines the target's command: argv[0] resolved through PATH, its shared libraries (ldd),
 * and files named by later arguments (a script, a configuration). What cannot be read is
 * reported through `warn` and left out; mining never fails a run.
 */
export function mineCommand(command: readonly string[], warn: (message: string) => void): MinedTokens {
  const key = JSON.stringify(command);
  const cached = cache.get(key);
  if (cached) return cached;
  const program = new Map<string, number>();
  const libraryLists: string[][] = [];
  const [argv0, ...args] = command;
  const binary = argv0 === undefined || argv0.includes('{') ? undefined : resolveProgram(argv0);
  if (argv0 !== undefined && binary === undefined) warn(`dictionary: cannot find the program '${argv0}' to mine its words`);
  const read = (file: string, into: Map<string, number>, limit: number): 'read' | 'too-large' | 'failed' => {
    try {
      if (statSync(file).size > limit) return 'too-large';
      for (const [token, score] of fileScores(file)) into.set(token, (into.get(token) ?? 0) + score);
      return 'read';
    } catch (err) {
      warn(`dictionary: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); mined without it`);
      return 'failed';
    }
  };
  if (binary !== undefined && read(binary, program, MAX_FILE_BYTES) === 'too-large') warn(`dictionary: ${binary} is too large to mine`);
  for (const arg of args) {
    if (arg.includes('{') || arg.startsWith('-')) continue;
    const file = path.resolve(arg);
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue; // not a file: an ordinary argument
    }
    read(file, program, MAX_ARG_FILE_BYTES);
  }
  const programTokens = rankTokens(program, MAX_PROGRAM_TOKENS);
  const known = new Set(programTokens);
  for (const lib of binary === undefined ? [] : sharedLibraries(binary)) {
    const scores = new Map<string, number>();
    if (read(lib, scores, MAX_FILE_BYTES) !== 'read') continue;
    for (const token of known) scores.delete(token);
    libraryLists.push(rankTokens(scores, MAX_TOKENS_PER_LIBRARY));
  }
  const mined: MinedTokens = { program: programTokens, libraries: interleave(libraryLists, known, MAX_LIBRARY_TOKENS) };
  cache.set(key, mined);
  return mined;
}

/** Round-robin over the libraries' lists, so that each library's best words come before any library's worst. */
function interleave(lists: string[][], exclude: ReadonlySet<string>, limit: number): string[] {
  const out: string[] = [];
  const seen = new Set(exclude);
  for (let i = 0; out.length < limit && lists.some((l) => i < l.length); i++) {
    for (const list of lists) {
      const token = list[i];
      if (token === undefined || seen.has(token)) continue;
      seen.add(token);
      out.push(token);
      if (out.length === limit) break;
    }
  }
  return out;
}
