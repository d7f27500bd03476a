import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataError, usageError } from '../../src/errors.js';
import { DELIVERY_MODES, MAX_ENDPOINT_INDEX, parseRawRequest, type DeliveryMode, type HttpInput } from './request.js';

/**
 * The seed corpus: one raw HTTP request per file. The built-in seeds are the `.http`
 * files of the repository's `corpus/http/`; users add directories of their own.
 *
 * How a seed is delivered comes from its file name: every dot-separated part after the
 * first that names a delivery mode (`pipelined`, `slow-read`...) sets the mode, and a
 * part `ep<N>` the endpoint index. `keepalive.idle.http` is sent in idle mode,
 * `get-root.ep1.http` to the second endpoint; other parts (`.http`, `.txt`) mean nothing.
 */

/** The mode and endpoint a seed's file name asks for. */
export function deliveryOfName(name: string): Pick<HttpInput, 'mode' | 'endpoint'> {
  const delivery: Pick<HttpInput, 'mode' | 'endpoint'> = {};
  for (const part of name.split('.').slice(1)) {
    if (DELIVERY_MODES.includes(part as DeliveryMode) && part !== 'sequential') delivery.mode = part as DeliveryMode;
    const endpoint = /^ep(\d{1,2})$/.exec(part);
    if (endpoint && Number(endpoint[1]) <= MAX_ENDPOINT_INDEX && Number(endpoint[1]) > 0) delivery.endpoint = Number(endpoint[1]);
  }
  return delivery;
}

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
      return { requests: [parseRawRequest(readFileSync(file))], ...deliveryOfName(name) };
    } catch (err) {
      throw dataError(`seed file ${file}: ${(err as Error).message}`);
    }
  });
}

export function loadSeeds(seedDirs: readonly string[] = []): HttpInput[] {
  const builtin = readSeedDir(findBuiltinCorpusDir(), (name) => name.endsWith('.http'));
  // the user's own requests first: a short run (--max-execs 40) must not spend itself on ours
  return [...seedDirs.flatMap((dir) => readSeedDir(dir)), ...builtin];
}
