import { loadCorpus } from '../corpus/corpus.js';
import { LIFECYCLE, type Input } from '../corpus/entry.js';
import type { AnyStrategy } from '../strategy.js';
import { loadInvocationSeeds } from '../../strategies/command/index.js';
import { readSeedDir } from '../../strategies/http/seeds.js';
import { loadSessionSeeds } from '../../strategies/tcp/seed-format.js';

/** The channels a corpus was made with (undefined when it holds no input entry). */
export async function corpusStrategies(dir: string): Promise<string | undefined> {
  const { entries } = await loadCorpus(dir);
  const names = [...new Set(entries.map((e) => e.strategy).filter((s) => s !== LIFECYCLE))].sort();
  return names.length > 0 ? names.join(',') : undefined;
}

/**
 * `verify --seeds DIR`: inputs written by hand (requests a client sends, invocations a
 * build runs) that the fuzzer never saw, checked against the profile with the corpus.
 */
export function userSeedInputs(
  strategies: readonly AnyStrategy[],
  dirs: readonly string[],
  warn: (message: string) => void = (message) => process.stderr.write(`seccomplete: warning: ${message}\n`),
): Input[] {
  if (dirs.length === 0) return [];
  const command = strategies.find((s) => s.target === 'command');
  if (command) return loadInvocationSeeds(dirs).map((data) => ({ strategy: command.name, data, parent: null }));
  const inputs: Input[] = [];
  if (strategies.some((s) => s.name === 'http')) inputs.push(...dirs.flatMap((dir) => readSeedDir(dir)).map((data) => ({ strategy: 'http', data, parent: null })));
  // sessions go to tcp and to udp alike when both run: a seed file does not say which
  for (const name of ['tcp', 'udp']) {
    if (strategies.some((s) => s.name === name)) inputs.push(...loadSessionSeeds(dirs, warn).map((data) => ({ strategy: name, data, parent: null })));
  }
  return inputs;
}
