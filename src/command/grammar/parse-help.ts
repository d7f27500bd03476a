/**
 * Mines an argument grammar out of a program's `--help` output (GNU, argp, BSD/busybox,
 * argparse/clap-like) and out of its rendered manual page (`man -P cat`).
 *
 * Everything here is pure and total: whatever the input, the functions return a (maybe
 * empty) result and never throw. Help texts are written for humans, so the parser is a
 * set of heuristics; each one is commented with the real help text that motivated it.
 */
import type { ArgKind, OptionSpec, PositionalSpec } from './types.js';

export interface HelpParse {
  options: OptionSpec[];
  positionals: PositionalSpec[];
  subcommands: string[];
  /** environment variables the text says the program reads (GREP_COLORS, TAR_OPTIONS...) */
  envVars: string[];
}

const MAX_TEXT = 1_000_000;
const MAX_LINE = 2_000;
const MAX_CHOICES = 64;
const MAX_SUBCOMMANDS = 2_000;

function empty(): HelpParse {
  return { options: [], positionals: [], subcommands: [], envVars: [] };
}

/** Parses `program --help` (or `-h`) output. */
export function parseHelpText(text: string): HelpParse {
  try {
    return parseHelp(toLines(cleanText(text)));
  } catch {
    return empty();
  }
}

/** Parses `man -P cat program` output (nroff-rendered, maybe with overstrike). */
export function parseManText(text: string): HelpParse {
  try {
    return parseMan(toLines(cleanText(text)));
  } catch {
    return empty();
  }
}

// ---------------------------------------------------------------------------------------
// Text clean-up

/** Removes backspace overstrike (`c\bc` bold, `_\bx` underline), ANSI escapes, odd characters. */
export function cleanText(input: unknown): string {
  let s = typeof input === 'string' ? input : String(input ?? '');
  if (s.length > MAX_TEXT) s = s.slice(0, MAX_TEXT);
  s = s.replace(/\r\n?/g, '\n');
  if (s.includes('\b')) {
    // "X\bY" prints Y over X: keep Y. Repeat for multiple strikes (e.g. "_\b_\bx").
    for (let i = 0; i < 4 && s.includes('\b'); i++) s = s.replace(/[^\n\b]\x08/g, '');
    s = s.replace(/\x08/g, '');
  }
  s = s
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '') // CSI (SGR colours, bold)
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '') // OSC (hyperlinks)
    .replace(/\x1b[@-_]/g, '')
    .replace(/[\u2010\u2011\u2012\u2212\u2013]/g, '-') // man renders '-' as hyphen/minus in UTF-8 locales
    .replace(/[\u2018\u2019\u00b4]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u00a0\u2002\u2003\u2009]/g, ' ')
    .replace(/\u00ad/g, '') // soft hyphen
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return s;
}

interface Line {
  /** column of the first non-blank character, tabs expanded to 8 */
  indent: number;
  /** the line without its leading blanks (inner tabs kept: they separate tag and description) */
  content: string;
  blank: boolean;
}

function toLines(text: string): Line[] {
  return text.split('\n').map((raw) => {
    const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
    let col = 0;
    let i = 0;
    for (; i < line.length; i++) {
      const c = line[i];
      if (c === ' ') col++;
      else if (c === '\t') col = col - (col % 8) + 8;
      else break;
    }
    const content = line.slice(i).replace(/\s+$/, '');
    return { indent: col, content, blank: content.length === 0 };
  });
}

/** Column of `content[offset]` for a line that starts at `indent`, expanding tabs. */
function columnAt(indent: number, content: string, offset: number): number {
  let col = indent;
  for (let i = 0; i < offset && i < content.length; i++) {
    if (content[i] === '\t') col = col - (col % 8) + 8;
    else col++;
  }
  return col;
}

// ---------------------------------------------------------------------------------------
// Kinds

const FILE_WORDS = new Set([
  'FILE', 'FILES', 'PATH', 'PATHS', 'ARCHIVE', 'FILENAME', 'FILENAMES', 'PATHNAME', 'TARFILE', 'INFILE', 'OUTFILE', 'LOGFILE',
  'INPUT', 'INPUTS', 'OUTPUT', 'SOURCE', 'SOURCES', 'DEST',
]);
const DIR_WORDS = new Set(['DIR', 'DIRS', 'DIRECTORY', 'DIRECTORIES', 'DIRNAME', 'FOLDER']);
const NUMBER_WORDS = new Set([
  'NUM', 'N', 'COUNT', 'LINES', 'BYTES', 'NUMBER', 'DEPTH', 'LEVEL', 'LEVELS', 'COLS', 'COLUMNS', 'WIDTH',
  'BLOCKS', 'SECS', 'SECONDS', 'INT', 'INTEGER', 'PORT', 'PID', 'UID', 'GID', 'THREADS', 'JOBS',
  'NMERGE', 'LENGTH', 'LEN', 'PERCENT', 'TABS', 'DIGITS', 'CHARS', 'LIMIT_N',
]);
const SIZE_WORDS = new Set(['SIZE', 'BLOCKSIZE', 'BUFSIZE', 'BYTESIZE', 'MEMLIMIT']);
const PATTERN_WORDS = new Set(['PATTERN', 'PATTERNS', 'REGEX', 'REGEXP', 'REGEXPS', 'REGEXES', 'PTRN', 'GLOB', 'GLOBS', 'WILDCARD']);

function wordKind(word: string): ArgKind | undefined {
  const w = word.length > 1 ? word.replace(/\d+$/, '') : word; // FILE1, FILE2
  if (FILE_WORDS.has(w)) return 'file';
  if (DIR_WORDS.has(w)) return 'directory';
  if (NUMBER_WORDS.has(w)) return 'number';
  if (SIZE_WORDS.has(w)) return 'size';
  if (PATTERN_WORDS.has(w)) return 'pattern';
  if (w.length > 4 && w.endsWith('FILE')) return 'file';
  if (w.length > 3 && w.endsWith('DIR')) return 'directory';
  if (w.length > 4 && w.endsWith('SIZE')) return 'size';
  return undefined;
}

