/**
 * The argument grammar of a command-line program, as mined from its own help text and
 * manual page (see mine.ts), possibly amended by the user's override file (override.ts).
 * The command-mode fuzzer builds argument vectors from it.
 */

/** What an option argument or a positional argument holds; drives the value generator. */
export type ArgKind = 'number' | 'file' | 'directory' | 'string' | 'choice' | 'size' | 'pattern';

export interface OptionSpec {
  /**
   * Spellings of the option, short ones first, e.g. ['-c', '--stdout']. Every name starts
   * with '-'. A name may carry a fixed value (`--check=quiet`, `--indicator-style=slash`)
   * when the help text lists that exact spelling as a flag of its own.
   */
  names: string[];
  arg: 'none' | 'required' | 'optional';
  /** when arg !== 'none' */
  kind?: ArgKind;
  /** 'FILE', 'NUM', 'WHEN'... (when arg !== 'none') */
  metavar?: string;
  /** kind 'choice': e.g. ['never', 'always', 'auto']; for other kinds: values worth trying */
  choices?: string[];
  description?: string;
}

export interface PositionalSpec {
  metavar: string;
  kind: ArgKind;
  repeat: boolean;
  optional: boolean;
}

export interface Grammar {
  /** basename of the program */
  program: string;
  options: OptionSpec[];
  /** from the Usage line(s) */
  positionals: PositionalSpec[];
  /** e.g. git-style "Commands:" sections; may be empty */
  subcommands: string[];
  /** where it came from: '--help', '-h', 'man', 'override FILE' */
  sources: string[];
  /**
   * Environment variables the help text or manual page says the program reads (GZIP,
   * GREP_COLORS, QUOTING_STYLE...); absent or empty when none were found.
   */
  envVars?: string[];
  /** example invocations the documentation gives, arguments after the program name */
  examples?: string[][];
}

export const ARG_KINDS: readonly ArgKind[] = ['number', 'file', 'directory', 'string', 'choice', 'size', 'pattern'];
