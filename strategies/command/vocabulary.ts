import type { ContentKind } from '../../src/command/invocation.js';
import type { ArgKind, Grammar } from '../../src/command/grammar/index.js';

/** What the command channels know about the program: its grammar, the samples, the environment it reads. */
export interface CommandVocabulary {
  program: string;
  grammar: Grammar;
  /** sample files (corpus/files and --seeds) usable as content kind 'sample' */
  samples: string[];
  /** environment variables the program's documentation names (GZIP, GREP_COLORS, TAR_OPTIONS...) */
  programEnv: string[];
}

/** The extension a file of each kind usually has: gzip -d wants `.gz`, tar -z does not care. */
export const EXTENSION: Record<ContentKind, string> = {
  empty: '',
  text: '.txt',
  lines: '.txt',
  binary: '.bin',
  large: '.txt',
  utf8: '.txt',
  json: '.json',
  gzip: '.gz',
  xz: '.xz',
  bzip2: '.bz2',
  zstd: '.zst',
  tar: '.tar',
  'tar.gz': '.tar.gz',
  sample: '',
  bytes: '.dat',
};

/** Values that make option parsers take their rarer branches, by kind of argument. */
export const VALUES: Record<Exclude<ArgKind, 'file' | 'directory' | 'choice'>, readonly string[]> = {
  number: ['0', '1', '2', '3', '9', '10', '100', '4096', '65536', '-1', '2147483647', '99999999999999999999', 'abc', '', '1.5', '0x10'],
  size: ['0', '1', '512', '1k', '1K', '64K', '1M', '1G', '10x', '-1', '1P'],
  pattern: ['a', 'the', '^$', '.', '^', 'e$', '[[:alpha:]]+', '[0-9]', '\\(a\\)\\1', 'a\\|b', 'a|b', '(', '[', 'x*y+', '[^a-z]', '\\w+', '\\bword\\b', 'é', 'a{2,}', '.*'],
  string: ['a', '', 'x', 'foo,bar', '%s%n', ':', 'utf-8', 'none', 'auto', '-', '.', 'A'.repeat(300), '1', 'yes', 'no'],
};