/** The kind a metavar suggests ('FILE' → file, 'DATE-OR-FILE' → file, '[-]NUM' → number), or undefined. */
export function kindFromMetavar(metavar: string): ArgKind | undefined {
  if (metavar.trim() === '#') return 'number'; // zstd "--fast[=#]"
  // optional parts say less than the head: 'NAME[:GID]' is a name, '[-]NUM' a number
  const head = metavar.replace(/\[[^\]]*\]/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  const parts = (/[A-Za-z0-9]/.test(head) ? head : metavar)
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
  // The last word names the thing ('PATTERN_FILE' is a file, 'MEMBER-NAME' a name).
  for (let i = parts.length - 1; i >= 0; i--) {
    const k = wordKind(parts[i]!);
    if (k) return k;
    if (i === parts.length - 1 && parts.length > 1 && /^(?:NAME|STRING|TEXT|VALUE|STR)$/.test(parts[i]!)) return undefined;
  }
  return undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The bare word of a metavar, used to find it in prose: '[=WHEN]' → 'WHEN', '<file>' → 'file'. */
function metavarWord(metavar: string | undefined): string | undefined {
  if (!metavar) return undefined;
  const m = /[A-Za-z][A-Za-z0-9_-]*/.exec(metavar.replace(/^\[-\]/, ''));
  return m ? m[0] : undefined;
}

function kindFor(metavar: string | undefined, description: string): ArgKind {
  const k = metavar ? kindFromMetavar(metavar) : undefined;
  if (k) return k;
  const w = metavarWord(metavar);
  // only metavars in capitals: a lower-case one is an English word ("the file format")
  if (w && description && /[A-Z]/.test(w)) {
    const mv = escapeRe(w);
    // sort: "--files0-from=F  read input from the files specified by NUL-terminated names in file F"
    if (new RegExp(`\\b(?:[Ff]ile|[Aa]rchive)\\s+${mv}(?![\\w-])`).test(description)) return 'file';
    if (new RegExp(`\\b[Dd]irector(?:y|ies)\\s+${mv}(?![\\w-])`).test(description)) return 'directory';
    if (new RegExp(`\\b(?:[Aa]t most|[Aa]t least|[Nn]umber of|[Uu]p to)\\s+${mv}(?![\\w-])`).test(description)) return 'number';
  }
  return 'string';
}

// ---------------------------------------------------------------------------------------
// Option tags ("-c, --stdout", "-S .suf --suffix .suf", "--color[=WHEN]", "-f FILE"...)

interface NameTok {
  /** one name; or the digit names for '-NUM', '-#', '-1 .. -9' */
  names: string[];
  digits: boolean;
  value?: string;
  optional?: boolean;
  /** the value came after '=' (or attached), not as a separate word */
  attached?: boolean;
  /** a ',' followed this name (or its argument) in the tag */
  comma?: boolean;
  /** zstd "--[no-]sparse": also spelled --no-NAME, with the opposite meaning */
  negatable?: boolean;
}

const LONG_RE = /^--([A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)(.*)$/;
const SHORT_RE = /^-([A-Za-z0-9?@])(.*)$/;

function digitNames(from: number, to: number): string[] {
  const out: string[] = [];
  for (let d = Math.max(0, from); d <= Math.min(9, to); d++) out.push(`-${d}`);
  return out;
}

function parseNameToken(tok: string): NameTok | null {
  if (tok === '-NUM' || tok === '-N...') return { names: digitNames(0, 9), digits: true };
  if (tok === '-#') return { names: digitNames(1, 9), digits: true };
  const range = /^-(\d)\.{2,3}-?(\d)$/.exec(tok);
  if (range) return { names: digitNames(Number(range[1]), Number(range[2])), digits: true };
  const neg = /^--\[no-?\]([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(tok);
  if (neg) return { names: [`--${neg[1]}`], digits: false, negatable: true };
  const long = LONG_RE.exec(tok);
  if (long) {
    const name = `--${long[1]}`;
    const rem = long[2]!;
    if (rem === '') return { names: [name], digits: false };
    let m = /^\[=(.+)\]$/.exec(rem);
    if (m) return { names: [name], digits: false, value: m[1], optional: true, attached: true };
    m = /^=(.+)$/.exec(rem);
    if (m) return { names: [name], digits: false, value: m[1], attached: true };
    m = /^\[(<[^>]+>|[A-Z][A-Z0-9_-]*)\]$/.exec(rem); // --opt[ARG]
    if (m) return { names: [name], digits: false, value: m[1], optional: true, attached: true };
    return null;
  }
  if (tok.startsWith('--')) return null;
  const short = SHORT_RE.exec(tok);
  if (!short) return null;
  const c = short[1]!;
  const rem = short[2]!;
  const name = `-${c}`;
  if (rem === '') return { names: [name], digits: false };
  let m = /^\[([^\]]+)\]$/.exec(rem); // sed: -i[SUFFIX]
  if (m) return { names: [name], digits: false, value: m[1], optional: true, attached: true };
  m = /^(?:=)?(<[^>]+>)$/.exec(rem); // -o<file>
  if (m) return { names: [name], digits: false, value: m[1], attached: true };
  if (/^[A-Z][A-Z0-9_]+$/.test(rem) && /[a-z0-9]/.test(c)) return { names: [name], digits: false, value: rem, attached: true }; // -xARG
  if (/^=[A-Z][A-Z0-9_]*$/.test(rem)) return { names: [name], digits: false, value: rem.slice(1), attached: true };
  if (rem === '#' && /[A-Za-z]/.test(c)) return { names: [name], digits: false, value: '#', attached: true }; // zstd "-T#"
  if (rem === '[#]' && /[A-Za-z]/.test(c)) return { names: [name], digits: false, value: '#', optional: true, attached: true };
  if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(c + rem) && /^[A-Za-z]$/.test(c) && !rem.endsWith('-')) {
    return { names: [`-${c}${rem}`], digits: false }; // single-dash long option (find -name, java -jar)
  }
  return null;
}

/** A word that names an argument: FILE, <file>, [ARG], {a|b}, .suf (gzip man: "-S .suf"). */
function isStrongMetavar(t: string): boolean {
  return (
    /^[A-Z][A-Z0-9_-]*(?:\[[^\]\s]*\])?(?:\.\.\.)?$/.test(t) ||
    /^<[^<>\s]+>(?:\.\.\.)?$/.test(t) ||
    /^\[[^\s[\]]+\]$/.test(t) ||
    /^\{[^{}\s]+\}$/.test(t) ||
    /^\.[A-Za-z0-9]+$/.test(t) ||
    /^\[[^\s\]]+\][A-Z][A-Z0-9_]*$/.test(t)
  );
}

interface Tag {
  items: NameTok[];
  /** the description that follows the tag on the same line ('' if none) */
  rest: string;
  /** offset of `rest` inside the line content */
  restOffset: number;
  /** the tag ends with ',' — more names follow on the next line (grep: "--color[=WHEN],") */
  continues: boolean;
  /** the tag ended with ':' (zstd man: "--ultra: unlocks high compression levels") */
  colon?: boolean;
}

/**
 * Reads the option names at the start of `content`. Names are separated by ',' and/or single
 * blanks; a tab or two blanks (or a word that is neither a name nor an argument) ends the tag.
 */
