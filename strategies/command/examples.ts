import type { ContentKind, FileNode, Invocation } from '../../src/command/invocation.js';

/** The content a documented file name suggests: archive.tar is a tar archive, notes.gz gzip. */
const BY_EXTENSION: [RegExp, ContentKind][] = [
  [/\.(tar\.gz|tgz)$/, 'tar.gz'],
  [/\.tar$/, 'tar'],
  [/\.gz$/, 'gzip'],
  [/\.xz$/, 'xz'],
  [/\.(bz2|bz)$/, 'bzip2'],
  [/\.zst$/, 'zstd'],
  [/\.json$/, 'json'],
];

const PLACEHOLDER = /^(foo|bar|baz|qux|file\d*|dir\d*|src|input|in|data)$/;
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_+-]*(\.[A-Za-z0-9]+)+$/;

function looksLikeFile(word: string): boolean {
  return FILE_NAME.test(word) || PLACEHOLDER.test(word);
}

/**
 * A documented example as an invocation: the words that name files get files of the kind
 * their names suggest (text otherwise), so `tar -xf archive.tar` meets a real archive.
 */
export function exampleInvocation(words: readonly string[], seed = 1): Invocation {
  const files = new Map<string, FileNode>();
  const fileFor = (name: string) => {
    if (files.has(name)) return;
    const kind = BY_EXTENSION.find(([re]) => re.test(name))?.[1] ?? 'text';
    files.set(name, { type: 'file', name, content: { kind, seed: seed + files.size, size: 2000 } });
  };
  for (const word of words) {
    const value = word.startsWith('--') && word.includes('=') ? word.slice(word.indexOf('=') + 1) : word;
    if (!value.startsWith('-') && looksLikeFile(value)) fileFor(value);
  }
  return { args: [...words], stdin: { from: 'null' }, env: {}, files: [...files.values()] };
}
