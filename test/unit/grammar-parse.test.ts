import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isInformational,
  kindFromMetavar,
  mergeOptions,
  parseHelpText,
  parseManText,
  type HelpParse,
  type OptionSpec,
} from '../../src/command/grammar/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// Real outputs captured on Debian 12 (LC_ALL=C; man with MANWIDTH=120, -P cat).
const fixture = (name: string): string => readFileSync(join(here, '..', 'fixtures', 'help', name), 'utf8');

function opt(p: HelpParse, name: string): OptionSpec {
  const found = p.options.find((o) => o.names.includes(name));
  if (!found) throw new Error(`no option ${name} in ${p.options.map((o) => o.names.join('/')).join(' ')}`);
  return found;
}

function allNames(p: HelpParse): string[] {
  return p.options.flatMap((o) => o.names);
}

/** Invariants every parse must keep, whatever the input. */
function checkInvariants(p: HelpParse): void {
  const seen = new Set<string>();
  for (const o of p.options) {
    expect(o.names.length).toBeGreaterThan(0);
    expect(o.names.some((n) => n.startsWith('-'))).toBe(true);
    for (const n of o.names) {
      expect(n.startsWith('-')).toBe(true);
      expect(/\s/.test(n)).toBe(false);
      // de-duplicated by name: no name in two options
      expect(seen.has(n)).toBe(false);
      seen.add(n);
    }
    expect(['none', 'required', 'optional']).toContain(o.arg);
    if (o.arg === 'none') {
      expect(o.kind).toBeUndefined();
      expect(o.choices).toBeUndefined();
    } else {
      expect(o.kind).toBeDefined();
    }
    if (o.kind === 'choice') expect(o.choices?.length ?? 0).toBeGreaterThan(0);
  }
  for (const pos of p.positionals) {
    expect(pos.metavar.length).toBeGreaterThan(0);
    expect(typeof pos.repeat).toBe('boolean');
    expect(typeof pos.optional).toBe('boolean');
  }
  for (const s of p.subcommands) expect(s.length).toBeGreaterThan(0);
}