function parseTag(content: string): Tag | null {
  if (content[0] !== '-') return null;
  const items: NameTok[] = [];
  let i = 0;
  let continues = false;
  const n = content.length;
  while (i < n) {
    // digit ranges written with blanks: "-1 .. -9" (bzip2), "-0 ... -9" (xz)
    const range = /^-(\d) ?\.{2,3} ?-(\d)(?=[\s,]|$)/.exec(content.slice(i, i + 16));
    let j: number;
    let tok: string;
    if (range) {
      j = i + range[0].length;
      tok = `-${range[1]}..${range[2]}`;
    } else {
      j = i;
      while (j < n && content[j] !== ' ' && content[j] !== '\t') j++;
      tok = content.slice(i, j);
    }
    let k = j;
    while (k < n && (content[k] === ' ' || content[k] === '\t')) k++;
    const sep = content.slice(j, k);
    const atEnd = k >= n;
    const bigSep = atEnd || sep.length >= 2 || sep.includes('\t');
    const colon = tok.length > 2 && tok.endsWith(':') && !tok.endsWith('::');
    if (colon) tok = tok.slice(0, -1);
    const comma = tok.endsWith(',') && tok.length > 1;
    const bare = comma ? tok.slice(0, -1) : tok;
    const ends = bigSep || colon;
    const asName = range ? parseNameToken(`-${range[1]}...${range[2]}`) : parseNameToken(bare);
    if (asName) {
      if (comma) asName.comma = true;
      items.push(asName);
      continues = comma && atEnd;
      // "-q,  --quiet": after a comma, wide blanks still lead to the next name
      if (ends && !colon && comma && !atEnd && /^--?[A-Za-z0-9[]/.test(content.slice(k)) && parseNameToken(content.slice(k).split(/[\s,]/)[0]!.replace(/:$/, ''))) {
        i = k;
        continue;
      }
      if (ends) return { items, rest: content.slice(k), restOffset: k, continues, colon };
      i = k;
      continue;
    }
    const last = items[items.length - 1];
    if (last && !last.digits && last.value === undefined) {
      // a separate argument word: "-f FILE", "-e PATTERNS,", "-S .suf", "--suffix .suf"
      let isArg = isStrongMetavar(bare);
      if (!isArg && /^[a-z][a-z0-9_-]*(?:\.\.\.)?$/.test(bare)) {
        // lower-case argument words (sed: "-e script, --expression=script"; man: "-o file")
        const next = content.slice(k);
        isArg = comma || ends || /^-[A-Za-z-]/.test(next);
      }
      if (isArg) {
        last.value = bare;
        last.attached = false;
        if (comma) last.comma = true;
        if (/^\[[^\]]+\]$/.test(bare)) last.optional = true;
        continues = comma && atEnd;
        if (ends) return { items, rest: content.slice(k), restOffset: k, continues, colon };
        i = k;
        continue;
      }
    }
    if (items.length === 0) return null;
    return { items, rest: content.slice(i), restOffset: i, continues: false };
  }
  if (items.length === 0) return null;
  return { items, rest: '', restOffset: n, continues };
}

const METAVAR_LIKE_WORDS = new Set([
  'file', 'files', 'dir', 'directory', 'path', 'name', 'num', 'number', 'n', 'count', 'size', 'pattern',
  'regex', 'regexp', 'string', 'str', 'text', 'value', 'arg', 'args', 'script', 'command', 'cmd',
  'program', 'prog', 'word', 'when', 'level', 'mode', 'format', 'type', 'action', 'list', 'spec',
  'key', 'keyword', 'expr', 'expression', 'suffix', 'prefix', 'sep', 'char', 'time', 'date', 'user',
  'group', 'host', 'port', 'url', 'id', 'label', 'glob', 'archive', 'method', 'style', 'opts', 'options',
]);

const isSingleDashLong = (t: NameTok): boolean => !t.digits && /^-[^-].+/.test(t.names[0]!);

/**
 * Options built from a tag and its description. Usually one; more when the tag lists
 * several different options on one line (find --help: "-amin N -anewer FILE -atime N",
 * "-daystart -follow -nowarn"), or has digit names or a negatable name.
 */
function optionsFromTag(tag: Tag, description: string): OptionSpec[] {
  const groups: NameTok[][] = [];
  for (const t of tag.items) {
    const g = groups[groups.length - 1];
    const prev = g?.[g.length - 1];
    const apart =
      prev !== undefined &&
      !prev.comma &&
      !prev.digits &&
      !t.digits &&
      // "-amin N -anewer FILE" (but gzip man "-S .suf --suffix .suf" is one option)
      ((prev.value !== undefined && !prev.attached && t.value !== prev.value) ||
        // "-daystart -follow": single-dash long options are not each other's aliases
        (isSingleDashLong(prev) && isSingleDashLong(t)));
    if (!g || apart) groups.push([t]);
    else g.push(t);
  }
  if (groups.length > 1) {
    const out: OptionSpec[] = [];
    groups.forEach((g, i) => out.push(...optionsFromGroup({ ...tag, items: g }, i === groups.length - 1 ? description : '')));
    return out;
  }
  return optionsFromGroup(tag, description);
}

function optionsFromGroup(tag: Tag, description: string): OptionSpec[] {
  const out: OptionSpec[] = [];
  for (const t of tag.items) {
    if (t.negatable) out.push({ names: [`--no-${t.names[0]!.slice(2)}`], arg: 'none' });
  }
  const digitItems = tag.items.filter((t) => t.digits);
  const named = tag.items.filter((t) => !t.digits);
  const desc = collapse(description);
  if (digitItems.length > 0) {
    const names = unique(digitItems.flatMap((t) => t.names));
    if (names.length > 0) out.push(withDescription({ names, arg: 'none' }, desc));
  }
  if (named.length === 0) return out;
  if (digitItems.length > 0 && named.length > 1 && named.every((t) => t.value === undefined)) {
    // gzip man "-# --fast --best": the other names are levels of their own, not aliases
    for (const t of named) out.push(withDescription({ names: [...t.names], arg: 'none' }, desc));
    return out;
  }

  // Long names with a fixed lower-case value are flags of their own when the tag says so:
  // sort "-c, --check, --check=diagnose-first", "-C, --check=quiet, --check=silent";
  // ls "-p, --indicator-style=slash".
  const bases = new Map<string, number>();
  for (const t of named) bases.set(t.names[0]!, (bases.get(t.names[0]!) ?? 0) + 1);
  const hasShortWithoutValue = named.some((t) => /^-[^-]$/.test(t.names[0]!) && t.value === undefined);
  const anySeparateValue = named.some((t) => t.value !== undefined && !t.attached);
  const names: string[] = [];
  let metavar: string | undefined;
  let required = false;
  let optional = false;
  for (const t of named) {
    const name = t.names[0]!;
    if (t.value !== undefined && t.attached && !t.optional && name.startsWith('--') && /^[a-z][a-z0-9-]*$/.test(t.value)) {
      const literal =
        (bases.get(name) ?? 0) > 1 ||
        (hasShortWithoutValue && !anySeparateValue && !METAVAR_LIKE_WORDS.has(t.value));
      if (literal) {
        names.push(`${name}=${t.value}`);
        continue;
      }
    }
    names.push(name);
    if (t.value !== undefined) {
      metavar ??= t.value;
      if (t.optional) optional = true;
      else required = true;
    }
  }
  const opt: OptionSpec = { names: unique(names), arg: required ? 'required' : optional ? 'optional' : 'none' };
  if (opt.arg !== 'none' && metavar !== undefined) {
    const mv = cleanMetavar(metavar);
    opt.metavar = mv;
    const braces = /^\{([^{}]+)\}$/.exec(mv);
    if (braces) {
      const choices = splitChoices(braces[1]!);
      if (choices.length >= 1) {
        opt.kind = 'choice';
        opt.choices = choices;
      }
    }
    if (!opt.kind) {
      opt.kind = kindFor(mv, desc);
      if (opt.kind === 'string') {
        const choices = choicesFromDescription(description, mv);
        if (choices.length >= 2) {
          opt.kind = 'choice';
          opt.choices = choices;
        }
      }
    }
  }
  out.push(withDescription(opt, desc));
  return out;
}

function withDescription(opt: OptionSpec, desc: string): OptionSpec {
  if (desc) opt.description = desc;
  return opt;
}

