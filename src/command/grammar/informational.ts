/**
 * Options that only print information (help, version, usage) and exit. They stay in the
 * grammar (no option is removed by default: a crash in --help is a crash too), but the
 * fuzzer should give them little weight, since every run that uses one ends early.
 */
import type { OptionSpec } from './types.js';

const INFO_NAMES = new Set(['--help', '--version', '--usage', '--long-help', '-?', '--help-all']);

export function isInformational(opt: OptionSpec): boolean {
  if (opt.names.some((n) => INFO_NAMES.has(n))) return true;
  // '-V' is --version for gzip/grep/tar but --version-sort for sort: trust it only alone
  if (opt.names.includes('-V') && opt.arg === 'none') {
    const others = opt.names.filter((n) => n !== '-V');
    if (others.length === 0) return !opt.description || (/\bversion\b/i.test(opt.description) && !/\bsort\b/i.test(opt.description));
  }
  return false;
}

/**
 * Option names removed from every mined grammar before fuzzing. Deliberately empty: all
 * options are kept (use `isInformational` to weight them down, or a grammar file's
 * "remove" list to drop some).
 */
export const defaultRemovals: readonly string[] = Object.freeze([]);
