/**
 * Asks the program itself for its grammar: `program --help` (then `-h` if that shows no
 * options) and `man -P cat <basename>`, parsed and merged. The help output wins on
 * conflicts; the manual page adds the options and aliases the help text lacks.
 * Never throws because the program (or man) failed, hung or does not exist.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { FsSandbox } from '../sandbox.js';
import { signalGroup, trackGroup } from '../../util/process-groups.js';
import { extractExamples } from './examples.js';
import { parseHelpText, parseManText, type HelpParse } from './parse-help.js';
import type { Grammar, OptionSpec } from './types.js';

export interface MineOptions {
  /** per run of the program (and of man); default 5000 */
  timeoutMs?: number;
  /** base environment (default process.env); LC_ALL=C and MANWIDTH=120 are forced */
  env?: NodeJS.ProcessEnv;
  /** run the program (and man) where only their scratch directory is writable (see FsSandbox) */
  sandbox?: boolean;
}

const MAX_OUTPUT = 4 * 1024 * 1024;

export function emptyGrammar(program: string): Grammar {
  return { program: path.basename(program), options: [], positionals: [], subcommands: [], sources: [] };
}

function hasAnything(p: HelpParse): boolean {
  return p.options.length > 0 || p.positionals.length > 0 || p.subcommands.length > 0;
}

export async function mineGrammar(program: string, opts: MineOptions = {}): Promise<Grammar> {
  const grammar = emptyGrammar(program);
  const base = grammar.program;
  if (!program || !base) return grammar;
  const timeout = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : 5000;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env ?? process.env)) if (v !== undefined) env[k] = v;
  delete env.MAN_KEEP_FORMATTING;
  delete env.MANPAGER;
  delete env.MANOPT;
  env.LC_ALL = 'C';
  env.MANWIDTH = '120';
  env.GROFF_NO_SGR = '1';
  // a relative path names a file in our cwd, not in the scratch directory the program runs in
  const exe = program.includes('/') ? path.resolve(program) : program;

  const dir = await mkdtemp(path.join(tmpdir(), 'seccomplete-grammar-'));
  // not inside the try: a sandbox that cannot be made is the user's problem to hear about
  const sandbox = opts.sandbox ? await FsSandbox.open([dir]).catch(async (err) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }) : undefined;
  try {
    const cwd = dir;
    const run = async (file: string, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        // Its own process group, killed whole at the deadline: a child left holding stdout
        // (a shell script's `sleep`) would otherwise keep us waiting for end-of-file.
        const spawned = sandbox ? sandbox.wrap(file, args, cwd) : { file, args };
        const sub = execa(spawned.file, spawned.args, {
          reject: false,
          detached: true,
          stdin: 'ignore',
          cwd,
          env,
          extendEnv: false,
          maxBuffer: MAX_OUTPUT,
          stripFinalNewline: false,
          windowsHide: true,
        });
        trackGroup(sub.pid);
        timer = setTimeout(() => signalGroup(sub.pid), timeout);
        const r = await sub;
        signalGroup(sub.pid); // and whatever it left behind
        return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode };
      } catch {
        return { stdout: '', stderr: '', exitCode: undefined };
      } finally {
        if (timer) clearTimeout(timer);
      }
    };
    // Some programs print their help on stderr (bzip2) and exit 1 or 2: read both.
    const helpOf = (r: { stdout: string; stderr: string }): HelpParse => parseHelpText(`${r.stdout}\n${r.stderr}`);

    const [long, manOut] = await Promise.all([run(exe, ['--help']), run('man', ['-P', 'cat', base])]);
    let help = helpOf(long);
    let helpSource = '--help';
    if (help.options.length === 0) {
      const short = helpOf(await run(exe, ['-h']));
      if (short.options.length > 0 || !hasAnything(help)) {
        help = short;
        helpSource = '-h';
      }
    }
    let man: HelpParse | null = null;
    if (manOut.exitCode === 0 && manOut.stdout.trim() !== '' && describes(manOut.stdout, base)) {
      man = parseManText(manOut.stdout);
      if (!hasAnything(man)) man = null;
    }

    if (hasAnything(help)) grammar.sources.push(helpSource);
    if (man) grammar.sources.push('man');
    grammar.options = mergeOptions(help.options, man?.options ?? []);
    grammar.positionals = help.positionals.length > 0 ? help.positionals : (man?.positionals ?? []);
    grammar.subcommands = [...new Set([...help.subcommands, ...(man?.subcommands ?? [])])];
    const envVars = [...new Set([...help.envVars, ...(man?.envVars ?? [])])];
    if (envVars.length > 0) grammar.envVars = envVars;
    const examples = extractExamples(`${long.stdout}\n${long.stderr}\n${man ? manOut.stdout : ''}`, base);
    if (examples.length > 0) grammar.examples = examples;
  } catch {
    // mining is best effort: an empty grammar is a valid answer
  } finally {
    sandbox?.close();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return grammar;
}


/** The page is about this program: its NAME section (or its first lines) mention the basename. */
function describes(page: string, base: string): boolean {
  const head = page.split('\n').slice(0, 40).join('\n');
  const word = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|[^\\w.-])${word}(?![\\w-])`, 'i').test(head);
}

/**
 * Help options first, unchanged except for what they lack: a man option that shares names
 * with exactly one help option lends it its other names (gzip man: "-c --stdout --to-stdout")
 * and, when both take an argument, its choices. Man options unknown
 * to the help text are appended.
 */
export function mergeOptions(help: OptionSpec[], man: OptionSpec[]): OptionSpec[] {
  const out = help.map((o) => ({ ...o, names: [...o.names], ...(o.choices ? { choices: [...o.choices] } : {}) }));
  const byName = new Map<string, OptionSpec>();
  for (const o of out) for (const n of o.names) if (!byName.has(n)) byName.set(n, o);
  for (const m of man) {
    const hits = [...new Set(m.names.map((n) => byName.get(n)).filter((o): o is OptionSpec => o !== undefined))];
    if (hits.length === 0) {
      const copy = { ...m, names: [...m.names], ...(m.choices ? { choices: [...m.choices] } : {}) };
      out.push(copy);
      for (const n of copy.names) byName.set(n, copy);
    } else if (hits.length === 1) {
      const h = hits[0]!;
      if (h.arg === 'none' || m.arg === 'none') {
        // disagree about the argument: the help text wins, take only the new aliases if both are flags
        if (h.arg === m.arg) h.names = [...new Set([...h.names, ...m.names.filter((n) => !byName.has(n))])];
        else continue;
      } else {
        // both take an argument: new aliases, and the man page's choices when the help has none
        h.names = [...new Set([...h.names, ...m.names.filter((n) => !byName.has(n))])];
        if (!h.metavar && m.metavar) h.metavar = m.metavar;
        if (!h.choices?.length && m.choices?.length && (h.kind === 'string' || h.kind === undefined || h.kind === 'choice')) {
          h.kind = 'choice';
          h.choices = [...m.choices];
        }
      }
      if (!h.description && m.description) h.description = m.description;
      for (const n of h.names) if (!byName.has(n)) byName.set(n, h);
    }
    // a man option that spans several help options (gzip man "-# --fast --best") adds nothing
  }
  for (const o of out) {
    o.names = sortShortFirst(o.names);
  }
  return out;
}

function sortShortFirst(names: string[]): string[] {
  const rank = (n: string): number => (n.startsWith('--') ? 2 : n.length === 2 ? 0 : 1);
  return names
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
    .map((x) => x.n);
}