function cleanMetavar(v: string): string {
  let s = v.trim().replace(/,+$/, '');
  const angle = /^<([^<>]+)>(\.\.\.)?$/.exec(s);
  if (angle) s = angle[1]!;
  return s;
}

function splitChoices(s: string): string[] {
  return unique(
    s
      .split(/[|,]/)
      .map((x) => x.trim())
      .filter((x) => /^[\w.+:@%/-]{1,40}$/.test(x)),
  ).slice(0, MAX_CHOICES);
}

const STOP_WORDS = new Set([
  'a', 'an', 'the', 'not', 'given', 'set', 'used', 'specified', 'omitted', 'also', 'only', 'ignored',
  'required', 'optional', 'supplied', 'present', 'missing', 'interpreted', 'treated', 'taken', 'passed',
  'defined', 'applied', 'like', 'as', 'in', 'on', 'to', 'of', 'for', 'by', 'zero', 'negative', 'positive',
  'this', 'that', 'it', 'its', 'then', 'than', 'be', 'is', 'are', 'was', 'which', 'if', 'and', 'or',
  'with', 'without', 'from', 'at', 'any', 'all', 'each', 'one', 'two', 'more', 'less', 'same', 'different',
  'enabled', 'disabled', 'allowed', 'always-on', 'greater', 'smaller', 'larger', 'equal', 'followed',
]);

