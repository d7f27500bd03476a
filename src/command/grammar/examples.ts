import { shellWords } from '../shell-words.js';

/** At most this many examples per program: they are seeds, not a test suite. */
const MAX_EXAMPLES = 24;

/**
 * The example invocations a program documents (`tar --help`: "tar -xf archive.tar  #
 * Extract all files"; grep: "Example: grep -i 'hello world' menu.h main.c"; man pages'
 * EXAMPLES sections). They are the everyday uses, which a random combination of options
 * reaches only by luck: `tar -x -f` with an archive is one draw in thousands.
 * Returns the arguments after the program name. Examples with shell syntax (pipes,
 * redirections, variables) or with paths out of the working directory (absolute, `..`,
 * `~`) are left out: a seed must not make tar extract into /usr/local.
 */
export function extractExamples(text: string, program: string): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  const name = program.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const line = new RegExp(`^\\s*(?:\\$\\s+|Examples?:\\s+)?${name}\\s+(.+)$`);
  for (const raw of text.split('\n')) {
    const m = line.exec(raw);
    if (!m) continue;
    const command = (m[1] as string).replace(/\s+#.*$/, '').trim();
    if (command === '' || /[|<>;&$`]|\(|\)/.test(command)) continue;
    let words: string[];
    try {
      words = shellWords(command);
    } catch {
      continue;
    }
    if (words.length === 0 || words.length > 12) continue;
    if (words.some((w) => w.startsWith('/') || w.startsWith('~') || w.split('/').includes('..') || /=\/|=~/.test(w))) continue;
    if (!isExample(words)) continue;
    const key = words.join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(words);
    if (out.length >= MAX_EXAMPLES) break;
  }
  return out;
}

/**
 * A command someone could type, not a synopsis (`tar -c [-f ARCHIVE] [OPTIONS] [FILE...]`,
 * `gzip [ -acd ] [-S suffix]`) nor prose that starts with the program's name ("tar - an
 * archiving utility", "gzip is designed as a complement to tar, not ...").
 */
function isExample(words: readonly string[]): boolean {
  if (words[0] === '-') return false;
  if (words.some((w) => /[[\]{}]|\.\.\./.test(w) || /^[A-Z][A-Z0-9_]+$/.test(w) || /[.,:;]$/.test(w))) return false;
  const options = words.filter((w) => w.startsWith('-')).length;
  if (options === 0 && words.length >= 3 && words.every((w) => /^[a-z]+$/.test(w))) return false;
  return options > 0 || words.length <= 3;
}
