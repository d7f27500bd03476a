import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataError, usageError } from '../../src/errors.js';
import { parseRawRequest, type HttpInput } from './request.js';

/**
 * The seed corpus: one raw HTTP request per file. The built-in seeds are the `.http`
 * files of the repository's `corpus/http/`; users add directories of their own.
 */

/**
 * `corpus/http/` of the installed package. Walks up from this module because it runs
 * both as source (`strategies/http/`) and compiled (`dist/strategies/http/`); the package
 * root is the first ancestor holding both `package.json` and `corpus/http/`.
 */
export function findBuiltinCorpusDir(from: string = dirname(fileURLToPath(import.meta.url)), name = 'http'): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'corpus', name);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (dirname(dir) === dir) throw new Error(`no corpus/${name}/ directory next to a package.json above ${from}`);
  }
}

/** One input per file, in file-name order so that runs are reproducible. */
export function readSeedDir(dir: string, accept: (name: string) => boolean = () => true): HttpInput[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw usageError(`seed directory not found: ${dir}`, 'pass a directory holding one raw HTTP request per file');
  }
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.') && accept(entry.name))
    .map((entry) => entry.name)
    .sort();
  return files.map((name) => {
    const file = join(dir, name);
    try {
      return { requests: [parseRawRequest(readFileSync(file))] };
    } catch (err) {
      throw dataError(`seed file ${file}: ${(err as Error).message}`);
    }
  });
}

export function loadSeeds(seedDirs: readonly string[] = []): HttpInput[] {
  const builtin = readSeedDir(findBuiltinCorpusDir(), (name) => name.endsWith('.http'));
  return [...builtin, ...seedDirs.flatMap((dir) => readSeedDir(dir))];
}