const QUOTED_RE = /'([^'\s]{1,40})'|"([^"\s]{1,40})"|`([^'`\s]{1,40})'/g;

/**
 * Alternatives a description lists for the argument `metavar`:
 * grep "WHEN is 'always', 'never', or 'auto'", "ACTION is 'read', 'recurse', or 'skip'";
 * tar "(METHOD='replace'; default) or ... (METHOD='system')";
 * grep man "WHEN is never, always, or auto."; "If TYPE is without-match, ... If TYPE is text";
 * tar man "Valid values for STYLE are literal, shell, shell-always, c, escape.".
 */
export function choicesFromDescription(description: string, metavar: string | undefined): string[] {
  const text = description.replace(/\s+/g, ' ');
  const braces = /\{([\w.+:-]+(?:[|,][\w.+:-]+)+)\}/.exec(text);
  if (braces) return splitChoices(braces[1]!);
  const w = metavarWord(metavar);
  if (!w) return [];
  const mv = escapeRe(w);
  const mentions = new RegExp(`(?:^|[^A-Za-z0-9_-])${mv}(?![A-Za-z0-9_])`);
  // 1. quoted alternatives in a sentence that names the metavar
  const quoted: string[] = [];
  for (const sentence of text.split(/\.(?:\s+|$)/)) {
    if (!mentions.test(sentence)) continue;
    for (const m of sentence.matchAll(QUOTED_RE)) {
      const v = m[1] ?? m[2] ?? m[3];
      if (v && !v.startsWith('-') && v !== w && /^[\w.+:@%/-]+$/.test(v)) quoted.push(v);
    }
  }
  const q = unique(quoted);
  if (q.length >= 2) return q.slice(0, MAX_CHOICES);
  // 2. "Valid values for STYLE are a, b, c." / "STYLE is one of a, b, c"
  const valid = new RegExp(`\\b(?:valid|possible|allowed|accepted)\\s+(?:values|arguments|choices)\\s+(?:for|of)\\s+${mv}\\s+(?:are|is)\\s*:?\\s+([^.;()]+)`, 'i').exec(text);
  if (valid) {
    const words = listWords(valid[1]!);
    if (words.length >= 2) return words;
  }
  // 3. unquoted "MV is a, b, or c" / "If MV is x ... If MV is y"
  const collected: string[] = [];
  const isRe = new RegExp(`(?:^|[^A-Za-z0-9_-])${mv}\\s+(?:is|can be|must be|may be)\\s+(?:one of\\s+|either\\s+)?([\\w+-]+)((?:,\\s*[\\w+-]+)*,?\\s+or\\s+[\\w+-]+)?`, 'g');
  for (const m of text.matchAll(isRe)) {
    collected.push(m[1]!);
    if (m[2]) collected.push(...m[2].split(/,|\bor\b/).map((x) => x.trim()));
  }
  const words = unique(collected.filter((x) => /^[\w+-]{1,40}$/.test(x) && !STOP_WORDS.has(x.toLowerCase()) && x !== w && !/^\d+$/.test(x)));
  if (words.length >= 2) return words.slice(0, MAX_CHOICES);
  return colonList(text, w);
}

/**
 * A list after a colon, near the metavar: ls "use quoting style WORD for entry names: literal,
 * locale, shell, ... (overrides ...)", "sort by WORD instead of name: none (-U), size (-S), ...";
 * sort "sort according to WORD: general-numeric -g, human-numeric -h, ..."; tar "directory
 * sorting order: none (default), name or inode".
 */
function colonList(text: string, word: string): string[] {
  const m = new RegExp(`(?:^|[^A-Za-z0-9_-])${escapeRe(word)}(?![A-Za-z0-9_])[^:.;]{0,60}:\\s*([^.;]*)`, word.length >= 3 ? 'i' : '').exec(text);
  if (!m) return [];
  const body = m[1]!.replace(/\([^()]*\)/g, ' ');
  const items = body
    .split(/,|\bor\b/)
    .map((x) =>
      x
        .trim()
        .replace(/^(?:and|or)\s+/, '')
        .replace(/\s+-{1,2}[\w-]+$/, '')
        .trim(),
    )
    .filter((x) => x !== '');
  if (items.length < 3 || !items.every((x) => /^[\w+-]{1,30}$/.test(x))) return [];
  return unique(items).slice(0, MAX_CHOICES);
}

function listWords(s: string): string[] {
  return unique(
    s
      .split(/,|\bor\b|\band\b/)
      .map((x) => x.trim().replace(/^'(.*)'$/, '$1'))
      .filter((x) => /^[\w.+:-]{1,40}$/.test(x) && !STOP_WORDS.has(x.toLowerCase())),
  ).slice(0, MAX_CHOICES);
}

// ---------------------------------------------------------------------------------------
// Option lists: merging by name

class OptionList {
  readonly options: OptionSpec[] = [];
  private readonly byName = new Map<string, OptionSpec>();

  /** Adds `opt`, merging it into an earlier option that shares a name. */
  add(opt: OptionSpec): void {
    const names = opt.names.filter((n) => isOptionName(n));
    if (names.length === 0) return;
    const existing = names.map((n) => this.byName.get(n)).find((o) => o !== undefined);
    if (!existing) {
      const fresh: OptionSpec = { ...opt, names: sortNames(unique(names)) };
      this.options.push(fresh);
      for (const n of fresh.names) this.byName.set(n, fresh);
      return;
    }
    mergeInto(existing, { ...opt, names }, (n) => !this.byName.has(n) || this.byName.get(n) === existing);
    for (const n of existing.names) this.byName.set(n, existing);
  }

  /** Adds `opt` only if none of its names is known yet (lower-priority sources). */
  addIfNew(opt: OptionSpec): void {
    if (opt.names.some((n) => this.byName.has(n))) return;
    this.add(opt);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): OptionSpec | undefined {
    return this.byName.get(name);
  }
}

/** Folds `b` into `a` (a wins on conflicts); `nameOk` says which of b's names a may take. */
export function mergeInto(a: OptionSpec, b: OptionSpec, nameOk: (n: string) => boolean = () => true): void {
  a.names = sortNames(unique([...a.names, ...b.names.filter((n) => a.names.includes(n) || nameOk(n))]));
  if (a.arg === 'none' && b.arg !== 'none') {
    a.arg = b.arg;
    if (b.kind) a.kind = b.kind;
    if (b.metavar) a.metavar = b.metavar;
    if (b.choices) a.choices = [...b.choices];
  } else if (a.arg !== 'none' && b.arg !== 'none') {
    if (!a.metavar && b.metavar) a.metavar = b.metavar;
    if ((!a.kind || a.kind === 'string') && b.kind && b.kind !== 'string') a.kind = b.kind;
    if (!a.choices?.length && b.choices?.length && (a.kind === 'choice' || a.kind === 'string' || a.kind === b.kind)) {
      a.choices = [...b.choices];
      if (b.kind === 'choice') a.kind = 'choice';
    }
  }
  if (!a.description && b.description) a.description = b.description;
}

function isOptionName(n: string): boolean {
  return /^-[^\s-]/.test(n) || /^--[^\s-]/.test(n);
}

function sortNames(names: string[]): string[] {
  const rank = (n: string): number => (n.startsWith('--') ? 2 : n.length === 2 ? 0 : 1);
  return names
    .map((n, i) => ({ n, i }))
    .sort((x, y) => rank(x.n) - rank(y.n) || x.i - y.i)
    .map((x) => x.n);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Makes the invariants hold whatever the heuristics did: names start with '-', arg none ⇒ no kind. */
function finish(options: OptionSpec[]): OptionSpec[] {
  const out: OptionSpec[] = [];
  for (const o of options) {
    const names = unique(o.names.filter((n) => typeof n === 'string' && n.startsWith('-') && n.length > 1 && !/\s/.test(n)));
    if (names.length === 0) continue;
    const opt: OptionSpec = { names, arg: o.arg };
    if (o.arg !== 'none') {
      opt.kind = o.kind ?? 'string';
      if (o.metavar) opt.metavar = o.metavar;
      if (o.choices && o.choices.length > 0) opt.choices = unique(o.choices).slice(0, MAX_CHOICES);
      if (opt.kind === 'choice' && !opt.choices) opt.kind = 'string';
    }
    if (o.description) opt.description = o.description;
    out.push(opt);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Usage lines → positionals (and the options they show)

interface UsageItem {
  text: string;
  bracket: '[' | '{' | null;
  repeat: boolean;
}

/** Splits a usage form into top-level items, keeping bracket groups whole. */
function usageItems(form: string): UsageItem[] {
  const items: UsageItem[] = [];
  let i = 0;
  const n = form.length;
  while (i < n) {
    const c = form[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (form.startsWith('...', i) || c === '\u2026') {
      const last = items[items.length - 1];
      if (last) last.repeat = true;
      i += c === '.' ? 3 : 1;
      continue;
    }
    if (c === '[' || c === '{') {
      const close = c === '[' ? ']' : '}';
      let depth = 0;
      let j = i;
      for (; j < n; j++) {
        if (form[j] === c) depth++;
        else if (form[j] === close && --depth === 0) break;
      }
      if (j >= n) {
        // unbalanced: give up on the rest
        return items;
      }
      let inner = form.slice(i + 1, j).trim();
      let repeat = false;
      if (/(?:\.\.\.?|\u2026)$/.test(inner) && !inner.includes('|')) {
        repeat = true;
        inner = inner.replace(/\s*(?:\.\.\.?|\u2026)$/, '');
      }
      i = j + 1;
      // glued groups ("{A|c|x}[GnSk...]") are not positionals
      const glued = i < n && form[i] !== ' ' && form[i] !== '\t' && !form.startsWith('...', i);
      if (glued) {
        while (i < n && form[i] !== ' ' && form[i] !== '\t') i++;
        continue;
      }
      items.push({ text: inner, bracket: c, repeat });
      continue;
    }
    let j = i;
    while (j < n && form[j] !== ' ' && form[j] !== '\t' && form[j] !== '[' && form[j] !== '{') j++;
    let word = form.slice(i, j);
    let repeat = false;
    if (/(?:\.\.\.|\u2026)$/.test(word) && word.length > 3) {
      repeat = true;
      word = word.replace(/(?:\.\.\.|\u2026)$/, '');
    }
    if (j < n && (form[j] === '[' || form[j] === '{')) {
      // "--exec-path[=<path>]" or "--list[-full]": one word with its bracket
      let depth = 0;
      let k = j;
      const open = form[j]!;
      const close = open === '[' ? ']' : '}';
      for (; k < n; k++) {
        if (form[k] === open) depth++;
        else if (form[k] === close && --depth === 0) break;
      }
      word += form.slice(j, Math.min(k + 1, n));
      j = Math.min(k + 1, n);
      while (j < n && form[j] !== ' ' && form[j] !== '\t') word += form[j++];
    }
    items.push({ text: word, bracket: null, repeat });
    i = j;
  }
  return items;
}

function positionalFrom(word: string, optional: boolean, repeat: boolean): PositionalSpec | null {
  let w = word.trim().replace(/,+$/, '');
  const angle = /^<([^<>]+)>$/.exec(w);
  if (angle) w = angle[1]!;
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(w) || w.length > 60) return null;
  if (/^(?:options?|flags?|switches)$/i.test(w)) return null;
  return { metavar: w, kind: kindFromMetavar(w) ?? (PATTERN_WORDS.has(w.toUpperCase()) ? 'pattern' : 'string'), repeat, optional };
}

interface UsageResult {
  positionals: PositionalSpec[];
  options: OptionSpec[];
  subcommands: string[];
}

/** One usage form, without the program name. */
function parseUsageForm(form: string): UsageResult {
  const res: UsageResult = { positionals: [], options: [], subcommands: [] };
  const items = usageItems(form);
  for (let idx = 0; idx < items.length; idx++) {
    const it = items[idx]!;
    const text = it.text.trim();
    if (!text) continue;
    if (it.bracket === '[') {
      if (/^-*(?:OPTIONS?|options?|OPTION\.\.\.|FLAGS?|flags?|SWITCHES|switches)$/.test(text) || /\bOPTION/.test(text)) continue;
      if (text.startsWith('-')) {
        res.options.push(...usageOptions(text));
        continue;
      }
      if (text.includes('|') && !/\[/.test(text)) {
        // zstd: "[INPUT... | -]" (the '-' alternative is stdin)
        const alts = text.split('|').map((x) => x.trim()).filter((x) => x && x !== '-');
        if (alts.length === 1 && !alts[0]!.includes(' ')) {
          const a = alts[0]!;
          const p = positionalFrom(a.replace(/(?:\.\.\.|\u2026)$/, ''), true, it.repeat || /(?:\.\.\.|\u2026)$/.test(a));
          if (p) res.positionals.push(p);
        }
        continue;
      }
      // "[FILE]...", "[FILE...]", "[ name ...  ]", "[<args>]", "[function [arguments]...]"
      const words = text.replace(/\[[^\]]*\]\s*(?:\.\.\.)?/g, ' ').split(/\s+/).filter((x) => x && x !== '...');
      const hadDots = /\.\.\./.test(text);
      if (words.length === 1) {
        const p = positionalFrom(words[0]!, true, it.repeat || hadDots);
        if (p) res.positionals.push(p);
      } else if (words.length > 2 && /\bfiles?\b/i.test(text)) {
        // bzip2: "usage: bzip2 [flags and input files in any order]"
        res.positionals.push({ metavar: 'FILE', kind: 'file', repeat: true, optional: true });
      }
      continue;
    }
    if (it.bracket === '{') {
      const alts = text.split('|').map((x) => x.trim()).filter(Boolean);
      const optAlts = alts.filter((a) => a.startsWith('-'));
      const plain = alts.filter((a) => !a.startsWith('-'));
      for (const a of optAlts) res.options.push(...usageOptions(a));
      if (plain.length === 1) {
        // sed: "{script-only-if-no-other-script}"; busybox grep "{ PATTERN | -e PATTERN... | -f FILE... }"
        const p = positionalFrom(plain[0]!.replace(/\.\.\.$/, ''), optAlts.length > 0, it.repeat);
        if (p) res.positionals.push(p);
      } else if (plain.length > 1 && optAlts.length === 0 && plain.every((a) => /^[a-z][\w-]*$/i.test(a))) {
        res.subcommands.push(...plain);
      }
      continue;
    }
    if (text.startsWith('-')) {
      // bare option in a form: sort "--files0-from=F", grep man "-e PATTERNS"
      const next = items[idx + 1];
      if (next && next.bracket === null && !next.text.startsWith('-') && isStrongMetavar(next.text) && !/=/.test(text)) {
        res.options.push(...usageOptions(`${text} ${next.text}`));
        idx++;
      } else {
        res.options.push(...usageOptions(text));
      }
      continue;
    }
    if (text.includes('|')) {
      // busybox tar: "c|x|t"
      const alts = text.split('|').filter(Boolean);
      if (alts.length > 1 && alts.every((a) => /^[a-z][\w-]*$/i.test(a))) res.subcommands.push(...alts);
      continue;
    }
    const p = positionalFrom(text, false, it.repeat);
    if (p) res.positionals.push(p);
  }
  return res;
}

/** Options inside a usage group: "-f TARFILE", "-v | --version", "-cfkdt", "--exec-path[=<path>]". */
function usageOptions(group: string): OptionSpec[] {
  const out: OptionSpec[] = [];
  for (const alt of group.split('|')) {
    const a = alt.trim().replace(/\s*\.\.\.$/, '');
    if (!a.startsWith('-')) continue;
    const cluster = /^-([A-Za-z0-9]{2,})$/.exec(a);
    if (cluster && new Set(cluster[1]).size === cluster[1]!.length && group.trim() === a) {
      for (const c of cluster[1]!) out.push({ names: [`-${c}`], arg: 'none' });
      continue;
    }
    const tag = parseTag(a.replace(/\s+/g, ' '));
    if (!tag || tag.rest.trim() !== '') continue;
    out.push(...optionsFromTag(tag, ''));
  }
  return out;
}

/** Prose rather than a form: "zipcloak (see separate man page)", "zstdmt is equivalent to zstd -T0". */
function looksLikeProse(body: string): boolean {
  const bare = body
    .replace(/\[[^\]]*\]|\{[^}]*\}|<[^>]*>/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !w.startsWith('-') && !/^\.+$/.test(w));
  return bare.filter((w) => /^[a-z]+[.,;:]?$/.test(w)).length >= 3 || bare.some((w) => /[()]/.test(w));
}

function parseUsageForms(forms: string[], cutAtGaps = true): UsageResult {
  const res: UsageResult = { positionals: [], options: [], subcommands: [] };
  let havePositionals = false;
  for (const form of forms) {
    // --help: a description may follow the form after a wide gap (man text is justified instead)
    const f = cutAtGaps ? form.trim().split(/\s{3,}|\t/)[0]! : form.trim();
    const body = f.replace(/^\S+\s*/, ''); // drop the program name
    if (looksLikeProse(body)) continue;
    const r = parseUsageForm(body);
    res.options.push(...r.options);
    res.subcommands.push(...r.subcommands);
    if (!havePositionals && r.positionals.length > 0) {
      res.positionals = r.positionals;
      havePositionals = true;
    }
  }
  return res;
}

// ---------------------------------------------------------------------------------------
// Subcommand sections ("These are common Git commands...:", busybox "Currently defined functions:")

const COMMANDS_HEADING = /(?:\b(?:sub)?commands\b|\bdefined functions\b|\bapplets\b)[^:]*:$/i;

function parseSubcommands(lines: Line[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < MAX_SUBCOMMANDS; i++) {
    const l = lines[i]!;
    if (l.blank || !COMMANDS_HEADING.test(l.content) || /^usage/i.test(l.content) || l.content.startsWith('-')) continue;
    const headIndent = l.indent;
    for (let j = i + 1; j < lines.length && out.length < MAX_SUBCOMMANDS; j++) {
      const m = lines[j]!;
      if (m.blank) continue;
      if (m.content.startsWith('-')) break;
      if (m.indent <= headIndent) {
        // git sub-headings ("start a working area (see also: git help tutorial)") are lower-case prose
        if (m.content.endsWith(':') || /^[A-Z][A-Za-z]*$/.test(m.content) || /^[A-Z][A-Z ]+$/.test(m.content)) break;
        continue;
      }
      if (/^[\w.[\]+-]+(?:,\s*[\w.[\]+-]+)+,?$/.test(m.content)) {
        out.push(...m.content.split(',').map((x) => x.trim()).filter((x) => x.length > 0));
        continue;
      }
      const first = /^([A-Za-z0-9][\w.+:-]*)(?:\s{2,}|\t|\s+-\s|$)/.exec(m.content);
      if (first) out.push(first[1]!);
      else break;
    }
  }
  return unique(out);
}

// ---------------------------------------------------------------------------------------
// --help

function isUsageStart(l: Line): RegExpExecArray | null {
  return /^usage\s*:\s*(.*)$/i.exec(l.content) ?? /(?:^|\s)usage\s*:\s*()$/i.exec(l.content);
}

function parseHelp(lines: Line[]): HelpParse {
  const list = new OptionList();
  const usageLine = new Set<number>();
  const forms: string[] = [];

  // The first usage block: "Usage: a ...", "  or:  a ...", continuation lines ("[--bare]", "<command>").
  const start = lines.findIndex((l) => isUsageStart(l) !== null);
  if (start >= 0) {
    usageLine.add(start);
    const first = isUsageStart(lines[start]!)![1]!.trim();
    if (first) forms.push(first);
    for (let j = start + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.blank) {
        if (forms.length === 0) continue; // "USAGE:" on a line of its own, forms below
        break;
      }
      const or = /^or\s*:\s*(.*)$/i.exec(l.content);
      if (or) {
        forms.push(or[1]!);
        usageLine.add(j);
      } else if (forms.length === 0) {
        if (l.content.startsWith('-')) break; // "Usage:" heading an option table
        forms.push(l.content);
        usageLine.add(j);
      } else if (l.indent >= 4 && /^[[<{]|^[A-Z][A-Z0-9_-]*(?:\.\.\.)?(?:\s|$)/.test(l.content)) {
        forms[forms.length - 1] += ` ${l.content}`;
        usageLine.add(j);
      } else break;
    }
  }

  interface Current {
    tag: Tag;
    indent: number;
    descCol: number | undefined;
    desc: string[];
  }
  let cur: Current | null = null;
  const prose: { idx: number; line: Line }[] = [];
  const finalize = (): void => {
    if (!cur) return;
    for (const o of optionsFromTag(cur.tag, cur.desc.join('\n'))) list.add(o);
    cur = null;
  };
  let prevProse: Line | null = null;

  for (let idx = 0; idx < lines.length; idx++) {
    const l = lines[idx]!;
    if (usageLine.has(idx)) {
      finalize();
      prevProse = null;
      continue;
    }
    if (l.blank) {
      // a tag ending in ',' keeps waiting for its other names only across no blank line
      finalize();
      prevProse = null;
      continue;
    }
    const c = cur as Current | null;
    let isContinuation = false;
    if (c && l.indent > c.indent) {
      if (c.descCol !== undefined) isContinuation = l.indent >= c.descCol - 1;
      else isContinuation = l.indent > c.indent + 8;
      if (c.tag.continues && c.desc.length === 0) isContinuation = false;
    }
    let tag: Tag | null = null;
    if (!isContinuation && l.content[0] === '-') {
      // prose that happens to begin with an option ("-v is also accepted") follows a long prose line
      const afterProse = prevProse !== null && prevProse.indent === l.indent && prevProse.content.length > 40 && !prevProse.content.endsWith(':');
      tag = parseTag(l.content);
      // ...unless it is laid out as a tag: description after a tab or two blanks, or none
      if (tag && afterProse && tag.rest !== '' && !/(?:\s{2,}|\t)$/.test(l.content.slice(0, tag.restOffset))) tag = null;
    }
    if (tag) {
      if (c && c.tag.continues && c.desc.length === 0) {
        // grep: "      --color[=WHEN]," / "      --colour[=WHEN]       use markers..."
        c.tag = { items: [...c.tag.items, ...tag.items], rest: tag.rest, restOffset: tag.restOffset, continues: tag.continues };
        if (tag.rest) {
          c.desc.push(tag.rest);
          c.descCol = columnAt(l.indent, l.content, tag.restOffset);
        }
        continue;
      }
      finalize();
      const next: Current = { tag, indent: l.indent, descCol: undefined, desc: [] };
      if (tag.rest) {
        next.desc.push(tag.rest);
        next.descCol = columnAt(l.indent, l.content, tag.restOffset);
      }
      cur = next;
      prevProse = null;
      continue;
    }
    if (c && l.indent > c.indent) {
      c.desc.push(l.content);
      if (c.descCol === undefined) c.descCol = l.indent;
      continue;
    }
    finalize();
    prose.push({ idx, line: l });
    prevProse = l;
  }
  finalize();

  const usage = parseUsageForms(forms);
  for (const o of usage.options) list.addIfNew(o);
  applyProseChoices(lines, prose, list);
  const subcommands = unique([...parseSubcommands(lines), ...usage.subcommands]);
  return { options: finish(list.options), positionals: usage.positionals, subcommands, envVars: envVarsIn(lines) };
}

// bounded repetition only: these run over the whole text joined into one line
const ENV_NAME = '[A-Z][A-Z0-9_]{2,63}';
const ENV_BEFORE = new RegExp(`\\b(${ENV_NAME})\\s+environment\\s+variable`, 'g');
const ENV_AFTER = new RegExp(`\\benvironment\\s+variables?\\s+(?:\\$)?(${ENV_NAME})\\b`, 'g');
const NOT_ENV = new Set(['THE', 'AND', 'FOR', 'NOT', 'ALL', 'ANY', 'NUL', 'EOF', 'SIG', 'POSIX']);

/** "the environment variable GREP_COLORS", "(overrides QUOTING_STYLE environment variable)". */
function envVarsIn(lines: Line[], extra: string[] = []): string[] {
  const text = lines.map((l) => l.content).join(' ').replace(/\s+/g, ' ');
  const out: string[] = [];
  for (const m of text.matchAll(ENV_BEFORE)) out.push(m[1]!);
  for (const m of text.matchAll(ENV_AFTER)) out.push(m[1]!);
  out.push(...extra);
  return unique(out.filter((v) => !NOT_ENV.has(v) && !v.endsWith('_') && /^[A-Z][A-Z0-9_]+$/.test(v))).slice(0, 64);
}

/**
 * Choices stated away from the option, in the help's epilogue:
 * ls "The WHEN argument defaults to 'always' and can also be 'auto' or 'never'.";
 * tar " FORMAT is one of the following:" + a table; "Valid arguments for the --quoting-style
 * option are:" + a list; "The version control may be set with --backup ..., values are:".
 */
function applyProseChoices(lines: Line[], prose: { idx: number; line: Line }[], list: OptionList): void {
  const wants = (o: OptionSpec): boolean => o.arg !== 'none' && !o.choices?.length && (o.kind === 'string' || o.kind === undefined);
  const byMetavar = (word: string): OptionSpec[] => list.options.filter((o) => metavarWord(o.metavar) === word && wants(o));
  const setChoices = (targets: OptionSpec[], choices: string[]): void => {
    if (choices.length < 2) return;
    for (const o of targets) {
      if (!wants(o)) continue;
      o.kind = 'choice';
      o.choices = choices.slice(0, MAX_CHOICES);
    }
  };

  // lists introduced by a heading line
  const proseIdx = new Set(prose.map((p) => p.idx));
  for (const { idx, line } of prose) {
    if (!line.content.endsWith(':')) continue;
    if (!/(?:one of the following|valid (?:arguments|values)|values are|possible values|can be one of|accepted values)/i.test(line.content)) continue;
    const optRef = /(?:^|[\s(])(--?[A-Za-z0-9][\w-]*)/.exec(line.content);
    let targets: OptionSpec[] = [];
    if (optRef) {
      const o = list.get(optRef[1]!);
      if (o && wants(o)) targets = [o];
    }
    if (targets.length === 0) {
      for (const w of line.content.match(/\b[A-Z][A-Z0-9_]{1,}\b/g) ?? []) targets.push(...byMetavar(w));
    }
    if (targets.length === 0) continue;
    const items: string[] = [];
    for (let j = idx + 1; j < lines.length; j++) {
      const m = lines[j]!;
      if (m.blank) {
        if (items.length > 0) break;
        continue;
      }
      if (!proseIdx.has(j) || (m.indent <= line.indent && !m.content.includes(','))) break;
      const head = m.content.split(/\s{2,}|\t/)[0]!;
      const words = head.split(',').map((x) => x.trim());
      if (!words.every((x) => /^[\w.+:-]{1,40}$/.test(x))) break;
      items.push(...words);
    }
    setChoices(targets, unique(items));
  }

  // sentences in prose paragraphs that name a metavar
  const paragraphs: string[] = [];
  let para: string[] = [];
  let last = -2;
  for (const { idx, line } of prose) {
    if (idx !== last + 1 && para.length) {
      paragraphs.push(para.join(' '));
      para = [];
    }
    para.push(line.content);
    last = idx;
  }
  if (para.length) paragraphs.push(para.join(' '));
  const metavars = unique(list.options.filter(wants).map((o) => metavarWord(o.metavar)).filter((w): w is string => !!w && /^[A-Z]/.test(w)));
  for (const p of paragraphs) {
    for (const w of metavars) {
      if (!p.includes(w)) continue;
      const choices = choicesFromDescription(p, w);
      setChoices(byMetavar(w), choices);
    }
  }
}

// ---------------------------------------------------------------------------------------
// man -P cat

const OPTION_SECTIONS = /OPTION|DESCRIPTION|COMMAND|FLAG|SWITCH/;
const NEVER_SECTIONS = /^(?:NAME|SYNOPSIS|SEE ALSO|AUTHORS?|BUGS|REPORTING BUGS|COPYRIGHT.*|DIAGNOSTICS|EXIT STATUS|RETURN VALUE|ENVIRONMENT|FILES|HISTORY|CAVEATS|STANDARDS|CONFORMING TO|COLOPHON)$/;

function parseMan(input: Line[]): HelpParse {
  // ronn/pandoc pages list options as bullet items: "       O   --ultra: unlocks high ..." (zstd)
  const lines = input.map((l) => {
    const m = /^(?:[oO*+\u2022\u00b7])\s{1,4}(?=-)/.exec(l.content);
    if (!m) return l;
    // the item is justified text: "-M#,  --memory=#: Set ..." — blanks in the tag mean nothing
    const content = l.content.slice(m[0].length).replace(/^([^:]{1,80}?):(?=\s|$)/, (_all, tag: string) => `${tag.replace(/\s+/g, ' ')}:`);
    return { ...l, content };
  });
  // sections: headings at column 0 in capitals
  const section: string[] = [];
  let name = '';
  let sawHeading = false;
  for (const l of lines) {
    if (!l.blank && l.indent === 0 && /^[A-Z][A-Z0-9 &/,.()-]*$/.test(l.content) && l.content.length < 60) {
      name = l.content.trim();
      sawHeading = true;
    }
    section.push(name);
  }

  // SYNOPSIS → usage forms
  const forms: string[] = [];
  const synIdx = section.map((s, i) => (s === 'SYNOPSIS' && !lines[i]!.blank && lines[i]!.indent > 0 ? i : -1)).filter((i) => i >= 0);
  if (synIdx.length > 0) {
    // forms start with the program: "readelf [-a|--all]" (continued below, more indented)
    const firstForm = synIdx.find((i) => /^[\w.+-]+(?:\s+[[{<A-Z-]|\s*$)/.test(lines[i]!.content) && !/\busage$/i.test(lines[i]!.content));
    const counts = new Map<number, number>();
    for (const i of synIdx) counts.set(lines[i]!.indent, (counts.get(lines[i]!.indent) ?? 0) + 1);
    const formIndent =
      firstForm !== undefined ? lines[firstForm]!.indent : [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
    let prevForm = -1;
    for (const i of synIdx) {
      const l = lines[i]!;
      if (l.indent === formIndent && !(/^[[{<-]/.test(l.content) && forms.length > 0)) {
        forms.push(l.content);
        prevForm = i;
      } else if (l.indent >= formIndent && forms.length > 0 && prevForm >= 0) {
        forms[forms.length - 1] += ` ${l.content}`;
      }
    }
  }

  const list = new OptionList();
  const scan = (allowed: (s: string) => boolean): void => {
    let prevTagNoBody: { tag: Tag; indent: number } | null = null;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.blank || !allowed(section[i]!) || l.indent === 0 || l.content[0] !== '-') {
        if (!l.blank) prevTagNoBody = null;
        continue;
      }
      // preceded by a blank line, a heading (less indented), or another tag (grouped tags)
      let p = i - 1;
      while (p >= 0 && lines[p]!.blank) p--;
      const prevBlank = p < i - 1 || p < 0;
      const prevLine = p >= 0 ? lines[p]! : null;
      const groupedWithPrev = prevTagNoBody !== null && p === i - 1 && prevTagNoBody.indent === l.indent;
      if (!(prevBlank || !prevLine || prevLine.indent < l.indent || groupedWithPrev)) continue;
      const tag = parseTag(l.content);
      if (!tag) continue;
      let q = i + 1;
      while (q < lines.length && lines[q]!.blank) q++;
      const next = q < lines.length ? lines[q]! : null;
      const restCol = columnAt(l.indent, l.content, tag.restOffset);
      const sameLineDesc = tag.rest !== '' && (tag.colon === true || /(?:\s{2,}|\t)$/.test(l.content.slice(0, tag.restOffset)) || restCol === l.indent + 7);
      const nextIsTag = next !== null && q === i + 1 && next.indent === l.indent && next.content[0] === '-' && tag.rest === '';
      if (tag.rest !== '' && !sameLineDesc) continue; // a sentence that starts with an option
      if (!sameLineDesc && !(next && next.indent > l.indent) && !nextIsTag) continue;
      // body: the more indented lines that follow
      const body: string[] = tag.rest ? [tag.rest] : [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const m = lines[j]!;
        if (m.blank) {
          body.push('');
          continue;
        }
        if (m.indent <= l.indent) break;
        body.push(m.content);
      }
      if (groupedWithPrev && prevTagNoBody) {
        tag.items.unshift(...prevTagNoBody.tag.items);
      }
      if (body.every((b) => b === '') && nextIsTag) {
        prevTagNoBody = { tag, indent: l.indent };
        continue;
      }
      prevTagNoBody = null;
      const paragraphs = body.join('\n').split(/\n\s*\n/);
      const full = paragraphs.join('\n');
      const opts = optionsFromTag(tag, full);
      const firstPara = collapse(paragraphs.find((x) => x.trim() !== '') ?? '');
      for (const o of opts) {
        if (firstPara) o.description = firstPara;
        else delete o.description;
        list.add(o);
      }
      i = j - 1;
    }
  };
  scan((s) => OPTION_SECTIONS.test(s) && !NEVER_SECTIONS.test(s));
  if (list.options.length === 0) scan((s) => !sawHeading || (s !== '' && !NEVER_SECTIONS.test(s)));

  const usage = parseUsageForms(forms, false);
  for (const o of usage.options) list.addIfNew(o);
  // ENVIRONMENT: variables set as tags (grep man: "       GREP_COLORS" + an indented paragraph)
  const envTags: string[] = [];
  lines.forEach((l, i) => {
    if (!/^ENVIRONMENT/.test(section[i]!) || l.blank || l.indent === 0) return;
    const next = lines[i + 1];
    if (!next || next.blank || next.indent <= l.indent) return;
    if (/^[A-Z][A-Z0-9_]*(?:,\s*[A-Z][A-Z0-9_]*)*$/.test(l.content)) envTags.push(...l.content.split(/,\s*/).filter((v) => v.length >= 3));
  });
  return { options: finish(list.options), positionals: usage.positionals, subcommands: unique(usage.subcommands), envVars: envVarsIn(lines, envTags) };
}
