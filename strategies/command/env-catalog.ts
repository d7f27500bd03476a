import fc from 'fast-check';
import type { CommandVocabulary } from './vocabulary.js';

/**
 * Environment variables that change code paths in glibc and in most programs: locale
 * loading (LANG, LC_ALL: locale archive and gconv modules), time zones (TZ: zoneinfo
 * files), HOME and TMPDIR lookups, terminal handling, POSIX mode, malloc's checking
 * modes. Values include unset (null) and nonsense, which take the fallback paths.
 */
export const ENV_CATALOG: Record<string, readonly (string | null)[]> = {
  LANG: ['C', 'C.UTF-8', 'POSIX', 'en_US.UTF-8', 'de_DE.ISO-8859-1', 'xx_YY.bogus', null],
  LC_ALL: ['C', 'C.UTF-8', 'en_US.UTF-8', 'tr_TR.UTF-8', 'bogus', null],
  LC_MESSAGES: ['C', 'fr_FR.UTF-8', null],
  LC_CTYPE: ['C.UTF-8', 'C', null],
  LANGUAGE: ['fr:de', '', null],
  TZ: ['UTC', 'America/New_York', 'Europe/Berlin', ':/etc/localtime', 'EST5EDT', 'Bogus/Zone', '', null],
  HOME: ['.', '/nonexistent', '', null],
  TMPDIR: ['/nonexistent', '.', '', null],
  TERM: ['dumb', 'xterm-256color', 'vt100', 'unknown-terminal', null],
  COLUMNS: ['1', '40', '500', 'abc'],
  LINES: ['1', '1000'],
  POSIXLY_CORRECT: ['1', null],
  MALLOC_CHECK_: ['3', '0'],
  MALLOC_PERTURB_: ['165'],
  MALLOC_ARENA_MAX: ['1'],
  GLIBC_TUNABLES: ['glibc.malloc.check=3', 'glibc.malloc.tcache_count=0', 'glibc.pthread.rseq=0'],
  PATH: ['/usr/bin:/bin', '', null],
  PWD: ['/nonexistent', null],
  SHELL: ['/bin/false', null],
  USER: ['nobody', null],
  LOGNAME: ['nobody', null],
};

/** Values for variables a program's documentation names, whose syntax we cannot know. */
const PROGRAM_ENV_VALUES: readonly (string | null)[] = ['', '1', '-v', '--help', 'x', 'always', null];

/** One to three changes to the environment. */
export function envChangeArb(v: CommandVocabulary): fc.Arbitrary<Record<string, string | null>> {
  const entries: [string, readonly (string | null)[]][] = [
    ...Object.entries(ENV_CATALOG),
    ...v.programEnv.filter((name) => !(name in ENV_CATALOG)).map((name): [string, readonly (string | null)[]] => [name, PROGRAM_ENV_VALUES]),
  ];
  const change = fc.constantFrom(...entries).chain(([name, values]) => fc.constantFrom(...values).map((value) => [name, value] as const));
  return fc.array(change, { minLength: 1, maxLength: 3 }).map((pairs) => Object.fromEntries(pairs));
}