describe('parseHelpText on real GNU help texts', () => {
  it('gzip --help', () => {
    const p = parseHelpText(fixture('gzip.help.txt'));
    checkInvariants(p);
    expect(opt(p, '-c')).toMatchObject({ names: ['-c', '--stdout'], arg: 'none' });
    expect(opt(p, '-c').kind).toBeUndefined();
    expect(opt(p, '-c').description).toBe('write on standard output, keep original files unchanged');
    expect(opt(p, '--suffix')).toMatchObject({ names: ['-S', '--suffix'], arg: 'required', kind: 'string', metavar: 'SUF' });
    expect(opt(p, '--rsyncable')).toMatchObject({ names: ['--rsyncable'], arg: 'none' });
    // "      --synchronous synchronous output": one blank only between the name and its description
    expect(opt(p, '--synchronous')).toMatchObject({ names: ['--synchronous'], arg: 'none' });
    expect(opt(p, '--synchronous').description).toMatch(/^synchronous output/);
    expect(opt(p, '-1').names).toEqual(['-1', '--fast']);
    expect(opt(p, '-9').names).toEqual(['-9', '--best']);
    expect(p.options).toHaveLength(19);
    expect(p.positionals).toEqual([{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }]);
    expect(p.subcommands).toEqual([]);
  });

  it('grep --help', () => {
    const p = parseHelpText(fixture('grep.help.txt'));
    checkInvariants(p);
    // "      --color[=WHEN]," + "      --colour[=WHEN]  ...": one option over two lines
    expect(opt(p, '--color')).toMatchObject({ names: ['--color', '--colour'], arg: 'optional', kind: 'choice', metavar: 'WHEN' });
    expect(opt(p, '--color').choices).toEqual(['always', 'never', 'auto']);
    expect(opt(p, '-d')).toMatchObject({ names: ['-d', '--directories'], arg: 'required', kind: 'choice', choices: ['read', 'recurse', 'skip'] });
    expect(opt(p, '-D').choices).toEqual(['read', 'skip']);
    expect(opt(p, '--binary-files').choices).toEqual(['binary', 'text', 'without-match']);
    expect(opt(p, '-m')).toMatchObject({ names: ['-m', '--max-count'], arg: 'required', kind: 'number', metavar: 'NUM' });
    expect(opt(p, '-f')).toMatchObject({ names: ['-f', '--file'], arg: 'required', kind: 'file' });
    expect(opt(p, '-e')).toMatchObject({ names: ['-e', '--regexp'], arg: 'required', kind: 'pattern', metavar: 'PATTERNS' });
    expect(opt(p, '-q').names).toEqual(['-q', '--quiet', '--silent']);
    expect(opt(p, '-I')).toMatchObject({ names: ['-I'], arg: 'none' });
    expect(opt(p, '--help')).toMatchObject({ names: ['--help'], arg: 'none' });
    expect(opt(p, '--exclude').kind).toBe('pattern'); // GLOB
    expect(opt(p, '--exclude-from').kind).toBe('file');
    // "-NUM  same as --context=NUM"
    expect(opt(p, '-5')).toMatchObject({ arg: 'none' });
    expect(opt(p, '-5').names).toEqual(['-0', '-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
    expect(opt(p, '-C')).toMatchObject({ names: ['-C', '--context'], arg: 'required', kind: 'number' });
    expect(p.positionals).toEqual([
      { metavar: 'PATTERNS', kind: 'pattern', repeat: false, optional: false },
      { metavar: 'FILE', kind: 'file', repeat: true, optional: true },
    ]);
    // prose ("When FILE is '-', read standard input.") yields nothing
    expect(allNames(p)).not.toContain('-');
  });

  it('tar --help (argp)', () => {
    const p = parseHelpText(fixture('tar.help.txt'));
    checkInvariants(p);
    expect(opt(p, '-C')).toMatchObject({ names: ['-C', '--directory'], arg: 'required', kind: 'directory', metavar: 'DIR' });
    expect(opt(p, '-f')).toMatchObject({ names: ['-f', '--file'], arg: 'required', kind: 'file', metavar: 'ARCHIVE' });
    expect(['pattern', 'string']).toContain(opt(p, '--exclude').kind);
    expect(opt(p, '--exclude').arg).toBe('required');
    expect(opt(p, '-I')).toMatchObject({ names: ['-I', '--use-compress-program'], arg: 'required', kind: 'string', metavar: 'PROG' });
    expect(opt(p, '-?').names).toEqual(['-?', '--help']);
    expect(opt(p, '-A').names).toEqual(['-A', '--catenate', '--concatenate']);
    expect(opt(p, '-p').names).toEqual(['-p', '--preserve-permissions', '--same-permissions']);
    expect(opt(p, '-F').names).toEqual(['-F', '--info-script', '--new-volume-script']);
    expect(opt(p, '--occurrence')).toMatchObject({ arg: 'optional', kind: 'number' });
    expect(opt(p, '-b')).toMatchObject({ arg: 'required', kind: 'number', metavar: 'BLOCKS' });
    // continuation lines that begin with an option are description, not options:
    //       --null                 -T reads null-terminated names; implies
    //                              --verbatim-files-from
    expect(opt(p, '--null').description).toBe('-T reads null-terminated names; implies --verbatim-files-from');
    expect(opt(p, '--verbatim-files-from').description).toMatch(/^-T reads file names verbatim/);
    // choices stated away from the option
    expect(opt(p, '-H').choices).toEqual(['gnu', 'oldgnu', 'pax', 'posix', 'ustar', 'v7']); // " FORMAT is one of the following:"
    expect(opt(p, '--quoting-style').choices).toContain('shell-escape-always'); // "Valid arguments for the --quoting-style option are:"
    expect(opt(p, '--backup')).toMatchObject({ arg: 'optional', kind: 'choice' });
    expect(opt(p, '--backup').choices).toEqual(['none', 'off', 't', 'numbered', 'nil', 'existing', 'never', 'simple']);
    expect(opt(p, '--atime-preserve').choices).toEqual(['replace', 'system']); // "(METHOD='replace'; default)"
    expect(opt(p, '--sort').choices).toEqual(['none', 'name', 'inode']);
    expect(p.options.length).toBeGreaterThan(150);
    expect(p.positionals).toEqual([{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }]);
    // "*This* tar defaults to: --format=gnu -f- -b20 ..." is not an option list
    expect(allNames(p)).not.toContain('-f-');
  });

  it('sort --help: literal values are flags of their own', () => {
    const p = parseHelpText(fixture('sort.help.txt'));
    checkInvariants(p);
    expect(opt(p, '-c')).toMatchObject({ names: ['-c', '--check', '--check=diagnose-first'], arg: 'none' });
    expect(opt(p, '-C')).toMatchObject({ names: ['-C', '--check=quiet', '--check=silent'], arg: 'none' });
    expect(opt(p, '-S')).toMatchObject({ names: ['-S', '--buffer-size'], kind: 'size' });
    expect(opt(p, '-T')).toMatchObject({ kind: 'directory' });
    expect(opt(p, '-o')).toMatchObject({ kind: 'file' });
    expect(opt(p, '--files0-from')).toMatchObject({ kind: 'file', metavar: 'F' }); // "... in file F"
    expect(opt(p, '--batch-size')).toMatchObject({ kind: 'number' }); // "merge at most NMERGE inputs"
    expect(opt(p, '--sort').choices).toEqual(['general-numeric', 'human-numeric', 'month', 'numeric', 'random', 'version']);
    // -V is --version-sort here, not --version
    expect(isInformational(opt(p, '-V'))).toBe(false);
    expect(isInformational(opt(p, '--version'))).toBe(true);
  });

  it('ls --help: choices from the epilogue, "-p, --indicator-style=slash"', () => {
    const p = parseHelpText(fixture('ls.help.txt'));
    checkInvariants(p);
    // "The WHEN argument defaults to 'always' and can also be 'auto' or 'never'."
    for (const n of ['--color', '--classify', '--hyperlink']) {
      expect(opt(p, n)).toMatchObject({ arg: 'optional', kind: 'choice', choices: ['always', 'auto', 'never'] });
    }
    expect(opt(p, '-p')).toMatchObject({ names: ['-p', '--indicator-style=slash'], arg: 'none' });
    expect(opt(p, '--indicator-style')).toMatchObject({ arg: 'required', kind: 'choice', choices: ['none', 'slash', 'file-type', 'classify'] });
    expect(opt(p, '--block-size')).toMatchObject({ kind: 'size' });
    expect(opt(p, '-w')).toMatchObject({ kind: 'number', metavar: 'COLS' });
    expect(opt(p, '-1')).toMatchObject({ names: ['-1'], arg: 'none' });
    expect(opt(p, '--quoting-style').choices).toEqual(['literal', 'locale', 'shell', 'shell-always', 'shell-escape', 'shell-escape-always', 'c', 'escape']);
    expect(p.envVars).toEqual(expect.arrayContaining(['QUOTING_STYLE', 'LS_COLORS']));
  });

  it('xz and bzip2: "-0 ... -9", "-1 .. -9", help on stderr without GNU layout', () => {
    const xz = parseHelpText(fixture('xz.help.txt'));
    checkInvariants(xz);
    expect(opt(xz, '-6').names).toEqual(['-0', '-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
    expect(opt(xz, '-T')).toMatchObject({ names: ['-T', '--threads'], arg: 'required', kind: 'number' });
    const bz = parseHelpText(fixture('bzip2.help.txt'));
    checkInvariants(bz);
    // "   -c --stdout         output to standard out" (no comma between names)
    expect(opt(bz, '-c')).toMatchObject({ names: ['-c', '--stdout'], arg: 'none' });
    expect(opt(bz, '-5').names).toEqual(['-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
    expect(opt(bz, '--fast')).toMatchObject({ names: ['--fast'], arg: 'none' });
    // "usage: bzip2 [flags and input files in any order]"
    expect(bz.positionals).toEqual([{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }]);
  });

  it('sed and head: lower-case metavars, -i[SUFFIX], --bytes=[-]NUM', () => {
    const sed = parseHelpText(fixture('sed.help.txt'));
    checkInvariants(sed);
    expect(opt(sed, '-e')).toMatchObject({ names: ['-e', '--expression'], arg: 'required', kind: 'string', metavar: 'script' });
    expect(opt(sed, '-f')).toMatchObject({ names: ['-f', '--file'], kind: 'file' });
    expect(opt(sed, '-i')).toMatchObject({ names: ['-i', '--in-place'], arg: 'optional', metavar: 'SUFFIX' });
    expect(opt(sed, '-l')).toMatchObject({ kind: 'number' });
    expect(opt(sed, '-E').names).toEqual(['-E', '-r', '--regexp-extended']);
    expect(opt(sed, '--follow-symlinks').arg).toBe('none');
    expect(sed.positionals).toEqual([
      { metavar: 'script-only-if-no-other-script', kind: 'string', repeat: false, optional: false },
      { metavar: 'input-file', kind: 'file', repeat: true, optional: true },
    ]);
    const head = parseHelpText(fixture('head.help.txt'));
    expect(opt(head, '-n')).toMatchObject({ names: ['-n', '--lines'], arg: 'required', kind: 'number', metavar: '[-]NUM' });
  });

  it('busybox applets: tab-separated BSD style, usage clusters and modes', () => {
    const gz = parseHelpText(fixture('busybox-gzip.help.txt'));
    checkInvariants(gz);
    expect(gz.options.map((o) => o.names.join(','))).toEqual(['-d', '-c', '-f', '-k', '-t']);
    expect(opt(gz, '-c').description).toBe('Write to stdout');
    const tar = parseHelpText(fixture('busybox-tar.help.txt'));
    checkInvariants(tar);
    expect(opt(tar, '-f')).toMatchObject({ arg: 'required', kind: 'file', metavar: 'FILE' });
    expect(opt(tar, '-C')).toMatchObject({ arg: 'required', kind: 'directory' });
    expect(opt(tar, '--strip-components')).toMatchObject({ arg: 'required', kind: 'number', metavar: 'NUM' }); // "--strip-components NUM\t..."
    expect(opt(tar, '--overwrite').arg).toBe('none');
    expect(tar.subcommands).toEqual(['c', 'x', 't']); // "Usage: tar c|x|t ..."
    const grep = parseHelpText(fixture('busybox-grep.help.txt'));
    checkInvariants(grep);
    expect(opt(grep, '-m')).toMatchObject({ arg: 'required', kind: 'number', metavar: 'N' });
    expect(opt(grep, '-e')).toMatchObject({ arg: 'required', kind: 'pattern', metavar: 'PTRN' });
    // "{ PATTERN | -e PATTERN... | -f FILE... }": PATTERN may be replaced by -e or -f
    expect(grep.positionals[0]).toEqual({ metavar: 'PATTERN', kind: 'pattern', repeat: false, optional: true });
  });

  it('find --help: several different options on one line', () => {
    const p = parseHelpText(fixture('find.help.txt'));
    checkInvariants(p);
    // "      -amin N -anewer FILE -atime N -cmin N -cnewer FILE -context CONTEXT"
    expect(opt(p, '-amin')).toMatchObject({ names: ['-amin'], arg: 'required', kind: 'number', metavar: 'N' });
    expect(opt(p, '-anewer')).toMatchObject({ names: ['-anewer'], arg: 'required', kind: 'file' });
    // "      -daystart -follow -nowarn -regextype -warn"
    expect(opt(p, '-follow')).toMatchObject({ names: ['-follow'], arg: 'none' });
    expect(opt(p, '-name')).toMatchObject({ names: ['-name'], kind: 'pattern' });
    expect(opt(p, '-maxdepth')).toMatchObject({ kind: 'number', metavar: 'LEVELS' });
    expect(opt(p, '-perm')).toMatchObject({ arg: 'required', metavar: '[-/]MODE' });
    expect(opt(p, '-regex').kind).toBe('pattern'); // after "-perm [-/]MODE" on the same line
    // "Valid arguments for -D:" + "exec, opt, rates, search, stat, time, tree, all, help"
    expect(opt(p, '-D')).toMatchObject({ arg: 'required', kind: 'choice' });
    expect(opt(p, '-D').choices).toEqual(['exec', 'opt', 'rates', 'search', 'stat', 'time', 'tree', 'all', 'help']);
    // operator lines ("      ( EXPR )   ! EXPR   -not EXPR ...") are not options
    expect(allNames(p)).not.toContain('-and');
    expect(p.positionals.map((x) => x.metavar)).toEqual(['path', 'expression']);
  });

  it('zstd --help: "--[no-]sparse", "-#", "[INPUT... | -]"', () => {
    const p = parseHelpText(fixture('zstd.help.txt'));
    checkInvariants(p);
    expect(opt(p, '--sparse')).toMatchObject({ names: ['--sparse'], arg: 'none' });
    expect(opt(p, '--no-sparse')).toMatchObject({ names: ['--no-sparse'], arg: 'none' });
    expect(opt(p, '-5').names).toEqual(['-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
    expect(opt(p, '--fast')).toMatchObject({ arg: 'optional', kind: 'number', metavar: '#' });
    expect(opt(p, '-o')).toMatchObject({ arg: 'required', kind: 'file', metavar: 'OUTPUT' });
    expect(p.positionals).toEqual([{ metavar: 'INPUT', kind: 'file', repeat: true, optional: true }]);
  });

  it('git and busybox: command lists', () => {
    const git = parseHelpText(fixture('git.help.txt'));
    checkInvariants(git);
    expect(git.subcommands).toEqual(expect.arrayContaining(['clone', 'init', 'add', 'commit', 'push', 'rebase']));
    expect(git.subcommands).not.toContain('start');
    // options shown only in the (multi-line) usage
    expect(opt(git, '-C')).toMatchObject({ arg: 'required', metavar: 'path' });
    expect(opt(git, '--exec-path')).toMatchObject({ arg: 'optional' });
    expect(opt(git, '--bare').arg).toBe('none');
    expect(git.positionals[0]).toMatchObject({ metavar: 'command', optional: false });
    const bb = parseHelpText(fixture('busybox.help.txt'));
    checkInvariants(bb);
    expect(bb.subcommands).toEqual(expect.arrayContaining(['[', 'ash', 'gzip', 'tar', 'wget', 'zcat']));
    expect(bb.subcommands.length).toBeGreaterThan(200);
  });
});

describe('parseHelpText on small cases', () => {
  it('reads the description on the next line', () => {
    const p = parseHelpText('Usage: x [OPTION]...\n  -b, --blocksize=SIZE\n                 use blocks of SIZE bytes\n  -v  verbose\n');
    expect(p.options).toEqual([
      { names: ['-b', '--blocksize'], arg: 'required', kind: 'size', metavar: 'SIZE', description: 'use blocks of SIZE bytes' },
      { names: ['-v'], arg: 'none', description: 'verbose' },
    ]);
  });

  it('-x ARG, -xARG, -x<arg>, {a|b|c} and argparse choices', () => {
    const p = parseHelpText(
      [
        'Options:',
        '  -o FILE        output file',
        '  -nNUM          repeat NUM times',
        '  -I<dir>        include directory',
        '  --mode={fast|slow|auto}  pick a mode',
        '  --color {always,never,auto}',
        '                 colorize',
        '  -L LEVEL       log level',
      ].join('\n'),
    );
    expect(opt(p, '-o')).toMatchObject({ arg: 'required', kind: 'file', metavar: 'FILE' });
    expect(opt(p, '-n')).toMatchObject({ arg: 'required', kind: 'number', metavar: 'NUM' });
    expect(opt(p, '-I')).toMatchObject({ arg: 'required', kind: 'directory', metavar: 'dir' });
    expect(opt(p, '--mode')).toMatchObject({ kind: 'choice', choices: ['fast', 'slow', 'auto'] });
    expect(opt(p, '--color')).toMatchObject({ kind: 'choice', choices: ['always', 'never', 'auto'] });
    expect(opt(p, '-L')).toMatchObject({ kind: 'number' });
  });

  it('Go flag package layout', () => {
    const p = parseHelpText('Usage of ./srv:\n  -addr string\n    \tlisten address (default ":8080")\n  -n int\n    \tworkers\n  -v\tverbose\n');
    expect(p.options).toEqual([
      { names: ['-addr'], arg: 'required', kind: 'string', metavar: 'string', description: 'listen address (default ":8080")' },
      { names: ['-n'], arg: 'required', kind: 'number', metavar: 'int', description: 'workers' },
      { names: ['-v'], arg: 'none', description: 'verbose' },
    ]);
  });

  it('an option table right after a long intro line is kept', () => {
    const p = parseHelpText('These are the options that this small program understands today\n-a       all\n-b FILE  input\n');
    expect(p.options.map((o) => o.names[0])).toEqual(['-a', '-b']);
  });

  it('merges options listed twice', () => {
    const p = parseHelpText('  -v, --verbose  be loud\n  --verbose=LEVEL  how loud\n');
    expect(p.options).toEqual([{ names: ['-v', '--verbose'], arg: 'required', kind: 'number', metavar: 'LEVEL', description: 'be loud' }]);
  });

  it('skips prose and non-options', () => {
    const p = parseHelpText(
      [
        'Exit status is 0 if any line is selected, 1 otherwise; if any error occurs and',
        '-q is not given, the exit status is 2.',
        '',
        '  -- end of options',
        '  --) what',
        '  - stdin',
      ].join('\n'),
    );
    expect(p.options).toEqual([]);
  });

  it('usage forms: required, optional, repeated, <angle> and clap style', () => {
    expect(parseHelpText('Usage: tar [OPTION...] [FILE]...').positionals).toEqual([{ metavar: 'FILE', kind: 'file', repeat: true, optional: true }]);
    expect(parseHelpText('usage: cp [-R] SOURCE... DIRECTORY').positionals).toEqual([
      { metavar: 'SOURCE', kind: 'file', repeat: true, optional: false },
      { metavar: 'DIRECTORY', kind: 'directory', repeat: false, optional: false },
    ]);
    expect(parseHelpText('Usage: x [options] <input> [<output>]').positionals).toEqual([
      { metavar: 'input', kind: 'file', repeat: false, optional: false },
      { metavar: 'output', kind: 'file', repeat: false, optional: true },
    ]);
    expect(parseHelpText('USAGE:\n    rg [OPTIONS] PATTERN [PATH ...]\n').positionals).toEqual([
      { metavar: 'PATTERN', kind: 'pattern', repeat: false, optional: false },
      { metavar: 'PATH', kind: 'file', repeat: true, optional: true },
    ]);
    expect(parseHelpText('usage: x [-abc] [-o file] in').options.map((o) => o.names[0])).toEqual(['-a', '-b', '-c', '-o']);
  });

  it('"Usage:" at the end of a line, or heading an option table', () => {
    // zip: "Zip 3.0 (July 5th 2008). Usage:" / "zip [-options] [-b path] ... [zipfile list] [-xi list]"
    const zip = parseHelpText('Zip 3.0 (July 5th 2008). Usage:\nzip [-options] [-b path] [-t mmddyyyy] [zipfile [file ...]]\n  The default action\n');
    expect(zip.options.map((o) => o.names[0])).toEqual(['-b', '-t']); // "[-options]" is a placeholder
    expect(zip.positionals).toEqual([{ metavar: 'zipfile', kind: 'file', repeat: true, optional: true }]);
    const table = parseHelpText('Usage:\n\n  -h   help\n  -o FILE  output\n');
    expect(table.options.map((o) => o.names[0])).toEqual(['-h', '-o']);
    expect(table.positionals).toEqual([]);
    // vim: "Usage: vim [arguments] [file ..]       edit specified file(s)"
    expect(parseHelpText('Usage: vim [arguments] [file ..]       edit specified file(s)').positionals.map((x) => x.metavar)).toEqual(['arguments', 'file']);
  });

  it('a Commands: section', () => {
    const p = parseHelpText('Usage: tool <command> [args]\n\nCommands:\n  build     Build it\n  run       Run it\n  help      Help\n\nOptions:\n  -q   quiet\n');
    expect(p.subcommands).toEqual(['build', 'run', 'help']);
    expect(p.options.map((o) => o.names[0])).toEqual(['-q']);
  });

  it('kinds from metavars', () => {
    const cases: [string, string | undefined][] = [
      ['FILE', 'file'], ['PATH', 'file'], ['ARCHIVE', 'file'], ['FILENAME', 'file'], ['DATE-OR-FILE', 'file'], ['script-file', 'file'],
      ['DIR', 'directory'], ['DIRECTORY', 'directory'],
      ['NUM', 'number'], ['N', 'number'], ['COUNT', 'number'], ['LINES', 'number'], ['BYTES', 'number'], ['NUMBER', 'number'],
      ['DEPTH', 'number'], ['LEVEL', 'number'], ['[-]NUM', 'number'],
      ['SIZE', 'size'], ['BLOCKSIZE', 'size'],
      ['PATTERN', 'pattern'], ['PATTERNS', 'pattern'], ['REGEX', 'pattern'],
      ['SUF', undefined], ['PROG', undefined], ['MEMBER-NAME', undefined], ['NAME[:GID]', undefined], ['WHEN', undefined],
    ];
    for (const [mv, kind] of cases) expect([mv, kindFromMetavar(mv)]).toEqual([mv, kind]);
  });
});

describe('parseManText on real pages (man -P cat, MANWIDTH=120)', () => {
  it('gzip.1', () => {
    const p = parseManText(fixture('gzip.man.txt'));
    checkInvariants(p);
    expect(opt(p, '-c')).toMatchObject({ names: ['-c', '--stdout', '--to-stdout'], arg: 'none' });
    expect(opt(p, '-d').names).toEqual(['-d', '--decompress', '--uncompress']);
    // "       -S .suf --suffix .suf"
    expect(opt(p, '-S')).toMatchObject({ names: ['-S', '--suffix'], arg: 'required', kind: 'string', metavar: '.suf' });
    expect(opt(p, '-S').description).toMatch(/^When compressing, use suffix \.suf instead of \.gz\./);
    // "       -# --fast --best": the digits, and --fast / --best on their own
    expect(opt(p, '-6').names).toEqual(['-1', '-2', '-3', '-4', '-5', '-6', '-7', '-8', '-9']);
    expect(opt(p, '--fast').names).toEqual(['--fast']);
    expect(opt(p, '--best').names).toEqual(['--best']);
    expect(opt(p, '-a').names).toEqual(['-a', '--ascii']); // only in the man page
    // DIAGNOSTICS "-- not a regular file or directory: ignored", CAVEATS "--quiet option to suppress..."
    expect(allNames(p).filter((n) => n === '--quiet')).toHaveLength(1);
    expect(opt(p, '--quiet').names).toEqual(['-q', '--quiet']);
    expect(p.options).toHaveLength(21);
    expect(p.positionals).toEqual([{ metavar: 'name', kind: 'string', repeat: true, optional: true }]);
    expect(p.envVars).toEqual(['GZIP']);
  });

  it('grep.1', () => {
    const p = parseManText(fixture('grep.man.txt'));
    checkInvariants(p);
    // "       --help Output a usage message and exit." (tag and text on one line)
    expect(opt(p, '--help')).toMatchObject({ names: ['--help'], arg: 'none', description: 'Output a usage message and exit.' });
    expect(opt(p, '-I')).toMatchObject({ names: ['-I'], arg: 'none' });
    expect(opt(p, '-e')).toMatchObject({ names: ['-e', '--regexp'], arg: 'required', kind: 'pattern' });
    expect(opt(p, '-m')).toMatchObject({ names: ['-m', '--max-count'], kind: 'number' });
    // "WHEN is never, always, or auto."
    expect(opt(p, '--color')).toMatchObject({ names: ['--color', '--colour'], arg: 'optional', kind: 'choice', choices: ['never', 'always', 'auto'] });
    // "By default, ACTION is read ... If ACTION is skip ... If ACTION is recurse"
    expect(opt(p, '-d').choices?.slice().sort()).toEqual(['read', 'recurse', 'skip']);
    expect(opt(p, '--binary-files').choices?.slice().sort()).toEqual(['binary', 'text', 'without-match']);
    // "-C NUM, -NUM, --context=NUM": -NUM goes apart, as digit flags
    expect(opt(p, '-C').names).toEqual(['-C', '--context']);
    expect(opt(p, '-3').arg).toBe('none');
    expect(p.positionals.map((x) => x.metavar)).toEqual(['PATTERNS', 'FILE']);
    expect(p.envVars).toEqual(expect.arrayContaining(['GREP_COLORS', 'LC_ALL', 'POSIXLY_CORRECT']));
  });

  it('tar.1', () => {
    const p = parseManText(fixture('tar.man.txt'));
    checkInvariants(p);
    expect(opt(p, '-C')).toMatchObject({ names: ['-C', '--directory'], kind: 'directory' });
    expect(opt(p, '-f')).toMatchObject({ names: ['-f', '--file'], kind: 'file' });
    expect(opt(p, '-I')).toMatchObject({ names: ['-I', '--use-compress-program'], kind: 'string', metavar: 'COMMAND' });
    expect(opt(p, '--group')).toMatchObject({ kind: 'string', metavar: 'NAME[:GID]' });
    expect(opt(p, '--quoting-style').choices).toEqual(['literal', 'shell', 'shell-always', 'c', 'c-maybe', 'escape', 'locale', 'clocale']);
    expect(p.options.length).toBeGreaterThan(140);
    // the prose examples "tar --create --file etc.tar --verbose /etc" are not options
    expect(allNames(p)).not.toContain('--cre');
  });

  it('zstd.1: a SYNOPSIS of prose only gives no positionals', () => {
    const p = parseManText(fixture('zstd.man.txt'));
    checkInvariants(p);
    // "       zstdmt is equivalent to zstd -T0"
    expect(p.positionals).toEqual([]);
    // bullet items of justified text: "       O   -T#, --threads=#: Compress using # working threads"
    expect(opt(p, '-T')).toMatchObject({ names: ['-T', '--threads'], arg: 'required', kind: 'number', metavar: '#' });
    expect(opt(p, '-M')).toMatchObject({ names: ['-M', '--memory'], arg: 'required' }); // "-M#,  --memory=#:"
    expect(opt(p, '-k').names).toEqual(['-k', '--keep']); // "-k,  --keep:"
    expect(opt(p, '--ultra')).toMatchObject({ names: ['--ultra'], arg: 'none' });
    expect(opt(p, '--ultra').description).toMatch(/^unlocks high compression levels/);
    expect(opt(p, '--output-dir-flat')).toMatchObject({ arg: 'required', kind: 'directory' });
    // "-C, --[no-]check:"
    expect(opt(p, '-C').names).toEqual(['-C', '--check']);
    expect(opt(p, '--no-check').arg).toBe('none');
    expect(p.options.length).toBeGreaterThan(40);
  });

  it('strips backspace overstrike and SGR escapes', () => {
    const plain = fixture('gzip.man.txt');
    const bold = (s: string): string => [...s].map((c) => (c === '\n' || c === ' ' ? c : `${c}\b${c}`)).join('');
    const underline = (s: string): string => [...s].map((c) => (c === '\n' || c === ' ' ? c : `_\b${c}`)).join('');
    const lines = plain.split('\n');
    const overstruck = lines.map((l, i) => (i % 3 === 0 ? bold(l) : i % 3 === 1 ? underline(l) : `\x1b[1m${l}\x1b[0m`)).join('\n');
    expect(parseManText(overstruck)).toEqual(parseManText(plain));
    // UTF-8 rendering: hyphens and quotes
    const utf8 = plain.replace(/-/g, '\u2010').replace(/'/g, '\u2019');
    expect(parseManText(utf8).options.map((o) => o.names)).toEqual(parseManText(plain).options.map((o) => o.names));
  });
});

describe('merging help and man (help wins)', () => {
  it('adds man aliases and options, keeps help arguments', () => {
    const help = parseHelpText(fixture('gzip.help.txt'));
    const man = parseManText(fixture('gzip.man.txt'));
    const merged = mergeOptions(help.options, man.options);
    const byName = (n: string) => merged.find((o) => o.names.includes(n))!;
    expect(byName('-c').names).toEqual(['-c', '--stdout', '--to-stdout']);
    expect(byName('-c').description).toBe('write on standard output, keep original files unchanged');
    expect(byName('-S')).toMatchObject({ names: ['-S', '--suffix'], metavar: 'SUF' });
    expect(byName('-a').names).toEqual(['-a', '--ascii']);
    expect(byName('--fast').names).toEqual(['-1', '--fast']);
    // "-#" (-1..-9) overlaps -1/--fast and -9/--best: it adds nothing
    expect(merged.filter((o) => o.names.includes('-1'))).toHaveLength(1);
    const names = merged.flatMap((o) => o.names);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('properties', () => {
  const optionish = fc.oneof(
    fc.constantFrom(
      '  -c, --stdout      write on standard output',
      '  -S, --suffix=SUF  use suffix SUF',
      '      --rsyncable',
      '  -b, --blocksize=SIZE',
      '                    use SIZE-byte blocks',
      '      --color[=WHEN],',
      '      --colour[=WHEN]       WHEN is \'always\', \'never\', or \'auto\'',
      '  -NUM                      same as --context=NUM',
      '  -1 .. -9            set block size',
      '\t-c\tWrite to stdout',
      '\t-f FILE\tName of TARFILE',
      '  -d, --directories=ACTION  ACTION is \'read\', \'recurse\', or \'skip\'',
      'Usage: grep [OPTION]... PATTERNS [FILE]...',
      'Usage: x {a|b|c} [-xyz] [--foo[=<bar>]] <baz>...',
      '  or:  x --files0-from=F',
      'Commands:',
      '   clone     Clone',
      '       -S .suf --suffix .suf',
      '              When compressing, use suffix .suf',
      'OPTIONS',
      'SYNOPSIS',
      '       gzip [ -acdfhklLnNrtvV19 ] [-S suffix] [ name ...  ]',
      ' FORMAT is one of the following:',
      '    gnu     GNU format',
      'Valid arguments for the --quoting-style option are:',
      '  literal',
      '',
      '-',
      '--',
      '-=',
      '--=[',
      '-x[',
      '[[[[',
      '{{{{|',
      '  -C NUM, -NUM, --context=NUM',
      'c\bc_\bx\x1b[1m',
    ),
    fc.string({ maxLength: 40 }),
    fc
      .tuple(
        fc.constantFrom('', ' ', '  ', '      ', '\t'),
        fc.constantFrom('-', '--', '-x', '--long', '-#', '-NUM', '-1'),
        fc.constantFrom('', '=', '=ARG', '[=WHEN]', ' FILE', ', ', ' ', '  ', '\t', '[', '{a|b}', '<x>', '...'),
        fc.string({ maxLength: 12 }),
      )
      .map((parts) => parts.join('')),
  );
  const text = fc.array(optionish, { maxLength: 40 }).map((ls) => ls.join('\n'));

  it('never throws and keeps the invariants (arbitrary strings)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        checkInvariants(parseHelpText(s));
        checkInvariants(parseManText(s));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and keeps the invariants (lines mixing real option syntax)', () => {
    fc.assert(
      fc.property(text, (s) => {
        checkInvariants(parseHelpText(s));
        checkInvariants(parseManText(s));
      }),
      { numRuns: 500 },
    );
  });

  it('stays fast on adversarial input', () => {
    const cases = [
      `${'A_'.repeat(900)} environment variable\n`.repeat(300),
      `  -${'a-'.repeat(900)}\n`.repeat(300),
      `Usage: x ${'['.repeat(900)}${'[-a] '.repeat(20_000)}`,
      `  --foo=MODE  ${'MODE is x, '.repeat(150)}\n`.repeat(300),
      `  --foo=WHEN  WHEN is ${"'a', ".repeat(300)}\n`.repeat(300),
      `Commands:\n${'  a, '.repeat(500)}\n`.repeat(300),
      `${'\n'.repeat(200_000)}       -x y\n`,
    ];
    for (const c of cases) {
      const started = Date.now();
      checkInvariants(parseHelpText(c));
      checkInvariants(parseManText(c));
      expect(Date.now() - started).toBeLessThan(3_000);
    }
  });

  it('survives non-string input and huge lines', () => {
    expect(parseHelpText(undefined as unknown as string).options).toEqual([]);
    expect(parseHelpText(`  -x ${'A'.repeat(100_000)}\n`).options.length).toBeLessThanOrEqual(1);
    expect(parseManText('\b'.repeat(1000)).options).toEqual([]);
  });
});
